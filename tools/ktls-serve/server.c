// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The listening socket, accepting through the ring (always: at the
 * connection limits limits.c makes room or turns the client away), and
 * graceful shutdown: the
 * first SIGTERM or SIGINT, read from a signalfd through the ring, stops
 * accepting, closes idle connections with close_notify and lets responses
 * in flight finish; a second one exits at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "serve.h"

static int server_parse_addr(const char *str, unsigned int port,
			     struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!str || inet_pton(AF_INET6, str, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (!str)
			a6->sin6_addr = in6addr_any;
		*len = sizeof(*a6);
		return 0;
	}
	if (inet_pton(AF_INET, str, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	return -EINVAL;
}

/* "127.0.0.1:443" or "[::1]:443"; v4-mapped addresses shown as IPv4. */
static void server_format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t len)
{
	const struct sockaddr_in6 *a6 = (const void *)ss;
	const struct sockaddr_in *a4 = (const void *)ss;
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a6->sin6_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a4->sin_port));
	} else {
		snprintf(buf, len, "?");
	}
}

int server_listen(struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0, backlog;
	char name[80];

	if (server_parse_addr(s->opt.bind, s->opt.port, &ss, &len) < 0) {
		serve_log("--bind %s: not an IPv4 or IPv6 address", s->opt.bind);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && !s->opt.bind) {
		/* No IPv6 in this kernel: every IPv4 address instead. */
		server_parse_addr("0.0.0.0", s->opt.port, &ss, &len);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		serve_log("socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6 && !s->opt.bind)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	backlog = s->opt.max_conns < 128 ? 128 : (int)s->opt.max_conns;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) {
		int err = errno;

		server_format_addr(&ss, name, sizeof(name));
		serve_log("cannot listen on %s: %s", name, strerror(err));
		close(fd);
		return -err;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	server_format_addr(&ss, name, sizeof(name));
	s->listen_fd = fd;
	serve_log("listening on %s (tls=%s, root %s, max-conns %u, per client %u, idle-timeout %u s, handshake workers %u, nice +%u)",
		  name, s->opt.tls == SERVE_TLS_KTLS ? "ktls" :
			s->opt.tls == SERVE_TLS_USER ? "user" : "off",
		  s->opt.root, s->opt.max_conns, s->opt.max_per_client,
		  s->opt.idle_timeout, s->nworkers,
		  s->nworkers ? s->opt.handshake_nice : 0);
	return 0;
}

/* New clients get a refusal, not a wait in the backlog. */
static void server_close_listener(struct server *s)
{
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}

void server_arm_accept(struct server *s)
{
	struct io_uring_sqe *sqe;
	int flags = SOCK_CLOEXEC;

	if (s->accept_armed || s->accept_retry || s->stopping ||
	    s->listen_fd < 0)
		return;
	/*
	 * Non-blocking: libktls drives the handshake so, and a splice into
	 * a full socket must return -EAGAIN rather than sleep (splice.c).
	 * The ring's RECVMSG and SEND still wait, by polling.
	 */
	flags |= SOCK_NONBLOCK;
	s->peer_len = sizeof(s->peer);
	sqe = ring_sqe(s, 1);
	io_uring_prep_accept(sqe, s->listen_fd, (struct sockaddr *)&s->peer,
			     &s->peer_len, flags);
	io_uring_sqe_set_data64(sqe, RING_ACCEPT);
	s->accept_armed = 1;
}

/* Out of descriptors or memory: try again in 100 ms rather than spin. */
static void server_accept_backoff(struct server *s)
{
	struct io_uring_sqe *sqe = ring_sqe(s, 1);

	s->retry_ts.tv_sec = 0;
	s->retry_ts.tv_nsec = 100 * 1000000;
	io_uring_prep_timeout(sqe, &s->retry_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, RING_ACCEPT_RETRY);
	s->accept_retry = 1;
}

static void server_on_accept(struct server *s, int res)
{
	char peer[sizeof(((struct conn *)0)->peer)];
	struct in6_addr addr;
	struct conn *c;

	s->accept_armed = 0;
	if (s->stopping)
		server_close_listener(s);
	if (res < 0) {
		if (res == -ECANCELED && s->stopping)
			return;
		serve_log("accept: %s", serve_errname(res));
		if (res == -EMFILE || res == -ENFILE || res == -ENOMEM ||
		    res == -ENOBUFS)
			server_accept_backoff(s);
		else
			server_arm_accept(s);
		return;
	}
	if (s->stopping) {
		close(res);
		return;
	}
	limits_peer_addr(&s->peer, &addr);
	if (limits_admit(s, res, &addr)) {
		server_arm_accept(s);
		return;
	}
	server_format_addr(&s->peer, peer, sizeof(peer));
	c = conn_new(s, res, peer, &addr);
	if (!c) {
		serve_log("accept: no memory for a connection");
		close(res);
		server_accept_backoff(s);
		return;
	}
	server_arm_accept(s);
	if (s->nworkers && s->opt.tls != SERVE_TLS_OFF)
		handshake_handoff(c);
	else
		conn_start(c);
	/* A connection that failed at once makes room again. */
	server_arm_accept(s);
}

void server_arm_signal(struct server *s)
{
	struct io_uring_sqe *sqe = ring_sqe(s, 1);

	io_uring_prep_read(sqe, s->sig_fd, &s->siginfo, sizeof(s->siginfo), 0);
	io_uring_sqe_set_data64(sqe, RING_SIGNAL);
	s->sig_armed = 1;
}

static void server_stop(struct server *s, const char *why)
{
	struct conn *c, *next;
	struct io_uring_sqe *sqe;

	s->stopping = 1;
	serve_log("%s: shutting down, %u connection%s to finish", why,
		  s->nconns, s->nconns == 1 ? "" : "s");
	if (s->accept_armed) {
		/* The listener closes when the ACCEPT comes back. */
		sqe = ring_sqe(s, 1);
		io_uring_prep_cancel64(sqe, RING_ACCEPT, 0);
	} else {
		server_close_listener(s);
	}
	for (c = s->conns; c; c = next) {
		next = c->next;
		conn_stop(c);
	}
	handshake_workers_stop(s);
}

static void server_on_signal(struct server *s, int res)
{
	const char *name;

	s->sig_armed = 0;
	if (res != sizeof(s->siginfo)) {
		serve_log("signalfd read: %s", res < 0 ? serve_errname(res) :
							"short read");
		if (res == -EINTR || res == -EAGAIN)
			server_arm_signal(s);
		return;
	}
	name = s->siginfo.ssi_signo == SIGTERM ? "SIGTERM" :
	       s->siginfo.ssi_signo == SIGINT ? "SIGINT" : "signal";
	if (!s->stopping) {
		server_stop(s, name);
		server_arm_signal(s);
	} else {
		serve_log("%s again: exiting now with %u connection%s open",
			  name, s->nconns, s->nconns == 1 ? "" : "s");
		s->force = 1;
	}
}

static int server_done(const struct server *s)
{
	return s->force ||
	       (s->stopping && !s->nconns && !s->accept_armed &&
		!s->accept_retry);
}

static void server_dispatch(struct server *s, uint64_t ud, int res)
{
	enum conn_op op;
	struct conn *c;

	switch (ud) {
	case RING_IGNORE:
		return;
	case RING_ACCEPT:
		server_on_accept(s, res);
		return;
	case RING_SIGNAL:
		server_on_signal(s, res);
		return;
	case RING_ACCEPT_RETRY:
		s->accept_retry = 0;
		server_arm_accept(s);
		return;
	case RING_WORKER_SENT:
		if (res < 0)
			serve_log("telling the handshake workers to stop: %s",
				  serve_errname(res));
		return;
	}
	if (ud < RING_GLOBAL_MAX)
		return;
	c = ring_conn(ud, &op);
	if (op >= CONN_OP_HANDOFF)
		handshake_on_cqe(s, c, op, res);
	else
		conn_on_cqe(c, op, res);
	/* It may have closed: room for another. */
	server_arm_accept(s);
}

/* The event loop: until shut down and drained, or a second signal. */
int server_run(struct server *s)
{
	uint64_t ud;
	int ret, res;

	while (!server_done(s)) {
		ret = ring_wait(&s->ring);
		if (ret) {
			serve_log("io_uring_submit_and_wait: %s",
				  serve_errname(ret));
			return ret;
		}
		while (!ring_next(&s->ring, &ud, &res))
			server_dispatch(s, ud, res);
	}
	return 0;
}
