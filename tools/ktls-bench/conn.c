// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loopback TCP connections for the throughput paths. Both ends handshake at
 * the same time (the server end on a thread), each in the mode its path
 * needs: no TLS, plain GnuTLS, or libktls handing over to kTLS. The two
 * ends of a TLS connection always agree on one cipher and one version.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "bench.h"

int conn_listen_at(uint32_t addr, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd, one = 1;

	a.sin_addr.s_addr = htonl(addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, backlog) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int conn_listen(int backlog)
{
	return conn_listen_at(INADDR_LOOPBACK, backlog);
}

/* A blocking connect to a listener of ours: the backlog completes it. */
int conn_connect(int lfd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd;

	if (getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		return -errno;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

struct conn_side {
	struct bench_ctx *ctx;
	struct endpoint *ep;
	int server;
	unsigned int cipher;
	uint16_t version;
	int ret;
	char err[200];
};

static int conn_gnutls(struct conn_side *cs)
{
	struct endpoint *ep = cs->ep;
	int ret;

	ret = creds_gnutls_session(cs->ctx, cs->server, cs->cipher, cs->version,
				   &ep->gs, cs->err, sizeof(cs->err));
	if (ret)
		return ret;
	gnutls_transport_set_int(ep->gs, ep->fd);
	gnutls_handshake_set_timeout(ep->gs, 30000);
	do {
		ret = gnutls_handshake(ep->gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		snprintf(cs->err, sizeof(cs->err), "GnuTLS %s handshake: %s",
			 cs->server ? "server" : "client", gnutls_strerror(ret));
		return -EPROTO;
	}
	return 0;
}

static int conn_ktls(struct conn_side *cs)
{
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = cs->ctx->o->peername, .timeout_ms = 30000);
	struct endpoint *ep = cs->ep;
	struct ktls_config *cfg;
	int ret;

	ret = creds_ktls_config(cs->ctx, cs->server ? KTLS_ROLE_SERVER :
						      KTLS_ROLE_CLIENT,
				cs->cipher, cs->version, &cfg, cs->err,
				sizeof(cs->err));
	if (ret)
		return ret;
	ret = ktls_session_new(&ep->ks, cfg, ep->fd, cs->server ? NULL : &so);
	ktls_config_put(cfg);
	if (ret) {
		snprintf(cs->err, sizeof(cs->err), "ktls_session_new: %s",
			 strerror(-ret));
		return ret;
	}
	ret = ktls_session_handshake(ep->ks);
	if (!ret)
		ret = ktls_session_offload(ep->ks);
	if (ret) {
		snprintf(cs->err, sizeof(cs->err), "libktls %s: %s",
			 cs->server ? "server" : "client",
			 ktls_session_error(ep->ks));
		return ret;
	}
	/* Nothing was sent yet: plaintext held back would be a bug. */
	if (ktls_session_pending(ep->ks, NULL)) {
		snprintf(cs->err, sizeof(cs->err),
			 "libktls held plaintext at handover");
		return -EPROTO;
	}
	return 0;
}

static void *conn_side_run(void *arg)
{
	struct conn_side *cs = arg;

	switch (cs->ep->mode) {
	case EP_GNUTLS:
		cs->ret = conn_gnutls(cs);
		break;
	case EP_KTLS:
		cs->ret = conn_ktls(cs);
		break;
	default:
		cs->ret = 0;
	}
	return NULL;
}

int conn_pair_open(struct bench_ctx *ctx, unsigned int cipher,
		   uint16_t version, enum ep_mode cli, enum ep_mode srv,
		   struct endpoint *c, struct endpoint *s, char *err,
		   size_t errlen)
{
	struct conn_side cs = { ctx, c, 0, cipher, version, 0, "" };
	struct conn_side ss = { ctx, s, 1, cipher, version, 0, "" };
	pthread_t t;
	int lfd, ret;

	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->fd = s->fd = -1;
	c->mode = cli;
	s->mode = srv;
	lfd = conn_listen(1);
	if (lfd < 0) {
		snprintf(err, errlen, "listen on 127.0.0.1: %s", strerror(-lfd));
		return lfd;
	}
	c->fd = conn_connect(lfd);
	s->fd = c->fd >= 0 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
	close(lfd);
	if (c->fd < 0 || s->fd < 0) {
		snprintf(err, errlen, "loopback connection: %s", strerror(errno));
		ret = -EIO;
		goto fail;
	}
	if (pthread_create(&t, NULL, conn_side_run, &ss)) {
		snprintf(err, errlen, "pthread_create failed");
		ret = -EAGAIN;
		goto fail;
	}
	conn_side_run(&cs);
	/* A failed client must not leave the server waiting for it. */
	if (cs.ret)
		shutdown(c->fd, SHUT_RDWR);
	pthread_join(t, NULL);
	ret = cs.ret ? cs.ret : ss.ret;
	if (ret) {
		snprintf(err, errlen, "%s", cs.ret ? cs.err : ss.err);
		goto fail;
	}
	return 0;
fail:
	conn_endpoint_close(c);
	conn_endpoint_close(s);
	return ret;
}

void conn_endpoint_close(struct endpoint *e)
{
	if (e->gs)
		gnutls_deinit(e->gs);
	if (e->ks)
		ktls_session_free(e->ks);
	if (e->fd >= 0)
		close(e->fd);
	e->gs = NULL;
	e->ks = NULL;
	e->fd = -1;
}

/*
 * What the kernel really installed for TX, asked back from it. With room
 * for the header alone, the kernel returns version and cipher, no key.
 */
int conn_kernel_cipher(int fd, char *name, size_t len, uint16_t *version)
{
	struct tls_crypto_info ci = { 0 };
	socklen_t optlen = sizeof(ci);
	unsigned int bit;

	if (getsockopt(fd, SOL_TLS, TLS_TX, &ci, &optlen) < 0)
		return -errno;
	bit = ktls_cipher_from_kernel(ci.cipher_type);
	snprintf(name, len, "%s", bit ? ktls_cipher_name(bit) : "unknown");
	*version = ci.version;
	return 0;
}
