// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-peer: a TLS client or one-shot server over libktls. After the
 * handshake the socket goes to the kernel, and every data byte moves
 * through kTLS (send / ktls_recv), never through GnuTLS.
 *
 *   ktls-peer connect HOST PORT [options]
 *   ktls-peer serve PORT [options]       (accepts one connection)
 *
 * Exit status: 0 on success, the errno of a failed handshake or offload
 * (EACCES 13, EOPNOTSUPP 95, ETIMEDOUT 110, ...), 1 for anything else.
 *
 * Data: --send-bytes and --expect-bytes use the byte pattern i % 251,
 * which echo-gnutls and echo-openssl also use for their own first bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ktls.h"
#include "tcp-connect.h"

struct peer_opts {
	int server;
	const char *host, *port, *bind_addr;
	uint16_t vmin, vmax;
	unsigned int ciphers;
	const char *ca, *crl, *cert, *key, *peername;
	const char *psk_id;
	unsigned char psk[64];
	size_t psk_len;
	int no_verify, verify_client, print_info, expect_echo;
	long long send_bytes, expect_bytes, echo_bytes;
	const char *request;
	unsigned int timeout_ms;
	unsigned int hold_ms;
	unsigned int offload_delay_ms;
	long long reply_bytes;
};

static int peer_text;

/* Binary i % 251; or, with --text, 63 letters and a newline per line. */
static unsigned char peer_pattern(unsigned long long i)
{
	if (peer_text)
		return i % 64 == 63 ? '\n' : 'a' + (i % 64) % 26;
	return i % 251;
}

static void peer_usage(void)
{
	fprintf(stderr,
		"usage: ktls-peer connect HOST PORT [options]\n"
		"       ktls-peer serve PORT [options]\n"
		"  --tls1.2 | --tls1.3        only this version\n"
		"  --cipher NAME[,NAME]       aes128gcm aes256gcm chacha20 aes128ccm\n"
		"  --ca FILE  --crl FILE      trust anchors, revocation list\n"
		"  --cert FILE --key FILE     our certificate and key\n"
		"  --psk-identity ID --psk-key HEX\n"
		"  --peername NAME            name to check (client default: HOST)\n"
		"  --no-verify                client: don't verify the server\n"
		"  --verify-client            server: require a client certificate\n"
		"  --send-bytes N             send N pattern bytes\n"
		"  --expect-echo              and expect them back, byte-exact\n"
		"  --text                     use lines of letters, not binary bytes\n"
		"  --expect-bytes N           first receive N pattern bytes\n"
		"  --request STRING           send STRING (\\r \\n escapes), print the reply\n"
		"  --reply-bytes N            the reply ends after N bytes (default: at EOF)\n"
		"  --echo-bytes N             server: close after echoing N bytes\n"
		"  --bind ADDR                server address (default 127.0.0.1)\n"
		"  --timeout MS               handshake and I/O timeout (default 30000)\n"
		"  --print-info               print what was negotiated\n"
		"  --hold MS                  keep the kTLS socket open MS ms after the I/O\n"
		"  --offload-delay MS         wait MS ms between handshake and offload (a\n"
		"                             slow client: the peer's verdict comes first)\n");
	exit(1);
}

static int peer_cipher_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} map[] = {
		{ "aes128gcm", KTLS_CIPHER_AES_128_GCM },
		{ "aes-128-gcm", KTLS_CIPHER_AES_128_GCM },
		{ "aes256gcm", KTLS_CIPHER_AES_256_GCM },
		{ "aes-256-gcm", KTLS_CIPHER_AES_256_GCM },
		{ "chacha20", KTLS_CIPHER_CHACHA20_POLY1305 },
		{ "chacha20-poly1305", KTLS_CIPHER_CHACHA20_POLY1305 },
		{ "aes128ccm", KTLS_CIPHER_AES_128_CCM },
		{ "aes-128-ccm", KTLS_CIPHER_AES_128_CCM },
		{ "all", KTLS_CIPHER_ALL },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(map[i].name, name))
			return map[i].bit;
	fprintf(stderr, "ktls-peer: unknown cipher '%s'\n", name);
	exit(1);
}

static unsigned int peer_ciphers(const char *list)
{
	char *dup = strdup(list), *tok, *save = NULL;
	unsigned int mask = 0;

	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		mask |= peer_cipher_bit(tok);
	free(dup);
	return mask;
}

static size_t peer_hex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	if (strlen(hex) % 2)
		goto bad;
	for (; hex[0] && hex[1]; hex += 2) {
		if (n == max || sscanf(hex, "%2x", &b) != 1)
			goto bad;
		out[n++] = b;
	}
	if (n)
		return n;
bad:
	fprintf(stderr, "ktls-peer: bad hex key\n");
	exit(1);
}

static char *peer_unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'r' ? '\r' : *s == 'n' ? '\n' :
			       *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*len = o - out;
	return out;
}

static void peer_parse(struct peer_opts *o, int argc, char **argv)
{
	enum { O_TLS12 = 256, O_TLS13, O_CIPHER, O_CA, O_CRL, O_CERT, O_KEY,
	       O_PSKID, O_PSKKEY, O_PEERNAME, O_NOVERIFY, O_VERIFYCLIENT,
	       O_SEND, O_ECHO, O_EXPECT, O_REQUEST, O_BIND, O_TIMEOUT,
	       O_INFO, O_TEXT, O_ECHOBYTES, O_HOLD, O_REPLYBYTES,
	       O_OFFLOAD_DELAY };
	static const struct option lo[] = {
		{ "tls1.2", no_argument, NULL, O_TLS12 },
		{ "tls1.3", no_argument, NULL, O_TLS13 },
		{ "cipher", required_argument, NULL, O_CIPHER },
		{ "ca", required_argument, NULL, O_CA },
		{ "crl", required_argument, NULL, O_CRL },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "psk-identity", required_argument, NULL, O_PSKID },
		{ "psk-key", required_argument, NULL, O_PSKKEY },
		{ "peername", required_argument, NULL, O_PEERNAME },
		{ "no-verify", no_argument, NULL, O_NOVERIFY },
		{ "verify-client", no_argument, NULL, O_VERIFYCLIENT },
		{ "send-bytes", required_argument, NULL, O_SEND },
		{ "expect-echo", no_argument, NULL, O_ECHO },
		{ "expect-bytes", required_argument, NULL, O_EXPECT },
		{ "request", required_argument, NULL, O_REQUEST },
		{ "bind", required_argument, NULL, O_BIND },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "print-info", no_argument, NULL, O_INFO },
		{ "text", no_argument, NULL, O_TEXT },
		{ "echo-bytes", required_argument, NULL, O_ECHOBYTES },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "offload-delay", required_argument, NULL, O_OFFLOAD_DELAY },
		{ "reply-bytes", required_argument, NULL, O_REPLYBYTES },
		{ NULL, 0, NULL, 0 },
	};
	int c, npos;

	o->vmin = KTLS_VERSION_1_2;
	o->vmax = KTLS_VERSION_1_3;
	o->ciphers = KTLS_CIPHER_ALL;
	o->bind_addr = "127.0.0.1";
	o->timeout_ms = 30000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_TLS12: o->vmin = o->vmax = KTLS_VERSION_1_2; break;
		case O_TLS13: o->vmin = o->vmax = KTLS_VERSION_1_3; break;
		case O_CIPHER: o->ciphers = peer_ciphers(optarg); break;
		case O_CA: o->ca = optarg; break;
		case O_CRL: o->crl = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_PSKID: o->psk_id = optarg; break;
		case O_PSKKEY:
			o->psk_len = peer_hex(optarg, o->psk, sizeof(o->psk));
			break;
		case O_PEERNAME: o->peername = optarg; break;
		case O_NOVERIFY: o->no_verify = 1; break;
		case O_VERIFYCLIENT: o->verify_client = 1; break;
		case O_SEND: o->send_bytes = atoll(optarg); break;
		case O_ECHO: o->expect_echo = 1; break;
		case O_EXPECT: o->expect_bytes = atoll(optarg); break;
		case O_REQUEST: o->request = optarg; break;
		case O_BIND: o->bind_addr = optarg; break;
		case O_TIMEOUT: o->timeout_ms = atoi(optarg); break;
		case O_INFO: o->print_info = 1; break;
		case O_TEXT: peer_text = 1; break;
		case O_ECHOBYTES: o->echo_bytes = atoll(optarg); break;
		case O_HOLD: o->hold_ms = atoi(optarg); break;
		case O_OFFLOAD_DELAY: o->offload_delay_ms = atoi(optarg); break;
		case O_REPLYBYTES: o->reply_bytes = atoll(optarg); break;
		default: peer_usage();
		}
	}
	npos = argc - optind;
	if (npos < 1)
		peer_usage();
	if (!strcmp(argv[optind], "connect") && npos == 3) {
		o->host = argv[optind + 1];
		o->port = argv[optind + 2];
	} else if (!strcmp(argv[optind], "serve") && npos == 2) {
		o->server = 1;
		o->port = argv[optind + 1];
	} else {
		peer_usage();
	}
	if (!!o->psk_id != !!o->psk_len || !!o->cert != !!o->key)
		peer_usage();
}

static int peer_fail(const char *what, int err, struct ktls_session *s)
{
	err = err < 0 ? -err : err;
	fprintf(stderr, "ktls-peer: %s failed: %s (%s)%s%s\n", what,
		strerror(err), strerrorname_np(err) ?: "?", s ? ": " : "",
		s ? ktls_session_error(s) : "");
	return err > 0 && err < 256 ? err : 1;
}

static int peer_connect(const struct peer_opts *o)
{
	return tcp_connect("ktls-peer", o->host, o->port);
}

static int peer_accept(const struct peer_opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int lfd, fd, one = 1;

	sa.sin_port = htons(atoi(o->port));
	if (inet_pton(AF_INET, o->bind_addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "ktls-peer: bad address %s\n", o->bind_addr);
		return -1;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
		fprintf(stderr, "ktls-peer: listen on %s: %s\n", o->port,
			strerror(errno));
		close(lfd);
		return -1;
	}
	printf("listening on %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "ktls-peer: accept: %s\n", strerror(errno));
	close(lfd);
	return fd;
}

static struct ktls_config *peer_config(const struct peer_opts *o)
{
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, o->server ? KTLS_ROLE_SERVER :
						KTLS_ROLE_CLIENT);
	if (ret)
		goto fail;
	ret = ktls_config_set_versions(cfg, o->vmin, o->vmax);
	if (!ret)
		ret = ktls_config_set_ciphers(cfg, o->ciphers);
	if (!ret && o->ca)
		ret = ktls_config_set_trust_file(cfg, o->ca);
	if (!ret && o->crl)
		ret = ktls_config_set_crl_file(cfg, o->crl);
	if (!ret && o->cert)
		ret = ktls_config_set_cert_files(cfg, o->cert, o->key);
	if (!ret && o->server && o->psk_id)
		ret = ktls_config_add_psk(cfg, o->psk_id, o->psk, o->psk_len);
	if (ret)
		goto fail;
	if (o->server)
		ktls_config_set_verify(cfg, o->verify_client ?
					    KTLS_VERIFY_REQUIRED :
					    KTLS_VERIFY_NONE);
	else if (o->no_verify || o->psk_id)
		ktls_config_set_verify(cfg, KTLS_VERIFY_NONE);
	return cfg;
fail:
	fprintf(stderr, "ktls-peer: configuration: %s\n", strerror(-ret));
	exit(1);
}

static const char *peer_version(uint16_t v)
{
	return v == KTLS_VERSION_1_3 ? "TLS1.3" :
	       v == KTLS_VERSION_1_2 ? "TLS1.2" : "?";
}

/* Wait for fd to become ready; 0 on timeout. */
static int peer_wait(int fd, short events, unsigned int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, ms);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

struct peer_io {
	int fd;
	unsigned int timeout_ms;
	unsigned long long sent, received;
	int got_eof;
};

/* Receive through kTLS; reports EOF in io->got_eof. */
static ssize_t peer_recv(struct peer_io *io, void *buf, size_t len)
{
	int alert = 0;
	ssize_t n;

	n = ktls_recv(io->fd, buf, len, MSG_DONTWAIT, &alert);
	if (n == -ECONNABORTED) {
		fprintf(stderr, "ktls-peer: peer sent fatal alert: %s\n",
			ktls_alert_name(alert));
		return n;
	}
	if (n == 0)
		io->got_eof = 1;
	if (n > 0)
		io->received += n;
	return n;
}

/* Receive exactly len pattern bytes starting at pattern offset off. */
static int peer_expect(struct peer_io *io, const void *pending,
		       size_t npending, unsigned long long len)
{
	unsigned char buf[16384];
	unsigned long long got = 0, i;
	const unsigned char *p = pending;
	ssize_t n;

	for (i = 0; i < npending && got < len; i++, got++) {
		if (p[i] != peer_pattern(got))
			goto mismatch;
	}
	while (got < len) {
		n = peer_recv(io, buf, len - got < sizeof(buf) ? len - got :
								 sizeof(buf));
		if (n == -EAGAIN) {
			if (peer_wait(io->fd, POLLIN, io->timeout_ms) <= 0) {
				fprintf(stderr, "ktls-peer: timed out after %llu of %llu bytes\n",
					got, len);
				return 1;
			}
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "ktls-peer: receive after %llu of %llu bytes: %s\n",
				got, len, n ? strerror(-n) : "end of stream");
			return 1;
		}
		for (i = 0; i < (unsigned long long)n; i++, got++)
			if (buf[i] != peer_pattern(got))
				goto mismatch;
	}
	return 0;
mismatch:
	fprintf(stderr, "ktls-peer: received byte %llu differs from the pattern\n",
		got);
	return 1;
}

/* Send len pattern bytes; with echo, check the same bytes come back. */
static int peer_send_echo(struct peer_io *io, unsigned long long len,
			  int echo)
{
	unsigned char out[16384], in[16384];
	unsigned long long sent = 0, back = 0, i;
	struct pollfd pfd = { .fd = io->fd };
	ssize_t n;
	size_t chunk;

	while (sent < len || (echo && back < len)) {
		pfd.events = (sent < len ? POLLOUT : 0) |
			     (echo && back < len ? POLLIN : 0);
		n = poll(&pfd, 1, io->timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "ktls-peer: timed out: sent %llu, echoed %llu of %llu\n",
				sent, back, len);
			return 1;
		}
		if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
			n = peer_recv(io, in, sizeof(in));
			if (n <= 0 && n != -EAGAIN) {
				fprintf(stderr, "ktls-peer: echo ended after %llu of %llu bytes: %s\n",
					back, len, n ? strerror(-n) : "end of stream");
				return 1;
			}
			for (i = 0; n > 0 && i < (unsigned long long)n; i++, back++)
				if (back >= len || in[i] != peer_pattern(back)) {
					fprintf(stderr, "ktls-peer: echoed byte %llu differs\n",
						back);
					return 1;
				}
		}
		if ((pfd.revents & POLLOUT) && sent < len) {
			chunk = len - sent < sizeof(out) ? len - sent : sizeof(out);
			for (i = 0; i < chunk; i++)
				out[i] = peer_pattern(sent + i);
			n = send(io->fd, out, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN) {
				fprintf(stderr, "ktls-peer: send: %s\n", strerror(errno));
				return 1;
			}
			if (n > 0) {
				sent += n;
				io->sent += n;
			}
		}
	}
	return 0;
}

static int peer_send_all(struct peer_io *io, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(io->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			if (peer_wait(io->fd, POLLOUT, io->timeout_ms) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
		io->sent += n;
	}
	return 0;
}

/* Print what arrives until the peer ends the stream, or limit bytes. */
static int peer_print_reply(struct peer_io *io, const void *pending,
			    size_t npending, long long limit)
{
	char buf[16384];
	long long total = npending;
	ssize_t n;

	fwrite(pending, 1, npending, stdout);
	for (;;) {
		if (limit > 0 && total >= limit)
			return 0;
		n = peer_recv(io, buf, limit > 0 && limit - total < (long long)sizeof(buf) ?
				       (size_t)(limit - total) : sizeof(buf));
		if (n == -EAGAIN) {
			if (peer_wait(io->fd, POLLIN, io->timeout_ms) <= 0)
				return 1;
			continue;
		}
		if (n <= 0)
			return n < 0 && n != -ECONNRESET;
		fwrite(buf, 1, n, stdout);
		total += n;
	}
}

/* Server: echo everything until the peer ends the stream (or limit). */
static int peer_echo(struct peer_io *io, const void *pending, size_t npending,
		     long long limit)
{
	char buf[16384];
	long long total = npending;
	ssize_t n;
	int ret;

	if (npending && peer_send_all(io, pending, npending))
		return 1;
	while (!limit || total < limit) {
		n = peer_recv(io, buf, sizeof(buf));
		if (n == -EAGAIN) {
			if (peer_wait(io->fd, POLLIN, io->timeout_ms) <= 0)
				return 1;
			continue;
		}
		if (n == 0)
			return 0;
		if (n < 0)
			return n != -ECONNRESET;
		ret = peer_send_all(io, buf, n);
		if (ret) {
			fprintf(stderr, "ktls-peer: echo send: %s\n", strerror(-ret));
			return 1;
		}
		total += n;
	}
	return 0;
}

/*
 * Close gracefully: a socket closed with unread bytes in its receive queue
 * (tickets nobody asked for, say) resets the connection and drops what we
 * sent but the peer has not read yet. So say we're done, then read until
 * the peer closes too.
 */
static void peer_linger(struct peer_io *io)
{
	char buf[16384];
	unsigned int waited = 0;
	ssize_t n;

	shutdown(io->fd, SHUT_WR);
	while (!io->got_eof && waited < io->timeout_ms && waited < 5000) {
		n = ktls_recv(io->fd, buf, sizeof(buf), MSG_DONTWAIT, NULL);
		if (n == -EAGAIN) {
			if (peer_wait(io->fd, POLLIN, 100) == 0)
				waited += 100;
			continue;
		}
		if (n <= 0)
			break;
	}
}

int main(int argc, char **argv)
{
	struct peer_opts o = { 0 };
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT();
	struct ktls_config *cfg;
	struct ktls_session *s = NULL;
	struct ktls_info info = KTLS_INFO_INIT();
	struct peer_io io = { 0 };
	const void *pending;
	size_t npending;
	int fd, ret, rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	peer_parse(&o, argc, argv);
	cfg = peer_config(&o);
	fd = o.server ? peer_accept(&o) : peer_connect(&o);
	if (fd < 0)
		goto out_cfg;

	if (!o.server) {
		so.peername = o.peername ? o.peername : o.host;
		if (o.psk_id) {
			so.psk_identity = o.psk_id;
			so.psk_key = o.psk;
			so.psk_key_len = o.psk_len;
		}
	}
	so.timeout_ms = o.timeout_ms;
	ret = ktls_session_new(&s, cfg, fd, &so);
	if (ret) {
		rc = peer_fail("session setup", ret, NULL);
		goto out_fd;
	}
	ret = ktls_session_handshake(s);
	if (ret) {
		rc = peer_fail("handshake", ret, s);
		goto out;
	}
	if (o.offload_delay_ms)
		usleep(o.offload_delay_ms * 1000u);
	ret = ktls_session_offload(s);
	if (ret) {
		rc = peer_fail("offload", ret, s);
		goto out;
	}
	npending = ktls_session_pending(s, &pending);
	io.received = npending;
	ktls_session_info(s, &info);
	if (o.print_info) {
		printf("version: %s\n", peer_version(info.version));
		printf("cipher: %s\n", ktls_cipher_name(info.cipher));
		printf("group: %s\n", info.group_name[0] ? info.group_name : "none");
		printf("kx: %s\n", info.kx_name);
		printf("peer: %s%s\n", info.peer_name,
		       info.peer_verified ? " (verified)" : "");
		printf("resumed: %s\n", info.resumed ? "yes" : "no");
		printf("pending: %zu\n", npending);
		printf("offload: kTLS TX+RX\n");
	}

	io.fd = fd;
	io.timeout_ms = o.timeout_ms;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (o.expect_bytes) {
		if (npending > (size_t)o.expect_bytes) {
			fprintf(stderr, "ktls-peer: %zu bytes before the handshake's end, expected %lld\n",
				npending, o.expect_bytes);
			goto out;
		}
		if (peer_expect(&io, pending, npending, o.expect_bytes))
			goto out;
		npending = 0;
	}
	if (o.server && o.send_bytes &&
	    peer_send_echo(&io, o.send_bytes, 0))
		goto out;
	if (o.server) {
		if (peer_echo(&io, pending, npending, o.echo_bytes))
			goto out;
	} else if (o.request) {
		size_t len;
		char *req = peer_unescape(o.request, &len);

		ret = peer_send_all(&io, req, len);
		free(req);
		if (ret || peer_print_reply(&io, pending, npending, o.reply_bytes))
			goto out;
	} else if (o.send_bytes) {
		if (npending && !o.expect_bytes) {
			fprintf(stderr, "ktls-peer: %zu unexpected bytes before the echo\n",
				npending);
			goto out;
		}
		if (peer_send_echo(&io, o.send_bytes, o.expect_echo))
			goto out;
	}
	if (o.hold_ms) {
		/* Lets a test look at the live socket (ss -tie). */
		printf("holding the socket for %u ms\n", o.hold_ms);
		fflush(stdout);
		usleep(o.hold_ms * 1000u);
	}
	if (!io.got_eof || o.server) {
		ret = ktls_close_notify(fd);
		if (ret && ret != -EPIPE && ret != -ECONNRESET)
			fprintf(stderr, "ktls-peer: close_notify: %s\n",
				strerror(-ret));
	}
	peer_linger(&io);
	printf("sent: %llu bytes\nreceived: %llu bytes\n", io.sent,
	       io.received);
	rc = 0;
out:
	ktls_session_free(s);
out_fd:
	close(fd);
out_cfg:
	ktls_config_put(cfg);
	return rc;
}
