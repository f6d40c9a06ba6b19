// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshake rate and latency in process: libktls on both ends (with the
 * handover to kTLS, which is part of its job) against plain GnuTLS on both
 * ends doing the same handshake (the ceiling). Clients verify the server's
 * certificate and name, as tlshd does. Full handshakes, and resumed ones:
 * libktls clients resume from the previous session's resume data (its
 * API), plain GnuTLS clients from the ticket of a priming handshake.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "bench.h"

#define HS_MAX_THREADS 64

struct hs_thread {
	struct hs_server *srv;
	int idx;
	hs_client_fn fn;
	void *arg;
	double deadline;
	unsigned int *budget;	/* atomic: handshakes left */
	double *lat;
	unsigned int nlat, cap, resumed, errors;
	char err[200];
};

/*
 * As the kernel's consumers (NFS, NVMe/TCP) set on their sockets: without
 * it, a client's last flight written in two pieces (TLS 1.3's
 * compatibility ChangeCipherSpec, then Finished) waits for the server's
 * delayed ACK, and so does a ticket the client waits for.
 */
void hs_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void *hs_thread_run(void *p)
{
	struct hs_thread *t = p;
	double t0, *grown;
	int fd, ret, resumed;

	/*
	 * Each client completes (or fails) one handshake even past the
	 * deadline: on a loaded emulated guest one handshake can outlast a
	 * short sample, which would otherwise measure nothing.
	 */
	while ((!t->nlat && !t->errors) || bench_now() < t->deadline) {
		if (__atomic_sub_fetch(t->budget, 1, __ATOMIC_RELAXED) >=
		    (unsigned int)INT32_MAX)
			break;	/* the budget went below zero */
		t0 = bench_now();
		fd = conn_connect(hs_server_fd_at(t->srv, t->idx));
		if (fd < 0) {
			snprintf(t->err, sizeof(t->err), "connect: %s",
				 strerror(-fd));
			t->errors++;
			break;
		}
		hs_nodelay(fd);
		resumed = 0;
		ret = t->fn(t->arg, fd, &resumed, t->err, sizeof(t->err));
		close(fd);
		if (ret) {
			t->errors++;
			/* One failure is a result; a stream of them is not. */
			if (t->errors > 3)
				break;
			continue;
		}
		if (t->nlat == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 256;
			grown = realloc(t->lat, t->cap * sizeof(*t->lat));
			if (!grown)
				break;
			t->lat = grown;
		}
		t->lat[t->nlat++] = (bench_now() - t0) * 1e3;
		t->resumed += resumed;
	}
	return NULL;
}

int hs_drive(struct bench_ctx *ctx, struct bench_item *it,
	     struct hs_server *srv, hs_client_fn fn, void *arg,
	     struct sample *out, char *err, size_t errlen)
{
	struct hs_thread th[HS_MAX_THREADS];
	pthread_t tid[HS_MAX_THREADS];
	unsigned int budget = ctx->o->hs_max, n = 0, i, total = 0;
	double t0, t1, p0, p1, g0, g1;
	int conc = it->conc < 1 ? 1 : it->conc > HS_MAX_THREADS ?
						HS_MAX_THREADS : it->conc;

	memset(th, 0, sizeof(th));
	bench_cpu_mark(&p0, &g0);
	t0 = bench_now();
	for (i = 0; i < (unsigned int)conc; i++) {
		th[i] = (struct hs_thread){ .srv = srv, .idx = i, .fn = fn,
					    .arg = arg,
					    .deadline = t0 + ctx->o->hs_duration,
					    .budget = &budget };
		if (pthread_create(&tid[i], NULL, hs_thread_run, &th[i]))
			break;
		n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	t1 = bench_now();
	bench_cpu_mark(&p1, &g1);

	for (i = 0; i < n; i++)
		total += th[i].nlat;
	out->lat_ms = malloc((total ? total : 1) * sizeof(double));
	for (i = 0; i < n; i++) {
		if (out->lat_ms && th[i].nlat)
			memcpy(out->lat_ms + out->nlat, th[i].lat,
			       th[i].nlat * sizeof(double));
		if (out->lat_ms)
			out->nlat += th[i].nlat;
		out->resumed += th[i].resumed;
		out->errors += th[i].errors;
		if (th[i].errors && !err[0])
			snprintf(err, errlen, "%s", th[i].err);
		free(th[i].lat);
	}
	out->count = total;
	out->secs = t1 - t0;
	out->value = total / out->secs;
	if (total) {
		out->cpu_proc = (p1 - p0) * 1e6 / total;
		out->cpu_guest = (g1 - g0) * 1e6 / total;
	}
	if (!total) {
		if (!err[0])
			snprintf(err, errlen, "no handshake completed");
		return -EIO;
	}
	/* Errors beside successes: counted in the sample, which stays. */
	return 0;
}

/*
 * libktls client: handshake, then hand over to kTLS. Resuming, it offers
 * the resume data the previous handshake left (ktls_session_opts), and
 * leaves its own for the next: under TLS 1.3 that means taking the
 * server's ticket off the kTLS socket first, as tlshd does.
 */
struct hs_ktls_arg {
	struct bench_ctx *ctx;
	struct ktls_config *cfg;
	uint16_t version;
	int resume;
	pthread_mutex_t lock;
	void *data;		/* the latest resume data (malloc'd) */
	size_t len;
};

static int hs_ktls_client(void *p, int fd, int *resumed, char *err,
			  size_t errlen)
{
	struct hs_ktls_arg *a = p;
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = a->ctx->o->peername, .timeout_ms = 20000);
	struct ktls_session *s;
	struct ktls_info info = KTLS_INFO_INIT();
	void *data = NULL, *fresh = NULL, *old;
	size_t len = 0, flen = 0;
	int ret;

	if (a->resume) {
		/* Taken out: a TLS 1.3 ticket is for one use. */
		pthread_mutex_lock(&a->lock);
		data = a->data;
		len = a->len;
		a->data = NULL;
		pthread_mutex_unlock(&a->lock);
		so.resume_data = data;
		so.resume_len = len;
	}
	ret = ktls_session_new(&s, a->cfg, fd, &so);
	if (ret) {
		snprintf(err, errlen, "ktls_session_new: %s", strerror(-ret));
		free(data);
		return ret;
	}
	ret = ktls_session_handshake(s);
	if (!ret)
		ret = ktls_session_offload(s);
	if (ret) {
		snprintf(err, errlen, "libktls: %s", ktls_session_error(s));
		goto out;
	}
	if (ktls_session_info(s, &info))
		info.resumed = 0;
	*resumed = info.resumed;
	if (!a->resume)
		goto out;
	if (a->version == KTLS_VERSION_1_3 &&
	    ktls_session_recv_tickets(s, 5000) <= 0) {
		snprintf(err, errlen, "libktls: no TLS 1.3 session ticket came");
		ret = -ENOENT;
		goto out;
	}
	ret = ktls_session_get_resume_data(s, &fresh, &flen, NULL);
	/*
	 * A TLS 1.2 server need not renew the ticket of a resumed session;
	 * that ticket stays good for the next one (as in tlshd's cache).
	 */
	if (ret == -ENOENT && info.resumed &&
	    a->version == KTLS_VERSION_1_2 && data) {
		fresh = data;
		flen = len;
		data = NULL;
		ret = 0;
	}
	if (ret) {
		snprintf(err, errlen, "ktls_session_get_resume_data: %s",
			 strerror(-ret));
		goto out;
	}
	pthread_mutex_lock(&a->lock);
	old = a->data;
	a->data = fresh;
	a->len = flen;
	pthread_mutex_unlock(&a->lock);
	free(old);
out:
	free(data);
	ktls_session_free(s);
	return ret;
}

/* Plain GnuTLS client: the same handshake, no handover. */
struct hs_gnutls_arg {
	struct bench_ctx *ctx;
	uint16_t version;
	gnutls_datum_t ticket;
};

static int hs_gnutls_client(void *p, int fd, int *resumed, char *err,
			    size_t errlen)
{
	struct hs_gnutls_arg *a = p;
	gnutls_session_t gs;
	int ret;

	ret = creds_gnutls_session(a->ctx, 0, KTLS_CIPHER_AES_128_GCM,
				   a->version, &gs, err, errlen);
	if (ret)
		return ret;
	if (a->ticket.data &&
	    gnutls_session_set_data(gs, a->ticket.data, a->ticket.size) < 0) {
		snprintf(err, errlen, "gnutls_session_set_data refused the ticket");
		gnutls_deinit(gs);
		return -EINVAL;
	}
	gnutls_transport_set_int(gs, fd);
	gnutls_handshake_set_timeout(gs, 20000);
	do {
		ret = gnutls_handshake(gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		snprintf(err, errlen, "GnuTLS handshake: %s", gnutls_strerror(ret));
		gnutls_deinit(gs);
		return -EPROTO;
	}
	*resumed = gnutls_session_is_resumed(gs);
	gnutls_deinit(gs);
	return 0;
}

/*
 * A full handshake whose ticket later ones resume. Under TLS 1.3 the
 * ticket comes after the handshake: gnutls_session_get_data2 waits for it.
 */
static int hs_prime(struct bench_ctx *ctx, struct hs_server *srv, int ktls,
		    struct hs_ktls_arg *ka, struct hs_gnutls_arg *ga,
		    gnutls_datum_t *ticket, char *err, size_t errlen)
{
	gnutls_session_t gs = NULL;
	int fd, ret, resumed;

	fd = conn_connect(hs_server_fd(srv));
	if (fd < 0) {
		snprintf(err, errlen, "connect: %s", strerror(-fd));
		return fd;
	}
	hs_nodelay(fd);
	if (ktls) {
		/* Leaves its resume data in ka for the first measured one. */
		ret = hs_ktls_client(ka, fd, &resumed, err, errlen);
		close(fd);
		return ret;
	} else {
		ret = creds_gnutls_session(ctx, 0, KTLS_CIPHER_AES_128_GCM,
					   ga->version, &gs, err, errlen);
		if (!ret) {
			gnutls_transport_set_int(gs, fd);
			do {
				ret = gnutls_handshake(gs);
			} while (ret < 0 && !gnutls_error_is_fatal(ret));
			if (ret < 0)
				snprintf(err, errlen, "GnuTLS handshake: %s",
					 gnutls_strerror(ret));
		}
	}
	if (!ret && gnutls_session_get_data2(gs, ticket) < 0) {
		snprintf(err, errlen, "no session ticket from the server");
		ret = -ENOENT;
	}
	if (gs)
		gnutls_deinit(gs);
	close(fd);
	return ret ? -EPROTO : 0;
}

int handshake_run(struct bench_ctx *ctx, struct bench_item *it,
		  struct sample *out, char *err, size_t errlen)
{
	int ktls = !strcmp(it->path, "libktls");
	struct hs_ktls_arg ka = { .ctx = ctx, .version = it->version,
				  .resume = it->resumed,
				  .lock = PTHREAD_MUTEX_INITIALIZER };
	struct hs_gnutls_arg ga = { .ctx = ctx, .version = it->version };
	gnutls_datum_t ticket = { NULL, 0 };
	struct hs_server *srv;
	unsigned int srv_resumed = 0, srv_errors = 0;
	int ret;

	if (ktls && creds_ktls_config(ctx, KTLS_ROLE_CLIENT,
				      KTLS_CIPHER_AES_128_GCM, it->version,
				      &ka.cfg, err, errlen))
		return -EINVAL;
	srv = hs_server_start(ctx, ktls ? EP_KTLS : EP_GNUTLS, it->version,
			      it->conc, 1, err, errlen);
	if (!srv) {
		ktls_config_put(ka.cfg);
		return -EIO;
	}
	if (it->resumed) {
		ret = hs_prime(ctx, srv, ktls, &ka, &ga, &ticket, err, errlen);
		if (ret)
			goto out;
		ga.ticket = ticket;
	}
	ret = hs_drive(ctx, it, srv, ktls ? hs_ktls_client : hs_gnutls_client,
		       ktls ? (void *)&ka : (void *)&ga, out, err, errlen);
out:
	hs_server_stop(srv, &srv_resumed, &srv_errors);
	gnutls_free(ticket.data);
	free(ka.data);
	ktls_config_put(ka.cfg);
	return ret;
}
