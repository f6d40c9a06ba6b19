// SPDX-License-Identifier: GPL-2.0-or-later
/* The raw handshake-family netlink client of the hs-nl* test programs. */
#include "hs-nl-lib.h"

struct nlattr *hnl_genl_attrs(const struct nlmsghdr *nlh,
			      int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
}

uint32_t hnl_attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, HNL_ATTR_DATA(a),
	       HNL_ATTR_LEN(a) < 4 ? (size_t)HNL_ATTR_LEN(a) : 4);
	return v;
}

void hnl_msg_init(struct hnl_msg *m, uint16_t type,
		  uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g;

	memset(&m->nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = flags;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nnest = 0;
}

/* Append raw bytes (no attribute header): for broken messages. */
int hnl_put_raw(struct hnl_msg *m, const void *data, size_t len)
{
	if (m->len + len > sizeof(m->buf))
		return -EMSGSIZE;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

/* An attribute; nla_len may lie when fake_len is non-zero. */
int hnl_put_attr(struct hnl_msg *m, uint16_t type,
		 const void *data, size_t len, uint16_t fake_len)
{
	struct nlattr a = { .nla_type = type,
			    .nla_len = fake_len ? fake_len :
				       (uint16_t)(NLA_HDRLEN + len) };
	size_t pad = NLA_ALIGN(len) - len;
	static const char zero[NLA_ALIGNTO];

	if (NLA_HDRLEN + len > 0xffff ||
	    m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf))
		return -EMSGSIZE;
	hnl_put_raw(m, &a, sizeof(a));
	if (len)
		hnl_put_raw(m, data, len);
	return hnl_put_raw(m, zero, pad);
}

int hnl_put(struct hnl_msg *m, uint16_t type, const void *data,
	    size_t len)
{
	return hnl_put_attr(m, type, data, len, 0);
}

int hnl_put_u32(struct hnl_msg *m, uint16_t type, uint32_t v)
{
	return hnl_put(m, type, &v, sizeof(v));
}

int hnl_nest_begin(struct hnl_msg *m, uint16_t type)
{
	if (m->nnest == HNL_MAX_NEST)
		return -EMSGSIZE;
	m->nest[m->nnest++] = m->len;
	return hnl_put(m, type | NLA_F_NESTED, NULL, 0);
}

void hnl_nest_end(struct hnl_msg *m)
{
	size_t at = m->nest[--m->nnest];
	struct nlattr *a = (struct nlattr *)(m->buf + at);

	a->nla_len = (uint16_t)(m->len - at);
}

int hnl_send(struct hnl *h, struct hnl_msg *m)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	m->nlh.nlmsg_len = (uint32_t)m->len;
	m->nlh.nlmsg_seq = ++h->seq;
	if (sendto(h->fd, m->buf, m->len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/*
 * Read until the kernel's answer to the last request: 0 for an ack,
 * -errno for an error, each other message of the request's sequence
 * handed to fn. -ETIMEDOUT when nothing comes for timeout_ms.
 */
int hnl_wait_ack(struct hnl *h, hnl_reply_fn fn, void *arg,
		 int timeout_ms)
{
	static char buf[HNL_BUF];
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		n = recv(h->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != h->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (fn && fn(nlh, arg))
				return -EPROTO;
		}
	}
}

int hnl_transact(struct hnl *h, struct hnl_msg *m,
		 hnl_reply_fn fn, void *arg)
{
	int err;

	m->nlh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	err = hnl_send(h, m);
	return err ? err : hnl_wait_ack(h, fn, arg, 10000);
}

static void hnl_parse_groups(struct hnl *h, const struct nlattr *nest)
{
	const struct nlattr *g, *a;
	int rem, rem2;

	hnl_for_each_attr(g, (const struct nlattr *)HNL_ATTR_DATA(nest),
			  HNL_ATTR_LEN(nest), rem) {
		uint32_t id = 0;
		char name[GENL_NAMSIZ] = "";

		hnl_for_each_attr(a, (const struct nlattr *)HNL_ATTR_DATA(g),
				  HNL_ATTR_LEN(g), rem2) {
			if (a->nla_type == CTRL_ATTR_MCAST_GRP_ID)
				id = hnl_attr_u32(a);
			else if (a->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
				snprintf(name, sizeof(name), "%.*s",
					 HNL_ATTR_LEN(a),
					 (char *)HNL_ATTR_DATA(a));
		}
		if (h->ngroups < HNL_MAX_GROUPS) {
			h->group_id[h->ngroups] = id;
			memcpy(h->group_name[h->ngroups], name, sizeof(name));
			h->ngroups++;
		}
	}
}

static int hnl_on_family(const struct nlmsghdr *nlh, void *arg)
{
	struct hnl *h = arg;
	struct nlattr *a;
	int len, rem;

	hnl_for_each_attr(a, hnl_genl_attrs(nlh, &len), len, rem) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case CTRL_ATTR_FAMILY_ID:
			h->family = (uint16_t)hnl_attr_u32(a);
			break;
		case CTRL_ATTR_VERSION:
			h->version = hnl_attr_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			hnl_parse_groups(h, a);
			break;
		}
	}
	return 0;
}

/* Open a socket and find the family: -ENOENT if the kernel has none. */
int hnl_open(struct hnl *h)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	static struct hnl_msg m;
	int err, one = 1;

	memset(h, 0, sizeof(*h));
	h->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (h->fd < 0)
		return -errno;
	if (bind(h->fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		goto fail;
	setsockopt(h->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	hnl_msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	hnl_put(&m, CTRL_ATTR_FAMILY_NAME, HANDSHAKE_FAMILY_NAME,
		sizeof(HANDSHAKE_FAMILY_NAME));
	err = hnl_transact(h, &m, hnl_on_family, h);
	if (err) {
		close(h->fd);
		h->fd = -1;
		return err;
	}
	return h->family ? 0 : -ENOENT;
fail:
	err = -errno;
	close(h->fd);
	h->fd = -1;
	return err;
}

void hnl_close(struct hnl *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

int hnl_group(const struct hnl *h, const char *name)
{
	unsigned int i;

	for (i = 0; i < h->ngroups; i++)
		if (!strcmp(h->group_name[i], name))
			return (int)h->group_id[i];
	return -ENOENT;
}

int hnl_join(struct hnl *h, const char *name)
{
	int grp = hnl_group(h, name);

	if (grp < 0)
		return grp;
	if (setsockopt(h->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)) < 0)
		return -errno;
	return 0;
}

int hnl_on_accept(const struct nlmsghdr *nlh, void *arg)
{
	struct hnl_accept *acc = arg;
	struct nlattr *a, *x;
	int len, rem, rem2;

	hnl_for_each_attr(a, hnl_genl_attrs(nlh, &len), len, rem) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case HANDSHAKE_A_ACCEPT_SOCKFD:
			acc->fd = (int)hnl_attr_u32(a);
			acc->has_fd = true;
			break;
		case HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
			acc->msg_type = hnl_attr_u32(a);
			break;
		case HANDSHAKE_A_ACCEPT_TIMEOUT:
			acc->timeout_ms = hnl_attr_u32(a);
			acc->has_timeout = true;
			break;
		case HANDSHAKE_A_ACCEPT_AUTH_MODE:
			acc->auth = hnl_attr_u32(a);
			break;
		case HANDSHAKE_A_ACCEPT_PEER_IDENTITY:
			if (acc->npeerids < 16)
				acc->peerids[acc->npeerids++] = hnl_attr_u32(a);
			break;
		case HANDSHAKE_A_ACCEPT_CERTIFICATE:
			hnl_for_each_attr(x, (struct nlattr *)HNL_ATTR_DATA(a),
					  HNL_ATTR_LEN(a), rem2) {
				if (x->nla_type == HANDSHAKE_A_X509_CERT) {
					acc->cert = (int32_t)hnl_attr_u32(x);
					acc->has_cert = true;
				} else if (x->nla_type == HANDSHAKE_A_X509_PRIVKEY) {
					acc->privkey = (int32_t)hnl_attr_u32(x);
					acc->has_privkey = true;
				}
			}
			break;
		case HANDSHAKE_A_ACCEPT_PEERNAME:
			snprintf(acc->peername, sizeof(acc->peername), "%.*s",
				 HNL_ATTR_LEN(a), (char *)HNL_ATTR_DATA(a));
			acc->has_peername = true;
			break;
		case HANDSHAKE_A_ACCEPT_KEYRING:
			acc->keyring = hnl_attr_u32(a);
			acc->has_keyring = true;
			break;
		default:
			acc->unknown++;
		}
	}
	return 0;
}

/* ACCEPT one request of the class: 0 with acc filled, or -errno. */
int hnl_accept(struct hnl *h, uint32_t handler_class,
	       struct hnl_accept *acc)
{
	static struct hnl_msg m;
	int err;

	memset(acc, 0, sizeof(*acc));
	acc->fd = -1;
	hnl_msg_init(&m, h->family, 0, HANDSHAKE_CMD_ACCEPT,
		     HANDSHAKE_FAMILY_VERSION);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, handler_class);
	err = hnl_transact(h, &m, hnl_on_accept, acc);
	if (!err && !acc->has_fd)
		return -EPROTO;
	return err;
}

/* DONE for fd; status < 0 leaves STATUS out. */
int hnl_done(struct hnl *h, int fd, int status,
	     const uint32_t *remote, unsigned int nremote)
{
	static struct hnl_msg m;
	unsigned int i;

	hnl_msg_init(&m, h->family, 0, HANDSHAKE_CMD_DONE,
		     HANDSHAKE_FAMILY_VERSION);
	if (status >= 0)
		hnl_put_u32(&m, HANDSHAKE_A_DONE_STATUS, (uint32_t)status);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)fd);
	for (i = 0; i < nremote; i++)
		hnl_put_u32(&m, HANDSHAKE_A_DONE_REMOTE_AUTH, remote[i]);
	return hnl_transact(h, &m, NULL, NULL);
}

/* "EAGAIN" for 11, "0" for 0. */
const char *hnl_errname(int e)
{
	const char *n;

	if (e < 0)
		e = -e;
	if (!e)
		return "0";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

/* An errno by name or number, or -1. */
int hnl_parse_errno(const char *s)
{
	char *end;
	long v;
	int e;

	v = strtol(s, &end, 0);
	if (*s && !*end && v >= 0 && v < 4096)
		return (int)v;
	for (e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, s))
			return e;
	}
	return -1;
}

