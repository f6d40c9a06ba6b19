/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A raw generic netlink client for the "handshake" family, shared by the
 * hs-nl* test programs (selftests/lib/hs-nl-lib.c, compiled once and linked where used). Raw on
 * purpose: the negative tests and the fuzzer send what a netlink library
 * would refuse to build.
 */
#ifndef HS_NL_LIB_H
#define HS_NL_LIB_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/handshake.h>
#include <linux/netlink.h>

#define HNL_BUF		(128 * 1024)
#define HNL_MAX_GROUPS	8
#define HNL_MAX_NEST	8

struct hnl {
	int fd;
	uint16_t family;
	uint32_t version;
	unsigned int ngroups;
	uint32_t group_id[HNL_MAX_GROUPS];
	char group_name[HNL_MAX_GROUPS][GENL_NAMSIZ];
	uint32_t seq;
};

struct hnl_msg {
	size_t len;
	size_t nest[HNL_MAX_NEST];
	unsigned int nnest;
	union {
		struct nlmsghdr nlh;
		char buf[HNL_BUF];
	};
};

/* What an ACCEPT reply carried; has_* for the optional attributes. */
struct hnl_accept {
	int fd;
	uint32_t msg_type, timeout_ms, auth, keyring;
	int32_t cert, privkey;
	unsigned int npeerids;
	uint32_t peerids[16];
	char peername[512];
	bool has_fd, has_timeout, has_keyring, has_cert, has_privkey;
	bool has_peername;
	unsigned int unknown;	/* attributes of no known type */
};

typedef int (*hnl_reply_fn)(const struct nlmsghdr *nlh, void *arg);

#define HNL_ATTR_OK(a, rem) \
	((rem) >= (int)sizeof(struct nlattr) && \
	 (a)->nla_len >= sizeof(struct nlattr) && (a)->nla_len <= (rem))
#define HNL_ATTR_NEXT(a, rem) \
	((rem) -= NLA_ALIGN((a)->nla_len), \
	 (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define HNL_ATTR_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define HNL_ATTR_LEN(a)		((int)(a)->nla_len - NLA_HDRLEN)
#define hnl_for_each_attr(a, head, len, rem) \
	for ((a) = (head), (rem) = (len); HNL_ATTR_OK(a, rem); \
	     (a) = HNL_ATTR_NEXT(a, rem))

struct nlattr *hnl_genl_attrs(const struct nlmsghdr *nlh,
			      int *len);
uint32_t hnl_attr_u32(const struct nlattr *a);
void hnl_msg_init(struct hnl_msg *m, uint16_t type,
		  uint16_t flags, uint8_t cmd, uint8_t version);
int hnl_put_raw(struct hnl_msg *m, const void *data, size_t len);
int hnl_put_attr(struct hnl_msg *m, uint16_t type,
		 const void *data, size_t len, uint16_t fake_len);
int hnl_put(struct hnl_msg *m, uint16_t type, const void *data,
	    size_t len);
int hnl_put_u32(struct hnl_msg *m, uint16_t type, uint32_t v);
int hnl_nest_begin(struct hnl_msg *m, uint16_t type);
void hnl_nest_end(struct hnl_msg *m);
int hnl_send(struct hnl *h, struct hnl_msg *m);
int hnl_wait_ack(struct hnl *h, hnl_reply_fn fn, void *arg,
		 int timeout_ms);
int hnl_transact(struct hnl *h, struct hnl_msg *m,
		 hnl_reply_fn fn, void *arg);
int hnl_open(struct hnl *h);
void hnl_close(struct hnl *h);
int hnl_group(const struct hnl *h, const char *name);
int hnl_join(struct hnl *h, const char *name);
int hnl_on_accept(const struct nlmsghdr *nlh, void *arg);
int hnl_accept(struct hnl *h, uint32_t handler_class,
	       struct hnl_accept *acc);
int hnl_done(struct hnl *h, int fd, int status,
	     const uint32_t *remote, unsigned int nremote);
const char *hnl_errname(int e);
int hnl_parse_errno(const char *s);

#endif /* HS_NL_LIB_H */
