// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-load: many kernel handshake requests at once, through the test
 * consumer module (/dev/ktls_test). Connects COUNT sockets to HOST:PORT
 * first, then COUNT threads issue KTLS_TEST_IOC_HANDSHAKE at the same
 * moment (a barrier lets them go together); each then sends a line over
 * kTLS and expects it echoed back byte for byte.
 *
 *   hs-load --connect HOST:PORT --count N [--auth anon|x509|psk]
 *       [--peername NAME] [--timeout-ms N] [--peerid SERIAL] [--no-echo]
 *       [--device PATH]
 *
 * Prints the outcomes by status and a summary line:
 *   "count=N ok=N failed=N elapsed_ms=N rate=X/s submits_total=N
 *    submits_max=N"
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

#define LOAD_MAX	4096
#define LOAD_STACK	(128 * 1024)

struct load_req {
	pthread_t thread;
	int idx;
	int sock;
	int err;		/* ioctl's errno, 0: a done callback came */
	bool echo_ok;
	struct ktls_test_handshake hs;
};

static struct {
	const char *device;
	bool echo;
	int io_timeout_ms;
	pthread_barrier_t go;
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

static void *load_thread(void *arg)
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
	if (ioctl(dev, KTLS_TEST_IOC_HANDSHAKE, &r->hs))
		r->err = errno;
	close(dev);
	if (!r->err && !r->hs.status && load.echo)
		r->echo_ok = load_echo(r, r->idx);
	return NULL;
}

static void load_usage(void)
{
	fprintf(stderr,
		"usage: hs-load --connect HOST:PORT --count N [--auth anon|x509|psk]\n"
		"           [--peername NAME] [--timeout-ms N] [--peerid SERIAL]\n"
		"           [--no-echo] [--device PATH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'C' },
		{ "count", required_argument, NULL, 'n' },
		{ "auth", required_argument, NULL, 'A' },
		{ "peername", required_argument, NULL, 'N' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "peerid", required_argument, NULL, 'p' },
		{ "no-echo", no_argument, NULL, 'E' },
		{ "device", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct ktls_test_handshake tmpl = { .type = KTLS_TEST_TYPE_CLIENT,
					    .auth = KTLS_TEST_AUTH_ANON,
					    .timeout_ms = 60000 };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char host[256] = "", *port = NULL;
	unsigned long submits_total = 0, submits_max = 0;
	int count = 0, ok = 0, failed = 0, c, i, j, err;
	int by_status[4096] = { 0 }, by_errno[4096] = { 0 };
	struct load_req *reqs;
	pthread_attr_t attr;
	long long t0, ms;

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
			count = atoi(optarg);
			break;
		case 'A':
			if (!strcmp(optarg, "anon"))
				tmpl.auth = KTLS_TEST_AUTH_ANON;
			else if (!strcmp(optarg, "x509"))
				tmpl.auth = KTLS_TEST_AUTH_X509;
			else if (!strcmp(optarg, "psk"))
				tmpl.auth = KTLS_TEST_AUTH_PSK;
			else
				load_usage();
			break;
		case 'N':
			snprintf(tmpl.peername, sizeof(tmpl.peername), "%s",
				 optarg);
			break;
		case 't':
			tmpl.timeout_ms = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (tmpl.num_peerids == KTLS_TEST_MAX_PEERIDS)
				load_usage();
			tmpl.peerids[tmpl.num_peerids++] = atoi(optarg);
			break;
		case 'E':
			load.echo = false;
			break;
		case 'D':
			load.device = optarg;
			break;
		default:
			load_usage();
		}
	}
	if (optind != argc || !port || count < 1 || count > LOAD_MAX)
		load_usage();

	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "hs-load: %s:%s: %s\n", host, port,
			gai_strerror(err));
		return 1;
	}
	reqs = calloc(count, sizeof(*reqs));
	if (!reqs)
		return 1;
	for (i = 0; i < count; i++) {
		reqs[i].sock = load_connect(ai);
		if (reqs[i].sock < 0) {
			fprintf(stderr, "hs-load: connect %d of %d: %s\n",
				i + 1, count, strerror(errno));
			return 1;
		}
		reqs[i].idx = i;
		reqs[i].hs = tmpl;
		reqs[i].hs.fd = reqs[i].sock;
	}
	freeaddrinfo(ai);
	printf("connected %d sockets\n", count);
	fflush(stdout);

	pthread_barrier_init(&load.go, NULL, count + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOAD_STACK);
	for (i = 0; i < count; i++) {
		err = pthread_create(&reqs[i].thread, &attr, load_thread,
				     &reqs[i]);
		if (err) {
			fprintf(stderr, "hs-load: thread %d: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	t0 = load_now_ms();
	pthread_barrier_wait(&load.go);
	for (i = 0; i < count; i++)
		pthread_join(reqs[i].thread, NULL);
	ms = load_now_ms() - t0;

	for (i = 0; i < count; i++) {
		struct load_req *r = &reqs[i];

		submits_total += r->hs.submits;
		if (r->hs.submits > submits_max)
			submits_max = r->hs.submits;
		if (r->err)
			by_errno[r->err & 4095]++;
		else
			by_status[r->hs.status & 4095]++;
		if (!r->err && !r->hs.status && (!load.echo || r->echo_ok))
			ok++;
		else
			failed++;
		close(r->sock);
	}
	for (j = 0; j < 4096; j++) {
		if (by_status[j])
			printf("status=%s: %d\n", load_errname(j), by_status[j]);
		if (by_errno[j])
			printf("ioctl failed %s: %d\n", load_errname(j),
			       by_errno[j]);
	}
	if (load.echo)
		for (i = 0, j = 0; i < count; i++)
			j += !reqs[i].err && !reqs[i].hs.status &&
			     !reqs[i].echo_ok;
	else
		j = 0;
	if (j)
		printf("echo failed after a good handshake: %d\n", j);
	printf("count=%d ok=%d failed=%d elapsed_ms=%lld rate=%.1f/s submits_total=%lu submits_max=%lu\n",
	       count, ok, failed, ms, ms ? ok * 1000.0 / ms : 0.0,
	       submits_total, submits_max);
	free(reqs);
	return failed ? 1 : 0;
}
