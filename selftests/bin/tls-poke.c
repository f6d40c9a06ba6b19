// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls-poke: a TLS 1.3 client (GnuTLS, user space) that completes a
 * handshake, reads the server's first data record (so the server side is
 * past its handover to kTLS), then does one thing a well-behaved peer
 * never does, and reports what came back.
 *
 *   tls-poke HOST PORT MODE [--send STR] [--first STR]
 *
 *   corrupt          a data record whose ciphertext is garbage
 *   empty-alert      a well-encrypted alert record with no content
 *   empty-handshake  a well-encrypted handshake record with no content
 *   keyupdate        a KeyUpdate, then data under the new keys
 *   data             nothing hostile: --send STR (default "poke\n")
 *   rekey            --first is an HTTP request, sent --rounds N times
 *                    (default 4) on one connection; halfway through each
 *                    response body, gnutls_session_key_update: round 0
 *                    update_not_requested, round 1 update_requested, and
 *                    so on. Prints "round R: body L bytes sha256 HEX"
 *                    per response, then "rekey done", or why it stopped.
 *
 * --first STR is sent before waiting for the server's first record, for
 * servers that answer rather than speak first (an HTTP request; C escapes
 * \r and \n are understood).
 *
 * Prints "sent MODE", then one of "received alert NAME (N)", "received
 * data N bytes: ...", "received EOF", "received reset" or "received
 * nothing". Exit 0 if the handshake worked, 1 otherwise. The empty
 * records are sealed with GnuTLS's AEAD API under the session's own keys
 * (gnutls_record_get_state): GnuTLS itself never sends them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "tcp-connect.h"

#define POKE_TIMEOUT_MS 10000

/* One record's worth of plaintext, waiting for it; <= 0: why not. */
static ssize_t poke_recv(int fd, gnutls_session_t gs, char *buf, size_t len);

static int poke_rekey(int fd, gnutls_session_t gs, const char *req,
		      int rounds)
{
	static char buf[16384 + 1];
	unsigned char md[32];
	gnutls_hash_hd_t h;
	size_t have, body, got, clen;
	ssize_t n;
	char *end, *cl;
	int r, i, updated, ret;

	for (r = 0; r < rounds; r++) {
		if (gnutls_record_send(gs, req, strlen(req)) < 0) {
			printf("round %d: request not sent\n", r);
			return 1;
		}
		have = 0;
		end = NULL;
		while (!end) {
			n = poke_recv(fd, gs, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0) {
				printf("round %d: no response head (%s)\n", r,
				       n == GNUTLS_E_FATAL_ALERT_RECEIVED ?
				       gnutls_alert_get_strname(gnutls_alert_get(gs)) :
				       gnutls_strerror((int)n));
				return 1;
			}
			have += n;
			buf[have] = 0;
			end = strstr(buf, "\r\n\r\n");
		}
		cl = strcasestr(buf, "content-length:");
		if (!cl || cl > end) {
			printf("round %d: no Content-Length\n", r);
			return 1;
		}
		clen = strtoul(cl + 15, NULL, 10);
		gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
		body = have - (end + 4 - buf);
		gnutls_hash(h, end + 4, body);
		updated = 0;
		for (got = body; got < clen; got += n) {
			if (!updated && got >= clen / 2) {
				ret = gnutls_session_key_update(gs, r % 2 ?
							GNUTLS_KU_PEER : 0);
				if (ret < 0) {
					printf("round %d: key update: %s\n", r,
					       gnutls_strerror(ret));
					return 1;
				}
				updated = 1;
			}
			n = poke_recv(fd, gs, buf, clen - got < sizeof(buf) - 1 ?
					      clen - got : sizeof(buf) - 1);
			if (n <= 0) {
				printf("round %d: body stopped at %zu of %zu (%s)\n",
				       r, got, clen, n == GNUTLS_E_FATAL_ALERT_RECEIVED ?
				       gnutls_alert_get_strname(gnutls_alert_get(gs)) :
				       gnutls_strerror((int)n));
				return 1;
			}
			gnutls_hash(h, buf, n);
		}
		gnutls_hash_deinit(h, md);
		printf("round %d: body %zu bytes sha256 ", r, clen);
		for (i = 0; i < 32; i++)
			printf("%02x", md[i]);
		printf(" (key update %s)\n", !updated ? "not sent" :
		       r % 2 ? "requested" : "not requested");
	}
	printf("rekey done\n");
	return 0;
}

static int poke_wait(int fd, gnutls_session_t gs, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (gnutls_record_check_pending(gs))
		return 1;
	return poll(&pfd, 1, ms);
}

static char *poke_unescape(const char *in)
{
	char *out = malloc(strlen(in) + 1), *o = out;

	if (!out)
		exit(1);
	for (; *in; in++) {
		if (in[0] == '\\' && (in[1] == 'r' || in[1] == 'n')) {
			*o++ = in[1] == 'r' ? '\r' : '\n';
			in++;
		} else {
			*o++ = *in;
		}
	}
	*o = 0;
	return out;
}

/* One TLS 1.3 record, inner type ctype, content len bytes, sealed. */
static int poke_send_sealed(int fd, gnutls_session_t gs, unsigned char ctype,
			    const void *content, size_t len)
{
	gnutls_datum_t key, iv;
	unsigned char seq[8], nonce[12], hdr[5], inner[64], out[128];
	gnutls_aead_cipher_hd_t h;
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(gs);
	size_t tag = gnutls_cipher_get_tag_size(c), outlen = sizeof(out), i;
	ssize_t n;
	int ret;

	if (len + 1 > sizeof(inner))
		return -1;
	ret = gnutls_record_get_state(gs, 0, NULL, &iv, &key, seq);
	if (ret < 0 || iv.size != 12) {
		fprintf(stderr, "tls-poke: record state: %s\n",
			gnutls_strerror(ret));
		return -1;
	}
	memcpy(nonce, iv.data, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= seq[i];
	memcpy(inner, content, len);
	inner[len] = ctype;
	hdr[0] = 23;
	hdr[1] = 3;
	hdr[2] = 3;
	hdr[3] = (len + 1 + tag) >> 8;
	hdr[4] = (len + 1 + tag) & 0xff;
	ret = gnutls_aead_cipher_init(&h, c, &key);
	if (ret < 0)
		return -1;
	ret = gnutls_aead_cipher_encrypt(h, nonce, 12, hdr, 5, tag, inner,
					 len + 1, out, &outlen);
	gnutls_aead_cipher_deinit(h);
	if (ret < 0)
		return -1;
	if (send(fd, hdr, 5, MSG_MORE) != 5)
		return -1;
	n = send(fd, out, outlen, 0);
	return n == (ssize_t)outlen ? 0 : -1;
}

static int poke_send_garbage(int fd)
{
	unsigned char rec[5 + 64];

	memset(rec, 0xa5, sizeof(rec));
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = 64;
	return send(fd, rec, sizeof(rec), 0) == sizeof(rec) ? 0 : -1;
}

/* After a fatal alert nothing more may come: count what does. */
static void poke_after(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	long total = 0;
	ssize_t n;

	while (poll(&pfd, 1, 1500) > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		total += n;
	}
	printf("after the alert: %ld bytes\n", total);
}

static ssize_t poke_recv(int fd, gnutls_session_t gs, char *buf, size_t len)
{
	ssize_t n;

	do {
		if (poke_wait(fd, gs, POKE_TIMEOUT_MS) <= 0)
			return GNUTLS_E_TIMEDOUT;
		n = gnutls_record_recv(gs, buf, len);
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	return n;
}

/* What the server answered, if anything, within the time limit. */
static void poke_report(int fd, gnutls_session_t gs)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poke_wait(fd, gs, POKE_TIMEOUT_MS) <= 0) {
			printf("received nothing\n");
			return;
		}
		n = gnutls_record_recv(gs, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n > 0) {
			printf("received data %zd bytes: %.*s\n", n,
			       (int)(n > 40 ? 40 : n), buf);
			continue;
		}
		if (n == 0) {
			printf("received close_notify\n");
			return;
		}
		if (n == GNUTLS_E_FATAL_ALERT_RECEIVED ||
		    n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			int a = gnutls_alert_get(gs);

			printf("received alert %s (%d)\n",
			       gnutls_alert_get_strname(a), a);
			if (n == GNUTLS_E_FATAL_ALERT_RECEIVED) {
				poke_after(fd);
				return;
			}
			continue;
		}
		if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			printf("received EOF\n");
			return;
		}
		if (n == GNUTLS_E_PULL_ERROR) {
			printf("received reset\n");
			return;
		}
		printf("received error %s\n", gnutls_strerror(n));
		return;
	}
}

int main(int argc, char **argv)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t gs;
	const char *mode, *data = "poke\n";
	char buf[4096], *first = NULL;
	ssize_t n;
	int fd, ret, i, rounds = 4;

	if (argc < 4) {
		fprintf(stderr, "usage: tls-poke HOST PORT MODE [--send STR]\n");
		return 2;
	}
	mode = argv[3];
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--send"))
			data = argv[i + 1];
		else if (!strcmp(argv[i], "--first"))
			first = poke_unescape(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
	}
	fd = tcp_connect("tls-poke", argv[1], argv[2]);
	if (fd < 0)
		return 1;
	gnutls_global_init();
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_init(&gs, GNUTLS_CLIENT);
	gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, cred);
	/* The servers under test verify nothing of ours: no trust needed. */
	gnutls_priority_set_direct(gs, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL);
	gnutls_transport_set_int(gs, fd);
	gnutls_handshake_set_timeout(gs, POKE_TIMEOUT_MS);
	do {
		ret = gnutls_handshake(gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		printf("handshake failed: %s\n", gnutls_strerror(ret));
		return 1;
	}
	printf("handshake ok: %s\n", gnutls_cipher_get_name(gnutls_cipher_get(gs)));
	if (!strcmp(mode, "rekey")) {
		ret = first ? poke_rekey(fd, gs, first, rounds) : 2;
		if (ret)
			poke_report(fd, gs);
		free(first);
		gnutls_deinit(gs);
		gnutls_certificate_free_credentials(cred);
		close(fd);
		return ret;
	}
	if (first && gnutls_record_send(gs, first, strlen(first)) < 0) {
		printf("first send failed\n");
		return 1;
	}
	/* The server's first record: it is on kTLS by then. */
	if (poke_wait(fd, gs, POKE_TIMEOUT_MS) > 0) {
		do {
			n = gnutls_record_recv(gs, buf, sizeof(buf));
		} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
		if (n > 0)
			printf("first data %zd bytes\n", n);
	}
	if (!strcmp(mode, "corrupt")) {
		ret = poke_send_garbage(fd);
	} else if (!strcmp(mode, "empty-alert")) {
		ret = poke_send_sealed(fd, gs, 21, "", 0);
	} else if (!strcmp(mode, "empty-handshake")) {
		ret = poke_send_sealed(fd, gs, 22, "", 0);
	} else if (!strcmp(mode, "keyupdate")) {
		ret = gnutls_session_key_update(gs, 0);
		if (ret == 0)
			ret = gnutls_record_send(gs, data, strlen(data)) < 0;
	} else if (!strcmp(mode, "data")) {
		ret = gnutls_record_send(gs, data, strlen(data)) < 0;
	} else {
		fprintf(stderr, "tls-poke: unknown mode %s\n", mode);
		return 2;
	}
	printf("sent %s%s\n", mode, ret ? " (send failed)" : "");
	fflush(stdout);
	poke_report(fd, gs);
	free(first);
	gnutls_deinit(gs);
	gnutls_certificate_free_credentials(cred);
	close(fd);
	return 0;
}
