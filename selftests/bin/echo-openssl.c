// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * echo-openssl: a TLS echo server (and test client) on OpenSSL, a second
 * independent implementation to check the engine against.
 * Options: see echo-common.h.
 *
 * --early-data-after-finished N sends N application bytes in one write
 * with the end of our last handshake flight: a TLS 1.2 server's
 * (tickets,) ChangeCipherSpec and Finished, a TLS 1.3 server's
 * NewSessionTickets, a TLS 1.3 client's Finished. Writes go through a
 * BIO of ours that can hold them back.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "echo-common.h"

static const struct echo_opts *echo_o;
static int echo_hold_idx;

static int echo_bio_write(BIO *b, const char *buf, int len)
{
	struct echo_hold *h = BIO_get_data(b);
	ssize_t n = echo_hold_write(h, buf, len);

	return n < 0 ? -1 : (int)n;
}

static long echo_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int echo_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO *echo_bio_new(struct echo_hold *h)
{
	static BIO_METHOD *m;
	BIO *b;

	if (!m) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				 "echo-hold");
		BIO_meth_set_write(m, echo_bio_write);
		BIO_meth_set_ctrl(m, echo_bio_ctrl);
		BIO_meth_set_create(m, echo_bio_create);
	}
	b = BIO_new(m);
	if (b)
		BIO_set_data(b, h);
	return b;
}

/* Start holding writes when the last flight begins (see the top). */
static void echo_info(const SSL *ssl, int where, int ret)
{
	struct echo_hold *h = SSL_get_ex_data(ssl, echo_hold_idx);
	OSSL_HANDSHAKE_STATE st = SSL_get_state(ssl);
	int tls13 = SSL_version(ssl) == TLS1_3_VERSION;

	if (!h || !echo_o->early || !(where & SSL_CB_LOOP))
		return;
	if (st == TLS_ST_SW_SESSION_TICKET ||
	    (st == TLS_ST_SW_CHANGE && !tls13) ||
	    (st == TLS_ST_CW_FINISHED && tls13))
		h->holding = 1;
}

static unsigned int echo_psk_server(SSL *ssl, const char *identity,
				    unsigned char *psk, unsigned int max)
{
	if (!identity || strcmp(identity, echo_o->psk_id) ||
	    echo_o->psk_len > max)
		return 0;
	memcpy(psk, echo_o->psk, echo_o->psk_len);
	return echo_o->psk_len;
}

static unsigned int echo_psk_client(SSL *ssl, const char *hint, char *identity,
				    unsigned int max_id, unsigned char *psk,
				    unsigned int max)
{
	if (strlen(echo_o->psk_id) >= max_id || echo_o->psk_len > max)
		return 0;
	strcpy(identity, echo_o->psk_id);
	memcpy(psk, echo_o->psk, echo_o->psk_len);
	return echo_o->psk_len;
}

static void echo_ciphers(SSL_CTX *ctx, const struct echo_opts *o)
{
	const char *c12 = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";
	const char *c13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
			  "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256";
	char list[512];

	if (!o->cipher) {
		c12 = "ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE-ECDSA-AES128-CCM:"
		      "DHE+AESGCM:DHE+CHACHA20:DHE-RSA-AES128-CCM";
	} else if (!strcmp(o->cipher, "aes128gcm")) {
		c12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
		      "DHE-RSA-AES128-GCM-SHA256:DHE-PSK-AES128-GCM-SHA256";
		c13 = "TLS_AES_128_GCM_SHA256";
	} else if (!strcmp(o->cipher, "aes256gcm")) {
		c12 = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
		      "DHE-RSA-AES256-GCM-SHA384:DHE-PSK-AES256-GCM-SHA384";
		c13 = "TLS_AES_256_GCM_SHA384";
	} else if (!strcmp(o->cipher, "chacha20")) {
		c12 = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
		      "DHE-RSA-CHACHA20-POLY1305:ECDHE-PSK-CHACHA20-POLY1305:"
		      "DHE-PSK-CHACHA20-POLY1305";
		c13 = "TLS_CHACHA20_POLY1305_SHA256";
	} else if (!strcmp(o->cipher, "aes128ccm")) {
		c12 = "ECDHE-ECDSA-AES128-CCM:DHE-RSA-AES128-CCM:DHE-PSK-AES128-CCM";
		c13 = "TLS_AES_128_CCM_SHA256";
	} else {
		fprintf(stderr, "unknown cipher %s\n", o->cipher);
		exit(2);
	}
	snprintf(list, sizeof(list), "%s%s", c12,
		 o->psk_id && !o->cipher ?
		 ":DHE-PSK-AES128-GCM-SHA256:DHE-PSK-AES256-GCM-SHA384:"
		 "ECDHE-PSK-CHACHA20-POLY1305:DHE-PSK-CHACHA20-POLY1305" : "");
	if (!SSL_CTX_set_cipher_list(ctx, list) ||
	    !SSL_CTX_set_ciphersuites(ctx, c13)) {
		fprintf(stderr, "bad cipher list\n");
		exit(2);
	}
}

static SSL_CTX *echo_ctx(const struct echo_opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(o->server ? TLS_server_method() :
					       TLS_client_method());

	if (!ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, o->version == 13 ? TLS1_3_VERSION :
							    TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, o->version == 12 ? TLS1_2_VERSION :
							    TLS1_3_VERSION);
	echo_ciphers(ctx, o);
	SSL_CTX_set_info_callback(ctx, echo_info);
	if (o->cert &&
	    (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1))
		goto fail;
	if (o->server) {
		SSL_CTX_set_dh_auto(ctx, 1);
		if (o->psk_id)
			SSL_CTX_set_psk_server_callback(ctx, echo_psk_server);
	} else if (o->psk_id) {
		SSL_CTX_set_psk_client_callback(ctx, echo_psk_client);
	} else if (o->ca) {
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	ERR_print_errors_fp(stderr);
	exit(1);
}

static int echo_write(SSL *ssl, const void *buf, size_t len)
{
	size_t done;

	while (len) {
		if (SSL_write_ex(ssl, buf, len, &done) != 1) {
			ERR_print_errors_fp(stderr);
			fprintf(stderr, "write failed\n");
			return -1;
		}
		buf = (const char *)buf + done;
		len -= done;
	}
	return 0;
}

static int echo_expect(SSL *ssl, unsigned long long off, unsigned long long len)
{
	unsigned char buf[ECHO_CHUNK];
	unsigned long long got = 0;
	size_t n, bad;

	while (got < len) {
		if (SSL_read_ex(ssl, buf, len - got < sizeof(buf) ? len - got :
								 sizeof(buf),
				&n) != 1) {
			fprintf(stderr, "receive after %llu of %llu bytes failed\n",
				got, len);
			ERR_print_errors_fp(stderr);
			return -1;
		}
		bad = echo_check(buf, n, off + got);
		if (bad != n) {
			fprintf(stderr, "byte %llu differs from the pattern\n",
				off + got + bad);
			return -1;
		}
		got += n;
	}
	return 0;
}

static int echo_send_pattern(SSL *ssl, unsigned long long off,
			     unsigned long long len)
{
	unsigned char buf[ECHO_CHUNK];
	size_t n;

	for (; len; len -= n, off += n) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		echo_fill(buf, n, off);
		if (echo_write(ssl, buf, n))
			return -1;
	}
	return 0;
}

static int echo_send_early(SSL *ssl, struct echo_hold *h)
{
	h->holding = 1;
	if (echo_send_pattern(ssl, 0, echo_o->early))
		return -1;
	return echo_hold_flush(h);
}

static int echo_serve_one(SSL *ssl, struct echo_hold *h)
{
	unsigned char buf[ECHO_CHUNK];
	unsigned long long total = 0;
	size_t n;
	int err;

	if (echo_o->early && echo_send_early(ssl, h))
		return -1;
	for (;;) {
		if (SSL_read_ex(ssl, buf, sizeof(buf), &n) != 1) {
			err = SSL_get_error(ssl, 0);
			if (err == SSL_ERROR_ZERO_RETURN ||
			    err == SSL_ERROR_SYSCALL)
				break;	/* close_notify or plain EOF */
			ERR_print_errors_fp(stderr);
			return -1;
		}
		if (echo_write(ssl, buf, n))
			return -1;
		total += n;
	}
	printf("echoed %llu bytes\n", total);
	return 0;
}

static int echo_client_io(SSL *ssl, struct echo_hold *h)
{
	const struct echo_opts *o = echo_o;
	unsigned long long off, end;
	size_t n;

	if (o->early) {
		if (echo_send_early(ssl, h))
			return -1;
		if (o->expect_echo && echo_expect(ssl, 0, o->early))
			return -1;
	}
	if (o->expect_bytes && echo_expect(ssl, 0, o->expect_bytes))
		return -1;
	end = o->early + o->send_bytes;
	for (off = o->early; off < end; off += n) {
		n = end - off < ECHO_CHUNK ? end - off : ECHO_CHUNK;
		if (echo_send_pattern(ssl, off, n))
			return -1;
		if (o->expect_echo && echo_expect(ssl, off, n))
			return -1;
	}
	printf("sent %llu bytes, received %llu bytes\n", end,
	       (o->expect_echo ? end : 0) + o->expect_bytes);
	return 0;
}

int main(int argc, char **argv)
{
	struct echo_opts o = { 0 };
	struct echo_hold hold;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;
	int lfd = -1, fd, i, ret, rc = 0;

	echo_parse(&o, argc, argv);
	echo_o = &o;
	setvbuf(stdout, NULL, _IOLBF, 0);
	echo_hold_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ctx = echo_ctx(&o);
	if (o.server) {
		lfd = echo_listen(&o);
		if (lfd < 0)
			return 1;
	}
	for (i = 0; i < o.count; i++) {
		fd = o.server ? echo_accept(lfd, &o) : echo_connect(&o);
		if (fd < 0)
			return 1;
		memset(&hold, 0, sizeof(hold));
		hold.fd = fd;
		ssl = SSL_new(ctx);
		rb = BIO_new_socket(fd, BIO_NOCLOSE);
		wb = echo_bio_new(&hold);
		SSL_set_bio(ssl, rb, wb);
		SSL_set_ex_data(ssl, echo_hold_idx, &hold);
		if (!o.server) {
			const char *name = o.peername ? o.peername : o.host;

			SSL_set_tlsext_host_name(ssl, name);
			if (o.ca)
				SSL_set1_host(ssl, name);
		}
		ret = o.server ? SSL_accept(ssl) : SSL_connect(ssl);
		if (ret != 1) {
			fprintf(stderr, "handshake failed\n");
			ERR_print_errors_fp(stderr);
			rc = 1;
		} else {
			printf("handshake: %s %s\n", SSL_get_version(ssl),
			       SSL_get_cipher_name(ssl));
			ret = o.server ? echo_serve_one(ssl, &hold) :
					 echo_client_io(ssl, &hold);
			if (ret)
				rc = 1;
			else
				SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		free(hold.buf);
		close(fd);
	}
	if (lfd >= 0)
		close(lfd);
	SSL_CTX_free(ctx);
	return rc;
}
