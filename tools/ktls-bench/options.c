// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-bench's command line: the command, the options and their checks.
 * Nothing here measures; main() gets a filled struct bench_opts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ktls_test_consumer.h>

#include "bench.h"
#include "../version.h"

#define DEFAULT_TX "tcp,user,ktls-write,ktls-sendfile,ktls-sendfile-zc,ktls-uring,ktls-uring-send"
#define DEFAULT_RX "tcp,user,ktls-read,ktls-read-nopad,ktls-uring"

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
		"      --daemon PATH        upcall: another handshake daemon, run as\n"
		"                           PATH -s -c CONF for each sample of its own row\n"
		"                           (upcall-daemon), interleaved with --ours; both\n"
		"                           report first-contact latency and cgroup CPU\n"
		"      --ours PATH          with --daemon: our tlshd (default: tlshd)\n"
		"      --queue-depth N      io_uring requests per chain (default 4)\n"
		"      --rekey-every SIZE   ktls-rekey TX path: a TLS 1.3 KeyUpdate (and the\n"
		"                           next kTLS transmit key) every SIZE (default 1M)\n"
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

enum {
	OPT_TX = 256, OPT_RX, OPT_IMPLS, OPT_NOWARM, OPT_HSDUR,
	OPT_HSMAX, OPT_CERT, OPT_KEY, OPT_CA, OPT_PEER, OPT_KEYTYPE,
	OPT_DEV, OPT_QD, OPT_JSON, OPT_CSV, OPT_PLOT, OPT_TABLE,
	OPT_INJECT, OPT_NOKAEAD, OPT_TLIMIT, OPT_SYSTRUST,
	OPT_ECERT, OPT_EKEY, OPT_RCERT, OPT_RKEY, OPT_REKEY, OPT_VERSION,
	OPT_DAEMON, OPT_OURS,
};

static const struct option options_long[] = {
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
	{ "daemon", required_argument, NULL, OPT_DAEMON },
	{ "ours", required_argument, NULL, OPT_OURS },
	{ "queue-depth", required_argument, NULL, OPT_QD },
	{ "rekey-every", required_argument, NULL, OPT_REKEY },
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
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Options that only name a file or a word. */
static const struct {
	int opt;
	size_t off;
} options_strings[] = {
	{ OPT_IMPLS, offsetof(struct bench_opts, hs_impls) },
	{ OPT_CERT, offsetof(struct bench_opts, cert) },
	{ OPT_KEY, offsetof(struct bench_opts, key) },
	{ OPT_CA, offsetof(struct bench_opts, ca) },
	{ OPT_PEER, offsetof(struct bench_opts, peername) },
	{ OPT_ECERT, offsetof(struct bench_opts, ecdsa_cert) },
	{ OPT_EKEY, offsetof(struct bench_opts, ecdsa_key) },
	{ OPT_RCERT, offsetof(struct bench_opts, rsa_cert) },
	{ OPT_RKEY, offsetof(struct bench_opts, rsa_key) },
	{ OPT_DEV, offsetof(struct bench_opts, device) },
	{ OPT_DAEMON, offsetof(struct bench_opts, daemon) },
	{ OPT_OURS, offsetof(struct bench_opts, ours) },
	{ OPT_PLOT, offsetof(struct bench_opts, plot) },
	{ OPT_TABLE, offsetof(struct bench_opts, table) },
};

/* Switches that set an int field. */
static const struct {
	int opt;
	size_t off;
	int value;
} options_flags[] = {
	{ OPT_NOWARM, offsetof(struct bench_opts, warmup), 0 },
	{ OPT_INJECT, offsetof(struct bench_opts, inject_mismatch), 1 },
	{ OPT_NOKAEAD, offsetof(struct bench_opts, kernel_aead), 0 },
	{ OPT_SYSTRUST, offsetof(struct bench_opts, system_trust), 1 },
	{ 'q', offsetof(struct bench_opts, quiet), 1 },
};

static int options_table(int c, const char *arg, struct bench_opts *o)
{
	char *base = (char *)o;
	size_t i;

	for (i = 0; i < sizeof(options_strings) / sizeof(options_strings[0]); i++)
		if (options_strings[i].opt == c) {
			*(const char **)(base + options_strings[i].off) = arg;
			return 0;
		}
	for (i = 0; i < sizeof(options_flags) / sizeof(options_flags[0]); i++)
		if (options_flags[i].opt == c) {
			*(int *)(base + options_flags[i].off) = options_flags[i].value;
			return 0;
		}
	return -1;
}

/* -w, -f, -b, --rekey-every: sizes with an optional k, M or G. */
static int options_size(int c, const char *arg, struct bench_opts *o)
{
	uint64_t v;
	int ok;

	v = bench_parse_size(arg, &ok);
	if (!ok || !v || (c != 'b' && v > (1u << 30))) {
		fprintf(stderr, "ktls-bench: bad size '%s'\n", arg);
		return -1;
	}
	if (c == 'w')
		o->write_size = v;
	else if (c == 'f')
		o->file_size = v;
	else if (c == 'b')
		o->bytes = v;
	else
		o->rekey_every = v;
	return 0;
}

/* Durations and counts, each with its range. */
static int options_number(int c, const char *arg, struct bench_opts *o)
{
	double d;

	switch (c) {
	case 'd':
	case OPT_HSDUR:
		if (bench_parse_double(arg, 0.01, 3600, &d)) {
			fprintf(stderr, "ktls-bench: bad duration '%s'\n", arg);
			return -1;
		}
		*(c == 'd' ? &o->duration : &o->hs_duration) = d;
		return 0;
	case 'r':
		if (bench_parse_double(arg, 1, BENCH_MAX_SAMPLES, &d)) {
			fprintf(stderr, "ktls-bench: --rounds wants 1 to %d\n",
				BENCH_MAX_SAMPLES);
			return -1;
		}
		o->rounds = (unsigned int)d;
		return 0;
	case OPT_HSMAX:
		if (bench_parse_double(arg, 1, 1e9, &d)) {
			fprintf(stderr, "ktls-bench: bad --hs-max '%s'\n", arg);
			return -1;
		}
		o->hs_max = (unsigned int)d;
		return 0;
	case OPT_QD:
		if (bench_parse_double(arg, 1, 32, &d)) {
			fprintf(stderr, "ktls-bench: --queue-depth wants 1 to 32\n");
			return -1;
		}
		o->queue_depth = (int)d;
		return 0;
	case OPT_TLIMIT:
		if (bench_parse_double(arg, 1, 86400, &o->time_limit)) {
			fprintf(stderr, "ktls-bench: bad --time-limit '%s'\n", arg);
			return -1;
		}
		return 0;
	}
	return 1;
}

/* The options that are lists or choices. 1: not one of them. */
static int options_choice(int c, const char *arg, struct bench_opts *o)
{
	switch (c) {
	case 'c':
		return bench_parse_ciphers(arg, &o->ciphers);
	case 'V':
		if (bench_parse_versions(arg, o)) {
			fprintf(stderr, "ktls-bench: --tls wants 1.3, 1.2 or 1.3,1.2\n");
			return -1;
		}
		o->want_versions = 1;
		return 0;
	case OPT_TX:
	case OPT_RX:
		if (bench_check_paths(c == OPT_TX ? BENCH_TX : BENCH_RX, arg))
			return -1;
		*(c == OPT_TX ? &o->tx_paths : &o->rx_paths) = arg;
		return 0;
	case 'C':
		if (bench_parse_conc(arg, o)) {
			fprintf(stderr, "ktls-bench: --concurrency wants up to 4 numbers from 1 to 64\n");
			return -1;
		}
		return 0;
	case OPT_KEYTYPE:
		if (strcmp(arg, "ecdsa") && strcmp(arg, "rsa")) {
			fprintf(stderr, "ktls-bench: --key-type wants ecdsa or rsa\n");
			return -1;
		}
		o->key_type = arg;
		return 0;
	case OPT_JSON:
		if (arg)
			o->json = arg;
		else
			o->json_stdout = 1;
		return 0;
	case OPT_CSV:
		if (arg)
			o->csv = arg;
		else
			o->csv_stdout = 1;
		return 0;
	}
	return 1;
}

/* What the options say together. */
static int options_check(struct bench_opts *o, unsigned int what)
{
	if (!o->cert != !o->key || !o->ecdsa_cert != !o->ecdsa_key ||
	    !o->rsa_cert != !o->rsa_key) {
		fprintf(stderr, "ktls-bench: each --*cert and its --*key go together\n");
		return -1;
	}
	if ((what & WHAT_RESUME) && !o->want_versions) {
		o->versions[0] = KTLS_VERSION_1_2;
		o->versions[1] = KTLS_VERSION_1_3;
		o->nversions = 2;
	}
	if (o->json_stdout + o->csv_stdout > 1) {
		fprintf(stderr, "ktls-bench: only one of --json and --csv can take stdout\n");
		return -1;
	}
	if (o->write_size > o->file_size) {
		fprintf(stderr, "ktls-bench: --write-size is larger than --file-size\n");
		return -1;
	}
	return 0;
}

/* The optional first word. */
static int options_command(int *argc, char ***argv, const char **cmd,
			   unsigned int *what)
{
	size_t i, n = sizeof(bench_commands) / sizeof(bench_commands[0]);

	*cmd = "all";
	*what = bench_commands[0].what;
	if (*argc < 2 || (*argv)[1][0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp((*argv)[1], bench_commands[i].name))
			break;
	if (i == n) {
		fprintf(stderr, "ktls-bench: unknown command '%s'\n", (*argv)[1]);
		bench_usage(stderr);
		return -1;
	}
	*cmd = bench_commands[i].name;
	*what = bench_commands[i].what;
	(*argv)++;
	(*argc)--;
	return 0;
}

int bench_options_parse(int argc, char **argv, struct bench_opts *o,
			const char **cmd, unsigned int *what)
{
	const char *tmp;
	int c, ret;

	*o = (struct bench_opts){
		.tx_paths = DEFAULT_TX, .rx_paths = DEFAULT_RX,
		.hs_impls = "libktls,gnutls",
		.write_size = 64 << 10, .file_size = 8 << 20,
		.duration = 1.0, .rounds = 5, .warmup = 1,
		.hs_duration = 1.0, .hs_max = 1000000,
		.concurrency = { 1, 8 }, .nconc = 2,
		.versions = { KTLS_VERSION_1_3 }, .nversions = 1,
		.peername = "localhost", .key_type = "ecdsa",
		.device = KTLS_TEST_DEVICE, .ours = "tlshd",
		.queue_depth = 4, .kernel_aead = 1,
		.rekey_every = 1 << 20,
	};
	if (options_command(&argc, &argv, cmd, what))
		return 2;
	while ((c = getopt_long(argc, argv, "c:V:w:f:d:b:r:C:qh", options_long,
				NULL)) != -1) {
		if (c == 'h') {
			bench_usage(stdout);
			return 0;
		}
		if (c == OPT_VERSION) {
			ktls_tools_print_version("ktls-bench");
			return 0;
		}
		if (c == 'w' || c == 'f' || c == 'b' || c == OPT_REKEY)
			ret = options_size(c, optarg, o);
		else if (!options_table(c, optarg, o))
			ret = 0;
		else if ((ret = options_number(c, optarg, o)) > 0)
			ret = options_choice(c, optarg, o);
		if (ret) {
			if (ret > 0)
				bench_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ktls-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (options_check(o, *what))
		return 2;
	tmp = getenv("TMPDIR");
	o->tmpdir = tmp && *tmp ? tmp : "/tmp";
	return -1;
}
