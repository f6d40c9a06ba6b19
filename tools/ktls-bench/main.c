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

#define DEFAULT_TX "tcp,user,ktls-write,ktls-sendfile,ktls-sendfile-zc,ktls-uring,ktls-uring-send"
#define DEFAULT_RX "tcp,user,ktls-read,ktls-read-nopad,ktls-uring"

enum bench_what {
	WHAT_TX = 1 << 0,
	WHAT_RX = 1 << 1,
	WHAT_CEILING = 1 << 2,
	WHAT_HS = 1 << 3,
	WHAT_UPCALL = 1 << 4,
	WHAT_UPCALL_IF = 1 << 5,	/* upcall if the device is there */
	WHAT_RESUME = 1 << 6,	/* resumed against full, ECDSA and RSA */
};

static const struct {
	const char *name;
	unsigned int what;
} bench_commands[] = {
	{ "all", WHAT_TX | WHAT_RX | WHAT_CEILING | WHAT_HS | WHAT_UPCALL_IF },
	{ "throughput", WHAT_TX | WHAT_RX | WHAT_CEILING },
	{ "tx", WHAT_TX | WHAT_CEILING },
	{ "rx", WHAT_RX | WHAT_CEILING },
	{ "ceiling", WHAT_CEILING },
	{ "handshake", WHAT_HS },
	{ "upcall", WHAT_UPCALL },
	{ "resume", WHAT_RESUME },
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"Usage: ktls-bench [COMMAND] [OPTIONS]\n"
		"Measure kTLS against user-space GnuTLS, plain TCP and the AEAD rate.\n"
		"\n"
		"Commands: all (default), throughput, tx, rx, ceiling, handshake, upcall,\n"
		"          resume (resumed against full handshakes, ECDSA and RSA servers,\n"
		"          in process and through the upcall; default --tls 1.2,1.3)\n"
		"\n"
		"  -c, --ciphers LIST       aes128gcm,aes256gcm,chacha20,aes128ccm\n"
		"                           (default: all the kernel's kTLS accepts)\n"
		"  -V, --tls LIST           1.3 and/or 1.2 (default 1.3)\n"
		"      --tx-paths LIST      default " DEFAULT_TX "\n"
		"      --rx-paths LIST      default " DEFAULT_RX "\n"
		"      --hs-impls LIST      libktls,gnutls (default both)\n"
		"  -w, --write-size SIZE    bytes per write/read/splice (default 64k)\n"
		"  -f, --file-size SIZE     size of the data file (default 8M)\n"
		"  -d, --duration SEC       seconds per throughput sample (default 1)\n"
		"  -b, --bytes SIZE         bytes per throughput sample instead\n"
		"  -r, --rounds N           measured rounds (default 5)\n"
		"      --time-limit SEC     begin no round that would end after SEC\n"
		"      --no-warmup          skip the warm-up round\n"
		"      --hs-duration SEC    seconds per handshake sample (default 1)\n"
		"      --hs-max N           handshakes per sample at most\n"
		"  -C, --concurrency LIST   concurrent handshake clients (default 1,8)\n"
		"      --cert FILE --key FILE  server credentials (default: made up)\n"
		"      --ca FILE            anchor clients trust (default: --cert)\n"
		"      --system-trust       clients also load the system trust store\n"
		"                           (once), as tlshd does without x509.truststore\n"
		"      --peername NAME      name clients check (default localhost)\n"
		"      --key-type ecdsa|rsa key made when no --cert (default ecdsa)\n"
		"      --ecdsa-cert FILE --ecdsa-key FILE, --rsa-cert FILE --rsa-key FILE\n"
		"                           resume: server credentials of each key type,\n"
		"                           trusted through --ca (default: made up)\n"
		"      --device PATH        test consumer (default " KTLS_TEST_DEVICE ")\n"
		"      --queue-depth N      io_uring requests per chain (default 4)\n"
		"      --no-kernel-aead     skip the kernel AEAD rate (AF_ALG)\n"
		"      --json[=FILE]        JSON (to stdout instead of the table)\n"
		"      --csv[=FILE]         CSV (to stdout instead of the table)\n"
		"      --plot FILE.png      bar chart with gnuplot\n"
		"      --table FILE         the table to FILE instead of stdout\n"
		"      --inject-mismatch    corrupt one stream hash (tests the checker)\n"
		"  -q, --quiet              no progress on stderr\n"
		"  -h, --help\n");
}

static int bench_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int bench_parse_ciphers(const char *list, unsigned int *mask)
{
	char buf[256], *tok, *save;
	unsigned int bit;

	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bit = bench_cipher_parse(tok);
		if (!bit) {
			fprintf(stderr, "ktls-bench: unknown cipher '%s'\n", tok);
			return -1;
		}
		*mask |= bit;
	}
	return *mask ? 0 : -1;
}

static int bench_parse_versions(const char *list, struct bench_opts *o)
{
	char buf[64], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	o->nversions = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nversions == 2)
			return -1;
		if (!strcmp(tok, "1.3"))
			o->versions[o->nversions++] = KTLS_VERSION_1_3;
		else if (!strcmp(tok, "1.2"))
			o->versions[o->nversions++] = KTLS_VERSION_1_2;
		else
			return -1;
	}
	return o->nversions ? 0 : -1;
}

static int bench_parse_conc(const char *list, struct bench_opts *o)
{
	char buf[64], *tok, *save, *end;
	long v;

	snprintf(buf, sizeof(buf), "%s", list);
	o->nconc = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		v = strtol(tok, &end, 10);
		if (*end || v < 1 || v > 64 || o->nconc == 4)
			return -1;
		o->concurrency[o->nconc++] = v;
	}
	return o->nconc ? 0 : -1;
}

/* Every name of a comma list must be a path of that direction. */
static int bench_check_paths(enum bench_kind kind, const char *list)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!throughput_path_valid(kind, tok)) {
			fprintf(stderr, "ktls-bench: no %s path '%s'\n",
				kind == BENCH_TX ? "TX" : "RX", tok);
			return -1;
		}
	}
	return 0;
}

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
				it = bench_add(r, BENCH_UPCALL, "upcall", 0,
					       o->versions[v], 0, conc);
				/* Asked for by name, a missing device is a failure. */
				if (it && !upcall_available(ctx, why, sizeof(why))) {
					it->failed = (what & WHAT_UPCALL) ? 2 : 1;
					snprintf(it->error, sizeof(it->error), "%s%s",
						 (what & WHAT_UPCALL) ? "" : "skipped: ",
						 why);
				}
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
	enum {
		OPT_TX = 256, OPT_RX, OPT_IMPLS, OPT_NOWARM, OPT_HSDUR,
		OPT_HSMAX, OPT_CERT, OPT_KEY, OPT_CA, OPT_PEER, OPT_KEYTYPE,
		OPT_DEV, OPT_QD, OPT_JSON, OPT_CSV, OPT_PLOT, OPT_TABLE,
		OPT_INJECT, OPT_NOKAEAD, OPT_TLIMIT, OPT_SYSTRUST,
		OPT_ECERT, OPT_EKEY, OPT_RCERT, OPT_RKEY,
	};
	static const struct option longopts[] = {
		{ "ciphers", required_argument, NULL, 'c' },
		{ "tls", required_argument, NULL, 'V' },
		{ "tx-paths", required_argument, NULL, OPT_TX },
		{ "rx-paths", required_argument, NULL, OPT_RX },
		{ "hs-impls", required_argument, NULL, OPT_IMPLS },
		{ "write-size", required_argument, NULL, 'w' },
		{ "file-size", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "no-warmup", no_argument, NULL, OPT_NOWARM },
		{ "hs-duration", required_argument, NULL, OPT_HSDUR },
		{ "hs-max", required_argument, NULL, OPT_HSMAX },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "peername", required_argument, NULL, OPT_PEER },
		{ "key-type", required_argument, NULL, OPT_KEYTYPE },
		{ "ecdsa-cert", required_argument, NULL, OPT_ECERT },
		{ "ecdsa-key", required_argument, NULL, OPT_EKEY },
		{ "rsa-cert", required_argument, NULL, OPT_RCERT },
		{ "rsa-key", required_argument, NULL, OPT_RKEY },
		{ "device", required_argument, NULL, OPT_DEV },
		{ "queue-depth", required_argument, NULL, OPT_QD },
		{ "json", optional_argument, NULL, OPT_JSON },
		{ "csv", optional_argument, NULL, OPT_CSV },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "inject-mismatch", no_argument, NULL, OPT_INJECT },
		{ "no-kernel-aead", no_argument, NULL, OPT_NOKAEAD },
		{ "time-limit", required_argument, NULL, OPT_TLIMIT },
		{ "system-trust", no_argument, NULL, OPT_SYSTRUST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 1000 },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = {
		.tx_paths = DEFAULT_TX, .rx_paths = DEFAULT_RX,
		.hs_impls = "libktls,gnutls",
		.write_size = 64 << 10, .file_size = 8 << 20,
		.duration = 1.0, .rounds = 5, .warmup = 1,
		.hs_duration = 1.0, .hs_max = 1000000,
		.concurrency = { 1, 8 }, .nconc = 2,
		.versions = { KTLS_VERSION_1_3 }, .nversions = 1,
		.peername = "localhost", .key_type = "ecdsa",
		.device = KTLS_TEST_DEVICE, .queue_depth = 4, .kernel_aead = 1,
	};
	struct bench_ctx ctx = { .o = &o, .file_fd = -1 };
	struct bench_result res = { 0 };
	unsigned int what = bench_commands[0].what, kernel, i, failed = 0;
	const char *cmd = "all", *tmp;
	struct utsname un;
	uint64_t v;
	double d;
	FILE *f;
	int c, ok, ret = 1, want_ciphers = 0, want_versions = 0;

	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		for (i = 0; i < sizeof(bench_commands) / sizeof(bench_commands[0]); i++)
			if (!strcmp(cmd, bench_commands[i].name))
				break;
		if (i == sizeof(bench_commands) / sizeof(bench_commands[0])) {
			fprintf(stderr, "ktls-bench: unknown command '%s'\n", cmd);
			bench_usage(stderr);
			return 2;
		}
		what = bench_commands[i].what;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "c:V:w:f:d:b:r:C:qh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			if (bench_parse_ciphers(optarg, &o.ciphers))
				return 2;
			want_ciphers = 1;
			break;
		case 'V':
			if (bench_parse_versions(optarg, &o)) {
				fprintf(stderr, "ktls-bench: --tls wants 1.3, 1.2 or 1.3,1.2\n");
				return 2;
			}
			want_versions = 1;
			break;
		case OPT_TX:
			if (bench_check_paths(BENCH_TX, optarg))
				return 2;
			o.tx_paths = optarg;
			break;
		case OPT_RX:
			if (bench_check_paths(BENCH_RX, optarg))
				return 2;
			o.rx_paths = optarg;
			break;
		case OPT_IMPLS:
			o.hs_impls = optarg;
			break;
		case 'w':
		case 'f':
		case 'b':
			v = bench_parse_size(optarg, &ok);
			if (!ok || !v || (c != 'b' && v > (1u << 30))) {
				fprintf(stderr, "ktls-bench: bad size '%s'\n", optarg);
				return 2;
			}
			if (c == 'w')
				o.write_size = v;
			else if (c == 'f')
				o.file_size = v;
			else
				o.bytes = v;
			break;
		case 'd':
		case OPT_HSDUR:
			if (bench_parse_double(optarg, 0.01, 3600, &d)) {
				fprintf(stderr, "ktls-bench: bad duration '%s'\n", optarg);
				return 2;
			}
			if (c == 'd')
				o.duration = d;
			else
				o.hs_duration = d;
			break;
		case 'r':
			if (bench_parse_double(optarg, 1, BENCH_MAX_SAMPLES, &d)) {
				fprintf(stderr, "ktls-bench: --rounds wants 1 to %d\n",
					BENCH_MAX_SAMPLES);
				return 2;
			}
			o.rounds = (unsigned int)d;
			break;
		case OPT_NOWARM:
			o.warmup = 0;
			break;
		case OPT_HSMAX:
			if (bench_parse_double(optarg, 1, 1e9, &d))
				return 2;
			o.hs_max = (unsigned int)d;
			break;
		case 'C':
			if (bench_parse_conc(optarg, &o)) {
				fprintf(stderr, "ktls-bench: --concurrency wants up to 4 numbers from 1 to 64\n");
				return 2;
			}
			break;
		case OPT_CERT: o.cert = optarg; break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_CA: o.ca = optarg; break;
		case OPT_PEER: o.peername = optarg; break;
		case OPT_KEYTYPE:
			if (strcmp(optarg, "ecdsa") && strcmp(optarg, "rsa")) {
				fprintf(stderr, "ktls-bench: --key-type wants ecdsa or rsa\n");
				return 2;
			}
			o.key_type = optarg;
			break;
		case OPT_ECERT: o.ecdsa_cert = optarg; break;
		case OPT_EKEY: o.ecdsa_key = optarg; break;
		case OPT_RCERT: o.rsa_cert = optarg; break;
		case OPT_RKEY: o.rsa_key = optarg; break;
		case OPT_DEV: o.device = optarg; break;
		case OPT_QD:
			if (bench_parse_double(optarg, 1, 32, &d)) {
				fprintf(stderr, "ktls-bench: --queue-depth wants 1 to 32\n");
				return 2;
			}
			o.queue_depth = (int)d;
			break;
		case OPT_JSON:
			if (optarg)
				o.json = optarg;
			else
				o.json_stdout = 1;
			break;
		case OPT_CSV:
			if (optarg)
				o.csv = optarg;
			else
				o.csv_stdout = 1;
			break;
		case OPT_PLOT: o.plot = optarg; break;
		case OPT_TABLE: o.table = optarg; break;
		case OPT_INJECT: o.inject_mismatch = 1; break;
		case OPT_NOKAEAD: o.kernel_aead = 0; break;
		case OPT_SYSTRUST: o.system_trust = 1; break;
		case OPT_TLIMIT:
			if (bench_parse_double(optarg, 1, 86400, &o.time_limit)) {
				fprintf(stderr, "ktls-bench: bad --time-limit '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q': o.quiet = 1; break;
		case 1000:
			ktls_tools_print_version("ktls-bench");
			exit(0);
		case 'h':
			bench_usage(stdout);
			return 0;
		default:
			bench_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ktls-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o.cert != !o.key || !o.ecdsa_cert != !o.ecdsa_key ||
	    !o.rsa_cert != !o.rsa_key) {
		fprintf(stderr, "ktls-bench: each --*cert and its --*key go together\n");
		return 2;
	}
	if ((what & WHAT_RESUME) && !want_versions) {
		o.versions[0] = KTLS_VERSION_1_2;
		o.versions[1] = KTLS_VERSION_1_3;
		o.nversions = 2;
	}
	if (o.json_stdout + o.csv_stdout > 1) {
		fprintf(stderr, "ktls-bench: only one of --json and --csv can take stdout\n");
		return 2;
	}
	if (o.write_size > o.file_size) {
		fprintf(stderr, "ktls-bench: --write-size is larger than --file-size\n");
		return 2;
	}
	tmp = getenv("TMPDIR");
	o.tmpdir = tmp && *tmp ? tmp : "/tmp";
	signal(SIGPIPE, SIG_IGN);

	if (gnutls_global_init() < 0) {
		fprintf(stderr, "ktls-bench: gnutls_global_init failed\n");
		return 1;
	}
	kernel = ktls_kernel_ciphers();
	if (!want_ciphers)
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
