// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshake family messages. The parser walks attributes itself rather than
 * using nla_parse(), because nla_parse() silently keeps the last of two
 * copies of an attribute and ignores trailing junk: we want both reported.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/handshake.h>

#include "msg.h"

/* What an ACCEPT attribute holds, and so how it is parsed. */
enum tlshd_accept_kind {
	TLSHD_ACCEPT_U32,	/* a u32, kept at .offset if it has one */
	TLSHD_ACCEPT_SOCKFD,	/* a non-negative s32 (tlshd_msg_find_sockfd) */
	TLSHD_ACCEPT_PEERID,	/* a u32 key serial, may repeat */
	TLSHD_ACCEPT_CERT,	/* nested X509_CERT and X509_PRIVKEY */
	TLSHD_ACCEPT_PEERNAME,	/* a host name or address, NUL-terminated */
};

#define TLSHD_ACCEPT_NOWHERE ((size_t)-1)

static const struct tlshd_accept_attr {
	const char *name;
	enum tlshd_accept_kind kind;
	int required;
	size_t offset;		/* TLSHD_ACCEPT_U32: where in the request */
} tlshd_accept_attrs[HANDSHAKE_A_ACCEPT_MAX + 1] = {
	[HANDSHAKE_A_ACCEPT_SOCKFD] = { "SOCKFD", TLSHD_ACCEPT_SOCKFD, 1, 0 },
	[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] = { "HANDLER_CLASS",
		TLSHD_ACCEPT_U32, 0, TLSHD_ACCEPT_NOWHERE },
	[HANDSHAKE_A_ACCEPT_MESSAGE_TYPE] = { "MESSAGE_TYPE", TLSHD_ACCEPT_U32,
		1, offsetof(struct tlshd_request, message_type) },
	[HANDSHAKE_A_ACCEPT_TIMEOUT] = { "TIMEOUT", TLSHD_ACCEPT_U32, 0,
		offsetof(struct tlshd_request, timeout_ms) },
	[HANDSHAKE_A_ACCEPT_AUTH_MODE] = { "AUTH_MODE", TLSHD_ACCEPT_U32, 1,
		offsetof(struct tlshd_request, auth_mode) },
	[HANDSHAKE_A_ACCEPT_PEER_IDENTITY] = { "PEER_IDENTITY",
		TLSHD_ACCEPT_PEERID, 0, 0 },
	[HANDSHAKE_A_ACCEPT_CERTIFICATE] = { "CERTIFICATE", TLSHD_ACCEPT_CERT,
		0, 0 },
	[HANDSHAKE_A_ACCEPT_PEERNAME] = { "PEERNAME", TLSHD_ACCEPT_PEERNAME,
		0, 0 },
	[HANDSHAKE_A_ACCEPT_KEYRING] = { "KEYRING", TLSHD_ACCEPT_U32, 0,
		offsetof(struct tlshd_request, keyring) },
};

const char *tlshd_msg_type_name(uint32_t type)
{
	switch (type) {
	case HANDSHAKE_MSG_TYPE_CLIENTHELLO:
		return "client hello";
	case HANDSHAKE_MSG_TYPE_SERVERHELLO:
		return "server hello";
	default:
		return "unknown";
	}
}

const char *tlshd_msg_auth_name(uint32_t auth)
{
	switch (auth) {
	case HANDSHAKE_AUTH_UNAUTH:
		return "anon";
	case HANDSHAKE_AUTH_PSK:
		return "psk";
	case HANDSHAKE_AUTH_X509:
		return "x509";
	default:
		return "unknown";
	}
}

/*
 * Check the netlink and genetlink headers; give the attribute area.
 * Returns the genetlink command or -EINVAL.
 */
static int tlshd_msg_attrs(const void *buf, size_t len, struct nlattr **head,
			   int *attrlen, char *err)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *gnlh;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "netlink message truncated (%zu bytes)", len);
		return -EINVAL;
	}
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "netlink message too short for a genetlink header (%u bytes)",
			 nlh->nlmsg_len);
		return -EINVAL;
	}
	gnlh = nlmsg_data(nlh);
	*head = (struct nlattr *)((char *)gnlh + GENL_HDRLEN);
	*attrlen = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return gnlh->cmd;
}

int tlshd_msg_cmd(const void *buf, size_t len)
{
	char err[TLSHD_MSG_ERRLEN];
	struct nlattr *head;
	int attrlen;

	return tlshd_msg_attrs(buf, len, &head, &attrlen, err);
}

static int tlshd_msg_u32(const struct nlattr *a, const char *name,
			 uint32_t *v, char *err)
{
	if (nla_len(a) != (int)sizeof(uint32_t)) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "attribute %s has %d bytes, expected 4", name,
			 nla_len(a));
		return -EINVAL;
	}
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int tlshd_msg_trailing(int rem, const char *where, char *err)
{
	/* nla_next() may overshoot by the last attribute's padding. */
	if (rem > 0) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "%d bytes of malformed attribute data in %s", rem,
			 where);
		return -EINVAL;
	}
	return 0;
}

static int tlshd_msg_parse_cert(const struct nlattr *nest,
				struct tlshd_request *req, char *err)
{
	unsigned int seen = 0;
	struct nlattr *a;
	int rem, ret;

	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);
		const char *name;
		uint32_t *dst;

		switch (type) {
		case HANDSHAKE_A_X509_CERT:
			name = "CERTIFICATE/X509_CERT";
			dst = &req->cert_serial;
			break;
		case HANDSHAKE_A_X509_PRIVKEY:
			name = "CERTIFICATE/X509_PRIVKEY";
			dst = &req->privkey_serial;
			break;
		default:
			continue;	/* newer kernels may add more */
		}
		if (seen & (1u << type)) {
			snprintf(err, TLSHD_MSG_ERRLEN,
				 "attribute %s appears twice", name);
			return -EINVAL;
		}
		seen |= 1u << type;
		ret = tlshd_msg_u32(a, name, dst, err);
		if (ret)
			return ret;
	}
	ret = tlshd_msg_trailing(rem, "CERTIFICATE", err);
	if (ret)
		return ret;
	if (!(seen & (1u << HANDSHAKE_A_X509_CERT)) ||
	    !(seen & (1u << HANDSHAKE_A_X509_PRIVKEY))) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "attribute CERTIFICATE lacks %s",
			 seen & (1u << HANDSHAKE_A_X509_CERT) ?
			 "X509_PRIVKEY" : "X509_CERT");
		return -EINVAL;
	}
	return 0;
}

static int tlshd_msg_parse_peername(const struct nlattr *a,
				    struct tlshd_request *req, char *err)
{
	const char *s = nla_data(a);
	size_t n = nla_len(a) > 0 ? (size_t)nla_len(a) : 0, i;

	/* The kernel sends the terminating NUL; tolerate its absence. */
	if (n > 0 && s[n - 1] == '\0')
		n--;
	if (n == 0) {
		snprintf(err, TLSHD_MSG_ERRLEN, "attribute PEERNAME is empty");
		return -EINVAL;
	}
	if (n > TLSHD_PEERNAME_MAX) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "attribute PEERNAME has %zu bytes, at most %d allowed",
			 n, TLSHD_PEERNAME_MAX);
		return -EINVAL;
	}
	if (memchr(s, '\0', n)) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "attribute PEERNAME has an embedded NUL byte");
		return -EINVAL;
	}
	/* No host name or address has them, and they would forge log lines. */
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, TLSHD_MSG_ERRLEN,
				 "attribute PEERNAME has control character 0x%02x at offset %zu",
				 (unsigned char)s[i], i);
			return -EINVAL;
		}
	}
	memcpy(req->peername, s, n);
	req->peername[n] = '\0';
	return 0;
}

/*
 * The SOCKFD attribute first, whatever else is wrong: a sound one means the
 * kernel gave us an fd that must be answered and closed.
 */
static void tlshd_msg_find_sockfd(struct nlattr *head, int attrlen,
				  struct tlshd_request *req)
{
	struct nlattr *a, *found = NULL;
	int rem;
	int32_t fd;

	nla_for_each_attr(a, head, attrlen, rem) {
		if (nla_type(a) != HANDSHAKE_A_ACCEPT_SOCKFD)
			continue;
		if (found)
			return;	/* two fds: trust neither */
		found = a;
	}
	if (!found || nla_len(found) != (int)sizeof(fd))
		return;
	memcpy(&fd, nla_data(found), sizeof(fd));
	if (fd >= 0)
		req->sockfd = fd;
}

/* One attribute of an ACCEPT reply, of a type in the table. */
static int tlshd_msg_accept_attr(const struct nlattr *a,
				 const struct tlshd_accept_attr *d,
				 struct tlshd_request *req, char *err)
{
	uint32_t v;
	int ret;

	if (d->kind == TLSHD_ACCEPT_CERT)
		return tlshd_msg_parse_cert(a, req, err);
	if (d->kind == TLSHD_ACCEPT_PEERNAME)
		return tlshd_msg_parse_peername(a, req, err);
	ret = tlshd_msg_u32(a, d->name, &v, err);
	if (ret)
		return ret;
	if (d->kind == TLSHD_ACCEPT_SOCKFD && (int32_t)v < 0) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "attribute SOCKFD is negative (%d)", (int32_t)v);
		return -EINVAL;
	}
	if (d->kind == TLSHD_ACCEPT_PEERID) {
		if (req->npeerids == TLSHD_MAX_PEERIDS) {
			snprintf(err, TLSHD_MSG_ERRLEN,
				 "more than %d PEER_IDENTITY attributes",
				 TLSHD_MAX_PEERIDS);
			return -EINVAL;
		}
		req->peerids[req->npeerids++] = v;
	}
	if (d->kind == TLSHD_ACCEPT_U32 && d->offset != TLSHD_ACCEPT_NOWHERE)
		memcpy((char *)req + d->offset, &v, sizeof(v));
	return 0;
}

/* After the walk: the required attributes came, with values we know. */
static int tlshd_msg_accept_complete(unsigned int seen,
				     const struct tlshd_request *req, char *err)
{
	int type;

	for (type = 1; type <= HANDSHAKE_A_ACCEPT_MAX; type++) {
		if (!tlshd_accept_attrs[type].required || (seen & (1u << type)))
			continue;
		snprintf(err, TLSHD_MSG_ERRLEN, "ACCEPT reply lacks %s",
			 tlshd_accept_attrs[type].name);
		return -EINVAL;
	}
	/* The names' functions know the values the kernel may send. */
	if (!strcmp(tlshd_msg_type_name(req->message_type), "unknown")) {
		snprintf(err, TLSHD_MSG_ERRLEN, "unknown MESSAGE_TYPE %u",
			 req->message_type);
		return -EINVAL;
	}
	if (!strcmp(tlshd_msg_auth_name(req->auth_mode), "unknown")) {
		snprintf(err, TLSHD_MSG_ERRLEN, "unknown AUTH_MODE %u",
			 req->auth_mode);
		return -EINVAL;
	}
	return 0;
}

int tlshd_msg_parse_accept(const void *buf, size_t len,
			   struct tlshd_request *req, char *err)
{
	const struct tlshd_accept_attr *d;
	unsigned int seen = 0;
	struct nlattr *head, *a;
	int cmd, attrlen, rem, ret;

	memset(req, 0, sizeof(*req));
	req->sockfd = -1;
	err[0] = '\0';

	cmd = tlshd_msg_attrs(buf, len, &head, &attrlen, err);
	if (cmd < 0)
		return cmd;
	if (cmd != HANDSHAKE_CMD_ACCEPT) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "expected an ACCEPT reply, got command %d", cmd);
		return -EINVAL;
	}
	tlshd_msg_find_sockfd(head, attrlen, req);

	nla_for_each_attr(a, head, attrlen, rem) {
		int type = nla_type(a);

		if (type <= 0 || type > HANDSHAKE_A_ACCEPT_MAX)
			continue;	/* newer kernels may add more */
		d = &tlshd_accept_attrs[type];
		if (d->kind != TLSHD_ACCEPT_PEERID && (seen & (1u << type))) {
			snprintf(err, TLSHD_MSG_ERRLEN,
				 "attribute %s appears twice", d->name);
			return -EINVAL;
		}
		seen |= 1u << type;
		ret = tlshd_msg_accept_attr(a, d, req, err);
		if (ret)
			return ret;
	}
	ret = tlshd_msg_trailing(rem, "the ACCEPT reply", err);
	if (ret)
		return ret;
	return tlshd_msg_accept_complete(seen, req, err);
}

int tlshd_msg_parse_ready(const void *buf, size_t len,
			  uint32_t *handler_class, char *err)
{
	struct nlattr *head, *a;
	int cmd, attrlen, rem, ret;
	int seen = 0;

	*handler_class = 0;
	cmd = tlshd_msg_attrs(buf, len, &head, &attrlen, err);
	if (cmd < 0)
		return cmd;
	if (cmd != HANDSHAKE_CMD_READY) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "expected a READY notification, got command %d", cmd);
		return -EINVAL;
	}
	nla_for_each_attr(a, head, attrlen, rem) {
		if (nla_type(a) != HANDSHAKE_A_ACCEPT_HANDLER_CLASS)
			continue;
		if (seen++) {
			snprintf(err, TLSHD_MSG_ERRLEN,
				 "attribute HANDLER_CLASS appears twice");
			return -EINVAL;
		}
		ret = tlshd_msg_u32(a, "HANDLER_CLASS", handler_class, err);
		if (ret)
			return ret;
	}
	return tlshd_msg_trailing(rem, "the READY notification", err);
}

struct nl_msg *tlshd_msg_accept_request(int family)
{
	struct nl_msg *msg;

	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST, HANDSHAKE_CMD_ACCEPT,
			 HANDSHAKE_FAMILY_VERSION) ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
			HANDSHAKE_HANDLER_CLASS_TLSHD) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *tlshd_msg_done(int family, int sockfd, unsigned int status,
			      const uint32_t *remote_auth,
			      unsigned int nremote)
{
	struct nl_msg *msg;
	unsigned int i;

	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	/* ACCEPT needs no ACK (its reply or error says it all); DONE does. */
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST | NLM_F_ACK, HANDSHAKE_CMD_DONE,
			 HANDSHAKE_FAMILY_VERSION))
		goto fail;
	if (nla_put_u32(msg, HANDSHAKE_A_DONE_STATUS, status) < 0 ||
	    nla_put_s32(msg, HANDSHAKE_A_DONE_SOCKFD, sockfd) < 0)
		goto fail;
	for (i = 0; i < nremote; i++)
		if (nla_put_u32(msg, HANDSHAKE_A_DONE_REMOTE_AUTH,
				remote_auth[i]) < 0)
			goto fail;
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}
