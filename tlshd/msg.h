/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handshake family's messages, built and parsed without any I/O, so
 * unit tests and fuzzers can feed them bytes.
 */
#ifndef TLSHD_MSG_H
#define TLSHD_MSG_H

#include <stddef.h>
#include <stdint.h>

struct nl_msg;

/* The kernel passes at most five peer identities (struct tls_handshake_args). */
#define TLSHD_MAX_PEERIDS 5
/* Longest peer name we take: a DNS name (253) or an address fits. */
#define TLSHD_PEERNAME_MAX 255

/* One accepted handshake request, as the kernel described it. */
struct tlshd_request {
	int sockfd;		/* -1 when the reply carried none */
	uint32_t message_type;	/* HANDSHAKE_MSG_TYPE_* */
	uint32_t auth_mode;	/* HANDSHAKE_AUTH_* */
	uint32_t timeout_ms;	/* 0: none given */
	uint32_t keyring;	/* key serial, 0: none */
	uint32_t cert_serial;	/* 0: none (use the configured one) */
	uint32_t privkey_serial;
	unsigned int npeerids;
	uint32_t peerids[TLSHD_MAX_PEERIDS];
	char peername[TLSHD_PEERNAME_MAX + 1];	/* "" when absent */
};

/* Room for any parse error text. */
#define TLSHD_MSG_ERRLEN 128

/*
 * Parse an ACCEPT reply: a whole netlink message (header included) of len
 * bytes. Returns 0, or -EINVAL with the cause in err. Even on failure,
 * req->sockfd holds the fd if the SOCKFD attribute itself was sound: the
 * kernel has installed that fd, so the caller must answer DONE and close it.
 */
int tlshd_msg_parse_accept(const void *buf, size_t len,
			   struct tlshd_request *req, char *err);

/* Parse a READY notification; gives its handler class (0 if absent). */
int tlshd_msg_parse_ready(const void *buf, size_t len,
			  uint32_t *handler_class, char *err);

/* The genetlink command of a family message, or -EINVAL. */
int tlshd_msg_cmd(const void *buf, size_t len);

/* Build an ACCEPT request for the tlshd handler class. */
struct nl_msg *tlshd_msg_accept_request(int family);

/* Build DONE: status is a positive errno, 0 for success. */
struct nl_msg *tlshd_msg_done(int family, int sockfd, unsigned int status,
			      const uint32_t *remote_auth,
			      unsigned int nremote);

const char *tlshd_msg_type_name(uint32_t type);
const char *tlshd_msg_auth_name(uint32_t auth);

#endif /* TLSHD_MSG_H */
