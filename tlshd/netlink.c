// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Netlink I/O for the handshake family: resolve, join, ACCEPT, DONE.
 * Messages themselves are built and parsed in msg.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/genetlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/handshake.h>

#include "handshake.h"
#include "log.h"
#include "netlink.h"

/* Room for a burst of READY notifications before the kernel drops some. */
#define TLSHD_NL_EVENT_RCVBUF (4 * 1024 * 1024)
/* ACCEPT and DONE are answered at once; this only guards against a hang. */
#define TLSHD_NL_CMD_TIMEOUT_S 5

static int tlshd_nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static void tlshd_nl_free_sock(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
	*sk = NULL;
}

void tlshd_nl_close(struct tlshd_nl *nl)
{
	tlshd_nl_free_sock(&nl->cmd);
}

static struct nl_sock *tlshd_nl_connect(char *err, size_t errlen)
{
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk) {
		snprintf(err, errlen, "out of memory for a netlink socket");
		return NULL;
	}
	ret = genl_connect(sk);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open a generic netlink socket: %s",
			 nl_geterror(ret));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/*
 * Overruns come in storms under load, each harmless (we accept anyway):
 * log the first, then at most one line per TLSHD_NL_OVERRUN_LOG_MS with
 * the count since the last.
 */
#define TLSHD_NL_OVERRUN_LOG_MS 10000
static void tlshd_nl_note_overrun(void)
{
	static unsigned long unreported;
	static int64_t last_ms = -TLSHD_NL_OVERRUN_LOG_MS;
	int64_t now = tlshd_now_ms(), last;

	__atomic_add_fetch(&unreported, 1, __ATOMIC_RELAXED);
	last = __atomic_load_n(&last_ms, __ATOMIC_RELAXED);
	if (now - last < TLSHD_NL_OVERRUN_LOG_MS ||
	    !__atomic_compare_exchange_n(&last_ms, &last, now, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	tlshd_notice("netlink notifications overran the receive buffer; accepting anyway (%lu overruns since the last report)",
		     __atomic_exchange_n(&unreported, 0, __ATOMIC_RELAXED));
}

/*
 * A big receive buffer; root may go past net.core.rmem_max. The tests set
 * TLSHD_TEST_NL_RCVBUF to a tiny size to provoke an overrun (ENOBUFS).
 */
static void tlshd_nl_grow_rcvbuf(struct nl_sock *sk)
{
	const char *test_size = getenv("TLSHD_TEST_NL_RCVBUF");
	int fd = nl_socket_get_fd(sk);
	int size = TLSHD_NL_EVENT_RCVBUF;

	if (test_size && atoi(test_size) > 0)
		size = atoi(test_size);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		nl_socket_set_buffer_size(sk, size, 0);
}

/* The handshake family and its "tlshd" group, resolved by name. */
static int tlshd_nl_resolve(struct nl_sock *sk, int *family, int *group,
			    char *err, size_t errlen)
{
	*family = genl_ctrl_resolve(sk, HANDSHAKE_FAMILY_NAME);
	if (*family < 0) {
		snprintf(err, errlen,
			 "the kernel has no \"%s\" generic netlink family (%s)",
			 HANDSHAKE_FAMILY_NAME, nl_geterror(*family));
		return tlshd_nl_errno(*family);
	}
	*group = genl_ctrl_resolve_grp(sk, HANDSHAKE_FAMILY_NAME,
				       HANDSHAKE_MCGRP_TLSHD);
	if (*group < 0) {
		snprintf(err, errlen,
			 "the \"%s\" family has no \"%s\" multicast group (%s)",
			 HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD,
			 nl_geterror(*group));
		return tlshd_nl_errno(*group);
	}
	return 0;
}

int tlshd_nl_events_open(struct tlshd_nl_events *ev, char *err, size_t errlen)
{
	int ret;

	memset(ev, 0, sizeof(*ev));
	ev->sk = tlshd_nl_connect(err, errlen);
	if (!ev->sk)
		return -EIO;
	ret = tlshd_nl_resolve(ev->sk, &ev->family, &ev->group, err, errlen);
	if (ret)
		goto fail;
	nl_socket_disable_seq_check(ev->sk);
	tlshd_nl_grow_rcvbuf(ev->sk);
	ret = nl_socket_add_membership(ev->sk, ev->group);
	if (ret < 0) {
		snprintf(err, errlen, "cannot join multicast group \"%s\": %s",
			 HANDSHAKE_MCGRP_TLSHD, nl_geterror(ret));
		ret = tlshd_nl_errno(ret);
		goto fail;
	}
	ret = nl_socket_set_nonblocking(ev->sk);
	if (ret < 0) {
		snprintf(err, errlen, "cannot make the netlink socket non-blocking: %s",
			 nl_geterror(ret));
		ret = tlshd_nl_errno(ret);
		goto fail;
	}
	return 0;
fail:
	tlshd_nl_events_close(ev);
	return ret;
}

void tlshd_nl_events_close(struct tlshd_nl_events *ev)
{
	tlshd_nl_free_sock(&ev->sk);
}

int tlshd_nl_events_fd(const struct tlshd_nl_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

int tlshd_nl_open(struct tlshd_nl *nl, const struct tlshd_nl_events *ev,
		  char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = TLSHD_NL_CMD_TIMEOUT_S };

	memset(nl, 0, sizeof(*nl));
	nl->cmd = tlshd_nl_connect(err, errlen);
	if (!nl->cmd)
		return -EIO;
	nl->family = ev->family;
	nl->events = ev;
	/* Each message says itself whether it wants an ACK (msg.c). */
	nl_socket_disable_auto_ack(nl->cmd);
	if (setsockopt(nl_socket_get_fd(nl->cmd), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		snprintf(err, errlen, "SO_RCVTIMEO: %s", strerror(errno));
		tlshd_nl_close(nl);
		return -EIO;
	}
	return 0;
}

/* READY notifications for our handler class in one datagram. */
static int tlshd_nl_count_ready(const struct tlshd_nl *nl, void *buf,
				int len)
{
	char err[TLSHD_MSG_ERRLEN];
	struct nlmsghdr *nlh;
	uint32_t cls;
	int ready = 0;

	for (nlh = buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != nl->family)
			continue;
		if (tlshd_msg_parse_ready(nlh, nlh->nlmsg_len, &cls, err) < 0) {
			tlshd_warn("ignoring a malformed notification: %s", err);
			continue;
		}
		if (cls == HANDSHAKE_HANDLER_CLASS_TLSHD || cls == 0)
			ready++;
	}
	return ready;
}

/*
 * One recvmmsg() takes every notification queued (up to max) without a
 * second call to learn that none is left: each READY is one datagram.
 */
#define TLSHD_NL_EVENT_MSG 256
#define TLSHD_NL_EVENT_BATCH (sizeof(((struct tlshd_nl *)0)->buf) / \
			      TLSHD_NL_EVENT_MSG)
int tlshd_nl_read_events(struct tlshd_nl *nl, unsigned int max, int *overrun)
{
	struct mmsghdr mm[TLSHD_NL_EVENT_BATCH];
	struct iovec iov[TLSHD_NL_EVENT_BATCH];
	int fd = tlshd_nl_events_fd(nl->events);
	int ready = 0, n, i;

	*overrun = 0;
	if (max > TLSHD_NL_EVENT_BATCH)
		max = TLSHD_NL_EVENT_BATCH;
	for (;;) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < (int)max; i++) {
			iov[i].iov_base = nl->buf + i * TLSHD_NL_EVENT_MSG;
			iov[i].iov_len = TLSHD_NL_EVENT_MSG;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, max, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* Lost messages: empty the queue, then ACCEPT it all. */
			tlshd_nl_note_overrun();
			*overrun = 1;
			max = TLSHD_NL_EVENT_BATCH;
			continue;
		}
		if (n < 0) {
			if (errno != EAGAIN)
				tlshd_err("netlink receive: %s", strerror(errno));
			return ready;
		}
		for (i = 0; i < n; i++)
			ready += tlshd_nl_count_ready(nl, iov[i].iov_base,
						      mm[i].msg_len);
		if (!*overrun)
			return ready;
	}
}

/*
 * Send msg on the command socket and read until the kernel's ACK or error
 * for it; a message that asks for no ACK ends with its reply. A data reply
 * for the same sequence number goes to reply (if given). Returns the
 * kernel's verdict as 0 or a negative errno.
 */
static int tlshd_nl_transact(struct tlshd_nl *nl, struct nl_msg *msg,
			     int (*reply)(const struct nlmsghdr *, void *),
			     void *arg)
{
	int fd = nl_socket_get_fd(nl->cmd);
	uint32_t seq;
	int ret, ack;

	ret = nl_send_auto(nl->cmd, msg);
	if (ret < 0)
		return tlshd_nl_errno(ret);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	ack = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_ACK;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = recv(fd, nl->buf, sizeof(nl->buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		len = n;
		for (nlh = (struct nlmsghdr *)nl->buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* a stale answer */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(nlh);

				if ((int)nlh->nlmsg_len < nlmsg_size(sizeof(*e)))
					return -EIO;
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (reply) {
				ret = reply(nlh, arg);
				reply = NULL;	/* one reply per request */
				if (ret || !ack)
					return ret;
			}
		}
	}
}

struct tlshd_nl_accept_ctx {
	struct tlshd_request *req;
	char *err;
	int parsed;
	int ret;
};

static int tlshd_nl_accept_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct tlshd_nl_accept_ctx *ctx = arg;

	ctx->parsed = 1;
	ctx->ret = tlshd_msg_parse_accept(nlh, nlh->nlmsg_len, ctx->req,
					  ctx->err);
	/* Keep reading up to the ACK even if the reply was bad. */
	return 0;
}

int tlshd_nl_accept(struct tlshd_nl *nl, struct tlshd_request *req,
		    char *err)
{
	struct tlshd_nl_accept_ctx ctx = { .req = req, .err = err };
	struct nl_msg *msg;
	int ret;

	memset(req, 0, sizeof(*req));
	req->sockfd = -1;
	err[0] = '\0';
	msg = tlshd_msg_accept_request(nl->family);
	if (!msg) {
		snprintf(err, TLSHD_MSG_ERRLEN, "out of memory");
		return -ENOMEM;
	}
	ret = tlshd_nl_transact(nl, msg, tlshd_nl_accept_reply, &ctx);
	nlmsg_free(msg);
	if (ctx.parsed && ctx.ret)
		return ctx.ret;
	if (ret) {
		if (ret != -EAGAIN)
			snprintf(err, TLSHD_MSG_ERRLEN, "ACCEPT failed: %s",
				 strerror(-ret));
		return ret;
	}
	if (!ctx.parsed) {
		snprintf(err, TLSHD_MSG_ERRLEN,
			 "the kernel acknowledged ACCEPT without a reply");
		return -EIO;
	}
	return 0;
}

int tlshd_nl_done(struct tlshd_nl *nl, int sockfd, unsigned int status,
		  const uint32_t *remote_auth, unsigned int nremote)
{
	struct nl_msg *msg;
	int ret;

	msg = tlshd_msg_done(nl->family, sockfd, status, remote_auth, nremote);
	if (!msg)
		return -ENOMEM;
	ret = tlshd_nl_transact(nl, msg, NULL, NULL);
	nlmsg_free(msg);
	return ret;
}
