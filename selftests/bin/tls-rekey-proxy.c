// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls-rekey-proxy: a TLS 1.3 server (GnuTLS, user space) in front of a
 * plain TCP service, that sends one KeyUpdate, once, on the first
 * connection that has sent a given number of bytes to its client: the peer
 * that the kernel's NFS server and NVMe target never are. It shows what a
 * kernel consumer does when its peer updates its keys.
 *
 *   tls-rekey-proxy LISTEN_PORT BACKEND_PORT AFTER_BYTES --x509 CERT KEY
 *   tls-rekey-proxy LISTEN_PORT BACKEND_PORT AFTER_BYTES --psk FILE
 *
 * --psk: FILE holds the raw PSK, taken for any identity (an NVMe/TCP
 * retained PSK is the TLS PSK as it is).
 *
 * Listens on 127.0.0.1:LISTEN_PORT; each connection (a child process) is
 * relayed to 127.0.0.1:BACKEND_PORT. An RPC-with-TLS client first sends,
 * in clear, a NULL call with an AUTH_TLS credential (RFC 9289, 4.1): the
 * proxy answers it with the STARTTLS verifier itself, since the backend
 * (nfsd, exporting without xprtsec=) then sees a plain TCP client.
 * Prints, line by line: "listening", "conn N: handshake ok",
 * "conn N: KeyUpdate sent after B bytes", "conn N: ended after B bytes to
 * the client, C from it: WHY".
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <gnutls/gnutls.h>

#include "tcp-connect.h"

#define PROXY_BUF 16384

struct proxy_conn {
	int n;			/* connection number, from 1 */
	int client, backend;
	gnutls_session_t gs;
	unsigned long long to_client, from_client, rekey_after;
	int *rekeyed;		/* shared by every connection's process */
};

struct proxy_creds {
	gnutls_certificate_credentials_t x509;
	gnutls_psk_server_credentials_t psk;
	gnutls_datum_t key;
};

static struct proxy_creds proxy_creds;

static int proxy_listen(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* All of len bytes, or -1. */
static int proxy_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/*
 * A first byte with the RPC record mark's last-fragment bit (a TLS record
 * starts with a content type below 0x80): the AUTH_TLS probe. Read the
 * call, check it is one, and answer MSG_ACCEPTED, SUCCESS with an
 * AUTH_NONE verifier holding "STARTTLS". 0: no probe or answered.
 */
static int proxy_starttls(struct proxy_conn *c)
{
	uint32_t mark, len, call[8], reply[9];
	unsigned char first, rest[1024];

	if (recv(c->client, &first, 1, MSG_PEEK) != 1 || !(first & 0x80))
		return 0;
	if (proxy_read_full(c->client, &mark, 4))
		return -1;
	len = ntohl(mark) & 0x7fffffff;
	if (len < sizeof(call) || len > sizeof(call) + sizeof(rest) ||
	    proxy_read_full(c->client, call, sizeof(call)) ||
	    proxy_read_full(c->client, rest, len - sizeof(call)))
		return -1;
	/* xid, CALL, RPC 2, prog, vers, proc, cred flavor AUTH_TLS (7) */
	if (ntohl(call[1]) != 0 || ntohl(call[2]) != 2 || ntohl(call[6]) != 7)
		return -1;
	reply[0] = htonl(0x80000000u | 32);
	reply[1] = call[0];
	reply[2] = htonl(1);		/* REPLY */
	reply[3] = htonl(0);		/* MSG_ACCEPTED */
	reply[4] = htonl(0);		/* verifier AUTH_NONE */
	reply[5] = htonl(8);
	memcpy(&reply[6], "STARTTLS", 8);
	reply[8] = htonl(0);		/* SUCCESS */
	if (write(c->client, reply, sizeof(reply)) != sizeof(reply))
		return -1;
	printf("conn %d: AUTH_TLS probe answered STARTTLS\n", c->n);
	return 0;
}

/* Client to backend: one record's plaintext. 0 at the client's EOF. */
static int proxy_from_client(struct proxy_conn *c, char *buf, const char **why)
{
	ssize_t n = gnutls_record_recv(c->gs, buf, PROXY_BUF), w;

	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return 1;
	if (n < 0) {
		*why = gnutls_strerror(n);
		return -1;
	}
	if (!n) {
		*why = "close_notify or EOF from the client";
		return 0;
	}
	c->from_client += n;
	for (w = 0; w < n;) {
		ssize_t k = write(c->backend, buf + w, n - w);

		if (k <= 0) {
			*why = "backend write failed";
			return -1;
		}
		w += k;
	}
	return 1;
}

/* Backend to client, with the one KeyUpdate once AFTER bytes went out. */
static int proxy_to_client(struct proxy_conn *c, char *buf, const char **why)
{
	ssize_t n = read(c->backend, buf, PROXY_BUF), w, k;
	int ret;

	if (n <= 0) {
		*why = n ? "backend read failed" : "EOF from the backend";
		return n ? -1 : 0;
	}
	for (w = 0; w < n; w += k) {
		k = gnutls_record_send(c->gs, buf + w, n - w);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) {
			k = 0;
			continue;
		}
		if (k < 0) {
			*why = gnutls_strerror(k);
			return -1;
		}
	}
	c->to_client += n;
	if (c->to_client >= c->rekey_after &&
	    !__atomic_exchange_n(c->rekeyed, 1, __ATOMIC_SEQ_CST)) {
		ret = gnutls_session_key_update(c->gs, 0);
		if (ret < 0) {
			*why = gnutls_strerror(ret);
			return -1;
		}
		printf("conn %d: KeyUpdate sent after %llu bytes\n", c->n,
		       c->to_client);
	}
	return 1;
}

static void proxy_relay(struct proxy_conn *c)
{
	static char buf[PROXY_BUF];
	const char *why = "?";
	struct pollfd p[2] = {
		{ .fd = c->client, .events = POLLIN },
		{ .fd = c->backend, .events = POLLIN },
	};
	int ret = 1;

	while (ret > 0) {
		/* GnuTLS may hold decrypted bytes the socket no longer shows. */
		if (!gnutls_record_check_pending(c->gs) &&
		    poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (gnutls_record_check_pending(c->gs) ||
		    (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			ret = proxy_from_client(c, buf, &why);
		else if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			ret = proxy_to_client(c, buf, &why);
	}
	printf("conn %d: ended after %llu bytes to the client, %llu from it: %s\n",
	       c->n, c->to_client, c->from_client, why);
}

/* Any identity gets the one key. */
static int proxy_psk_key(gnutls_session_t gs, const char *identity,
			 gnutls_datum_t *key)
{
	key->data = gnutls_malloc(proxy_creds.key.size);
	if (!key->data)
		return -1;
	memcpy(key->data, proxy_creds.key.data, proxy_creds.key.size);
	key->size = proxy_creds.key.size;
	return 0;
}

static int proxy_creds_load(int argc, char **argv)
{
	int ret;

	if (argc == 7 && !strcmp(argv[4], "--x509")) {
		if (gnutls_certificate_allocate_credentials(&proxy_creds.x509) < 0)
			return -1;
		ret = gnutls_certificate_set_x509_key_file(proxy_creds.x509,
							   argv[5], argv[6],
							   GNUTLS_X509_FMT_PEM);
	} else if (argc == 6 && !strcmp(argv[4], "--psk")) {
		if (gnutls_psk_allocate_server_credentials(&proxy_creds.psk) < 0)
			return -1;
		gnutls_psk_set_server_credentials_function(proxy_creds.psk,
							   proxy_psk_key);
		ret = gnutls_load_file(argv[5], &proxy_creds.key);
	} else {
		fprintf(stderr, "usage: tls-rekey-proxy LISTEN_PORT BACKEND_PORT AFTER_BYTES (--x509 CERT KEY | --psk FILE)\n");
		return -1;
	}
	if (ret < 0)
		fprintf(stderr, "tls-rekey-proxy: %s: %s\n", argv[5],
			gnutls_strerror(ret));
	return ret < 0 ? -1 : 0;
}

static int proxy_session(struct proxy_conn *c)
{
	const char *prio = proxy_creds.psk ?
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+ECDHE-PSK:+DHE-PSK" :
		"NORMAL:-VERS-ALL:+VERS-TLS1.3";

	if (gnutls_init(&c->gs, GNUTLS_SERVER) < 0 ||
	    gnutls_priority_set_direct(c->gs, prio, NULL) < 0)
		return -1;
	if (proxy_creds.psk)
		return gnutls_credentials_set(c->gs, GNUTLS_CRD_PSK,
					      proxy_creds.psk) < 0 ? -1 : 0;
	return gnutls_credentials_set(c->gs, GNUTLS_CRD_CERTIFICATE,
				      proxy_creds.x509) < 0 ? -1 : 0;
}

static int proxy_serve(struct proxy_conn *c, const char *backend_port)
{
	int ret;

	if (proxy_starttls(c)) {
		printf("conn %d: not an AUTH_TLS probe nor a TLS client\n", c->n);
		return 1;
	}
	if (proxy_session(c))
		return 1;
	gnutls_transport_set_int(c->gs, c->client);
	gnutls_handshake_set_timeout(c->gs, 30000);
	do {
		ret = gnutls_handshake(c->gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		printf("conn %d: handshake failed: %s\n", c->n,
		       gnutls_strerror(ret));
		return 1;
	}
	printf("conn %d: handshake ok\n", c->n);
	c->backend = tcp_connect("tls-rekey-proxy", "127.0.0.1", backend_port);
	if (c->backend < 0)
		return 1;
	proxy_relay(c);
	gnutls_bye(c->gs, GNUTLS_SHUT_WR);
	return 0;
}

int main(int argc, char **argv)
{
	struct proxy_conn c = { 0 };
	int lfd, fd, ret;

	if (proxy_creds_load(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	c.rekey_after = strtoull(argv[3], NULL, 0);
	c.rekeyed = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.rekeyed == MAP_FAILED)
		return 1;
	lfd = proxy_listen(atoi(argv[1]));
	if (lfd < 0) {
		perror("tls-rekey-proxy: listen");
		return 1;
	}
	printf("listening\n");
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("tls-rekey-proxy: accept");
			return 1;
		}
		c.n++;
		if (fork() == 0) {
			close(lfd);
			c.client = fd;
			ret = proxy_serve(&c, argv[2]);
			fflush(stdout);
			_exit(ret);
		}
		close(fd);
	}
}
