// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-bench: what kTLS buys, measured side by side in one run.
 *
 * Every item (a path, a cipher, a handshake mode) is measured once per
 * round and the rounds interleave all items, after a warm-up round that is
 * thrown away, so that drift on a shared or emulated machine hits every
 * item alike. Reports give medians, spreads and per-round ratios.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <linux/ktls_test_consumer.h>

#include "bench.h"
#include "../version.h"

static struct bench_item *bench_add(struct bench_result *r,
				    enum bench_kind kind, const char *path,
				    unsigned int cipher, uint16_t version,
				    int resumed, int conc)
{
	struct bench_item *it;

	if (r->nitems == BENCH_MAX_ITEMS)
		return NULL;
	it = &r->items[r->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->path = path;
	it->cipher = cipher;
	it->version = version;
	it->resumed = resumed;
	it->conc = conc;
	return it;
}

/* A full-handshake upcall row; daemon: the one it starts, or NULL. */
static void bench_add_upcall(struct bench_ctx *ctx, struct bench_result *r,
			     const char *path, const char *daemon,
			     uint16_t version, int conc, unsigned int what)
{
	struct bench_item *it;
	char why[200];

	it = bench_add(r, BENCH_UPCALL, path, 0, version, 0, conc);
	if (!it)
		return;
	it->daemon = daemon;
	/* Asked for by name, a missing device is a failure. */
	if (!upcall_available(ctx, why, sizeof(why))) {
		it->failed = (what & WHAT_UPCALL) ? 2 : 1;
		snprintf(it->error, sizeof(it->error), "%s%s",
			 (what & WHAT_UPCALL) ? "" : "skipped: ", why);
	}
}

/* Path names live as long as the run: strdup'd tokens of the lists. */
static void bench_add_paths(struct bench_result *r, enum bench_kind kind,
			    const char *list, unsigned int cipher,
			    uint16_t version)
{
	char *buf = strdup(list), *tok, *save;

	if (!buf)
		return;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		bench_add(r, kind, tok, cipher, version, 0, 0);
	/* tokens point into buf: it is kept on purpose */
}

static int bench_list_has(const char *list, const char *name)
{
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, name))
			return 1;
	return 0;
}

static void bench_plan(struct bench_ctx *ctx, struct bench_result *r,
		       unsigned int what, unsigned int kernel)
{
	struct bench_opts *o = ctx->o;
	unsigned int bit, v, c, conc;
	char why[200];
	struct bench_item *it;

	for (v = 0; v < o->nversions; v++) {
		for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1) {
			if (!(o->ciphers & bit))
				continue;
			if ((what & WHAT_CEILING) && v == 0) {
				bench_add(r, BENCH_CEILING, "aead-seal", bit,
					  o->versions[0], 0, 0);
				if (o->kernel_aead)
					bench_add(r, BENCH_CEILING, "aead-kernel",
						  bit, o->versions[0], 0, 0);
			}
			if (what & WHAT_TX)
				bench_add_paths(r, BENCH_TX, o->tx_paths, bit,
						o->versions[v]);
			if (what & WHAT_RX)
				bench_add_paths(r, BENCH_RX, o->rx_paths, bit,
						o->versions[v]);
		}
	}
	for (v = 0; v < o->nversions; v++) {
		for (c = 0; c < o->nconc; c++) {
			conc = o->concurrency[c];
			if ((what & WHAT_HS) &&
			    bench_list_has(o->hs_impls, "libktls"))
				bench_add(r, BENCH_HS, "libktls", 0,
					  o->versions[v], 0, conc);
			/* plain GnuTLS is also the upcall's reference */
			if (((what & WHAT_HS) &&
			     bench_list_has(o->hs_impls, "gnutls")) ||
			    (what & (WHAT_UPCALL | WHAT_UPCALL_IF)))
				bench_add(r, BENCH_HS, "gnutls", 0,
					  o->versions[v], 0, conc);
			if (what & (WHAT_UPCALL | WHAT_UPCALL_IF)) {
				bench_add_upcall(ctx, r, "upcall", o->daemon ?
						 o->ours : NULL, o->versions[v],
						 conc, what);
				/* Another daemon's row beside ours, interleaved. */
				if (o->daemon)
					bench_add_upcall(ctx, r, "upcall-daemon",
							 o->daemon, o->versions[v],
							 conc, what);
			}
		}
		/* Resumption: sequential only, to keep runs short. */
		if ((what & WHAT_HS) && bench_list_has(o->hs_impls, "libktls"))
			bench_add(r, BENCH_HS, "libktls", 0, o->versions[v], 1, 1);
		if ((what & WHAT_HS) && bench_list_has(o->hs_impls, "gnutls"))
			bench_add(r, BENCH_HS, "gnutls", 0, o->versions[v], 1, 1);
	}
	/*
	 * Resumption against full handshakes, per version and server key:
	 * in process (sequential: each client resumes the previous session)
	 * and through the upcall at every concurrency.
	 */
	for (v = 0; (what & WHAT_RESUME) && v < o->nversions; v++) {
		static const char *const keys[] = { "ecdsa", "rsa" };
		unsigned int k;
		int m;

		for (k = 0; k < 2; k++) {
			for (m = 0; m <= 1; m++) {
				it = bench_add(r, BENCH_HS, "libktls", 0,
					       o->versions[v], m, 1);
				if (it)
					it->key = keys[k];
			}
			for (c = 0; c < o->nconc; c++) {
				for (m = 0; m <= 1; m++) {
					it = bench_add(r, BENCH_UPCALL, "upcall", 0,
						       o->versions[v], m,
						       o->concurrency[c]);
					if (!it)
						continue;
					it->key = keys[k];
					if (!upcall_available(ctx, why, sizeof(why))) {
						it->failed = 2;
						snprintf(it->error, sizeof(it->error),
							 "%s", why);
					}
				}
			}
		}
	}
	/* kTLS paths need the kernel's kTLS, and the cipher in it. */
	for (c = 0; c < r->nitems; c++) {
		it = &r->items[c];
		if ((it->kind == BENCH_TX || it->kind == BENCH_RX) &&
		    strcmp(it->path, "tcp") && strcmp(it->path, "tcp-write") &&
		    !(kernel & it->cipher)) {
			it->failed = 1;
			snprintf(it->error, sizeof(it->error),
				 "skipped: this kernel's kTLS lacks %s",
				 ktls_cipher_name(it->cipher));
		}
		if (it->kind == BENCH_HS && !strcmp(it->path, "libktls") &&
		    !(kernel & KTLS_CIPHER_AES_128_GCM)) {
			it->failed = 1;
			snprintf(it->error, sizeof(it->error),
				 "skipped: this kernel has no kTLS AES-128-GCM");
		}
	}
}

static int bench_measure_one(struct bench_ctx *ctx, struct bench_item *it,
			     struct sample *s, char *err, size_t errlen)
{
	switch (it->kind) {
	case BENCH_TX:
	case BENCH_RX:
		return throughput_run(ctx, it, s, err, errlen);
	case BENCH_CEILING:
		if (!strcmp(it->path, "aead-kernel"))
			return kcrypto_run(ctx, it, s, err, errlen);
		return ceiling_run(ctx, it, s, err, errlen);
	case BENCH_HS:
		return handshake_run(ctx, it, s, err, errlen);
	case BENCH_UPCALL:
		return upcall_run(ctx, it, s, err, errlen);
	}
	return -EINVAL;
}

/* Resumption rows run with their own key type's credentials. */
static int bench_measure(struct bench_ctx *ctx, struct bench_item *it,
			 struct sample *s, char *err, size_t errlen)
{
	int ret;

	if (it->key && creds_use(ctx, it->key)) {
		snprintf(err, errlen, "no %s credentials loaded", it->key);
		return -ENOENT;
	}
	ret = bench_measure_one(ctx, it, s, err, errlen);
	if (it->key)
		creds_use(ctx, NULL);
	return ret;
}

static void bench_progress(struct bench_ctx *ctx, unsigned int round,
			   unsigned int rounds, unsigned int done,
			   unsigned int total, const struct bench_item *it)
{
	static int tty = -1;
	double el = bench_now() - ctx->started;

	if (ctx->o->quiet)
		return;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (tty) {
		fprintf(stderr, "\r\033[K[%s %u/%u] %u/%u %s %s %s  %.0f s",
			round ? "round" : "warm-up", round, rounds, done + 1,
			total, it->kind == BENCH_TX ? "tx" :
			it->kind == BENCH_RX ? "rx" : "", it->path,
			it->cipher ? bench_cipher_short(it->cipher) : "", el);
	} else if (done == 0) {
		fprintf(stderr, "ktls-bench: %s %u/%u: %u items, %.0f s so far\n",
			round ? "round" : "warm-up round", round, rounds, total,
			el);
	}
}

static void bench_run(struct bench_ctx *ctx, struct bench_result *r)
{
	unsigned int rounds = ctx->o->rounds, round, i, k, start;
	double round_start, longest = 0;
	struct bench_item *it;
	struct sample s;
	char err[256];
	int ret;

	r->rounds = 0;
	for (round = ctx->o->warmup ? 0 : 1; round <= rounds; round++) {
		/* A round that would not fit in the time limit is not begun. */
		if (ctx->o->time_limit && round > 1 &&
		    bench_now() - ctx->started + longest > ctx->o->time_limit) {
			fprintf(stderr, "ktls-bench: time limit: stopping after %u of %u rounds\n",
				r->rounds, rounds);
			break;
		}
		round_start = bench_now();
		/* Rotate the order so no item always runs first or last. */
		start = round % (r->nitems ? r->nitems : 1);
		for (k = 0; k < r->nitems; k++) {
			i = (start + k) % r->nitems;
			it = &r->items[i];
			bench_progress(ctx, round, rounds, k, r->nitems, it);
			/* Two failures: the item will not come right. */
			if (it->failed >= 2 || !strncmp(it->error, "skipped", 7))
				continue;
			memset(&s, 0, sizeof(s));
			s.round = round;
			err[0] = 0;
			ret = bench_measure(ctx, it, &s, err, sizeof(err));
			if (ret && strstr(err, "skipped: ") == err) {
				snprintf(it->error, sizeof(it->error), "%s", err);
				continue;
			}
			if (ret) {
				it->failed++;
				if (ret == -EBADMSG)
					it->mismatch = 1;
				snprintf(it->error, sizeof(it->error), "%s",
					 err[0] ? err : strerror(-ret));
				if (!ctx->o->quiet)
					fprintf(stderr, "%sktls-bench: %s %s %s: %s\n",
						isatty(STDERR_FILENO) ? "\n" : "",
						it->kind == BENCH_TX ? "tx" :
						it->kind == BENCH_RX ? "rx" : "",
						it->path,
						bench_cipher_short(it->cipher),
						it->error);
				free(s.lat_ms);
				continue;
			}
			if (s.errors && !it->error[0])
				snprintf(it->error, sizeof(it->error),
					 "some handshakes failed: %s", err);
			if (round == 0 || it->n == BENCH_MAX_SAMPLES) {
				free(s.lat_ms);
				continue;
			}
			it->s[it->n++] = s;
		}
		if (bench_now() - round_start > longest)
			longest = bench_now() - round_start;
		if (round)
			r->rounds = round;
	}
	if (!ctx->o->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
}

static FILE *bench_open_out(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		fprintf(stderr, "ktls-bench: cannot write %s: %s\n", path,
			strerror(errno));
	return f;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_ctx ctx = { .o = &o, .file_fd = -1 };
	struct bench_result res = { 0 };
	unsigned int what, kernel, i, failed = 0;
	const char *cmd;
	struct utsname un;
	FILE *f;
	int c, ret = 1;

	ret = bench_options_parse(argc, argv, &o, &cmd, &what);
	if (ret >= 0)
		return ret;
	ret = 1;
	signal(SIGPIPE, SIG_IGN);

	if (gnutls_global_init() < 0) {
		fprintf(stderr, "ktls-bench: gnutls_global_init failed\n");
		return 1;
	}
	kernel = ktls_kernel_ciphers();
	if (!o.ciphers)
		o.ciphers = kernel ? kernel : KTLS_CIPHER_AES_128_GCM;
	uname(&un);
	snprintf(ctx.kernel, sizeof(ctx.kernel), "%.20s %.100s", un.sysname,
		 un.release);
	snprintf(ctx.gnutls_version, sizeof(ctx.gnutls_version), "%s",
		 gnutls_check_version(NULL));
	ctx.started = bench_now();

	if (stream_file_open(&ctx)) {
		fprintf(stderr, "ktls-bench: cannot make the data file in %s\n",
			o.tmpdir);
		goto out;
	}
	if (creds_load(&ctx))
		goto out;
	if ((what & WHAT_RESUME) && creds_load_keys(&ctx))
		goto out;
	res.items = calloc(BENCH_MAX_ITEMS, sizeof(*res.items));
	if (!res.items)
		goto out;
	bench_plan(&ctx, &res, what, kernel);
	if (!o.quiet)
		fprintf(stderr, "ktls-bench: %s: %u items x %u rounds%s on %s\n",
			cmd, res.nitems, o.rounds, o.warmup ? " + warm-up" : "",
			ctx.kernel);
	bench_run(&ctx, &res);
	report_check_resumed(&res);

	ret = 0;
	if (o.json_stdout)
		report_json(stdout, &ctx, &res);
	else if (o.csv_stdout)
		report_csv(stdout, &ctx, &res);
	else if (o.table && (f = bench_open_out(o.table))) {
		report_table(f, &ctx, &res);
		fclose(f);
	} else if (!o.table) {
		report_table(stdout, &ctx, &res);
	}
	if (o.json && (f = bench_open_out(o.json))) {
		report_json(f, &ctx, &res);
		fclose(f);
	}
	if (o.csv && (f = bench_open_out(o.csv))) {
		report_csv(f, &ctx, &res);
		fclose(f);
	}
	if (o.plot && report_plot(o.plot, &ctx, &res))
		ret = 1;
	for (i = 0; i < res.nitems; i++)
		if (res.items[i].failed && strncmp(res.items[i].error, "skipped", 7))
			failed++;
	if (failed) {
		fprintf(stderr, "ktls-bench: %u item%s failed\n", failed,
			failed > 1 ? "s" : "");
		ret = 1;
	}
out:
	if (res.items)
		for (i = 0; i < res.nitems; i++)
			for (c = 0; c < (int)res.items[i].n; c++)
				free(res.items[i].s[c].lat_ms);
	free(res.items);
	creds_free(&ctx);
	stream_file_close(&ctx);
	gnutls_global_deinit();
	return ret;
}
