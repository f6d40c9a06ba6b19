// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server side of the handshake measurements: a pool of threads
 * accepting on one loopback listener, each running blocking handshakes,
 * as plain GnuTLS (the ceiling's server, also the upcall's) or through
 * libktls with the handover to kTLS. Both issue session tickets from one
 * key per server, so that resumption can be measured.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "bench.h"

#define HS_SERVER_MAX_THREADS 64

/* 127.0.1.2 for TLS 1.2, 127.0.1.3 for TLS 1.3, else 127.0.0.1. */
static uint32_t hs_server_addr(uint16_t version)
{
	if (version == KTLS_VERSION_1_2)
		return 0x7f000102;
	if (version == KTLS_VERSION_1_3)
		return 0x7f000103;
	return 0x7f000001;
}

struct hs_server {
	struct bench_ctx *ctx;
	enum ep_mode mode;
	uint16_t version;
	int tickets;
	int lfd[HS_SERVER_MAX_THREADS];	/* one, or one per thread */
	int nlfd;
	int stop;		/* atomic */
	struct ktls_config *cfg;
	pthread_t threads[HS_SERVER_MAX_THREADS];
	struct hs_server_thread {
		struct hs_server *srv;
		int lfd;
	} targ[HS_SERVER_MAX_THREADS];
	int nthreads;
	unsigned int done, resumed, errors;	/* atomic */
};

/*
 * Hold the connection until the client closes it: a server that closed
 * first would turn the client's socket to CLOSE_WAIT before the client
 * (or tlshd for it) installs kTLS, and TCP_ULP then fails with ENOTCONN.
 * SO_RCVTIMEO bounds the wait.
 */
static void hs_server_drain(int fd, gnutls_session_t gs)
{
	char buf[4096];
	ssize_t n;

	do {
		if (gs)
			n = gnutls_record_recv(gs, buf, sizeof(buf));
		else
			n = ktls_recv(fd, buf, sizeof(buf), 0, NULL);
	} while (n > 0 || n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED ||
		 n == -EINTR);
}

static int hs_server_one(struct hs_server *srv, int fd)
{
	struct ktls_session *ks = NULL;
	gnutls_session_t gs = NULL;
	char err[200];
	int ret, resumed = 0;

	if (srv->mode == EP_KTLS) {
		ret = ktls_session_new(&ks, srv->cfg, fd, NULL);
		if (!ret)
			ret = ktls_session_handshake(ks);
		if (!ret)
			ret = ktls_session_offload(ks);
		if (!ret) {
			resumed = gnutls_session_is_resumed(ktls_session_gnutls(ks));
			hs_server_drain(fd, NULL);
		}
		ktls_session_free(ks);
		return ret ? ret : resumed;
	}
	ret = creds_gnutls_session(srv->ctx, srv->tickets ? CREDS_SERVER :
				   CREDS_SERVER_NO_TICKETS, KTLS_CIPHER_AES_128_GCM,
				   srv->version, &gs, err, sizeof(err));
	if (ret)
		return ret;
	gnutls_transport_set_int(gs, fd);
	do {
		ret = gnutls_handshake(gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (!ret) {
		resumed = gnutls_session_is_resumed(gs);
		hs_server_drain(fd, gs);
	}
	gnutls_deinit(gs);
	return ret < 0 ? -EPROTO : resumed;
}

static void *hs_server_thread(void *arg)
{
	struct hs_server_thread *th = arg;
	struct hs_server *srv = th->srv;
	struct timeval tv = { .tv_sec = 10 };
	int fd, ret;

	for (;;) {
		fd = accept4(th->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (__atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE)) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		/* A client that vanished must not hold a server thread. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ret = hs_server_one(srv, fd);
		close(fd);
		if (ret < 0) {
			__atomic_add_fetch(&srv->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_add_fetch(&srv->done, 1, __ATOMIC_RELAXED);
		if (ret > 0)
			__atomic_add_fetch(&srv->resumed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static struct hs_server *hs_server_open(struct bench_ctx *ctx,
					enum ep_mode mode, uint16_t version,
					int threads, int tickets, int ports,
					char *err, size_t errlen)
{
	struct hs_server *srv = calloc(1, sizeof(*srv));
	int i, ret;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (threads > HS_SERVER_MAX_THREADS)
		threads = HS_SERVER_MAX_THREADS;
	srv->ctx = ctx;
	srv->mode = mode;
	srv->version = version;
	srv->tickets = tickets;
	if (mode == EP_KTLS &&
	    creds_ktls_config(ctx, KTLS_ROLE_SERVER, KTLS_CIPHER_AES_128_GCM,
			      version, &srv->cfg, err, errlen)) {
		free(srv);
		return NULL;
	}
	/* A fixed key: tickets of one sample still resume in the next. */
	if (mode == EP_KTLS &&
	    (ret = ktls_config_set_ticket_key(srv->cfg, ctx->ticket_key.data,
					      ctx->ticket_key.size))) {
		snprintf(err, errlen, "ktls_config_set_ticket_key: %s",
			 strerror(-ret));
		ktls_config_put(srv->cfg);
		free(srv);
		return NULL;
	}
	/*
	 * Each version on its own loopback address: tlshd keys its sessions
	 * by address and port, and GnuTLS 3.7 fails a handshake that offers
	 * a TLS 1.2 session to a server answering with 1.3 (README), which a
	 * reused ephemeral port would otherwise cause between rows.
	 */
	for (i = 0; i < (ports ? threads : 1); i++) {
		srv->lfd[i] = conn_listen_at(hs_server_addr(version), 256);
		if (srv->lfd[i] < 0) {
			snprintf(err, errlen, "listen: %s", strerror(-srv->lfd[i]));
			while (i-- > 0)
				close(srv->lfd[i]);
			ktls_config_put(srv->cfg);
			free(srv);
			return NULL;
		}
		srv->nlfd++;
	}
	for (i = 0; i < threads; i++) {
		srv->targ[i].srv = srv;
		srv->targ[i].lfd = srv->lfd[i % srv->nlfd];
		if (pthread_create(&srv->threads[i], NULL, hs_server_thread,
				   &srv->targ[i]))
			break;
		srv->nthreads++;
	}
	if (!srv->nthreads) {
		snprintf(err, errlen, "pthread_create failed");
		hs_server_stop(srv, NULL, NULL);
		return NULL;
	}
	return srv;
}

struct hs_server *hs_server_start(struct bench_ctx *ctx, enum ep_mode mode,
				  uint16_t version, int threads, int tickets,
				  char *err, size_t errlen)
{
	return hs_server_open(ctx, mode, version, threads, tickets, 0, err,
			      errlen);
}

struct hs_server *hs_server_start_ports(struct bench_ctx *ctx,
					enum ep_mode mode, uint16_t version,
					int threads, int tickets, char *err,
					size_t errlen)
{
	return hs_server_open(ctx, mode, version, threads, tickets, 1, err,
			      errlen);
}

int hs_server_fd(const struct hs_server *srv)
{
	return srv->lfd[0];
}

int hs_server_fd_at(const struct hs_server *srv, int i)
{
	return srv->lfd[i % srv->nlfd];
}

void hs_server_counts(struct hs_server *srv, unsigned int *ended,
		      unsigned int *resumed)
{
	*ended = __atomic_load_n(&srv->done, __ATOMIC_ACQUIRE) +
		 __atomic_load_n(&srv->errors, __ATOMIC_ACQUIRE);
	*resumed = __atomic_load_n(&srv->resumed, __ATOMIC_ACQUIRE);
}

/* Stop accepting, wait for the threads; returns handshakes done. */
unsigned int hs_server_stop(struct hs_server *srv, unsigned int *resumed,
			    unsigned int *errors)
{
	unsigned int done;
	int i;

	__atomic_store_n(&srv->stop, 1, __ATOMIC_RELEASE);
	/* shutdown() wakes every thread blocked in accept(). */
	for (i = 0; i < srv->nlfd; i++)
		shutdown(srv->lfd[i], SHUT_RDWR);
	for (i = 0; i < srv->nthreads; i++)
		pthread_join(srv->threads[i], NULL);
	for (i = 0; i < srv->nlfd; i++)
		close(srv->lfd[i]);
	done = srv->done;
	if (resumed)
		*resumed = srv->resumed;
	if (errors)
		*errors = srv->errors;
	ktls_config_put(srv->cfg);
	free(srv);
	return done;
}
