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
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/resource.h>

#include <gnutls/gnutls.h>
#include <netlink/netlink.h>

#include <ktls.h>

#include "config.h"
#include "creds.h"
#include "daemon.h"
#include "keyring.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "watchdog.h"
#include "privs.h"
#include "status.h"
#include "../tools/version.h"

#define TLSHD_VERSION KTLS_TOOLS_VERSION
#define TLSHD_MAX_FLIGHTS 1024	/* per worker by default; then back-pressure */

struct tlshd_opts {
	const char *config;
	const char *ready_file;
	const char *status_socket;
	int to_stderr;
	int workers;
	int check_config;
	int strict;
	int status;
};

static void tlshd_usage(FILE *f)
{
	fprintf(f,
		"Usage: tlshd [OPTIONS]\n"
		"Perform TLS handshakes for the kernel and hand sessions to kTLS.\n"
		"\n"
		"  -c, --config FILE      configuration file (default " TLSHD_CONFIG_DEFAULT ",\n"
		"                         else " TLSHD_CONFIG_LEGACY ")\n"
		"  -s, --stderr           log to stderr as well as to the system log\n"
		"  -w, --workers N        worker threads (default: [tlshd] workers, else one per CPU)\n"
		"      --ready-file PATH  create PATH once ready for requests\n"
		"      --check-config     check the configuration and its credentials, then exit:\n"
		"                         0 if there are at most warnings, 1 on errors\n"
		"      --strict           with --check-config: warnings are errors too\n"
		"      --status           print the running daemon's status line and exit\n"
		"      --status-socket PATH  where the daemon answers --status\n"
		"                         (default " TLSHD_STATUS_SOCKET ")\n"
		"  -v, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"SIGHUP and SIGUSR1 reload the configuration; a bad one is refused and the\n"
		"old kept. --status prints handshakes in flight, GnuTLS sessions open,\n"
		"heap in use, handshakes ok and failed since the start, the session cache.\n");
}

/* Every key the parser accepts, "section key" per line (doc checks). */
static void tlshd_list_keys(void)
{
	const char *section, *name;
	unsigned int i;

	for (i = 0; tlshd_config_key_at(i, &section, &name) == 0; i++)
		printf("%s %s\n", section, name);
}

static int tlshd_parse_args(int argc, char **argv, struct tlshd_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "stderr", no_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "strict", no_argument, NULL, 'S' },
		{ "status", no_argument, NULL, 'Q' },
		{ "status-socket", required_argument, NULL, 'P' },
		{ "list-config-keys", no_argument, NULL, 'K' },
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
			if (errno || *end || end == optarg || n < 1 ||
			    n > TLSHD_CONFIG_MAX_WORKERS) {
				fprintf(stderr, "tlshd: --workers wants 1 to %d, got '%s'\n",
					TLSHD_CONFIG_MAX_WORKERS, optarg);
				return 2;
			}
			o->workers = n;
			break;
		case 'R':
			o->ready_file = optarg;
			break;
		case 'C':
			o->check_config = 1;
			break;
		case 'S':
			o->strict = 1;
			break;
		case 'Q':
			o->status = 1;
			break;
		case 'P':
			o->status_socket = optarg;
			break;
		case 'K':
			tlshd_list_keys();
			return 0;
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
	if (o->strict && !o->check_config) {
		fprintf(stderr, "tlshd: --strict goes with --check-config\n");
		return 2;
	}
	if (!o->status_socket)
		o->status_socket = TLSHD_STATUS_SOCKET;
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

	/* GnuTLS's level 9 ("hard" log) prints keys and secrets in hex. */
	if (level == 9)
		return;
	while (n && msg[n - 1] == '\n')
		n--;
	tlshd_debug("gnutls[%d]: %.*s", level, (int)n, msg);
}

static void tlshd_apply_debug(const struct tlshd_config *cfg)
{
	tlshd_log_set_level(cfg->loglevel > 0 || cfg->tls_debug > 0 ?
			    LOG_DEBUG : LOG_INFO);
	if (cfg->tls_debug > 0) {
		gnutls_global_set_log_function(tlshd_gnutls_log);
		gnutls_global_set_log_level(cfg->tls_debug);
	}
	nl_debug = cfg->nl_debug;
}

/*
 * The kernel's consumers keep their keys in these keyrings; ktls-utils
 * links each that exists, and so do we, with no configuration.
 */
static const char *const tlshd_default_keyrings[] = { ".nvme", ".nfs", ".nfsd" };

static void tlshd_add_keyring(struct tlshd_creds *creds, const char *name,
			      long serial)
{
	unsigned int i;

	for (i = 0; i < creds->nkeyrings; i++)
		if (creds->keyrings[i] == (uint32_t)serial)
			return;
	if (creds->nkeyrings == TLSHD_CREDS_MAX_KEYRINGS) {
		tlshd_warn("[authenticate] keyrings: more than %d; '%s' is not searched for PSKs",
			   TLSHD_CREDS_MAX_KEYRINGS, name);
		return;
	}
	creds->keyrings[creds->nkeyrings++] = serial;
}

static void tlshd_link_keyrings(const struct tlshd_config *cfg,
				struct tlshd_creds *creds)
{
	unsigned int i;
	long ret;

	for (i = 0; i < sizeof(tlshd_default_keyrings) /
			sizeof(tlshd_default_keyrings[0]); i++) {
		ret = tlshd_keyring_link_name(tlshd_default_keyrings[i]);
		if (ret == -ENOKEY)
			continue;	/* that consumer is not loaded */
		if (ret < 0) {
			tlshd_warn("cannot link the kernel's '%s' keyring: %s",
				   tlshd_default_keyrings[i], strerror(-ret));
			continue;
		}
		tlshd_debug("linked keyring '%s' (%ld)",
			    tlshd_default_keyrings[i], ret);
		tlshd_add_keyring(creds, tlshd_default_keyrings[i], ret);
	}
	for (i = 0; i < cfg->nkeyrings; i++) {
		ret = tlshd_keyring_link_name(cfg->keyrings[i]);
		if (ret < 0) {
			tlshd_warn("[authenticate] keyrings: cannot link keyring '%s': %s",
				   cfg->keyrings[i], strerror(-ret));
			continue;
		}
		tlshd_debug("linked keyring '%s' (%ld)", cfg->keyrings[i], ret);
		tlshd_add_keyring(creds, cfg->keyrings[i], ret);
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
	return n > TLSHD_CONFIG_MAX_WORKERS ? TLSHD_CONFIG_MAX_WORKERS : n;
}

/* ktls-utils session tags: the kernel has no way to use them yet. */
static void tlshd_note_tags(const char *config)
{
	char dir[4096];
	const char *slash;
	struct stat st;

	if (stat(TLSHD_TAGS_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		tlshd_notice("%s: session tags are not used (the kernel side does not exist yet); ignored",
			     TLSHD_TAGS_DIR);
	/* And beside a file given with -c, as a packaged tree would have it. */
	slash = config ? strrchr(config, '/') : NULL;
	if (!slash)
		return;
	snprintf(dir, sizeof(dir), "%.*s/tags.d", (int)(slash - config),
		 config);
	if (strcmp(dir, TLSHD_TAGS_DIR) && stat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		tlshd_notice("%s: session tags are not used (the kernel side does not exist yet); ignored",
			     dir);
}

/*
 * Read the configuration and load every credential it names. path NULL:
 * the default file, else the legacy one, else built-in defaults. Errors
 * are logged; returns 0 with *cfgp and *credsp (heap) set, or -1.
 */
static int tlshd_load(const char *path, struct tlshd_config **cfgp,
		      struct tlshd_creds **credsp, const char **used,
		      int checking)
{
	struct tlshd_config *cfg;
	struct tlshd_creds *creds;
	char err[512];
	int ret;

	if (!path) {
		path = tlshd_config_pick(TLSHD_CONFIG_DEFAULT,
					 TLSHD_CONFIG_LEGACY);
		if (path && !strcmp(path, TLSHD_CONFIG_LEGACY) &&
		    access(TLSHD_CONFIG_DEFAULT, F_OK) == 0)
			tlshd_warn("reading the legacy %s, which takes precedence over %s (as in ktls-utils): merge them and remove %s",
				   TLSHD_CONFIG_LEGACY, TLSHD_CONFIG_DEFAULT,
				   TLSHD_CONFIG_LEGACY);
		else if (path && !strcmp(path, TLSHD_CONFIG_LEGACY))
			tlshd_notice("reading the legacy %s: %s does not exist",
				     TLSHD_CONFIG_LEGACY, TLSHD_CONFIG_DEFAULT);
	}
	*used = path;
	cfg = calloc(1, sizeof(*cfg));
	creds = calloc(1, sizeof(*creds));
	if (!cfg || !creds) {
		tlshd_err("out of memory loading the configuration");
		goto fail;
	}
	tlshd_config_init(cfg);
	if (path) {
		ret = tlshd_config_load(cfg, path, 0, tlshd_config_log, NULL);
		if (ret)
			goto fail_cfg;
	}
	ret = tlshd_creds_load(creds, cfg, err, sizeof(err));
	if (ret) {
		tlshd_err("%s", err);
		goto fail_cfg;
	}
	tlshd_creds_check_lifetimes(cfg, checking);
	*cfgp = cfg;
	*credsp = creds;
	return 0;
fail_cfg:
	tlshd_config_free(cfg);
fail:
	free(cfg);
	free(creds);
	return -1;
}

/*
 * --check-config: errors (the daemon would refuse the file, or a
 * certificate is expired or not yet valid) exit 1; warnings (unknown
 * keys, tolerated values, credentials that cannot be loaded, expiring
 * certificates) exit 0, or 1 with --strict.
 */
static int tlshd_check_config(const char *path, int strict)
{
	struct tlshd_config *cfg;
	struct tlshd_creds *creds;
	unsigned long warnings, errors;
	const char *used, *name;
	int failed;

	tlshd_log_open("tlshd", TLSHD_LOG_STDERR);
	tlshd_log_reset_counts();
	failed = tlshd_load(path, &cfg, &creds, &used, 1);
	name = used ? used : "built-in defaults";
	if (!failed) {
		tlshd_note_tags(used);
		tlshd_creds_free(creds);
		free(creds);
		tlshd_config_free(cfg);
		free(cfg);
	}
	tlshd_log_counts(&warnings, &errors);
	tlshd_log_close();
	if (failed || errors) {
		fprintf(stderr, "%s: has errors (%lu error%s, %lu warning%s)\n",
			name, errors, errors == 1 ? "" : "s", warnings,
			warnings == 1 ? "" : "s");
		return 1;
	}
	if (warnings) {
		printf("%s: ok with %lu warning%s%s\n", name, warnings,
		       warnings == 1 ? "" : "s",
		       strict ? " (fatal with --strict)" : "");
		return strict ? 1 : 0;
	}
	if (used)
		printf("%s: ok\n", used);
	else
		printf("%s: ok (no configuration file; built-in defaults)\n",
		       TLSHD_CONFIG_DEFAULT);
	return 0;
}

/* --status: the running daemon's status line on stdout. */
static int tlshd_query_status(const char *path)
{
	char line[512];
	int ret;

	ret = tlshd_status_query(path, line, sizeof(line));
	if (ret) {
		fprintf(stderr, "tlshd: no daemon answers on %s: %s\n", path,
			strerror(-ret));
		return 1;
	}
	fputs(line, stdout);
	return 0;
}

static void tlshd_note_ciphers(const struct tlshd_config *cfg)
{
	if (cfg->ciphers && !(cfg->ciphers & ktls_kernel_ciphers()))
		tlshd_warn("[tlshd] ciphers: none of them is one the kernel's kTLS takes: every handshake will fail");
}

/*
 * SIGHUP, SIGUSR1: swap in the new configuration only if it parses.
 * Credentials that still cannot be loaded are warned about again, and
 * fail only the handshakes that need them.
 */
static void tlshd_reload(struct tlshd_daemon *d, const struct tlshd_opts *o,
			 const struct tlshd_config *running, int sig)
{
	struct tlshd_config *cfg;
	struct tlshd_creds *creds;
	const char *used;

	tlshd_notice("SIG%s: reloading the configuration",
		     sig == SIGUSR1 ? "USR1" : "HUP");
	if (tlshd_load(o->config, &cfg, &creds, &used, 0)) {
		tlshd_err("reload of %s failed: keeping the previous configuration",
			  used ? used : "built-in defaults");
		return;
	}
	if (cfg->workers != running->workers ||
	    cfg->max_inflight != running->max_inflight)
		tlshd_warn("[tlshd] workers and max_inflight take effect at the next start");
	tlshd_apply_debug(cfg);
	tlshd_link_keyrings(cfg, creds);
	tlshd_note_tags(used);
	tlshd_note_ciphers(cfg);
	if (tlshd_daemon_publish(d, cfg, creds)) {
		tlshd_err("reload of %s: out of memory: keeping the previous configuration",
			  used ? used : "built-in defaults");
		tlshd_creds_free(creds);
		free(creds);
		tlshd_config_free(cfg);
		free(cfg);
		return;
	}
	tlshd_notice("reloaded the configuration from %s; new handshakes use it (the client session cache starts empty)",
		     used ? used : "built-in defaults");
}

/* Signals go to a signalfd of the main thread, not to any worker. */
static int tlshd_signals_take(void)
{
	sigset_t sigs;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	return signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct tlshd_workers {
	struct tlshd_loop *loops;
	pthread_t *threads;
	int nloops;
	int nthreads;
};

/*
 * Set up count worker loops, drop privileges (everything is open and
 * loaded by then) and start a thread per loop. Returns 0, or -1 with the
 * cause logged; tlshd_workers_stop() undoes either.
 */
static int tlshd_workers_start(struct tlshd_workers *w, struct tlshd_daemon *d,
			       int count, int flights)
{
	char err[512];
	int ret;

	w->loops = calloc(count, sizeof(*w->loops));
	w->threads = calloc(count, sizeof(*w->threads));
	if (!w->loops || !w->threads) {
		tlshd_err("cannot set up workers: %s", strerror(errno));
		return -1;
	}
	for (w->nloops = 0; w->nloops < count; w->nloops++) {
		ret = tlshd_loop_init(&w->loops[w->nloops], d, w->nloops,
				      flights, err, sizeof(err));
		if (ret) {
			tlshd_err("%s", err);
			return -1;
		}
	}
	/* From here on, CAP_NET_ADMIN only. */
	ret = tlshd_privs_drop();
	if (ret == -EPERM) {
		tlshd_err("tlshd needs CAP_NET_ADMIN (the handshake family's ACCEPT and DONE require it): run it as root or give it CAP_NET_ADMIN as an ambient capability");
		return -1;
	}
	if (ret)
		tlshd_warn("cannot drop privileges: %s", strerror(-ret));
	ret = tlshd_watchdog_init(&d->watchdog, w->nloops);
	if (ret < 0)
		tlshd_warn("WATCHDOG_USEC=%s: not a usable interval; no watchdog",
			   getenv("WATCHDOG_USEC"));
	else if (ret > 0)
		tlshd_info("watchdog: keep-alive every %d ms while all %d workers turn",
			   ret, w->nloops);
	for (w->nthreads = 0; w->nthreads < w->nloops; w->nthreads++) {
		ret = pthread_create(&w->threads[w->nthreads], NULL,
				     tlshd_worker, &w->loops[w->nthreads]);
		if (ret) {
			tlshd_err("cannot start a worker thread: %s",
				  strerror(ret));
			return -1;
		}
	}
	return 0;
}

/* In-flight handshakes end (EIO to their consumers), threads are joined. */
static void tlshd_workers_stop(struct tlshd_workers *w, struct tlshd_daemon *d)
{
	uint64_t one = 1;
	int i;

	if (w->nthreads &&
	    write(d->stop_fd, &one, sizeof(one)) != sizeof(one))
		tlshd_err("cannot stop the workers: %s", strerror(errno));
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	for (i = 0; i < w->nloops; i++)
		tlshd_loop_destroy(&w->loops[i]);
	free(w->loops);
	free(w->threads);
	memset(w, 0, sizeof(*w));
}

/*
 * The main thread's work once the workers run: answer --status and take
 * signals (a reload on SIGHUP and SIGUSR1). Returns the signal that ends
 * it, or 0 on a poll failure.
 */
static int tlshd_serve(struct tlshd_daemon *d, const struct tlshd_opts *o,
		       const struct tlshd_config *start_cfg, int sig_fd,
		       int status_fd)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = status_fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int sig;

		if (poll(pfd, status_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			tlshd_err("poll: %s", strerror(errno));
			return 0;
		}
		if (pfd[1].revents & POLLIN)
			tlshd_status_answer(d, status_fd);
		if (!(pfd[0].revents & POLLIN) ||
		    read(sig_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		sig = si.ssi_signo;
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig == SIGHUP || sig == SIGUSR1) {
			tlshd_notify_systemd("RELOADING=1");
			tlshd_reload(d, o, start_cfg, sig);
			tlshd_notify_systemd("READY=1");
		}
	}
}

/* Every worker has joined the group: requests reach us from now on. */
static int tlshd_announce_ready(const struct tlshd_opts *o,
				const struct tlshd_config *cfg, int workers,
				int flights, const char *ciphers)
{
	int ret;

	if (o->ready_file) {
		ret = tlshd_notify_ready_file(o->ready_file);
		if (ret) {
			tlshd_err("--ready-file %s: %s", o->ready_file,
				  strerror(-ret));
			return -1;
		}
	}
	ret = tlshd_notify_systemd("READY=1");
	if (ret)
		tlshd_warn("sd_notify: %s", strerror(-ret));
	tlshd_notice("tlshd " TLSHD_VERSION " ready: %d worker%s, %d handshakes each, kTLS ciphers %s, client trust %s%s%s",
		     workers, workers == 1 ? "" : "s", flights, ciphers,
		     cfg->client.truststore ? cfg->client.truststore : "system store",
		     cfg->client.certificate ? ", client certificate" : "",
		     cfg->server.certificate ? ", server certificate" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct tlshd_opts o = { .config = NULL };
	struct tlshd_daemon d = { .stop_fd = -1, .kick_fd = -1 };
	struct tlshd_workers w = { 0 };
	struct tlshd_config *cfg = NULL, start_cfg;
	struct tlshd_creds *creds = NULL;
	int workers, flights, sig_fd = -1, status_fd = -1, ret, sig;
	char err[512], ciphers[128];
	const char *used;
	int status = 1;

	ret = tlshd_parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.status)
		return tlshd_query_status(o.status_socket);
	if (o.check_config)
		return tlshd_check_config(o.config, o.strict);
	tlshd_log_open("tlshd", TLSHD_LOG_SYSTEM |
				(o.to_stderr ? TLSHD_LOG_STDERR : 0));

	if (tlshd_load(o.config, &cfg, &creds, &used, 0)) {
		tlshd_err("the configuration has errors; not starting");
		goto out_log;
	}
	if (used)
		tlshd_notice("configuration: %s", used);
	else
		tlshd_notice("no configuration file (%s, %s): built-in defaults",
			     TLSHD_CONFIG_DEFAULT, TLSHD_CONFIG_LEGACY);
	tlshd_apply_debug(cfg);
	tlshd_note_tags(used);
	/* -w wins over [tlshd] workers. */
	workers = o.workers ? o.workers :
		  cfg->workers ? cfg->workers : tlshd_default_workers();
	flights = cfg->max_inflight ? cfg->max_inflight : TLSHD_MAX_FLIGHTS;
	/* What a reload compares against (the pointers are not kept). */
	start_cfg = *cfg;
	tlshd_raise_nofile();
	sig_fd = tlshd_signals_take();
	if (sig_fd < 0) {
		tlshd_err("signalfd: %s", strerror(errno));
		goto out_cfg;
	}

	/* The READY socket first: no handshake family, no daemon. */
	ret = tlshd_daemon_init(&d, err, sizeof(err));
	if (ret) {
		tlshd_err("%s", err);
		goto out_cfg;
	}
	tlshd_link_keyrings(cfg, creds);
	tlshd_probe_kernel(ciphers, sizeof(ciphers));
	tlshd_note_ciphers(cfg);
	if (tlshd_daemon_publish(&d, cfg, creds)) {
		tlshd_err("out of memory for the resumption state");
		goto out_cfg;
	}
	/* Before privileges go: /run may need root to write. */
	status_fd = tlshd_status_listen(o.status_socket);
	if (status_fd < 0)
		tlshd_warn("status socket %s: %s; tlshd --status will not reach this daemon",
			   o.status_socket, strerror(-status_fd));

	if (!tlshd_workers_start(&w, &d, workers, flights) &&
	    !tlshd_announce_ready(&o, cfg, w.nloops, flights, ciphers)) {
		sig = tlshd_serve(&d, &o, &start_cfg, sig_fd, status_fd);
		if (sig)
			tlshd_notice("signal %d (%s): exiting", sig,
				     strsignal(sig));
		tlshd_notify_systemd("STOPPING=1");
		status = 0;
	}
	tlshd_workers_stop(&w, &d);
	if (o.ready_file && status == 0)
		unlink(o.ready_file);
	if (status_fd >= 0) {
		close(status_fd);
		unlink(o.status_socket);
	}
	close(sig_fd);
	/*
	 * Frees the live configuration, and wipes the session cache and the
	 * ticket key, with the last reference.
	 */
	tlshd_daemon_destroy(&d);
	goto out_log;
out_cfg:
	if (sig_fd >= 0)
		close(sig_fd);
	tlshd_daemon_destroy(&d);
	tlshd_creds_free(creds);
	free(creds);
	tlshd_config_free(cfg);
	free(cfg);
out_log:
	tlshd_log_close();
	return status;
}
