// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshakes through the kernel upcall: each client connects a socket and
 * hands it to the kernel with the test consumer's ioctl, as NFS or NVMe/TCP
 * would; the kernel asks the handshake agent (tlshd, which must be running)
 * over netlink; the ioctl returns when the agent reported DONE. The server
 * is the same plain GnuTLS server the in-process ceiling talks to, so the
 * ratio of the two rates is the cost of the upcall path. The server tells
 * whether the agent resumed sessions. An item with a daemon of its own
 * (--daemon, --ours) starts it for the sample, times its first handshake
 * apart and charges it the CPU of its cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ktls_test_consumer.h>

#include "bench.h"

struct upcall_arg {
	struct bench_ctx *ctx;
	int dev;
	unsigned int resubmits;	/* atomic */
};

int upcall_available(const struct bench_ctx *ctx, char *why, size_t len)
{
	int fd = open(ctx->o->device, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "%s: %s (is ktls_test_consumer.ko loaded?)",
			 ctx->o->device, strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

static int upcall_client(void *p, int fd, int *resumed, char *err,
			 size_t errlen)
{
	struct upcall_arg *a = p;
	struct ktls_test_handshake hs;

	memset(&hs, 0, sizeof(hs));
	hs.fd = fd;
	hs.type = KTLS_TEST_TYPE_CLIENT;
	hs.auth = KTLS_TEST_AUTH_ANON;
	hs.timeout_ms = 20000;
	snprintf(hs.peername, sizeof(hs.peername), "%s", a->ctx->o->peername);
	if (ioctl(a->dev, KTLS_TEST_IOC_HANDSHAKE, &hs) < 0) {
		snprintf(err, errlen, "upcall ioctl: %s%s", strerror(errno),
			 errno == ESRCH ? " (no handshake agent: is tlshd running?)" :
			 errno == EAGAIN ? " (too many pending requests for this guest's memory)" : "");
		return -errno;
	}
	/* More than one submit: the kernel's pending cap was reached. */
	if (hs.submits > 1)
		__atomic_add_fetch(&a->resubmits, hs.submits - 1,
				   __ATOMIC_RELAXED);
	if (hs.status) {
		snprintf(err, errlen, "upcall handshake failed: %s",
			 strerror(hs.status));
		return -hs.status;
	}
	*resumed = 0;	/* only the server can tell: see upcall_run */
	return 0;
}

/*
 * Resumed rows: the server issues tickets (fixed key) and listens on one
 * port per client, since tlshd keeps one ticket per peer address and a
 * TLS 1.3 ticket is for one use; a priming handshake per port fills
 * tlshd's cache. The server counts what was resumed after the priming.
 */
static int upcall_prime(struct upcall_arg *a, struct hs_server *srv,
			int ports, unsigned int *ended, unsigned int *resumed,
			char *err, size_t errlen)
{
	double deadline;
	int i, fd, ret, r;

	for (i = 0; i < ports; i++) {
		fd = conn_connect(hs_server_fd_at(srv, i));
		if (fd < 0) {
			snprintf(err, errlen, "connect: %s", strerror(-fd));
			return fd;
		}
		hs_nodelay(fd);
		ret = upcall_client(a, fd, &r, err, errlen);
		close(fd);
		if (ret)
			return ret;
	}
	/* The server counts a handshake once the client has closed. */
	deadline = bench_now() + 10;
	do {
		hs_server_counts(srv, ended, resumed);
		if (*ended >= (unsigned int)ports)
			return 0;
		usleep(1000);
	} while (bench_now() < deadline);
	snprintf(err, errlen, "the server did not finish the priming handshakes");
	return -ETIMEDOUT;
}

/*
 * The first handshake of a daemon just started: retried while no agent
 * listens yet (ESRCH); its own time is the first-contact latency, config
 * and trust store loading included.
 */
static int upcall_first(struct upcall_arg *a, struct hs_server *srv,
			double *ms, char *err, size_t errlen)
{
	double deadline = bench_now() + 15, t0;
	int fd, ret, r;

	do {
		fd = conn_connect(hs_server_fd(srv));
		if (fd < 0) {
			snprintf(err, errlen, "connect: %s", strerror(-fd));
			return fd;
		}
		hs_nodelay(fd);
		t0 = bench_now();
		ret = upcall_client(a, fd, &r, err, errlen);
		*ms = (bench_now() - t0) * 1e3;
		close(fd);
		if (ret != -ESRCH)
			return ret;
		usleep(20000);
	} while (bench_now() < deadline);
	return ret;
}

/* A daemon of the item's own: started, first contact, then the sample. */
static int upcall_own_daemon(struct bench_ctx *ctx, struct bench_item *it,
			     struct upcall_arg *a, struct hs_server *srv,
			     struct sample *out, char *err, size_t errlen)
{
	struct bench_daemon d;
	uint64_t c0, c1;
	int ret;

	ret = daemon_start(ctx, it->daemon, &d, err, errlen);
	if (ret)
		return ret;
	ret = upcall_first(a, srv, &out->first_ms, err, errlen);
	if (ret) {
		snprintf(err + strlen(err), errlen - strlen(err),
			 " (%s's first handshake)", it->daemon);
		goto out;
	}
	c0 = daemon_cpu_usec(&d);
	ret = hs_drive(ctx, it, srv, upcall_client, a, out, err, errlen);
	c1 = daemon_cpu_usec(&d);
	if (!ret && out->count && c1 > c0)
		out->daemon_cpu_us = (double)(c1 - c0) / out->count;
out:
	daemon_stop(&d);
	return ret;
}

int upcall_run(struct bench_ctx *ctx, struct bench_item *it,
	       struct sample *out, char *err, size_t errlen)
{
	struct upcall_arg a = { .ctx = ctx };
	struct hs_server *srv;
	unsigned int resumed = 0, errors = 0, ended0 = 0, resumed0 = 0;
	int ret;

	a.dev = open(ctx->o->device, O_RDWR | O_CLOEXEC);
	if (a.dev < 0) {
		snprintf(err, errlen, "%s: %s", ctx->o->device, strerror(errno));
		return -errno;
	}
	/*
	 * Full rows: no tickets, so that tlshd cannot resume from a ticket
	 * of an earlier sample (the reference client never offers one).
	 */
	if (it->resumed)
		srv = hs_server_start_ports(ctx, EP_GNUTLS, it->version,
					    it->conc, 1, err, errlen);
	else
		srv = hs_server_start(ctx, EP_GNUTLS, it->version, it->conc, 0,
				      err, errlen);
	if (!srv) {
		close(a.dev);
		return -EIO;
	}
	ret = it->resumed ? upcall_prime(&a, srv, it->conc, &ended0, &resumed0,
					 err, errlen) : 0;
	if (!ret && it->daemon)
		ret = upcall_own_daemon(ctx, it, &a, srv, out, err, errlen);
	else if (!ret)
		ret = hs_drive(ctx, it, srv, upcall_client, &a, out, err,
			       errlen);
	hs_server_stop(srv, &resumed, &errors);
	out->resumed = resumed - resumed0;
	out->resubmits = a.resubmits;
	close(a.dev);
	return ret;
}
