// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * tlshd's handshake-family messages: ACCEPT replies built with libnl the
 * way the kernel builds them, then parsed; malformed ones must fail with a
 * precise cause; DONE and ACCEPT requests must carry the right attributes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/handshake.h>

#include "msg.h"

#define FAMILY 0x1d	/* any genetlink family id */

#include "check.h"

static struct nl_msg *reply_start(int cmd)
{
	/* Room for the oversized attributes some tests put. */
	struct nl_msg *msg = nlmsg_alloc_size(128 * 1024);

	if (!msg || !genlmsg_put(msg, 0, 1, FAMILY, 0, 0, cmd,
				 HANDSHAKE_FAMILY_VERSION)) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return msg;
}

static int parse(struct nl_msg *msg, struct tlshd_request *req, char *err)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	return tlshd_msg_parse_accept(nlh, nlh->nlmsg_len, req, err);
}

/* Parse, expect failure whose text contains want, and the fd as given. */
static void expect_fail(struct nl_msg *msg, const char *want, int fd)
{
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	int ret;

	ret = parse(msg, &req, err);
	CHECK(ret == -EINVAL);
	if (!strstr(err, want)) {
		fprintf(stderr, "expected error '%s', got '%s'\n", want, err);
		failures++;
	}
	if (req.sockfd != fd) {
		fprintf(stderr, "'%s': expected sockfd %d, got %d\n", want, fd,
			req.sockfd);
		failures++;
	}
	nlmsg_free(msg);
}

/* The minimal reply of an anonymous client hello. */
static struct nl_msg *minimal_reply(void)
{
	struct nl_msg *msg = reply_start(HANDSHAKE_CMD_ACCEPT);

	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 7);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,
		    HANDSHAKE_MSG_TYPE_CLIENTHELLO);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, HANDSHAKE_AUTH_UNAUTH);
	return msg;
}

static void test_all_attributes(void)
{
	char err[TLSHD_MSG_ERRLEN] = "";
	struct nl_msg *msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	struct tlshd_request req;
	struct nlattr *nest;

	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 12);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,
		    HANDSHAKE_MSG_TYPE_CLIENTHELLO);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, 5000);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_KEYRING, 0x1234);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, HANDSHAKE_AUTH_X509);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 101);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 102);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 103);
	nest = nla_nest_start(msg, HANDSHAKE_A_ACCEPT_CERTIFICATE);
	nla_put_s32(msg, HANDSHAKE_A_X509_CERT, 555);
	nla_put_s32(msg, HANDSHAKE_A_X509_PRIVKEY, 556);
	nla_nest_end(msg, nest);
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "server.example.org");
	/* An attribute from a future kernel is ignored. */
	nla_put_u64(msg, 77, 1);

	CHECK(parse(msg, &req, err) == 0);
	if (err[0])
		fprintf(stderr, "unexpected error: %s\n", err);
	CHECK(req.sockfd == 12);
	CHECK(req.message_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO);
	CHECK(req.timeout_ms == 5000);
	CHECK(req.keyring == 0x1234);
	CHECK(req.auth_mode == HANDSHAKE_AUTH_X509);
	CHECK(req.npeerids == 3);
	CHECK(req.peerids[0] == 101 && req.peerids[1] == 102 &&
	      req.peerids[2] == 103);
	CHECK(req.cert_serial == 555 && req.privkey_serial == 556);
	CHECK(!strcmp(req.peername, "server.example.org"));
	nlmsg_free(msg);
}

static void test_minimal(void)
{
	char err[TLSHD_MSG_ERRLEN];
	struct nl_msg *msg = minimal_reply();
	struct tlshd_request req;

	CHECK(parse(msg, &req, err) == 0);
	CHECK(req.sockfd == 7);
	CHECK(req.timeout_ms == 0 && req.keyring == 0 && req.npeerids == 0);
	CHECK(req.cert_serial == 0 && req.privkey_serial == 0);
	CHECK(req.peername[0] == '\0');
	CHECK(req.auth_mode == HANDSHAKE_AUTH_UNAUTH);
	nlmsg_free(msg);

	/* The nested flag on CERTIFICATE, as newer kernels set it. */
	msg = minimal_reply();
	{
		struct nlattr *nest = nla_nest_start(msg,
			HANDSHAKE_A_ACCEPT_CERTIFICATE | NLA_F_NESTED);

		nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 9);
		nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 10);
		nla_nest_end(msg, nest);
	}
	CHECK(parse(msg, &req, err) == 0);
	CHECK(req.cert_serial == 9 && req.privkey_serial == 10);
	nlmsg_free(msg);
}

static void test_missing(void)
{
	struct nl_msg *msg;

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 1);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 1);
	expect_fail(msg, "ACCEPT reply lacks SOCKFD", -1);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 3);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 1);
	expect_fail(msg, "ACCEPT reply lacks MESSAGE_TYPE", 3);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 3);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 1);
	expect_fail(msg, "ACCEPT reply lacks AUTH_MODE", 3);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	expect_fail(msg, "lacks SOCKFD", -1);

	msg = minimal_reply();
	{
		struct nlattr *nest = nla_nest_start(msg,
			HANDSHAKE_A_ACCEPT_CERTIFICATE);

		nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 9);
		nla_nest_end(msg, nest);
	}
	expect_fail(msg, "attribute CERTIFICATE lacks X509_PRIVKEY", 7);
}

static void test_sizes(void)
{
	struct nl_msg *msg;
	uint64_t big = 1;

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_u16(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 7);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 1);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 1);
	expect_fail(msg, "attribute SOCKFD has 2 bytes, expected 4", -1);

	msg = minimal_reply();
	nla_put(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, sizeof(big), &big);
	expect_fail(msg, "attribute TIMEOUT has 8 bytes, expected 4", 7);

	msg = minimal_reply();
	nla_put(msg, HANDSHAKE_A_ACCEPT_KEYRING, 0, NULL);
	expect_fail(msg, "attribute KEYRING has 0 bytes, expected 4", 7);

	msg = minimal_reply();
	nla_put_u8(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 1);
	expect_fail(msg, "attribute PEER_IDENTITY has 1 bytes, expected 4", 7);

	msg = minimal_reply();
	{
		struct nlattr *nest = nla_nest_start(msg,
			HANDSHAKE_A_ACCEPT_CERTIFICATE);

		nla_put_u64(msg, HANDSHAKE_A_X509_CERT, 9);
		nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 10);
		nla_nest_end(msg, nest);
	}
	expect_fail(msg, "attribute CERTIFICATE/X509_CERT has 8 bytes", 7);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, -5);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 1);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 1);
	expect_fail(msg, "attribute SOCKFD is negative (-5)", -1);

	msg = minimal_reply();
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 9);
	expect_fail(msg, "MESSAGE_TYPE appears twice", 7);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 4);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 9);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 1);
	expect_fail(msg, "unknown MESSAGE_TYPE 9", 4);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 4);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 2);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, 0);
	expect_fail(msg, "unknown AUTH_MODE 0", 4);
}

static void test_duplicates(void)
{
	struct nl_msg *msg;
	int i;

	/* Two fds: we can't tell which one is ours, trust neither. */
	msg = minimal_reply();
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 8);
	expect_fail(msg, "attribute SOCKFD appears twice", -1);

	msg = minimal_reply();
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, 1);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, 2);
	expect_fail(msg, "attribute TIMEOUT appears twice", 7);

	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "a");
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "b");
	expect_fail(msg, "attribute PEERNAME appears twice", 7);

	msg = minimal_reply();
	for (i = 0; i < 2; i++) {
		struct nlattr *nest = nla_nest_start(msg,
			HANDSHAKE_A_ACCEPT_CERTIFICATE);

		nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 9);
		nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 10);
		nla_nest_end(msg, nest);
	}
	expect_fail(msg, "attribute CERTIFICATE appears twice", 7);

	msg = minimal_reply();
	{
		struct nlattr *nest = nla_nest_start(msg,
			HANDSHAKE_A_ACCEPT_CERTIFICATE);

		nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 9);
		nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 10);
		nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 11);
		nla_nest_end(msg, nest);
	}
	expect_fail(msg, "attribute CERTIFICATE/X509_PRIVKEY appears twice", 7);

	/* PEER_IDENTITY repeats by design, up to the kernel's five. */
	msg = minimal_reply();
	for (i = 0; i < TLSHD_MAX_PEERIDS + 1; i++)
		nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 200 + i);
	expect_fail(msg, "more than 5 PEER_IDENTITY attributes", 7);
}

static void test_peername(void)
{
	char err[TLSHD_MSG_ERRLEN];
	char name[TLSHD_PEERNAME_MAX + 2];
	struct tlshd_request req;
	struct nl_msg *msg;

	memset(name, 'a', sizeof(name));
	name[TLSHD_PEERNAME_MAX] = '\0';
	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, name);
	CHECK(parse(msg, &req, err) == 0);
	CHECK(strlen(req.peername) == TLSHD_PEERNAME_MAX);
	nlmsg_free(msg);

	name[TLSHD_PEERNAME_MAX] = 'a';
	name[TLSHD_PEERNAME_MAX + 1] = '\0';
	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, name);
	expect_fail(msg, "attribute PEERNAME has 256 bytes, at most 255 allowed", 7);

	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "host\nforged: log line");
	expect_fail(msg, "attribute PEERNAME has control character 0x0a at offset 4", 7);
	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "del\x7f");
	expect_fail(msg, "control character 0x7f at offset 3", 7);

	/* A huge one, near the netlink attribute limit. */
	{
		static char huge[60000];

		memset(huge, 'x', sizeof(huge) - 1);
		msg = minimal_reply();
		nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, huge);
		expect_fail(msg, "attribute PEERNAME has 59999 bytes", 7);
	}

	msg = minimal_reply();
	nla_put(msg, HANDSHAKE_A_ACCEPT_PEERNAME, 5, "ab\0cd");
	expect_fail(msg, "attribute PEERNAME has an embedded NUL byte", 7);

	msg = minimal_reply();
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "");
	expect_fail(msg, "attribute PEERNAME is empty", 7);

	/* No terminating NUL is tolerated. */
	msg = minimal_reply();
	nla_put(msg, HANDSHAKE_A_ACCEPT_PEERNAME, 4, "host");
	CHECK(parse(msg, &req, err) == 0);
	CHECK(!strcmp(req.peername, "host"));
	nlmsg_free(msg);
}

static void test_framing(void)
{
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	struct nlmsghdr *nlh;
	struct nl_msg *msg;
	struct nlattr *bad;

	msg = minimal_reply();
	nlh = nlmsg_hdr(msg);
	CHECK(tlshd_msg_parse_accept(nlh, nlh->nlmsg_len - 1, &req, err) == -EINVAL);
	CHECK(strstr(err, "netlink message truncated") != NULL);
	CHECK(tlshd_msg_parse_accept(nlh, 3, &req, err) == -EINVAL);
	CHECK(req.sockfd == -1);
	nlmsg_free(msg);

	msg = reply_start(HANDSHAKE_CMD_ACCEPT);
	nlh = nlmsg_hdr(msg);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK(tlshd_msg_parse_accept(nlh, 64, &req, err) == -EINVAL);
	CHECK(strstr(err, "too short for a genetlink header") != NULL);
	nlmsg_free(msg);

	/* An attribute whose length runs past the message. */
	msg = minimal_reply();
	bad = nla_reserve(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, 4);
	bad->nla_len = 200;
	expect_fail(msg, "bytes of malformed attribute data in the ACCEPT reply", 7);

	/* Junk shorter than an attribute header at the end. */
	msg = minimal_reply();
	nlh = nlmsg_hdr(msg);
	memset((char *)nlh + nlh->nlmsg_len, 0xff, 2);
	nlh->nlmsg_len += 2;
	expect_fail(msg, "2 bytes of malformed attribute data", 7);

	msg = reply_start(HANDSHAKE_CMD_DONE);
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 7);
	expect_fail(msg, "expected an ACCEPT reply, got command 3", -1);
}

static void test_ready(void)
{
	char err[TLSHD_MSG_ERRLEN];
	struct nl_msg *msg;
	struct nlmsghdr *nlh;
	uint32_t cls;

	msg = reply_start(HANDSHAKE_CMD_READY);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
		    HANDSHAKE_HANDLER_CLASS_TLSHD);
	nlh = nlmsg_hdr(msg);
	CHECK(tlshd_msg_cmd(nlh, nlh->nlmsg_len) == HANDSHAKE_CMD_READY);
	CHECK(tlshd_msg_parse_ready(nlh, nlh->nlmsg_len, &cls, err) == 0);
	CHECK(cls == HANDSHAKE_HANDLER_CLASS_TLSHD);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 2);
	nlh = nlmsg_hdr(msg);
	CHECK(tlshd_msg_parse_ready(nlh, nlh->nlmsg_len, &cls, err) == -EINVAL);
	CHECK(strstr(err, "HANDLER_CLASS appears twice") != NULL);
	nlmsg_free(msg);

	msg = minimal_reply();
	nlh = nlmsg_hdr(msg);
	CHECK(tlshd_msg_parse_ready(nlh, nlh->nlmsg_len, &cls, err) == -EINVAL);
	CHECK(strstr(err, "expected a READY notification, got command 2") != NULL);
	nlmsg_free(msg);
}

static void test_accept_request(void)
{
	struct nlattr *tb[HANDSHAKE_A_ACCEPT_MAX + 1];
	struct genlmsghdr *gnlh;
	struct nlmsghdr *nlh;
	struct nl_msg *msg;

	msg = tlshd_msg_accept_request(FAMILY);
	CHECK(msg != NULL);
	if (!msg)
		return;
	nlh = nlmsg_hdr(msg);
	gnlh = nlmsg_data(nlh);
	CHECK(nlh->nlmsg_type == FAMILY);
	CHECK(nlh->nlmsg_flags & NLM_F_REQUEST);
	CHECK(gnlh->cmd == HANDSHAKE_CMD_ACCEPT);
	CHECK(gnlh->version == HANDSHAKE_FAMILY_VERSION);
	CHECK(genlmsg_parse(nlh, 0, tb, HANDSHAKE_A_ACCEPT_MAX, NULL) == 0);
	CHECK(tb[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] &&
	      nla_get_u32(tb[HANDSHAKE_A_ACCEPT_HANDLER_CLASS]) ==
	      HANDSHAKE_HANDLER_CLASS_TLSHD);
	nlmsg_free(msg);
}

static void test_done(void)
{
	static const uint32_t auth[] = { 0x11, 0x22, 0x33 };
	struct genlmsghdr *gnlh;
	struct nlmsghdr *nlh;
	struct nl_msg *msg;
	struct nlattr *a;
	int rem, nstatus = 0, nfd = 0, nauth = 0;

	msg = tlshd_msg_done(FAMILY, 42, EACCES, auth, 3);
	CHECK(msg != NULL);
	if (!msg)
		return;
	nlh = nlmsg_hdr(msg);
	gnlh = nlmsg_data(nlh);
	CHECK(nlh->nlmsg_type == FAMILY);
	CHECK(nlh->nlmsg_flags & NLM_F_REQUEST);
	CHECK(gnlh->cmd == HANDSHAKE_CMD_DONE);
	CHECK(gnlh->version == HANDSHAKE_FAMILY_VERSION);
	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), rem) {
		switch (nla_type(a)) {
		case HANDSHAKE_A_DONE_STATUS:
			nstatus++;
			CHECK(nla_len(a) == 4 && nla_get_u32(a) == EACCES);
			break;
		case HANDSHAKE_A_DONE_SOCKFD:
			nfd++;
			CHECK(nla_len(a) == 4 && nla_get_s32(a) == 42);
			break;
		case HANDSHAKE_A_DONE_REMOTE_AUTH:
			CHECK(nla_len(a) == 4 && nauth < 3 &&
			      nla_get_u32(a) == auth[nauth]);
			nauth++;
			break;
		default:
			CHECK(!"unexpected attribute in DONE");
		}
	}
	CHECK(rem == 0);
	CHECK(nstatus == 1 && nfd == 1 && nauth == 3);
	nlmsg_free(msg);

	/* Success without remote identities: status 0 is sent explicitly,
	 * since an absent STATUS means EIO to the kernel. */
	msg = tlshd_msg_done(FAMILY, 5, 0, NULL, 0);
	CHECK(msg != NULL);
	if (!msg)
		return;
	{
		struct nlattr *tb[HANDSHAKE_A_DONE_MAX + 1];

		CHECK(genlmsg_parse(nlmsg_hdr(msg), 0, tb, HANDSHAKE_A_DONE_MAX,
				    NULL) == 0);
		CHECK(tb[HANDSHAKE_A_DONE_STATUS] &&
		      nla_get_u32(tb[HANDSHAKE_A_DONE_STATUS]) == 0);
		CHECK(tb[HANDSHAKE_A_DONE_SOCKFD] &&
		      nla_get_s32(tb[HANDSHAKE_A_DONE_SOCKFD]) == 5);
		CHECK(!tb[HANDSHAKE_A_DONE_REMOTE_AUTH]);
	}
	nlmsg_free(msg);
}

/*
 * Random damage to a full reply: the parser must never crash or read out
 * of bounds (run under ASan/valgrind to see the latter), and any fd it
 * reports must be one that the bytes really hold.
 */
static void test_mutations(void)
{
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	struct nlattr *nest;
	struct nl_msg *msg;
	struct nlmsghdr *nlh;
	unsigned char *copy;
	unsigned int seed = 1, len, i, j;
	int ok = 0;

	msg = minimal_reply();
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, 1000);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 1);
	nest = nla_nest_start(msg, HANDSHAKE_A_ACCEPT_CERTIFICATE);
	nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 2);
	nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 3);
	nla_nest_end(msg, nest);
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "peer");
	nlh = nlmsg_hdr(msg);
	len = nlh->nlmsg_len;
	copy = malloc(len);
	for (i = 0; i < 200000; i++) {
		unsigned int cut;

		memcpy(copy, nlh, len);
		for (j = 0; j < 1 + (unsigned int)rand_r(&seed) % 4; j++)
			copy[rand_r(&seed) % len] ^= 1u << (rand_r(&seed) % 8);
		cut = len - rand_r(&seed) % 8;
		if (tlshd_msg_parse_accept(copy, cut, &req, err) == 0)
			ok++;
		else if (!err[0])
			CHECK(!"failure without a cause");
		if (req.sockfd != -1 && req.sockfd != 7 &&
		    !memmem(copy, cut, &req.sockfd, 4))
			CHECK(!"reported an fd that is not in the message");
	}
	CHECK(ok > 0);
	free(copy);
	nlmsg_free(msg);
}

int main(void)
{
	test_all_attributes();
	test_minimal();
	test_missing();
	test_sizes();
	test_duplicates();
	test_peername();
	test_framing();
	test_ready();
	test_accept_request();
	test_done();
	test_mutations();
	if (failures) {
		fprintf(stderr, "tlshd_netlink: %d checks failed\n", failures);
		return 1;
	}
	printf("tlshd_netlink: all checks passed\n");
	return 0;
}
