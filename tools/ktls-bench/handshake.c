// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshake rate and latency in process: libktls on both ends (with the
 * handover to kTLS, which is part of its job) against plain GnuTLS on both
 * ends doing the same handshake (the ceiling). Clients verify the server's
 * certificate and name, as tlshd does. Full handshakes, and resumed ones
 * from a ticket taken in a priming handshake. libktls has no client call
 * for resumption yet: its clients resume through ktls_session_gnutls() and
 * gnutls_session_set_data(); its servers issue tickets themselves.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bench.h"

#define HS_MAX_THREADS 64

struct hs_thread {
	struct hs_server *srv;
	hs_client_fn fn;
	void *arg;
	double deadline;
	unsigned int *budget;	/* atomic: handshakes left */
	double *lat;
	unsigned int nlat, cap, resumed, errors;
	char err[200];
};

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
		fd = conn_connect(hs_server_fd(t->srv));
		if (fd < 0) {
			snprintf(t->err, sizeof(t->err), "connect: %s",
				 strerror(-fd));
			t->errors++;
			break;
		}
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
		th[i] = (struct hs_thread){ .srv = srv, .fn = fn, .arg = arg,
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

/* libktls client: handshake, then hand over to kTLS. */
struct hs_ktls_arg {
	struct bench_ctx *ctx;
	struct ktls_config *cfg;
	gnutls_datum_t ticket;
};

static int hs_ktls_client(void *p, int fd, int *resumed, char *err,
			  size_t errlen)
{
	struct hs_ktls_arg *a = p;
	struct ktls_session_opts so = { .peername = a->ctx->o->peername,
					.timeout_ms = 20000 };
	struct ktls_session *s;
	int ret;

	ret = ktls_session_new(&s, a->cfg, fd, &so);
	if (ret) {
		snprintf(err, errlen, "ktls_session_new: %s", strerror(-ret));
		return ret;
	}
	if (a->ticket.data &&
	    gnutls_session_set_data(ktls_session_gnutls(s), a->ticket.data,
				    a->ticket.size) < 0) {
		snprintf(err, errlen, "gnutls_session_set_data refused the ticket");
		ret = -EINVAL;
		goto out;
	}
	ret = ktls_session_handshake(s);
	if (!ret)
		ret = ktls_session_offload(s);
	if (ret) {
		snprintf(err, errlen, "libktls: %s", ktls_session_error(s));
		goto out;
	}
	*resumed = gnutls_session_is_resumed(ktls_session_gnutls(s));
out:
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
	struct ktls_session_opts so = { .peername = ctx->o->peername,
					.timeout_ms = 20000 };
	struct ktls_session *s = NULL;
	gnutls_session_t gs = NULL;
	int fd, ret;

	fd = conn_connect(hs_server_fd(srv));
	if (fd < 0) {
		snprintf(err, errlen, "connect: %s", strerror(-fd));
		return fd;
	}
	if (ktls) {
		ret = ktls_session_new(&s, ka->cfg, fd, &so);
		if (!ret)
			ret = ktls_session_handshake(s);
		if (!ret)
			gs = ktls_session_gnutls(s);
		else if (s)
			snprintf(err, errlen, "libktls: %s", ktls_session_error(s));
		else
			snprintf(err, errlen, "ktls_session_new: %s", strerror(-ret));
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
	if (s)
		ktls_session_free(s);
	else if (gs)
		gnutls_deinit(gs);
	close(fd);
	return ret ? -EPROTO : 0;
}

int handshake_run(struct bench_ctx *ctx, struct bench_item *it,
		  struct sample *out, char *err, size_t errlen)
{
	int ktls = !strcmp(it->path, "libktls");
	struct hs_ktls_arg ka = { .ctx = ctx };
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
		ka.ticket = ga.ticket = ticket;
	}
	ret = hs_drive(ctx, it, srv, ktls ? hs_ktls_client : hs_gnutls_client,
		       ktls ? (void *)&ka : (void *)&ga, out, err, errlen);
out:
	hs_server_stop(srv, &srv_resumed, &srv_errors);
	gnutls_free(ticket.data);
	ktls_config_put(ka.cfg);
	return ret;
}
