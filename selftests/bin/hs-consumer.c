// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-consumer: hand a connected TCP socket to the kernel's TLS handshake
 * upcall through the ktls_test_consumer module (/dev/ktls_test), as NFS
 * or NVMe/TCP would, print the outcome, then talk over the same socket.
 * It has no TLS code of its own: after a successful handshake the kernel
 * encrypts, and only non-data records need care (libktls's ktls_recv).
 *
 *   hs-consumer (--connect HOST:PORT | --fd-from-listen PORT | --fd N)
 *       --type client|server --auth anon|x509|psk [--peername NAME]
 *       [--timeout-ms N] [--keyring SERIAL] [--cert SERIAL] [--key SERIAL]
 *       [--peerid SERIAL]... [--echo-bytes N | --request STR]
 *       [--expect-status ERRNAME] [--io-timeout-ms N] [--device PATH]
 *
 * Prints "status=<errno name or 0> peerid=<serial> elapsed_ms=<ms>
 * submits=<n> source=done|ioctl" (source ioctl: no done callback came, the
 * ioctl itself failed). SIGUSR1 interrupts the wait. Exits 0 iff the status
 * is the expected one (default 0) and any I/O asked for checked out.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ktls.h>
#include <linux/ktls_test_consumer.h>

#define IO_CHUNK 16384

struct opts {
	const char *connect;
	int listen_port;
	bool use_fd;
	int fd;
	const char *device;
	struct ktls_test_handshake hs;
	long long echo_bytes;
	const char *request;
	int expect;
	int io_timeout_ms;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: hs-consumer (--connect HOST:PORT | --fd-from-listen PORT | --fd N)\n"
		"           --type client|server --auth anon|x509|psk [--peername NAME]\n"
		"           [--timeout-ms N] [--keyring SERIAL] [--cert SERIAL] [--key SERIAL]\n"
		"           [--peerid SERIAL]... [--echo-bytes N | --request STR]\n"
		"           [--expect-status ERRNAME] [--io-timeout-ms N] [--device PATH]\n");
	exit(2);
}

static const char *errname(int e)
{
	const char *n;

	if (!e)
		return "0";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

static int parse_errno(const char *s)
{
	char *end;
	long v;
	int e;

	v = strtol(s, &end, 0);
	if (*s && !*end && v >= 0 && v < 4096)
		return v;
	for (e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, s))
			return e;
	}
	fprintf(stderr, "hs-consumer: unknown errno name \"%s\"\n", s);
	exit(2);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || !*s || *end || v < min || v > max) {
		fprintf(stderr, "hs-consumer: bad %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_sigusr1(int sig)
{
}

static int tcp_connect(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], *port;
	int fd = -1, err;

	snprintf(host, sizeof(host), "%s", hostport);
	port = strrchr(host, ':');
	if (!port) {
		fprintf(stderr, "hs-consumer: --connect wants HOST:PORT\n");
		exit(2);
	}
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "hs-consumer: %s: %s\n", hostport,
			gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	if (fd < 0)
		fprintf(stderr, "hs-consumer: connect %s: %s\n", hostport,
			strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Listen on PORT (0: any; the port is printed), accept one connection. */
static int tcp_accept_one(int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_ANY_INIT,
				     .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_ANY),
				   .sin_port = htons(port) };
	socklen_t len;
	int lfd, fd, one = 1, zero = 0;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd >= 0) {
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6))) {
			close(lfd);
			lfd = -1;
		}
	}
	if (lfd < 0) {
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0)
			goto err;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)))
			goto err;
	}
	if (listen(lfd, 1))
		goto err;
	len = sizeof(sin6);
	if (getsockname(lfd, (struct sockaddr *)&sin6, &len))
		goto err;
	/* Both families keep the port at the same offset. */
	printf("listening port=%u\n", ntohs(sin6.sin6_port));
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		goto err;
	close(lfd);
	return fd;
err:
	fprintf(stderr, "hs-consumer: listen on port %d: %s\n", port,
		strerror(errno));
	if (lfd >= 0)
		close(lfd);
	return -1;
}

/* xorshift64*: the same stream on both ends of the check. */
static uint8_t prng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint8_t)((*s * 0x2545f4914f6cdd1dULL) >> 56);
}

/*
 * As a kernel consumer should: a record that failed to decrypt or was too
 * large gets its alert (ktls_recv already answered an empty record).
 */
static void report_recv_error(int fd, ssize_t n, int alert)
{
	int a = n == -EBADMSG ? 20 : n == -EMSGSIZE ? 22 : 0;
	int ret;

	if (n == -ECONNABORTED)
		fprintf(stderr, "hs-consumer: peer sent fatal alert %d\n",
			alert);
	else
		fprintf(stderr, "hs-consumer: receive: %s\n", strerror(-n));
	if (a) {
		ret = ktls_send_alert(fd, 2, a);
		fprintf(stderr, "hs-consumer: sent alert %s: %s\n",
			ktls_alert_name(a), ret ? strerror(-ret) : "ok");
	}
}

/* Send N pseudo-random bytes, expect them back byte-exact. */
static int echo_check(int fd, long long total, int timeout_ms)
{
	uint64_t tx_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)total;
	uint64_t rx_state = tx_state;
	static uint8_t sbuf[IO_CHUNK], rbuf[IO_CHUNK];
	long long sent = 0, rcvd = 0;
	size_t slen = 0, soff = 0, i;
	struct pollfd pfd = { .fd = fd };
	ssize_t n;
	int alert;

	while (rcvd < total) {
		pfd.events = POLLIN | (sent < total ? POLLOUT : 0);
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hs-consumer: echo stalled: %lld sent, %lld back\n",
				sent, rcvd);
			return -1;
		}
		if ((pfd.revents & POLLOUT) && sent < total) {
			if (soff == slen) {
				slen = total - sent < IO_CHUNK ?
				       (size_t)(total - sent) : IO_CHUNK;
				for (i = 0; i < slen; i++)
					sbuf[i] = prng_next(&tx_state);
				soff = 0;
			}
			n = send(fd, sbuf + soff, slen - soff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN) {
				fprintf(stderr, "hs-consumer: send: %s\n",
					strerror(errno));
				return -1;
			}
			if (n > 0) {
				soff += n;
				sent += n;
			}
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = ktls_recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, &alert);
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			report_recv_error(fd, n, alert);
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "hs-consumer: peer closed after %lld of %lld bytes\n",
				rcvd, total);
			return -1;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (rbuf[i] != prng_next(&rx_state)) {
				fprintf(stderr, "hs-consumer: echo differs at byte %lld\n",
					rcvd + (long long)i);
				return -1;
			}
		}
		rcvd += n;
	}
	printf("echo bytes=%lld verified\n", rcvd);
	return 0;
}

/* C escapes \r \n \t \\ in --request, so a shell can pass an HTTP request. */
static size_t unescape(const char *in, char *out)
{
	size_t n = 0;

	for (; *in; in++) {
		if (*in != '\\' || !in[1]) {
			out[n++] = *in;
			continue;
		}
		switch (*++in) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		default:
			out[n++] = *in;
		}
	}
	return n;
}

/* Send the request, copy the answer to stdout until the peer ends it. */
static int request_response(int fd, const char *request, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	static char rbuf[IO_CHUNK];
	size_t len, off = 0;
	long long total = 0;
	char *req;
	ssize_t n;
	int alert;

	req = malloc(strlen(request) + 1);
	if (!req)
		return -1;
	len = unescape(request, req);
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			fprintf(stderr, "hs-consumer: send: %s\n",
				strerror(errno));
			free(req);
			return -1;
		}
		off += n;
	}
	free(req);
	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hs-consumer: no answer in %d ms\n",
				timeout_ms);
			return -1;
		}
		n = ktls_recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, &alert);
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			report_recv_error(fd, n, alert);
			return -1;
		}
		if (n == 0)
			break;
		fwrite(rbuf, 1, n, stdout);
		total += n;
	}
	fflush(stdout);
	fprintf(stderr, "hs-consumer: %lld bytes of answer\n", total);
	return total ? 0 : -1;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'C' },
		{ "fd-from-listen", required_argument, NULL, 'L' },
		{ "fd", required_argument, NULL, 'F' },
		{ "type", required_argument, NULL, 'T' },
		{ "auth", required_argument, NULL, 'A' },
		{ "peername", required_argument, NULL, 'N' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'K' },
		{ "peerid", required_argument, NULL, 'p' },
		{ "echo-bytes", required_argument, NULL, 'e' },
		{ "request", required_argument, NULL, 'r' },
		{ "expect-status", required_argument, NULL, 'x' },
		{ "io-timeout-ms", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct ktls_test_handshake *hs = &o->hs;
	int c, sources = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			o->connect = optarg;
			sources++;
			break;
		case 'L':
			o->listen_port = parse_num(optarg, 0, 65535, "port");
			sources++;
			break;
		case 'F':
			o->fd = parse_num(optarg, INT_MIN, INT_MAX, "fd");
			o->use_fd = true;
			sources++;
			break;
		case 'T':
			if (!strcmp(optarg, "client"))
				hs->type = KTLS_TEST_TYPE_CLIENT;
			else if (!strcmp(optarg, "server"))
				hs->type = KTLS_TEST_TYPE_SERVER;
			else
				usage();
			break;
		case 'A':
			if (!strcmp(optarg, "anon"))
				hs->auth = KTLS_TEST_AUTH_ANON;
			else if (!strcmp(optarg, "x509"))
				hs->auth = KTLS_TEST_AUTH_X509;
			else if (!strcmp(optarg, "psk"))
				hs->auth = KTLS_TEST_AUTH_PSK;
			else
				usage();
			break;
		case 'N':
			/*
			 * Copied as is, even unterminated when too long: the
			 * module's own check is what a test should meet.
			 */
			memcpy(hs->peername, optarg,
			       strnlen(optarg, sizeof(hs->peername)));
			break;
		case 't':
			hs->timeout_ms = parse_num(optarg, 0, UINT32_MAX,
						   "timeout");
			break;
		case 'k':
			hs->keyring = parse_num(optarg, INT32_MIN, INT32_MAX,
						"keyring serial");
			break;
		case 'c':
			hs->cert = parse_num(optarg, INT32_MIN, INT32_MAX,
					     "cert serial");
			break;
		case 'K':
			hs->privkey = parse_num(optarg, INT32_MIN, INT32_MAX,
						"key serial");
			break;
		case 'p':
			if (hs->num_peerids == KTLS_TEST_MAX_PEERIDS) {
				fprintf(stderr, "hs-consumer: at most %d --peerid\n",
					KTLS_TEST_MAX_PEERIDS);
				exit(2);
			}
			hs->peerids[hs->num_peerids++] =
				parse_num(optarg, INT32_MIN, INT32_MAX,
					  "peer id");
			break;
		case 'e':
			o->echo_bytes = parse_num(optarg, 0, LONG_MAX,
						  "byte count");
			break;
		case 'r':
			o->request = optarg;
			break;
		case 'x':
			o->expect = parse_errno(optarg);
			break;
		case 'i':
			o->io_timeout_ms = parse_num(optarg, 1, INT32_MAX,
						     "I/O timeout");
			break;
		case 'D':
			o->device = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || sources != 1 || !hs->type || !hs->auth ||
	    (o->echo_bytes && o->request))
		usage();
}

int main(int argc, char **argv)
{
	struct opts o = { .listen_port = -1, .fd = -1,
			  .device = KTLS_TEST_DEVICE, .io_timeout_ms = 30000 };
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	long long start, elapsed;
	int dev, fd, status, ret;
	bool ok;

	parse_args(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: the signal must reach the module's wait. */
	sigaction(SIGUSR1, &sa, NULL);

	dev = open(o.device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "hs-consumer: %s: %s (is ktls_test_consumer loaded?)\n",
			o.device, strerror(errno));
		return 1;
	}
	if (o.use_fd)
		fd = o.fd;	/* as given: bad ones test the module's checks */
	else if (o.connect)
		fd = tcp_connect(o.connect);
	else
		fd = tcp_accept_one(o.listen_port);
	if (fd < 0 && !o.use_fd)
		return 1;

	o.hs.fd = fd;
	start = now_ms();
	ret = ioctl(dev, KTLS_TEST_IOC_HANDSHAKE, &o.hs);
	status = ret ? errno : o.hs.status;
	elapsed = now_ms() - start;
	printf("status=%s peerid=%d elapsed_ms=%lld submits=%u source=%s\n",
	       errname(status), ret ? 0 : o.hs.peerid, elapsed,
	       ret ? 0 : o.hs.submits, ret ? "ioctl" : "done");
	close(dev);

	ok = status == o.expect;
	if (!ok)
		fprintf(stderr, "hs-consumer: expected status %s, got %s\n",
			errname(o.expect), errname(status));
	if (ok && !status && o.echo_bytes)
		ok = !echo_check(fd, o.echo_bytes, o.io_timeout_ms);
	if (ok && !status && o.request)
		ok = !request_response(fd, o.request, o.io_timeout_ms);
	/* After a fatal alert (ours or the peer's), no close_notify. */
	if (ok && !status && (o.echo_bytes || o.request))
		ktls_close_notify(fd);
	if (!o.use_fd)
		close(fd);
	return ok ? 0 : 1;
}
