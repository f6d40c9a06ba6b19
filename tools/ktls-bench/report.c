// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reports: a table for people, JSON and CSV for programs. Every figure is
 * a median over rounds with its spread; ratios are medians of per-round
 * ratios (both items measured in the same round), which cancels most of
 * the drift of a shared, emulated machine.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct stats {
	double med, min, max, q1, q3;
	double cpu_proc, cpu_guest;	/* medians */
	double p50, p99;		/* handshakes: pooled latencies */
	unsigned int n, count, resumed, errors, resubmits;
	unsigned int rekeys;		/* ktls-rekey: all samples */
	double rekey_us;		/* ktls-rekey: median per sample */
	double first_ms, first_min, first_max;	/* own daemon: medians */
	double daemon_cpu_us;
};

/* Median (and range) of a per-sample field; 0 where no sample has it. */
static double stats_median(const struct bench_item *it, size_t off,
			   double *lo, double *hi)
{
	double v[BENCH_MAX_SAMPLES], x;
	unsigned int i, n = 0;

	for (i = 0; i < it->n; i++) {
		x = *(const double *)((const char *)&it->s[i] + off);
		if (x > 0)
			v[n++] = x;
	}
	if (!n)
		return *lo = *hi = 0;
	qsort(v, n, sizeof(double), bench_cmp_double);
	*lo = v[0];
	*hi = v[n - 1];
	return bench_quantile(v, n, 0.5);
}

static void stats_of(const struct bench_item *it, struct stats *st)
{
	double v[BENCH_MAX_SAMPLES], cp[BENCH_MAX_SAMPLES], cg[BENCH_MAX_SAMPLES];
	double rk[BENCH_MAX_SAMPLES];
	double *lat, lo, hi;
	unsigned int i, j, nlat = 0, nrk = 0;

	memset(st, 0, sizeof(*st));
	st->n = it->n;
	if (!it->n)
		return;
	for (i = 0; i < it->n; i++) {
		v[i] = it->s[i].value;
		cp[i] = it->s[i].cpu_proc;
		cg[i] = it->s[i].cpu_guest;
		st->count += it->s[i].count;
		st->resumed += it->s[i].resumed;
		st->errors += it->s[i].errors;
		st->resubmits += it->s[i].resubmits;
		st->rekeys += it->s[i].rekeys;
		if (it->s[i].rekeys)
			rk[nrk++] = it->s[i].rekey_us;
		nlat += it->s[i].nlat;
	}
	qsort(rk, nrk, sizeof(double), bench_cmp_double);
	if (nrk)
		st->rekey_us = bench_quantile(rk, nrk, 0.5);
	qsort(v, it->n, sizeof(double), bench_cmp_double);
	qsort(cp, it->n, sizeof(double), bench_cmp_double);
	qsort(cg, it->n, sizeof(double), bench_cmp_double);
	st->med = bench_quantile(v, it->n, 0.5);
	st->q1 = bench_quantile(v, it->n, 0.25);
	st->q3 = bench_quantile(v, it->n, 0.75);
	st->min = v[0];
	st->max = v[it->n - 1];
	st->cpu_proc = bench_quantile(cp, it->n, 0.5);
	st->cpu_guest = bench_quantile(cg, it->n, 0.5);
	st->first_ms = stats_median(it, offsetof(struct sample, first_ms),
				    &st->first_min, &st->first_max);
	st->daemon_cpu_us = stats_median(it, offsetof(struct sample,
						      daemon_cpu_us), &lo, &hi);
	if (!nlat)
		return;
	lat = malloc(nlat * sizeof(double));
	if (!lat)
		return;
	for (i = 0, nlat = 0; i < it->n; i++)
		for (j = 0; j < it->s[i].nlat; j++)
			lat[nlat++] = it->s[i].lat_ms[j];
	qsort(lat, nlat, sizeof(double), bench_cmp_double);
	st->p50 = bench_quantile(lat, nlat, 0.5);
	st->p99 = bench_quantile(lat, nlat, 0.99);
	free(lat);
}

int report_ratio(const struct bench_item *num, const struct bench_item *den,
		 double *med, double *lo, double *hi)
{
	double r[BENCH_MAX_SAMPLES];
	unsigned int i, j, n = 0;

	if (!num || !den)
		return -1;
	for (i = 0; i < num->n; i++)
		for (j = 0; j < den->n; j++)
			if (num->s[i].round == den->s[j].round &&
			    den->s[j].value > 0)
				r[n++] = num->s[i].value / den->s[j].value;
	if (!n)
		return -1;
	qsort(r, n, sizeof(double), bench_cmp_double);
	*med = bench_quantile(r, n, 0.5);
	*lo = r[0];
	*hi = r[n - 1];
	return 0;
}

struct bench_item *report_find(const struct bench_result *r,
			       enum bench_kind kind, const char *path,
			       unsigned int cipher, uint16_t version,
			       int resumed, int conc)
{
	unsigned int i;
	struct bench_item *it;

	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (it->kind == kind && !strcmp(it->path, path) && !it->key &&
		    it->cipher == cipher && it->resumed == resumed &&
		    it->conc == conc &&
		    (kind == BENCH_CEILING || it->version == version))
			return it;
	}
	return NULL;
}

static const char *kind_name(enum bench_kind k)
{
	switch (k) {
	case BENCH_TX: return "tx";
	case BENCH_RX: return "rx";
	case BENCH_CEILING: return "ceiling";
	case BENCH_HS: return "handshake";
	case BENCH_UPCALL: return "upcall";
	}
	return "?";
}

static int is_throughput(const struct bench_item *it)
{
	return it->kind == BENCH_TX || it->kind == BENCH_RX ||
	       it->kind == BENCH_CEILING;
}

static const struct bench_item *ceiling_of(const struct bench_result *r,
					   const struct bench_item *it)
{
	return report_find(r, BENCH_CEILING, "aead-seal", it->cipher, 0, 0, 0);
}

/* The reference a handshake item is compared with: plain GnuTLS. */
static const struct bench_item *hs_ref_of(const struct bench_result *r,
					  const struct bench_item *it)
{
	if (it->key)
		return NULL;
	return report_find(r, BENCH_HS, "gnutls", 0, it->version, it->resumed,
			   it->conc);
}

/* A resumption row's full-handshake counterpart (itself if full). */
static const struct bench_item *full_of(const struct bench_result *r,
					const struct bench_item *it)
{
	const struct bench_item *x;
	unsigned int i;

	if (!it->key || !it->resumed)
		return it->key ? it : NULL;
	for (i = 0; i < r->nitems; i++) {
		x = &r->items[i];
		if (x->kind == it->kind && !strcmp(x->path, it->path) &&
		    x->key && !strcmp(x->key, it->key) && !x->resumed &&
		    x->version == it->version && x->conc == it->conc)
			return x;
	}
	return NULL;
}

/*
 * What resumption should buy, resumed over full handshake rate: TLS 1.2
 * skips the key exchange and the certificate signature and chain check;
 * TLS 1.3 psk_dhe_ke still runs ECDHE and skips only the signature and
 * the chain check, so it gains less, and RSA (slow to sign) gains most.
 */
static double resume_goal(const struct bench_item *it)
{
	int rsa = !strcmp(it->key, "rsa");

	if (it->version == KTLS_VERSION_1_2)
		return rsa ? 8 : 4;
	return rsa ? 2 : 1.15;
}

void report_check_resumed(struct bench_result *r)
{
	struct bench_item *it;
	struct stats st;
	char prev[104];
	unsigned int i;

	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (!it->key || !it->n)
			continue;
		stats_of(it, &st);
		/* What went wrong before (failed handshakes) stays said. */
		snprintf(prev, sizeof(prev), "%s%.100s",
			 it->error[0] ? "; " : "", it->error);
		if (it->resumed && st.resumed * 100 < st.count * 95) {
			it->failed = it->failed ? it->failed : 1;
			snprintf(it->error, sizeof(it->error),
				 "only %u of %u handshakes resumed (%.0f%%): not a resumption rate%s",
				 st.resumed, st.count,
				 st.count ? 100.0 * st.resumed / st.count : 0,
				 prev);
		} else if (!it->resumed && st.resumed) {
			it->failed = it->failed ? it->failed : 1;
			snprintf(it->error, sizeof(it->error),
				 "%u of %u handshakes resumed in a full row%s",
				 st.resumed, st.count, prev);
		}
	}
}

/* The targets of the design, as ratios measured in this run. */
struct target {
	const char *name;
	enum bench_kind nk, dk;
	const char *np, *dp;
	int conc;
	double goal;
};

static const struct target targets[] = {
	{ "ktls-sendfile TX / AEAD seal ceiling", BENCH_TX, BENCH_CEILING,
	  "ktls-sendfile", "aead-seal", 0, 0.8 },
	{ "ktls-sendfile TX / user TX", BENCH_TX, BENCH_TX, "ktls-sendfile",
	  "user", 0, 1.2 },
	{ "ktls-uring TX / ktls-sendfile TX", BENCH_TX, BENCH_TX, "ktls-uring",
	  "ktls-sendfile", 0, 0.95 },
	{ "ktls-read RX / user RX", BENCH_RX, BENCH_RX, "ktls-read", "user", 0,
	  1.1 },
	{ "upcall full handshakes / plain GnuTLS", BENCH_UPCALL, BENCH_HS,
	  "upcall", "gnutls", 1, 0.9 },
	{ "upcall: ours / --daemon", BENCH_UPCALL,
	  BENCH_UPCALL, "upcall", "upcall-daemon", 1, 1.0 },
	/* No goal: what libktls would gain from an option it doesn't set. */
	{ "ktls-sendfile-zc TX / ktls-sendfile TX", BENCH_TX, BENCH_TX,
	  "ktls-sendfile-zc", "ktls-sendfile", 0, 0 },
	{ "ktls-read-nopad RX / ktls-read RX", BENCH_RX, BENCH_RX,
	  "ktls-read-nopad", "ktls-read", 0, 0 },
	{ "ktls-uring-send TX / ktls-write TX", BENCH_TX, BENCH_TX,
	  "ktls-uring-send", "ktls-write", 0, 0 },
	{ "ktls-rekey TX / ktls-write TX", BENCH_TX, BENCH_TX,
	  "ktls-rekey", "ktls-write", 0, 0 },
};

/* Calls fn for every target instance this run has both sides of. */
typedef void (*target_fn)(void *arg, const struct target *t,
			  const char *what, double med, double lo, double hi,
			  double cpu);

/*
 * CPU cost of the denominator over the numerator's, per byte or per
 * handshake: above 1, the numerator is cheaper. A shared host's load moves
 * rates much more than it moves CPU per unit of work. Upcall rows use the
 * whole machine's CPU, since only that includes tlshd.
 */
static double target_cpu(const struct bench_item *num,
			 const struct bench_item *den)
{
	struct stats a, b;
	int guest = num->kind == BENCH_UPCALL;

	stats_of(num, &a);
	stats_of(den, &b);
	if (guest ? !(a.cpu_guest > 0 && b.cpu_guest > 0) :
		    !(a.cpu_proc > 0 && b.cpu_proc > 0))
		return NAN;
	return guest ? b.cpu_guest / a.cpu_guest : b.cpu_proc / a.cpu_proc;
}

/* Resumed over full, for every resumption row pair of the run. */
static void resume_each(const struct bench_result *r, target_fn fn, void *arg)
{
	const struct bench_item *num, *den;
	struct target t = { 0 };
	char name[64], what[64];
	double med, lo, hi;
	unsigned int i;

	for (i = 0; i < r->nitems; i++) {
		num = &r->items[i];
		if (!num->key || !num->resumed)
			continue;
		den = full_of(r, num);
		if (report_ratio(num, den, &med, &lo, &hi))
			continue;
		snprintf(name, sizeof(name), "%s resumed / full, %s",
			 num->path, strcmp(num->key, "rsa") ? "ECDSA P-256" :
			 "RSA-2048");
		snprintf(what, sizeof(what), "TLS %s, %d concurrent",
			 bench_version_name(num->version), num->conc);
		t.name = name;
		t.nk = t.dk = num->kind;
		t.np = t.dp = num->path;
		t.conc = num->conc;
		t.goal = resume_goal(num);
		fn(arg, &t, what, med, lo, hi, target_cpu(num, den));
	}
}

static void targets_each(const struct bench_result *r, target_fn fn, void *arg)
{
	const struct bench_item *num, *den;
	unsigned int i, k;
	double med, lo, hi;
	char what[64];

	resume_each(r, fn, arg);

	for (k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
		for (i = 0; i < r->nitems; i++) {
			num = &r->items[i];
			if (num->kind != targets[k].nk || num->key ||
			    strcmp(num->path, targets[k].np) || num->resumed)
				continue;
			den = report_find(r, targets[k].dk, targets[k].dp,
					  num->cipher, num->version, 0,
					  num->conc);
			if (report_ratio(num, den, &med, &lo, &hi))
				continue;
			if (num->kind == BENCH_UPCALL)
				snprintf(what, sizeof(what), "TLS %s, %d concurrent",
					 bench_version_name(num->version), num->conc);
			else
				snprintf(what, sizeof(what), "%s, TLS %s",
					 bench_cipher_short(num->cipher),
					 bench_version_name(num->version));
			fn(arg, &targets[k], what, med, lo, hi,
			   target_cpu(num, den));
		}
	}
}

static void table_target(void *arg, const struct target *t, const char *what,
			 double med, double lo, double hi, double cpu)
{
	char c[16] = "   -";

	if (isfinite(cpu))
		snprintf(c, sizeof(c), "%5.2f", cpu);
	if (!t->goal) {
		fprintf(arg, "  %-40s %-22s %5.2f [%4.2f-%4.2f] %s   (no goal)\n",
			t->name, what, med, lo, hi, c);
		return;
	}
	fprintf(arg, "  %-40s %-22s %5.2f [%4.2f-%4.2f] %s   >= %4.2f  %s\n",
		t->name, what, med, lo, hi, c, t->goal,
		med >= t->goal ? "met" : "MISSED");
}

static void table_cpu(FILE *f, const struct stats *st)
{
	if (st->cpu_proc > 0)
		fprintf(f, " %6.2f / %6.2f", st->cpu_proc, st->cpu_guest);
	else
		fprintf(f, " %15s", "-");
}

/* Throughput rows: MiB/s, the ratio to the AEAD ceiling, CPU, the check. */
static void table_throughput(FILE *f, const struct bench_result *r)
{
	const struct bench_item *it, *ref;
	struct stats st;
	double med, lo, hi;
	unsigned int i, any;

	any = 0;
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (!is_throughput(it))
			continue;
		if (!any++) {
			fprintf(f, "\nThroughput over loopback TCP. The measured end is the client; its peer is\n"
				"kTLS (plain TCP for tcp paths) and decrypts and hashes every byte.\n"
				"MiB/s: median [min-max] over rounds. x ceil: median per-round ratio to the\n"
				"AEAD seal rate of the same cipher. CPU: ns per byte, bench process (both\n"
				"ends) / whole machine (tick-sampled /proc/stat, coarse under emulation).\n"
				"kernel: cipher read back with getsockopt(TLS_TX); stream ok: bytes and\n"
				"hash of the decrypted stream matched what was sent, in every round.\n"
				"aead-kernel: the kernel's AEAD driver through AF_ALG (copies included).\n\n");
			fprintf(f, "%-9s %-3s %-4s %-16s %9s %-19s %6s %15s  %s\n",
				"cipher", "tls", "dir", "path", "MiB/s",
				"  [min - max]", "x ceil", "CPU proc/guest",
				"kernel / check");
		}
		stats_of(it, &st);
		fprintf(f, "%-9s %-3s %-4s %-16s ", bench_cipher_short(it->cipher),
			it->kind == BENCH_CEILING ? "-" :
			bench_version_name(it->version),
			it->kind == BENCH_CEILING ? "-" : kind_name(it->kind),
			it->path);
		if (!it->n) {
			fprintf(f, "%9s  %s\n", "-", it->error);
			continue;
		}
		fprintf(f, "%9.1f  [%7.1f - %7.1f]", st.med, st.min, st.max);
		ref = ceiling_of(r, it);
		if (ref != it && !report_ratio(it, ref, &med, &lo, &hi))
			fprintf(f, " %6.2f", med);
		else
			fprintf(f, " %6s", ref == it ? "1.00" : "-");
		table_cpu(f, &st);
		if (it->kind == BENCH_CEILING)
			fprintf(f, "  %s, 16 KiB records\n",
				strcmp(it->path, "aead-kernel") ? "GnuTLS" :
				it->s[0].kernel_cipher);
		else if (it->s[0].kernel_cipher[0])
			fprintf(f, "  %s %s, stream ok %u/%u\n",
				it->s[0].kernel_cipher,
				bench_version_name(it->s[0].kernel_version),
				it->n, it->n);
		else
			fprintf(f, "  plain TCP, stream ok %u/%u\n", it->n, it->n);
		if (it->failed)
			fprintf(f, "%35s! %s\n", "", it->error);
	}
}

/* Handshake rows: rate, latency, CPU, the ratio to plain GnuTLS. */
static void table_handshakes(FILE *f, const struct bench_ctx *ctx,
			     const struct bench_result *r)
{
	const struct bench_item *it, *ref;
	struct stats st;
	double med, lo, hi;
	unsigned int i, any;
	char impl[32];

	any = 0;
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (is_throughput(it))
			continue;
		if (!any++) {
			fprintf(f, "\nHandshakes over loopback, AES-128-GCM, %s server key; clients verify the\n"
				"server's certificate and name. libktls: both ends, with the handover to\n"
				"kTLS. gnutls: plain GnuTLS both ends (the ceiling). upcall: the socket is\n"
				"handed to the kernel (%s) and tlshd does the client side against the\n"
				"plain GnuTLS server. hs/s: median [min-max]; latency p50/p99 over all\n"
				"handshakes; CPU: us per handshake, bench process / whole machine (for\n"
				"upcall rows only the latter includes tlshd).\n",
				ctx->o->cert ? "the given" : ctx->o->key_type, ctx->o->device);
			if (ctx->sets[1].loaded)
				fprintf(f, "IMPL/ecdsa, IMPL/rsa: resumption rows, with an ECDSA P-256 or RSA-2048 server\n"
					"certificate. libktls: each client resumes from the previous session's\n"
					"resume data. upcall resumed: the server issues tickets (fixed key), one port\n"
					"per client (tlshd keeps one ticket per peer), one priming handshake per\n"
					"port; upcall full: the server issues none. resumed: as the server counts.\n");
			if (ctx->o->system_trust)
				fprintf(f, "Clients trust the system store (%u anchors, loaded once) besides the CA;\n"
					"tlshd should be set up alike (no x509.truststore, the CA in the store).\n",
					ctx->o->system_cas);
			fputc('\n', f);
			fprintf(f, "%-14s %-3s %-7s %4s %8s %-17s %7s %7s %17s %8s %s\n",
				"impl", "tls", "mode", "conc", "hs/s", "  [min - max]",
				"p50 ms", "p99 ms", "CPU proc/guest", "x gnutls",
				"resumed");
		}
		stats_of(it, &st);
		snprintf(impl, sizeof(impl), "%s%s%s", it->path,
			 it->key ? "/" : "", it->key ? it->key : "");
		fprintf(f, "%-14s %-3s %-7s %4d ", impl,
			bench_version_name(it->version),
			it->resumed ? "resumed" : "full", it->conc);
		if (!it->n) {
			fprintf(f, "%8s  %s\n", "-", it->error);
			continue;
		}
		fprintf(f, "%8.1f  [%6.1f - %6.1f] %7.2f %7.2f  %7.0f / %7.0f",
			st.med, st.min, st.max, st.p50, st.p99, st.cpu_proc,
			st.cpu_guest);
		ref = hs_ref_of(r, it);
		if (ref != it && !report_ratio(it, ref, &med, &lo, &hi))
			fprintf(f, " %8.2f", med);
		else
			fprintf(f, " %8s", ref == it ? "1.00" : "-");
		fprintf(f, " %u/%u\n", st.resumed, st.count);
		if (st.errors || it->failed)
			fprintf(f, "%33s! %u failed: %s\n", "", st.errors, it->error);
	}
}

/* What the rows alone do not say: upcall overhead, the kernel AEAD, rekeys. */
static void table_notes(FILE *f, const struct bench_ctx *ctx,
			const struct bench_result *r)
{
	const struct bench_item *it, *ref;
	struct stats st, sref;
	double med, lo, hi;
	unsigned int i;

	fprintf(f, "\nNotes:\n");
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (it->kind == BENCH_UPCALL && it->n && !it->key) {
			ref = hs_ref_of(r, it);
			stats_of(it, &st);
			if (ref && ref->n) {
				stats_of(ref, &sref);
				fprintf(f, "  upcall overhead at %d concurrent, TLS %s: p50 %.2f ms (upcall p50 %.2f - plain GnuTLS p50 %.2f)\n",
					it->conc, bench_version_name(it->version),
					st.p50 - sref.p50, st.p50, sref.p50);
			}
			if (!st.resumed)
				fprintf(f, "  %s, %d concurrent: %s resumed none of its %u handshakes (the server counts)\n",
					it->path, it->conc,
					it->daemon ? it->daemon : "tlshd",
					st.count);
			if (st.resubmits)
				fprintf(f, "  upcall, %d concurrent: %u submits refused for the kernel's pending cap and retried\n",
					it->conc, st.resubmits);
			if (it->daemon)
				fprintf(f, "  %s (%s), %d concurrent: first handshake after start %.1f ms [%.1f-%.1f], p50 %.1f, p99 %.1f ms; daemon CPU %.2f ms per handshake (its cgroup)\n",
					it->path, it->daemon, it->conc,
					st.first_ms, st.first_min, st.first_max,
					st.p50, st.p99, st.daemon_cpu_us / 1e3);
		}
	}
	for (i = 0; i < r->nitems; i++) {
		const struct bench_item *kern, *sf;

		it = &r->items[i];
		if (it->kind != BENCH_CEILING || strcmp(it->path, "aead-seal"))
			continue;
		kern = report_find(r, BENCH_CEILING, "aead-kernel", it->cipher, 0, 0, 0);
		if (report_ratio(kern, it, &med, &lo, &hi))
			continue;
		fprintf(f, "  %s: the kernel's AEAD seals at %.2f x GnuTLS's rate",
			bench_cipher_short(it->cipher), med);
		sf = report_find(r, BENCH_TX, "ktls-sendfile", it->cipher,
				 ctx->o->versions[0], 0, 0);
		if (!report_ratio(sf, kern, &med, &lo, &hi))
			fprintf(f, "; ktls-sendfile runs at %.2f x the kernel's AEAD", med);
		fprintf(f, "\n");
	}
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (it->kind != BENCH_TX || strcmp(it->path, "ktls-rekey"))
			continue;
		stats_of(it, &st);
		if (!st.rekeys)
			continue;
		fprintf(f, "  ktls-rekey, %s: a KeyUpdate every %llu bytes, %u in all; %.1f us each\n"
			"    in ktls_key_update (next secret with HKDF, TLS_TX, the KeyUpdate record;\n"
			"    median over rounds), the receiver following each with TLS_RX",
			bench_cipher_short(it->cipher),
			(unsigned long long)ctx->o->rekey_every, st.rekeys,
			st.rekey_us);
		ref = report_find(r, BENCH_TX, "ktls-write", it->cipher,
				  it->version, 0, 0);
		if (!report_ratio(it, ref, &med, &lo, &hi))
			fprintf(f, "; throughput\n    %.2f [%.2f-%.2f] x ktls-write's (no rekey), same rounds",
				med, lo, hi);
		fprintf(f, "\n");
	}
	fprintf(f, "  Under emulation (qemu TCG) the AEAD dominates and copies are relatively\n"
		"  cheap, so kTLS's native advantage over user space shrinks; read ratios,\n"
		"  not absolute rates.\n");
}

void report_table(FILE *f, const struct bench_ctx *ctx,
		  const struct bench_result *r)
{
	const struct bench_opts *o = ctx->o;

	fprintf(f, "ktls-bench on %s, GnuTLS %s: %u round%s%s, %s per sample, "
		"%zu-byte writes, %zu-byte file\n",
		ctx->kernel, ctx->gnutls_version, r->rounds,
		r->rounds > 1 ? "s" : "", o->warmup ? " after a warm-up" : "",
		o->bytes ? "a byte count" : "a time", o->write_size,
		o->file_size);

	table_throughput(f, r);
	table_handshakes(f, ctx, r);
	fprintf(f, "\nTargets: median of per-round rate ratios [min-max]; cpu: the second's CPU\n"
		"per unit of work over the first's (above 1: the first is cheaper).\n\n");
	fprintf(f, "  %-40s %-22s %5s %-11s %5s\n", "ratio", "for", "rate",
		"[min-max]", "cpu");
	targets_each(r, table_target, f);
	table_notes(f, ctx, r);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

struct json_targets {
	FILE *f;
	int first;
};

static void json_target(void *arg, const struct target *t, const char *what,
			double med, double lo, double hi, double cpu)
{
	struct json_targets *j = arg;

	fprintf(j->f, "%s\n    {\"name\": ", j->first ? "" : ",");
	j->first = 0;
	json_str(j->f, t->name);
	fprintf(j->f, ", \"for\": ");
	json_str(j->f, what);
	fprintf(j->f, ", \"ratio\": ");
	json_num(j->f, med);
	fprintf(j->f, ", \"min\": ");
	json_num(j->f, lo);
	fprintf(j->f, ", \"max\": ");
	json_num(j->f, hi);
	fprintf(j->f, ", \"cpu_ratio\": ");
	json_num(j->f, cpu);
	if (!t->goal)
		fprintf(j->f, ", \"goal\": null, \"met\": null}");
	else
		fprintf(j->f, ", \"goal\": %.2f, \"met\": %s}", t->goal,
			med >= t->goal ? "true" : "false");
}

void report_json(FILE *f, const struct bench_ctx *ctx,
		 const struct bench_result *r)
{
	const struct bench_opts *o = ctx->o;
	const struct bench_item *it, *ref;
	struct json_targets jt = { f, 1 };
	struct stats st;
	double med, lo, hi;
	unsigned int i, j;

	fprintf(f, "{\n  \"tool\": \"ktls-bench\",\n  \"kernel\": ");
	json_str(f, ctx->kernel);
	fprintf(f, ",\n  \"gnutls\": ");
	json_str(f, ctx->gnutls_version);
	fprintf(f, ",\n  \"params\": {\"rounds\": %u, \"warmup\": %s, "
		"\"duration_s\": %g, \"bytes\": %llu, \"write_size\": %zu, "
		"\"file_size\": %zu, \"hs_duration_s\": %g, \"key_type\": ",
		r->rounds, o->warmup ? "true" : "false", o->duration,
		(unsigned long long)o->bytes, o->write_size, o->file_size,
		o->hs_duration);
	json_str(f, o->cert ? "given" : o->key_type);
	fprintf(f, ", \"queue_depth\": %d},\n  \"results\": [", o->queue_depth);
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		stats_of(it, &st);
		fprintf(f, "%s\n    {\"kind\": \"%s\", \"path\": ", i ? "," : "",
			kind_name(it->kind));
		json_str(f, it->path);
		fprintf(f, ", \"cipher\": ");
		json_str(f, ktls_cipher_name(it->cipher ? it->cipher :
					     KTLS_CIPHER_AES_128_GCM));
		fprintf(f, ", \"tls\": \"%s\"", bench_version_name(it->version));
		if (!is_throughput(it))
			fprintf(f, ", \"mode\": \"%s\", \"concurrency\": %d",
				it->resumed ? "resumed" : "full", it->conc);
		if (it->key) {
			fprintf(f, ", \"key\": \"%s\"", it->key);
			ref = full_of(r, it);
			if (ref && ref != it &&
			    !report_ratio(it, ref, &med, &lo, &hi)) {
				fprintf(f, ", \"ratio_full\": {\"median\": ");
				json_num(f, med);
				fprintf(f, ", \"min\": ");
				json_num(f, lo);
				fprintf(f, ", \"max\": ");
				json_num(f, hi);
				fprintf(f, ", \"goal\": %.2f, \"met\": %s}",
					resume_goal(it),
					med >= resume_goal(it) ? "true" : "false");
			}
		}
		fprintf(f, ", \"unit\": \"%s\", \"n\": %u",
			is_throughput(it) ? "MiB/s" : "handshakes/s", it->n);
		if (it->n) {
			fprintf(f, ", \"median\": ");
			json_num(f, st.med);
			fprintf(f, ", \"min\": ");
			json_num(f, st.min);
			fprintf(f, ", \"max\": ");
			json_num(f, st.max);
			fprintf(f, ", \"q1\": ");
			json_num(f, st.q1);
			fprintf(f, ", \"q3\": ");
			json_num(f, st.q3);
			fprintf(f, ", \"samples\": [");
			for (j = 0; j < it->n; j++) {
				fprintf(f, "%s", j ? ", " : "");
				json_num(f, it->s[j].value);
			}
			fprintf(f, "], \"cpu_proc\": ");
			json_num(f, st.cpu_proc);
			fprintf(f, ", \"cpu_guest\": ");
			json_num(f, st.cpu_guest);
			fprintf(f, ", \"cpu_unit\": \"%s\"",
				is_throughput(it) ? "ns/byte" : "us/handshake");
		}
		ref = is_throughput(it) ? ceiling_of(r, it) : hs_ref_of(r, it);
		if (ref && ref != it && !report_ratio(it, ref, &med, &lo, &hi)) {
			fprintf(f, ", \"%s\": {\"median\": ",
				is_throughput(it) ? "ratio_ceiling" : "ratio_gnutls");
			json_num(f, med);
			fprintf(f, ", \"min\": ");
			json_num(f, lo);
			fprintf(f, ", \"max\": ");
			json_num(f, hi);
			fprintf(f, "}");
		}
		if ((it->kind == BENCH_TX || it->kind == BENCH_RX) && it->n) {
			fprintf(f, ", \"streams\": [");
			for (j = 0; j < it->n; j++)
				fprintf(f, "%s{\"sent\": %llu, \"received\": %llu, "
					"\"hash_sent\": \"%016llx\", \"hash_received\": \"%016llx\"}",
					j ? ", " : "",
					(unsigned long long)it->s[j].bytes_sent,
					(unsigned long long)it->s[j].bytes_rcvd,
					(unsigned long long)it->s[j].hash_sent,
					(unsigned long long)it->s[j].hash_rcvd);
			fprintf(f, "], \"kernel_cipher\": ");
			json_str(f, it->s[0].kernel_cipher);
			fprintf(f, ", \"kernel_tls\": \"%s\"",
				bench_version_name(it->s[0].kernel_version));
			if (st.rekeys) {
				fprintf(f, ", \"rekey_every\": %llu, \"rekeys\": %u, \"rekey_us\": ",
					(unsigned long long)o->rekey_every,
					st.rekeys);
				json_num(f, st.rekey_us);
			}
		}
		if (!is_throughput(it) && it->n) {
			fprintf(f, ", \"p50_ms\": ");
			json_num(f, st.p50);
			fprintf(f, ", \"p99_ms\": ");
			json_num(f, st.p99);
			fprintf(f, ", \"handshakes\": %u, \"resumed\": %u, \"errors\": %u, \"resubmits\": %u",
				st.count, st.resumed, st.errors, st.resubmits);
			if (it->daemon) {
				fprintf(f, ", \"daemon\": ");
				json_str(f, it->daemon);
				fprintf(f, ", \"first_ms\": ");
				json_num(f, st.first_ms);
				fprintf(f, ", \"daemon_cpu_us\": ");
				json_num(f, st.daemon_cpu_us);
			}
		}
		fprintf(f, ", \"verified\": %s, \"error\": ",
			it->mismatch ? "false" : "true");
		if (it->error[0])
			json_str(f, it->error);
		else
			fprintf(f, "null");
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	targets_each(r, json_target, &jt);
	fprintf(f, "\n  ]\n}\n");
}

void report_csv(FILE *f, const struct bench_ctx *ctx,
		const struct bench_result *r)
{
	const struct bench_item *it, *ref;
	struct stats st;
	double med, lo, hi;
	unsigned int i;

	fprintf(f, "kind,path,cipher,tls,mode,concurrency,unit,n,median,min,max,"
		"q1,q3,ratio,ratio_to,cpu_proc,cpu_guest,cpu_unit,p50_ms,p99_ms,"
		"kernel_cipher,error,key\n");
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		stats_of(it, &st);
		ref = is_throughput(it) ? ceiling_of(r, it) :
		      it->key ? full_of(r, it) : hs_ref_of(r, it);
		if (!ref || ref == it || report_ratio(it, ref, &med, &lo, &hi))
			med = NAN;
		fprintf(f, "%s,%s,%s,%s,%s,%d,%s,%u,%.4g,%.4g,%.4g,%.4g,%.4g,",
			kind_name(it->kind), it->path,
			ktls_cipher_name(it->cipher ? it->cipher :
					 KTLS_CIPHER_AES_128_GCM),
			bench_version_name(it->version),
			is_throughput(it) ? "" : it->resumed ? "resumed" : "full",
			it->conc, is_throughput(it) ? "MiB/s" : "handshakes/s",
			it->n, st.med, st.min, st.max, st.q1, st.q3);
		if (isfinite(med))
			fprintf(f, "%.4g", med);
		fprintf(f, ",%s,%.4g,%.4g,%s,", is_throughput(it) ? "aead-seal" :
			it->key ? "full" : "gnutls",
			st.cpu_proc, st.cpu_guest,
			is_throughput(it) ? "ns/byte" : "us/handshake");
		if (!is_throughput(it) && it->n)
			fprintf(f, "%.4g,%.4g", st.p50, st.p99);
		else
			fprintf(f, ",");
		/* errors may hold commas: quote, doubling quotes */
		fprintf(f, ",%s,\"", it->n && (it->kind == BENCH_TX || it->kind == BENCH_RX) ?
			it->s[0].kernel_cipher : "");
		for (const char *p = it->error; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fprintf(f, "\",%s\n", it->key ? it->key : "");
	}
}
