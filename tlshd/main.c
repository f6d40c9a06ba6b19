// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlshd: performs TLS handshakes the kernel asks for (net/handshake) and
 * hands the sessions to kTLS.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <gnutls/gnutls.h>
#include <netlink/netlink.h>

#include <ktls.h>

#include "config.h"
#include "creds.h"
#include "keyring.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "privs.h"

#define TLSHD_VERSION "0.1.0"
#define TLSHD_MAX_WORKERS 64
#define TLSHD_MAX_FLIGHTS 1024	/* per worker; then back-pressure */

struct tlshd_opts {
	const char *config;
	const char *ready_file;
	int to_stderr;
	int workers;
};

static void tlshd_usage(FILE *f)
{
	fprintf(f,
		"Usage: tlshd [OPTIONS]\n"
		"Perform TLS handshakes for the kernel and hand sessions to kTLS.\n"
		"\n"
		"  -c, --config FILE      configuration file (default " TLSHD_CONFIG_DEFAULT ")\n"
		"  -s, --stderr           log to stderr instead of syslog\n"
		"  -w, --workers N        worker threads (default: one per CPU)\n"
		"      --ready-file PATH  create PATH once ready for requests\n"
		"  -v, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n");
}

static int tlshd_parse_args(int argc, char **argv, struct tlshd_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "stderr", no_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "c:sw:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->to_stderr = 1;
			break;
		case 'w':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > TLSHD_MAX_WORKERS) {
				fprintf(stderr, "tlshd: --workers wants 1 to %d, got '%s'\n",
					TLSHD_MAX_WORKERS, optarg);
				return 2;
			}
			o->workers = n;
			break;
		case 'R':
			o->ready_file = optarg;
			break;
		case 'v':
			printf("tlshd " TLSHD_VERSION " (GnuTLS %s)\n",
			       gnutls_check_version(NULL));
			return 0;
		case 'h':
			tlshd_usage(stdout);
			return 0;
		default:
			tlshd_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlshd: unexpected argument '%s'\n", argv[optind]);
		tlshd_usage(stderr);
		return 2;
	}
	return -1;
}

static void tlshd_config_log(enum tlshd_config_severity sev, const char *msg,
			     void *ctx)
{
	if (sev == TLSHD_CONFIG_ERROR)
		tlshd_err("%s", msg);
	else
		tlshd_warn("%s", msg);
}

static void tlshd_gnutls_log(int level, const char *msg)
{
	size_t n = strlen(msg);

	while (n && msg[n - 1] == '\n')
		n--;
	tlshd_debug("gnutls[%d]: %.*s", level, (int)n, msg);
}

static void tlshd_apply_debug(const struct tlshd_config *cfg)
{
	if (cfg->loglevel > 0 || cfg->tls_debug > 0)
		tlshd_log_set_level(LOG_DEBUG);
	if (cfg->tls_debug > 0) {
		gnutls_global_set_log_function(tlshd_gnutls_log);
		gnutls_global_set_log_level(cfg->tls_debug);
	}
	nl_debug = cfg->nl_debug;
}

static void tlshd_link_keyrings(const struct tlshd_config *cfg,
				struct tlshd_creds *creds)
{
	unsigned int i;
	long ret;

	for (i = 0; i < cfg->nkeyrings; i++) {
		ret = tlshd_keyring_link_name(cfg->keyrings[i]);
		if (ret < 0) {
			tlshd_warn("[authenticate] keyrings: cannot link keyring '%s': %s",
				   cfg->keyrings[i], strerror(-ret));
			continue;
		}
		tlshd_debug("linked keyring '%s' (%ld)", cfg->keyrings[i], ret);
		if (creds->nkeyrings == TLSHD_CREDS_MAX_KEYRINGS) {
			tlshd_warn("[authenticate] keyrings: more than %d; '%s' is not searched for PSKs",
				   TLSHD_CREDS_MAX_KEYRINGS, cfg->keyrings[i]);
			continue;
		}
		creds->keyrings[creds->nkeyrings++] = ret;
	}
}

/* Each in-flight handshake holds an fd: allow as many as the hard limit. */
static void tlshd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Ask the kernel which ciphers kTLS takes now, not in the first handshake:
 * the probe makes the kernel build (and self-test) its AEADs, which can
 * take seconds on a slow machine and would eat that request's timeout.
 */
static void tlshd_probe_kernel(char *buf, size_t len)
{
	unsigned int mask = ktls_kernel_ciphers(), bit;
	size_t pos = 0;

	buf[0] = '\0';
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1)
		if ((mask & bit) && pos < len)
			pos += snprintf(buf + pos, len - pos, "%s%s",
					pos ? " " : "", ktls_cipher_name(bit));
	if (!mask) {
		snprintf(buf, len, "none");
		tlshd_warn("the kernel's kTLS takes no cipher (is the tls module loaded?): every handshake will fail");
	}
}

static void *tlshd_worker(void *arg)
{
	tlshd_loop_run(arg);
	return NULL;
}

static int tlshd_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > TLSHD_MAX_WORKERS ? TLSHD_MAX_WORKERS : n;
}

int main(int argc, char **argv)
{
	struct tlshd_opts o = { .config = NULL };
	struct tlshd_config cfg;
	struct tlshd_creds creds;
	struct tlshd_loop *loops = NULL;
	pthread_t *threads = NULL;
	int nloops = 0, nthreads = 0;
	char err[512], ciphers[128];
	sigset_t sigs;
	uint64_t one = 1;
	int stop_fd = -1, ret, sig, i, status = 1;

	ret = tlshd_parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	tlshd_log_open("tlshd", o.to_stderr);
	if (!o.workers)
		o.workers = tlshd_default_workers();

	tlshd_config_init(&cfg);
	ret = tlshd_config_load(&cfg, o.config ? o.config : TLSHD_CONFIG_DEFAULT,
				!o.config, tlshd_config_log, NULL);
	if (ret) {
		tlshd_err("the configuration has errors; not starting");
		goto out_config;
	}
	tlshd_apply_debug(&cfg);

	tlshd_raise_nofile();
	/* Signals go to sigwaitinfo() below, not to any worker. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	ret = tlshd_creds_load(&creds, &cfg, err, sizeof(err));
	if (ret) {
		tlshd_err("%s", err);
		goto out_config;
	}
	tlshd_link_keyrings(&cfg, &creds);
	tlshd_probe_kernel(ciphers, sizeof(ciphers));

	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loops = calloc(o.workers, sizeof(*loops));
	threads = calloc(o.workers, sizeof(*threads));
	if (stop_fd < 0 || !loops || !threads) {
		tlshd_err("cannot set up workers: %s", strerror(errno));
		goto out_creds;
	}
	for (nloops = 0; nloops < o.workers; nloops++) {
		ret = tlshd_loop_init(&loops[nloops], nloops, &creds, stop_fd,
				      TLSHD_MAX_FLIGHTS, err, sizeof(err));
		if (ret) {
			tlshd_err("%s", err);
			goto out_loops;
		}
	}
	/* Everything is open and loaded: from here on, CAP_NET_ADMIN only. */
	ret = tlshd_privs_drop();
	if (ret)
		tlshd_warn("cannot drop privileges: %s", strerror(-ret));
	for (nthreads = 0; nthreads < nloops; nthreads++) {
		ret = pthread_create(&threads[nthreads], NULL, tlshd_worker,
				     &loops[nthreads]);
		if (ret) {
			tlshd_err("cannot start a worker thread: %s",
				  strerror(ret));
			goto out_stop;
		}
	}

	/* Every worker has joined the group: requests reach us from now on. */
	if (o.ready_file) {
		ret = tlshd_notify_ready_file(o.ready_file);
		if (ret) {
			tlshd_err("--ready-file %s: %s", o.ready_file,
				  strerror(-ret));
			goto out_stop;
		}
	}
	ret = tlshd_notify_systemd("READY=1");
	if (ret)
		tlshd_warn("sd_notify: %s", strerror(-ret));
	tlshd_notice("tlshd " TLSHD_VERSION " ready: %d worker%s, kTLS ciphers %s, client trust %s%s%s",
		     nloops, nloops == 1 ? "" : "s", ciphers,
		     cfg.client.truststore ? cfg.client.truststore : "system store",
		     cfg.client.certificate ? ", client certificate" : "",
		     cfg.server.certificate ? ", server certificate" : "");

	for (;;) {
		sig = sigwaitinfo(&sigs, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	tlshd_notice("signal %d (%s): exiting", sig, strsignal(sig));
	tlshd_notify_systemd("STOPPING=1");
	status = 0;

out_stop:
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		tlshd_err("cannot stop the workers: %s", strerror(errno));
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
out_loops:
	for (i = 0; i < nloops; i++)
		tlshd_loop_destroy(&loops[i]);
	if (o.ready_file && status == 0)
		unlink(o.ready_file);
out_creds:
	free(loops);
	free(threads);
	if (stop_fd >= 0)
		close(stop_fd);
	tlshd_creds_free(&creds);
out_config:
	tlshd_config_free(&cfg);
	tlshd_log_close();
	return status;
}
