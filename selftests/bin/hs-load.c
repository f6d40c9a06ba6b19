// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-load: many kernel handshake requests through the test consumer
 * module (/dev/ktls_test). By default a burst: COUNT sockets connect to
 * HOST:PORT first, then COUNT threads issue KTLS_TEST_IOC_HANDSHAKE at
 * the same moment (a barrier lets them go together). With --concurrency C
 * a pool instead: C threads each connect, hand over and close one socket
 * after another until COUNT requests are done (C=1: strictly sequential).
 * Each request then sends a line over kTLS and expects it echoed back
 * byte for byte.
 *
 *   hs-load --connect HOST:PORT --count N [--concurrency C]
 *       [--auth anon|x509|psk] [--peername NAME] [--timeout-ms N]
 *       [--peerid SERIAL] [--no-echo] [--retry-undelivered] [--device PATH]
 *
 * --retry-undelivered submits again, with backoff, a request the kernel
 * refused with ESRCH because its notification reached no agent with room
 * (a full netlink buffer), as a consumer that reconnects would.
 *
 * Prints the outcomes by status and a summary line:
 *   "count=N ok=N failed=N elapsed_ms=N rate=X/s submits_total=N
 *    submits_max=N undelivered_retries=N"
 * Exits 0 iff every request completed with status 0 (and echoed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktls.h>
#include <linux/ktls_test_consumer.h>

#define LOAD_BURST_MAX	4096
#define LOAD_POOL_MAX	1000000
#define LOAD_STACK	(128 * 1024)
#define LOAD_RETRY_MIN_MS	1
#define LOAD_RETRY_MAX_MS	100

struct load_req {
	pthread_t thread;
	int idx;
	int sock;
	int err;		/* ioctl's errno, 0: a done callback came */
	unsigned int undelivered;	/* ESRCH refusals retried */
	bool echo_ok;
	struct ktls_test_handshake hs;
};

static struct {
	const char *device;
	bool echo;
	bool retry_undelivered;
	int io_timeout_ms;
	pthread_barrier_t go;
	/* Pool mode: the requests, and the index of the next one to run. */
	struct load_req *reqs;
	int count;
	int next;
	const struct addrinfo *ai;
	struct ktls_test_handshake tmpl;
	long long t0;		/* the clock starts with the first request */
} load = { .device = KTLS_TEST_DEVICE, .echo = true, .io_timeout_ms = 300000 };

static long long load_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static const char *load_errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "E?";
}

static int load_connect(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A line out, the same line back: the kTLS session carries data. */
static bool load_echo(struct load_req *r, int idx)
{
	struct pollfd pfd = { .fd = r->sock, .events = POLLIN };
	char out[64], in[64];
	size_t len, got = 0;
	ssize_t n;
	int alert;

	len = snprintf(out, sizeof(out), "hs-load request %d\n", idx);
	if (send(r->sock, out, len, MSG_NOSIGNAL) != (ssize_t)len)
		return false;
	while (got < len) {
		n = poll(&pfd, 1, load.io_timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		n = ktls_recv(r->sock, in + got, len - got, MSG_DONTWAIT,
			      &alert);
		if (n == -EAGAIN)
			continue;
		if (n <= 0)
			return false;
		got += n;
	}
	return !memcmp(in, out, len);
}

static void load_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One request on its connected socket: hand it over, then echo. */
static void load_run(struct load_req *r, int dev)
{
	unsigned int backoff = LOAD_RETRY_MIN_MS;
	long long deadline = load_now_ms() + r->hs.timeout_ms;

	for (;;) {
		r->err = 0;
		if (!ioctl(dev, KTLS_TEST_IOC_HANDSHAKE, &r->hs))
			break;
		r->err = errno;
		if (r->err != ESRCH || !load.retry_undelivered ||
		    load_now_ms() + backoff > deadline)
			break;
		r->undelivered++;
		load_sleep_ms(backoff);
		backoff = backoff * 2 > LOAD_RETRY_MAX_MS ? LOAD_RETRY_MAX_MS :
							  backoff * 2;
	}
	if (!r->err && !r->hs.status && load.echo)
		r->echo_ok = load_echo(r, r->idx);
}

static void *load_burst_thread(void *arg)
{
	struct load_req *r = arg;
	int dev;

	/* One open file each: nothing in the device is shared. */
	dev = open(load.device, O_RDWR | O_CLOEXEC);
	pthread_barrier_wait(&load.go);
	if (dev < 0) {
		r->err = errno;
		return NULL;
	}
	load_run(r, dev);
	close(dev);
	return NULL;
}

/* Pool mode: take the next request until none is left. */
static void *load_pool_thread(void *arg)
{
	int dev, i;

	(void)arg;
	dev = open(load.device, O_RDWR | O_CLOEXEC);
	while ((i = __atomic_fetch_add(&load.next, 1, __ATOMIC_RELAXED)) <
	       load.count) {
		struct load_req *r = &load.reqs[i];

		r->idx = i;
		r->hs = load.tmpl;
		if (dev < 0) {
			r->err = errno;
			continue;
		}
		r->sock = load_connect(load.ai);
		if (r->sock < 0) {
			r->err = errno;
			continue;
		}
		r->hs.fd = r->sock;
		load_run(r, dev);
		close(r->sock);
		r->sock = -1;
	}
	if (dev >= 0)
		close(dev);
	return NULL;
}

static void load_usage(void)
{
	fprintf(stderr,
		"usage: hs-load --connect HOST:PORT --count N [--concurrency C]\n"
		"           [--auth anon|x509|psk] [--peername NAME] [--timeout-ms N]\n"
		"           [--peerid SERIAL] [--no-echo] [--retry-undelivered]\n"
		"           [--device PATH]\n");
	exit(2);
}

/* The burst: every socket connected first, every request released at once. */
static int load_burst(void)
{
	pthread_attr_t attr;
	int i, err;

	for (i = 0; i < load.count; i++) {
		struct load_req *r = &load.reqs[i];

		r->sock = load_connect(load.ai);
		if (r->sock < 0) {
			fprintf(stderr, "hs-load: connect %d of %d: %s\n",
				i + 1, load.count, strerror(errno));
			return -1;
		}
		r->idx = i;
		r->hs = load.tmpl;
		r->hs.fd = r->sock;
	}
	printf("connected %d sockets\n", load.count);
	fflush(stdout);

	pthread_barrier_init(&load.go, NULL, load.count + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOAD_STACK);
	for (i = 0; i < load.count; i++) {
		err = pthread_create(&load.reqs[i].thread, &attr,
				     load_burst_thread, &load.reqs[i]);
		if (err) {
			fprintf(stderr, "hs-load: thread %d: %s\n", i,
				strerror(err));
			return -1;
		}
	}
	load.t0 = load_now_ms();
	pthread_barrier_wait(&load.go);
	for (i = 0; i < load.count; i++) {
		pthread_join(load.reqs[i].thread, NULL);
		close(load.reqs[i].sock);
	}
	return 0;
}

static int load_pool(int workers)
{
	pthread_t *threads = calloc(workers, sizeof(*threads));
	pthread_attr_t attr;
	int i, n, err;

	if (!threads)
		return -1;
	load.t0 = load_now_ms();
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOAD_STACK);
	for (n = 0; n < workers; n++) {
		err = pthread_create(&threads[n], &attr, load_pool_thread,
				     NULL);
		if (err) {
			fprintf(stderr, "hs-load: thread %d: %s\n", n,
				strerror(err));
			break;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return n == workers ? 0 : -1;
}

/* Outcomes by status, and the summary line. Returns the failures. */
static int load_report(long long ms)
{
	unsigned long submits_total = 0, submits_max = 0, undelivered = 0;
	int by_status[4096] = { 0 }, by_errno[4096] = { 0 };
	int ok = 0, failed = 0, echo_failed = 0, i;

	for (i = 0; i < load.count; i++) {
		struct load_req *r = &load.reqs[i];
		bool good = !r->err && !r->hs.status;

		submits_total += r->hs.submits;
		if (r->hs.submits > submits_max)
			submits_max = r->hs.submits;
		undelivered += r->undelivered;
		if (r->err)
			by_errno[r->err & 4095]++;
		else
			by_status[r->hs.status & 4095]++;
		if (good && load.echo && !r->echo_ok)
			echo_failed++;
		if (good && (!load.echo || r->echo_ok))
			ok++;
		else
			failed++;
	}
	for (i = 0; i < 4096; i++) {
		if (by_status[i])
			printf("status=%s: %d\n", load_errname(i), by_status[i]);
		if (by_errno[i])
			printf("ioctl failed %s: %d\n", load_errname(i),
			       by_errno[i]);
	}
	if (echo_failed)
		printf("echo failed after a good handshake: %d\n", echo_failed);
	printf("count=%d ok=%d failed=%d elapsed_ms=%lld rate=%.1f/s submits_total=%lu submits_max=%lu undelivered_retries=%lu\n",
	       load.count, ok, failed, ms, ms ? ok * 1000.0 / ms : 0.0,
	       submits_total, submits_max, undelivered);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'C' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "auth", required_argument, NULL, 'A' },
		{ "peername", required_argument, NULL, 'N' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "peerid", required_argument, NULL, 'p' },
		{ "no-echo", no_argument, NULL, 'E' },
		{ "retry-undelivered", no_argument, NULL, 'R' },
		{ "device", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct ktls_test_handshake *tmpl = &load.tmpl;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char host[256] = "", *port = NULL;
	int workers = 0, c, err, failed;
	long long ms;

	tmpl->type = KTLS_TEST_TYPE_CLIENT;
	tmpl->auth = KTLS_TEST_AUTH_ANON;
	tmpl->timeout_ms = 60000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			snprintf(host, sizeof(host), "%s", optarg);
			port = strrchr(host, ':');
			if (!port)
				load_usage();
			*port++ = '\0';
			break;
		case 'n':
			load.count = atoi(optarg);
			break;
		case 'c':
			workers = atoi(optarg);
			if (workers < 1)
				load_usage();
			break;
		case 'A':
			if (!strcmp(optarg, "anon"))
				tmpl->auth = KTLS_TEST_AUTH_ANON;
			else if (!strcmp(optarg, "x509"))
				tmpl->auth = KTLS_TEST_AUTH_X509;
			else if (!strcmp(optarg, "psk"))
				tmpl->auth = KTLS_TEST_AUTH_PSK;
			else
				load_usage();
			break;
		case 'N':
			snprintf(tmpl->peername, sizeof(tmpl->peername), "%s",
				 optarg);
			break;
		case 't':
			tmpl->timeout_ms = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (tmpl->num_peerids == KTLS_TEST_MAX_PEERIDS)
				load_usage();
			tmpl->peerids[tmpl->num_peerids++] = atoi(optarg);
			break;
		case 'E':
			load.echo = false;
			break;
		case 'R':
			load.retry_undelivered = true;
			break;
		case 'D':
			load.device = optarg;
			break;
		default:
			load_usage();
		}
	}
	if (workers >= load.count)
		workers = 0;
	if (optind != argc || !port || load.count < 1 ||
	    load.count > (workers ? LOAD_POOL_MAX : LOAD_BURST_MAX))
		load_usage();

	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "hs-load: %s:%s: %s\n", host, port,
			gai_strerror(err));
		return 1;
	}
	load.ai = ai;
	load.reqs = calloc(load.count, sizeof(*load.reqs));
	if (!load.reqs)
		return 1;
	if (workers ? load_pool(workers) : load_burst())
		return 1;
	ms = load_now_ms() - load.t0;
	freeaddrinfo(ai);
	failed = load_report(ms);
	free(load.reqs);
	return failed ? 1 : 0;
}
