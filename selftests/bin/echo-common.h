/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What echo-gnutls and echo-openssl share: options, sockets and the byte
 * pattern (i % 251, as ktls-peer uses) their streams are made of.
 *
 *   echo-X serve PORT [options]            echo server (--count K sessions)
 *   echo-X connect HOST PORT [options]     client for testing a server
 * options:
 *   --tls1.2 | --tls1.3       only this version
 *   --cipher NAME             aes128gcm aes256gcm chacha20 aes128ccm
 *   --cert F --key F          certificate and key (PEM)
 *   --ca F [--peername N]     client: verify the server against F
 *   --psk-identity ID --psk-key HEX
 *   --early-data-after-finished N
 *                             send N pattern bytes right after the
 *                             handshake, in the same write as our Finished
 *                             where the protocol allows
 *   --send-bytes N            client: then send N more pattern bytes ...
 *   --expect-echo             ... and check they all come back
 *   --expect-bytes N          client: first receive N pattern bytes
 *   --timeout MS              socket timeouts (default 30000)
 */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tcp-connect.h"

#define ECHO_CHUNK 16384

struct echo_opts {
	int server;
	const char *host, *port;
	int version;			/* 0: any, 12, 13 */
	const char *cipher;
	const char *cert, *key, *ca, *peername;
	const char *psk_id;
	unsigned char psk[64];
	size_t psk_len;
	long long early, send_bytes, expect_bytes;
	int expect_echo, count;
	unsigned int timeout_ms;
};

static inline unsigned char echo_pattern(unsigned long long i)
{
	return i % 251;
}

static inline void echo_fill(unsigned char *buf, size_t len,
			     unsigned long long off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = echo_pattern(off + i);
}

/* Index of the first byte that is not pattern from off, or len. */
static inline size_t echo_check(const unsigned char *buf, size_t len,
				unsigned long long off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != echo_pattern(off + i))
			return i;
	return len;
}

static inline void echo_usage(const char *prog)
{
	fprintf(stderr, "usage: %s serve PORT [options] | connect HOST PORT [options]\n"
		"(see selftests/bin/echo-common.h)\n", prog);
	exit(2);
}

static inline void echo_parse(struct echo_opts *o, int argc, char **argv)
{
	enum { O_TLS12 = 256, O_TLS13, O_CIPHER, O_CERT, O_KEY, O_CA,
	       O_PEERNAME, O_PSKID, O_PSKKEY, O_EARLY, O_SEND, O_ECHO,
	       O_EXPECT, O_COUNT, O_TIMEOUT };
	static const struct option lo[] = {
		{ "tls1.2", no_argument, NULL, O_TLS12 },
		{ "tls1.3", no_argument, NULL, O_TLS13 },
		{ "cipher", required_argument, NULL, O_CIPHER },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "ca", required_argument, NULL, O_CA },
		{ "peername", required_argument, NULL, O_PEERNAME },
		{ "psk-identity", required_argument, NULL, O_PSKID },
		{ "psk-key", required_argument, NULL, O_PSKKEY },
		{ "early-data-after-finished", required_argument, NULL, O_EARLY },
		{ "send-bytes", required_argument, NULL, O_SEND },
		{ "expect-echo", no_argument, NULL, O_ECHO },
		{ "expect-bytes", required_argument, NULL, O_EXPECT },
		{ "count", required_argument, NULL, O_COUNT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	const char *h;
	unsigned int b;
	int c, n;

	o->count = 1;
	o->timeout_ms = 30000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_TLS12: o->version = 12; break;
		case O_TLS13: o->version = 13; break;
		case O_CIPHER: o->cipher = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_CA: o->ca = optarg; break;
		case O_PEERNAME: o->peername = optarg; break;
		case O_PSKID: o->psk_id = optarg; break;
		case O_PSKKEY:
			for (h = optarg; h[0] && h[1]; h += 2) {
				if (o->psk_len == sizeof(o->psk) ||
				    sscanf(h, "%2x", &b) != 1)
					echo_usage(argv[0]);
				o->psk[o->psk_len++] = b;
			}
			break;
		case O_EARLY: o->early = atoll(optarg); break;
		case O_SEND: o->send_bytes = atoll(optarg); break;
		case O_ECHO: o->expect_echo = 1; break;
		case O_EXPECT: o->expect_bytes = atoll(optarg); break;
		case O_COUNT: o->count = atoi(optarg); break;
		case O_TIMEOUT: o->timeout_ms = atoi(optarg); break;
		default: echo_usage(argv[0]);
		}
	}
	n = argc - optind;
	if (n == 2 && !strcmp(argv[optind], "serve")) {
		o->server = 1;
		o->port = argv[optind + 1];
	} else if (n == 3 && !strcmp(argv[optind], "connect")) {
		o->host = argv[optind + 1];
		o->port = argv[optind + 2];
	} else {
		echo_usage(argv[0]);
	}
	if (!!o->psk_id != !!o->psk_len || !!o->cert != !!o->key ||
	    (o->server && !o->cert && !o->psk_id))
		echo_usage(argv[0]);
}

static inline void echo_timeouts(int fd, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Listen on 127.0.0.1:PORT and say so on stdout (tests wait for it). */
static inline int echo_listen(const struct echo_opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	sa.sin_port = htons(atoi(o->port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("listen");
		close(fd);
		return -1;
	}
	printf("listening on %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static inline int echo_accept(int lfd, const struct echo_opts *o)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		perror("accept");
	else
		echo_timeouts(fd, o->timeout_ms);
	return fd;
}

static inline int echo_connect(const struct echo_opts *o)
{
	int fd = tcp_connect("echo", o->host, o->port);

	if (fd >= 0)
		echo_timeouts(fd, o->timeout_ms);
	return fd;
}

/*
 * Writes we hold back so that the end of a handshake flight and the first
 * application bytes leave in one send().
 */
struct echo_hold {
	int fd;
	int holding;
	unsigned char *buf;
	size_t len, cap;
};

static inline ssize_t echo_hold_write(struct echo_hold *h, const void *p,
				      size_t n)
{
	if (!h->holding)
		return send(h->fd, p, n, MSG_NOSIGNAL);
	if (h->len + n > h->cap) {
		size_t cap = (h->len + n) * 2;
		unsigned char *nb = realloc(h->buf, cap);

		if (!nb) {
			errno = ENOMEM;
			return -1;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, p, n);
	h->len += n;
	return n;
}

static inline int echo_hold_flush(struct echo_hold *h)
{
	size_t off = 0;
	ssize_t n;

	h->holding = 0;
	while (off < h->len) {
		n = send(h->fd, h->buf + off, h->len - off, MSG_NOSIGNAL);
		if (n < 0)
			return -1;
		off += n;
	}
	printf("sent %zu bytes in one write\n", h->len);
	h->len = 0;
	return 0;
}

#endif /* ECHO_COMMON_H */
