// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * echo-gnutls: a TLS echo server (and test client) written directly on
 * GnuTLS, the independent peer the engine's tests check bytes against.
 * Options: see echo-common.h.
 *
 * --early-data-after-finished N holds our Finished back and sends it in
 * one write with N application bytes: a TLS 1.3 server returns from the
 * handshake right after its Finished (GNUTLS_ENABLE_EARLY_START, 0.5-RTT
 * data), a TLS 1.2 client right after its own (false start), and a
 * TLS 1.3 client's Finished is its last message anyway.
 */
#include <gnutls/gnutls.h>

#include "echo-common.h"

struct echo_session {
	struct echo_hold hold;
	long long early;
};

static ssize_t echo_push(gnutls_transport_ptr_t ptr, const void *buf,
			 size_t len)
{
	return echo_hold_write(ptr, buf, len);
}

static int echo_hook(gnutls_session_t gs, unsigned int htype,
		     unsigned int when, unsigned int incoming,
		     const gnutls_datum_t *msg)
{
	struct echo_session *es = gnutls_session_get_ptr(gs);

	if (!incoming && es->early)
		es->hold.holding = 1;
	return 0;
}

static const char *echo_cipher_prio(const char *name)
{
	if (!name)
		return "";
	if (!strcmp(name, "aes128gcm"))
		return ":-CIPHER-ALL:+AES-128-GCM";
	if (!strcmp(name, "aes256gcm"))
		return ":-CIPHER-ALL:+AES-256-GCM";
	if (!strcmp(name, "chacha20"))
		return ":-CIPHER-ALL:+CHACHA20-POLY1305";
	if (!strcmp(name, "aes128ccm"))
		return ":-CIPHER-ALL:+AES-128-CCM";
	fprintf(stderr, "unknown cipher %s\n", name);
	exit(2);
}

static int echo_send(gnutls_session_t gs, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = gnutls_record_send(gs, p, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0) {
			fprintf(stderr, "send: %s\n", gnutls_strerror(n));
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Receive exactly len bytes and check them against the pattern at off. */
static int echo_expect(gnutls_session_t gs, unsigned long long off,
		       unsigned long long len)
{
	unsigned char buf[ECHO_CHUNK];
	unsigned long long got = 0;
	size_t bad;
	ssize_t n;

	while (got < len) {
		n = gnutls_record_recv(gs, buf, len - got < sizeof(buf) ?
							len - got : sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0) {
			fprintf(stderr, "receive after %llu of %llu bytes: %s\n",
				got, len, n ? gnutls_strerror(n) : "end of stream");
			return -1;
		}
		bad = echo_check(buf, n, off + got);
		if (bad != (size_t)n) {
			fprintf(stderr, "byte %llu differs from the pattern\n",
				off + got + bad);
			return -1;
		}
		got += n;
	}
	return 0;
}

static int echo_send_early(gnutls_session_t gs, struct echo_session *es)
{
	unsigned char buf[ECHO_CHUNK];
	long long off = 0;
	size_t n;

	es->hold.holding = 1;
	while (off < es->early) {
		n = sizeof(buf);
		if (es->early - off < (long long)n)
			n = es->early - off;
		echo_fill(buf, n, off);
		if (echo_send(gs, buf, n))
			return -1;
		off += n;
	}
	return echo_hold_flush(&es->hold);
}

static void echo_describe(gnutls_session_t gs)
{
	printf("handshake: %s %s %s\n",
	       gnutls_protocol_get_name(gnutls_protocol_get_version(gs)),
	       gnutls_cipher_get_name(gnutls_cipher_get(gs)),
	       gnutls_group_get_name(gnutls_group_get(gs)) ?: "-");
	fflush(stdout);
}

static int echo_serve_one(gnutls_session_t gs, struct echo_session *es)
{
	unsigned char buf[ECHO_CHUNK];
	unsigned long long total = 0;
	ssize_t n;

	if (es->early && echo_send_early(gs, es))
		return -1;
	for (;;) {
		n = gnutls_record_recv(gs, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
			break;
		if (n < 0) {
			fprintf(stderr, "receive: %s\n", gnutls_strerror(n));
			return -1;
		}
		if (echo_send(gs, buf, n))
			return -1;
		total += n;
	}
	printf("echoed %llu bytes\n", total);
	return 0;
}

static int echo_client_io(gnutls_session_t gs, struct echo_session *es,
			  const struct echo_opts *o)
{
	unsigned char buf[ECHO_CHUNK];
	unsigned long long off, end;
	size_t n;

	if (es->early) {
		if (echo_send_early(gs, es))
			return -1;
		if (o->expect_echo && echo_expect(gs, 0, es->early))
			return -1;
	}
	if (o->expect_bytes && echo_expect(gs, 0, o->expect_bytes))
		return -1;
	/* Lock step, one chunk at a time: the echo never backs up. */
	end = es->early + o->send_bytes;
	for (off = es->early; off < end; off += n) {
		n = end - off < sizeof(buf) ? end - off : sizeof(buf);
		echo_fill(buf, n, off);
		if (echo_send(gs, buf, n))
			return -1;
		if (o->expect_echo && echo_expect(gs, off, n))
			return -1;
	}
	printf("sent %llu bytes, received %llu bytes\n", end,
	       (o->expect_echo ? end : 0) + o->expect_bytes);
	return 0;
}

static const struct echo_opts *echo_psk_opts;

static int echo_psk_server(gnutls_session_t gs, const gnutls_datum_t *user,
			   gnutls_datum_t *key)
{
	const struct echo_opts *o = echo_psk_opts;

	if (user->size != strlen(o->psk_id) ||
	    memcmp(user->data, o->psk_id, user->size))
		return -1;
	key->data = gnutls_malloc(o->psk_len);
	if (!key->data)
		return -1;
	memcpy(key->data, o->psk, o->psk_len);
	key->size = o->psk_len;
	return 0;
}

int main(int argc, char **argv)
{
	struct echo_opts o = { 0 };
	struct {
		struct echo_session es;
	} ctx;
	gnutls_certificate_credentials_t x509;
	gnutls_psk_server_credentials_t psk_srv = NULL;
	gnutls_psk_client_credentials_t psk_cli = NULL;
	gnutls_datum_t ticket_key = { 0 };
	gnutls_session_t gs;
	char prio[256];
	const char *err;
	int lfd = -1, fd, i, ret, rc = 0;
	unsigned int flags;

	echo_parse(&o, argc, argv);
	echo_psk_opts = &o;
	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	gnutls_certificate_allocate_credentials(&x509);
	if (o.cert && gnutls_certificate_set_x509_key_file(
			      x509, o.cert, o.key, GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "cannot load %s / %s\n", o.cert, o.key);
		return 1;
	}
	if (o.ca && gnutls_certificate_set_x509_trust_file(
			    x509, o.ca, GNUTLS_X509_FMT_PEM) <= 0) {
		fprintf(stderr, "cannot load %s\n", o.ca);
		return 1;
	}
	if (o.server) {
		gnutls_certificate_set_known_dh_params(x509,
						       GNUTLS_SEC_PARAM_MEDIUM);
		gnutls_session_ticket_key_generate(&ticket_key);
	}
	if (o.psk_id && o.server) {
		gnutls_psk_allocate_server_credentials(&psk_srv);
		gnutls_psk_set_server_credentials_function2(psk_srv,
							    echo_psk_server);
	} else if (o.psk_id) {
		gnutls_datum_t id = { (void *)o.psk_id, strlen(o.psk_id) };
		gnutls_datum_t key = { o.psk, o.psk_len };

		gnutls_psk_allocate_client_credentials(&psk_cli);
		gnutls_psk_set_client_credentials2(psk_cli, &id, &key,
						   GNUTLS_PSK_KEY_RAW);
	}
	snprintf(prio, sizeof(prio), "NORMAL%s%s%s",
		 o.version == 12 ? ":-VERS-ALL:+VERS-TLS1.2" :
		 o.version == 13 ? ":-VERS-ALL:+VERS-TLS1.3" : "",
		 echo_cipher_prio(o.cipher),
		 o.psk_id ? ":+ECDHE-PSK:+DHE-PSK:+PSK" : "");

	if (o.server) {
		lfd = echo_listen(&o);
		if (lfd < 0)
			return 1;
	}
	for (i = 0; i < o.count; i++) {
		fd = o.server ? echo_accept(lfd, &o) : echo_connect(&o);
		if (fd < 0)
			return 1;
		memset(&ctx, 0, sizeof(ctx));
		ctx.es.early = o.early;
		ctx.es.hold.fd = fd;
		flags = o.server ? GNUTLS_SERVER : GNUTLS_CLIENT;
		if (o.early)
			flags |= o.server ? GNUTLS_ENABLE_EARLY_START :
					    GNUTLS_ENABLE_FALSE_START;
		gnutls_init(&gs, flags);
		gnutls_session_set_ptr(gs, &ctx.es);
		if (gnutls_priority_set_direct(gs, prio, &err) < 0) {
			fprintf(stderr, "bad priority at %s\n", err);
			return 1;
		}
		if (o.server) {
			if (o.cert)
				gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE,
						       x509);
			if (psk_srv)
				gnutls_credentials_set(gs, GNUTLS_CRD_PSK, psk_srv);
			gnutls_session_ticket_enable_server(gs, &ticket_key);
		} else if (psk_cli) {
			gnutls_credentials_set(gs, GNUTLS_CRD_PSK, psk_cli);
		} else {
			gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, x509);
			if (o.peername)
				gnutls_server_name_set(gs, GNUTLS_NAME_DNS,
						       o.peername,
						       strlen(o.peername));
			if (o.ca)
				gnutls_session_set_verify_cert(
					gs, o.peername ?: o.host, 0);
		}
		gnutls_transport_set_ptr2(gs, (void *)(long)fd, &ctx.es.hold);
		gnutls_transport_set_push_function(gs, echo_push);
		gnutls_handshake_set_hook_function(gs, GNUTLS_HANDSHAKE_FINISHED,
						   GNUTLS_HOOK_PRE, echo_hook);
		do {
			ret = gnutls_handshake(gs);
		} while (ret < 0 && !gnutls_error_is_fatal(ret));
		if (ret < 0) {
			fprintf(stderr, "handshake: %s\n", gnutls_strerror(ret));
			if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
				fprintf(stderr, "alert: %s\n",
					gnutls_alert_get_name(gnutls_alert_get(gs)));
			rc = 1;
		} else {
			echo_describe(gs);
			ret = o.server ? echo_serve_one(gs, &ctx.es) :
					 echo_client_io(gs, &ctx.es, &o);
			if (ret)
				rc = 1;
			else
				gnutls_bye(gs, GNUTLS_SHUT_WR);
		}
		gnutls_deinit(gs);
		free(ctx.es.hold.buf);
		close(fd);
	}
	if (lfd >= 0)
		close(lfd);
	return rc;
}
