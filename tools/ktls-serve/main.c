// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-serve: a static-file HTTPS/1.1 server on io_uring. The handshake is
 * libktls's; afterwards the kernel (kTLS) encrypts, and file bodies go from
 * the page cache to the socket by splice, never through user space.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "serve.h"
#include "files.h"
#include "../version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktls-serve [options]\n"
		"  --port N               TCP port (default 8443; 0: any free port)\n"
		"  --bind ADDR            listen on this address only (default: all)\n"
		"  --root DIR             document root (default: .)\n"
		"  --cert FILE --key FILE PEM certificate chain and key (not with --tls=off)\n"
		"  --tls=ktls|user|off    kTLS (default), GnuTLS in user space, or plain HTTP\n"
		"  --max-conns N          connections at once (default: sized for the machine)\n"
		"  --max-conns-per-client N  connections from one address (default: a quarter)\n"
		"  --idle-timeout S       keep-alive, request and send timeout (default 30)\n"
		"  --rekey-every MIB      TLS 1.3 KeyUpdate after each MIB sent (kTLS, kernels that rekey)\n"
		"  --handshake-timeout S  TLS handshake timeout (default 10)\n"
		"  --handshake-workers N  threads for handshakes (default: CPUs - 1, at least 1;\n"
		"                         0: on the data ring)\n"
		"  --handshake-nice N     workers' nice above the data thread (default 0;\n"
		"                         10: established connections get the CPU first)\n"
		"  --max-header BYTES     largest request head (default 8192)\n"
		"  --small-body BYTES     bodies up to this go out with the head (default 0: none)\n"
		"  --access-log FILE      a line per request, common log format (-: stdout)\n"
		"  --priority LIST        narrow TLS: TLS1.2, TLS1.3 and ciphers, ':'-separated\n"
		"  --quiet                log failures only, not every request\n"
		"  --debug                log every io_uring completion\n"
		"  --help\n");
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
	enum { O_PORT = 256, O_BIND, O_ROOT, O_CERT, O_KEY, O_TLS, O_MAXC,
	       O_MAXPC, O_IDLE, O_HS, O_HSW, O_HSNICE, O_MAXH, O_SMALL, O_REKEY, O_ACCESS, O_PRIO, O_QUIET,
	       O_DEBUG, O_HELP, O_VERSION };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "bind", required_argument, NULL, O_BIND },
		{ "root", required_argument, NULL, O_ROOT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "tls", required_argument, NULL, O_TLS },
		{ "max-conns", required_argument, NULL, O_MAXC },
		{ "max-conns-per-client", required_argument, NULL, O_MAXPC },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "handshake-timeout", required_argument, NULL, O_HS },
		{ "handshake-workers", required_argument, NULL, O_HSW },
		{ "handshake-nice", required_argument, NULL, O_HSNICE },
		{ "max-header", required_argument, NULL, O_MAXH },
		{ "small-body", required_argument, NULL, O_SMALL },
		{ "rekey-every", required_argument, NULL, O_REKEY },
		{ "access-log", required_argument, NULL, O_ACCESS },
		{ "priority", required_argument, NULL, O_PRIO },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int opt, hsw_set = 0;
	long cpus;

	o->tls = SERVE_TLS_KTLS;
	o->port = 8443;
	o->root = ".";
	o->idle_timeout = 30;
	o->handshake_timeout = 10;
	o->handshake_nice = 0;
	o->max_header = 8192;
	/*
	 * 0: measured slower than splicing (16 KiB, 8 connections, 6.12
	 * guest): see man/ktls-serve.1.
	 */
	o->small_body = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_PORT:
			if (parse_uint(optarg, 0, 65535, &o->port))
				goto bad;
			break;
		case O_BIND:
			o->bind = optarg;
			break;
		case O_ROOT:
			o->root = optarg;
			break;
		case O_CERT:
			o->cert = optarg;
			break;
		case O_KEY:
			o->key = optarg;
			break;
		case O_TLS:
			if (!strcmp(optarg, "ktls"))
				o->tls = SERVE_TLS_KTLS;
			else if (!strcmp(optarg, "user"))
				o->tls = SERVE_TLS_USER;
			else if (!strcmp(optarg, "off"))
				o->tls = SERVE_TLS_OFF;
			else
				goto bad;
			break;
		case O_MAXC:
			if (parse_uint(optarg, 1, 1000000, &o->max_conns))
				goto bad;
			break;
		case O_MAXPC:
			if (parse_uint(optarg, 1, 1000000, &o->max_per_client))
				goto bad;
			break;
		case O_SMALL:
			/* Each connection may hold this much: keep it modest. */
			if (parse_uint(optarg, 0, 1u << 20, &o->small_body))
				goto bad;
			break;
		case O_REKEY:
			if (parse_uint(optarg, 1, 1u << 20, &o->rekey_every))
				goto bad;
			break;
		case O_IDLE:
			if (parse_uint(optarg, 1, 86400, &o->idle_timeout))
				goto bad;
			break;
		case O_HS:
			if (parse_uint(optarg, 1, 3600, &o->handshake_timeout))
				goto bad;
			break;
		case O_HSW:
			if (parse_uint(optarg, 0, 256, &o->handshake_workers))
				goto bad;
			hsw_set = 1;
			break;
		case O_HSNICE:
			if (parse_uint(optarg, 0, 19, &o->handshake_nice))
				goto bad;
			break;
		case O_MAXH:
			if (parse_uint(optarg, 256, 1 << 20, &o->max_header))
				goto bad;
			break;
		case O_ACCESS:
			o->access_log = optarg;
			break;
		case O_PRIO:
			o->priority = optarg;
			break;
		case O_QUIET:
			o->quiet = 1;
			break;
		case O_DEBUG:
			o->debug = 1;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			ktls_tools_print_version("ktls-serve");
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ktls-serve: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (o->tls == SERVE_TLS_OFF && o->priority) {
		fprintf(stderr, "ktls-serve: --priority needs TLS (not --tls=off)\n");
		return -1;
	}
	if (o->tls != SERVE_TLS_OFF && (!o->cert || !o->key)) {
		fprintf(stderr, "ktls-serve: --cert and --key are needed (or --tls=off)\n");
		return -1;
	}
	if (o->tls == SERVE_TLS_OFF) {
		o->handshake_workers = 0;	/* no handshakes */
	} else if (!hsw_set) {
		/* The data thread keeps a CPU; the others sign. */
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		o->handshake_workers = cpus > 2 ? cpus - 1 : 1;
		if (o->handshake_workers > 256)
			o->handshake_workers = 256;
	}
	return 0;
bad:
	fprintf(stderr, "ktls-serve: bad value '%s' for --%s\n", optarg,
		longopts[opt - O_PORT].name);
	return -1;
}

static int setup_tls(struct server *s)
{
	int ret;

	if (s->opt.tls == SERVE_TLS_OFF)
		return 0;
	/* --tls=user: GnuTLS keeps the records, the kernel is not asked. */
	if (s->opt.tls == SERVE_TLS_KTLS && !ktls_kernel_ciphers()) {
		/* libktls offers only what kTLS can take, in both modes. */
		serve_log("this kernel has no kTLS (is the tls module loaded?): use --tls=user or --tls=off");
		return -ENOPROTOOPT;
	}
	ret = ktls_config_new(&s->cfg, KTLS_ROLE_SERVER);
	if (ret) {
		serve_log("TLS configuration: %s", serve_errname(ret));
		return ret;
	}
	ktls_config_set_user_records(s->cfg, s->opt.tls == SERVE_TLS_USER);
	if (s->opt.priority) {
		char err[256];

		ret = priority_apply(s->cfg, s->opt.priority,
				     s->opt.tls == SERVE_TLS_KTLS, err,
				     sizeof(err));
		if (ret) {
			serve_log("--priority %s: %s", s->opt.priority, err);
			return ret;
		}
	}
	ret = ktls_config_set_cert_files(s->cfg, s->opt.cert, s->opt.key);
	if (ret) {
		serve_log("cannot load certificate %s and key %s: %s",
			  s->opt.cert, s->opt.key,
			  ret == -ENOENT ? "file missing or unreadable" :
					   "not a PEM certificate and matching key");
		return ret;
	}
	return 0;
}

static int setup_signals(struct server *s)
{
	sigset_t set;

	/* A vanished client must be an EPIPE, also in io-wq workers. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* Blocking: a ring READ on it then waits instead of failing. */
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return s->sig_fd < 0 ? -errno : 0;
}

/* After the ring is gone: no completion will come for what was in flight. */
static void free_conns(struct server *s)
{
	while (s->conns) {
		s->conns->inflight = 0;
		s->conns->away = 0;	/* its worker is gone too */
		conn_free(s->conns);
	}
}

int main(int argc, char **argv)
{
	struct server s;
	int ret, rc = 1, ring_up = 0;

	memset(&s, 0, sizeof(s));
	s.listen_fd = s.sig_fd = s.root_fd = s.access_fd = -1;
	if (parse_opts(argc, argv, &s.opt))
		return 2;
	serve_log_init(s.opt.quiet, s.opt.debug);
	limits_init(&s.opt);

	s.root_fd = files_open_root(s.opt.root);
	if (s.root_fd < 0) {
		serve_log("--root %s: %s", s.opt.root, strerror(-s.root_fd));
		goto out;
	}
	if (s.opt.access_log) {
		ret = access_log_open(&s, s.opt.access_log);
		if (ret) {
			serve_log("--access-log %s: %s", s.opt.access_log,
				  strerror(-ret));
			goto out;
		}
	}
	if (setup_tls(&s) || setup_signals(&s))
		goto out;
	ret = ring_init(&s.ring, 512);
	if (ret) {
		serve_log("io_uring: %s", ret == -EOPNOTSUPP ?
			  "kernel too old (no IORING_FEAT_NODROP)" :
			  serve_errname(ret));
		goto out;
	}
	ring_up = 1;
	if (handshake_workers_start(&s))
		goto out;
	if (server_listen(&s))
		goto out;
	server_arm_signal(&s);
	server_arm_accept(&s);
	ret = server_run(&s);
	serve_log("exiting: %" PRIu64 " connections, %" PRIu64 " requests; sent %" PRIu64
		  " head bytes, %" PRIu64 " body bytes with the head, %" PRIu64
		  " body bytes by splice, %" PRIu64
		  " body bytes copied through user space; at the limits %" PRIu64
		  " idle connections closed, %" PRIu64 " clients turned away"
		  "; %" PRIu64 " handshakes, %" PRIu64 " of them on the data ring",
		  s.stats.conns, s.stats.requests, s.stats.head_bytes,
		  s.stats.body_small,
		  s.stats.body_spliced, s.stats.body_copied, s.stats.evicted,
		  s.stats.rejected, s.stats.handshakes,
		  s.stats.handshakes_inline);
	rc = ret ? 1 : 0;
out:
	/* Workers first: they may hold connections and use the data ring. */
	handshake_workers_exit(&s);
	/* Tearing the ring down first ends every op still in flight. */
	if (ring_up)
		io_uring_queue_exit(&s.ring);
	if (!s.workers_left)
		free_conns(&s);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	if (s.sig_fd >= 0)
		close(s.sig_fd);
	if (s.root_fd >= 0)
		close(s.root_fd);
	if (s.access_fd > STDERR_FILENO)
		close(s.access_fd);
	ktls_config_put(s.cfg);
	return rc;
}
