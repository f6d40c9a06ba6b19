// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Look at the peer's hello before GnuTLS processes it, so that a refused
 * handshake can say why in terms a human can act on ("peer offers only
 * TLS 1.0", "peer offers only RSA key exchange"). Nothing here decides
 * anything (GnuTLS and the priority string do), except a server's record
 * size limit, which kTLS can't keep (record_limit.c), and a ClientHello
 * that repeats an extension, which GnuTLS lets through if it does not
 * know the type.
 */
#include <string.h>

#include "ktls-internal.h"

#define EXT_SUPPORTED_VERSIONS 43
#define EXT_SIGNATURE_ALGORITHMS 13

/* AEAD suites kTLS could carry, by key exchange; the rest is "other". */
static const struct {
	uint16_t id;
	unsigned char fs;
	unsigned char cipher;
} hooks_suites[] = {
	{ 0x1301, 1, KTLS_CIPHER_AES_128_GCM },	/* TLS 1.3 */
	{ 0x1302, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0x1303, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0x1304, 1, KTLS_CIPHER_AES_128_CCM },
	{ 0xc02b, 1, KTLS_CIPHER_AES_128_GCM },	/* ECDHE */
	{ 0xc02c, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0xc02f, 1, KTLS_CIPHER_AES_128_GCM },
	{ 0xc030, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0xcca8, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xcca9, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xc0ac, 1, KTLS_CIPHER_AES_128_CCM },
	{ 0x009e, 1, KTLS_CIPHER_AES_128_GCM },	/* DHE */
	{ 0x009f, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0xccaa, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xc09e, 1, KTLS_CIPHER_AES_128_CCM },
	{ 0x00aa, 1, KTLS_CIPHER_AES_128_GCM },	/* (EC)DHE-PSK */
	{ 0x00ab, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0xccac, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xccad, 1, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xc0a6, 1, KTLS_CIPHER_AES_128_CCM },
	{ 0xd001, 1, KTLS_CIPHER_AES_128_GCM },
	{ 0xd002, 1, KTLS_CIPHER_AES_256_GCM },
	{ 0xd005, 1, KTLS_CIPHER_AES_128_CCM },
	{ 0x009c, 0, KTLS_CIPHER_AES_128_GCM },	/* RSA key exchange */
	{ 0x009d, 0, KTLS_CIPHER_AES_256_GCM },
	{ 0xc09c, 0, KTLS_CIPHER_AES_128_CCM },
	{ 0x00a8, 0, KTLS_CIPHER_AES_128_GCM },	/* plain PSK */
	{ 0x00a9, 0, KTLS_CIPHER_AES_256_GCM },
	{ 0xccab, 0, KTLS_CIPHER_CHACHA20_POLY1305 },
	{ 0xc0a4, 0, KTLS_CIPHER_AES_128_CCM },
};

/* Which certificate a TLS 1.2 (EC)DHE suite needs (0: none, PSK). */
static unsigned int hooks_suite_auth(uint16_t id)
{
	switch (id) {
	case 0xc02b: case 0xc02c: case 0xcca9: case 0xc0ac:
		return KTLS_AUTH_ECDSA | KTLS_AUTH_EDDSA;
	case 0xc02f: case 0xc030: case 0xcca8: case 0x009e: case 0x009f:
	case 0xccaa: case 0xc09e:
		return KTLS_AUTH_RSA;
	default:
		return 0;
	}
}

/* A SignatureScheme's key kind (RFC 8446, 4.2.3). */
static unsigned int hooks_sig_auth(uint16_t v)
{
	if ((v & 0xff) == 0x01 && v >= 0x0201 && v <= 0x0601)
		return KTLS_AUTH_RSA;
	if ((v & 0xff) == 0x03 && v >= 0x0203 && v <= 0x0603)
		return KTLS_AUTH_ECDSA;
	if ((v >= 0x0804 && v <= 0x0806) || (v >= 0x0809 && v <= 0x080b))
		return KTLS_AUTH_RSA;
	if (v == 0x0807 || v == 0x0808)
		return KTLS_AUTH_EDDSA;
	return 0;
}

static void hooks_classify(struct ktls_session *s, uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(hooks_suites) / sizeof(hooks_suites[0]); i++) {
		if (hooks_suites[i].id != id)
			continue;
		if (hooks_suites[i].fs) {
			s->peer_suites |= KTLS_SUITE_AEAD_FS;
			s->peer_ciphers |= hooks_suites[i].cipher;
			s->peer_suite_auth |= hooks_suite_auth(id);
		} else {
			s->peer_suites |= KTLS_SUITE_AEAD_RSA;
		}
		return;
	}
	/* Signalling values (renegotiation info, fallback, GREASE) */
	if (id == 0x00ff || id == 0x5600 || (id & 0x0f0f) == 0x0a0a)
		return;
	s->peer_suites |= KTLS_SUITE_OTHER;
}

/* One parse of a ClientHello's extensions, with the types seen so far. */
struct hooks_hello {
	struct ktls_session *s;
	unsigned char seen[65536 / 8];
};

static int hooks_ext(void *ctx, unsigned int tls_id, const unsigned char *data,
		     unsigned int size)
{
	struct hooks_hello *h = ctx;
	struct ktls_session *s = h->s;
	unsigned int i;
	uint16_t v;

	/*
	 * RFC 8446, 4.2: no type twice in one block. GnuTLS refuses a
	 * repeated extension it knows (with unsupported_extension) and
	 * lets an unknown one through.
	 */
	if (h->seen[tls_id / 8] & (1u << (tls_id % 8))) {
		s->hello_dup_ext = tls_id + 1;
		return GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER;
	}
	h->seen[tls_id / 8] |= 1u << (tls_id % 8);
	if (tls_id == EXT_SIGNATURE_ALGORITHMS && size >= 2) {
		s->peer_sigs |= KTLS_AUTH_PARSED;
		for (i = 2; i + 1 < size; i += 2)
			s->peer_sigs |= hooks_sig_auth(data[i] << 8 |
						       data[i + 1]);
		return 0;
	}
	if (tls_id != EXT_SUPPORTED_VERSIONS || size < 1)
		return 0;
	for (i = 1; i + 1 < size && i + 1 <= data[0]; i += 2) {
		v = data[i] << 8 | data[i + 1];
		if ((v & 0x0f0f) == 0x0a0a)	/* GREASE */
			continue;
		if (v > 0x03ff)
			continue;
		if (v > s->peer_max_version)
			s->peer_max_version = v;
		if (!s->peer_min_version || v < s->peer_min_version)
			s->peer_min_version = v;
	}
	return 0;
}

static int hooks_client_hello(struct ktls_session *s, const gnutls_datum_t *m)
{
	struct hooks_hello h = { .s = s };
	const unsigned char *p = m->data;
	size_t len = m->size, off, n, i;

	s->client_hellos++;
	if (len < 35)
		return 0;
	s->peer_max_version = p[0] << 8 | p[1];
	off = 34;
	off += 1 + p[off];			/* session id */
	if (off + 2 > len)
		return 0;
	n = p[off] << 8 | p[off + 1];
	off += 2;
	if (off + n > len)
		return 0;
	for (i = 0; i + 1 < n; i += 2)
		hooks_classify(s, p[off + i] << 8 | p[off + i + 1]);
	s->peer_suites |= KTLS_SUITE_PARSED;
	gnutls_ext_raw_parse(&h, hooks_ext, m,
			     GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
	return s->hello_dup_ext ? GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER : 0;
}

/*
 * Client: the server's answer to our (last) ClientHello times the path
 * and the server's pace, which bound when its post-handshake
 * NewSessionTicket can come (a TLS 1.3 client's wait for one).
 */
static void hooks_hello_rtt(struct ktls_session *s, unsigned int htype,
			    int incoming)
{
	int64_t rtt;

	if (!incoming && htype == GNUTLS_HANDSHAKE_CLIENT_HELLO) {
		s->hello_sent_us = ktls_now_us();
		return;
	}
	if (!incoming || !s->hello_sent_us ||
	    (htype != GNUTLS_HANDSHAKE_SERVER_HELLO &&
	     htype != GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST))
		return;
	rtt = ktls_now_us() - s->hello_sent_us;
	s->hello_rtt_us = rtt > 0 && rtt < UINT32_MAX ? (unsigned int)rtt : 1;
	s->hello_sent_us = 0;
}

static int hooks_func(gnutls_session_t gs, unsigned int htype,
		      unsigned int when, unsigned int incoming,
		      const gnutls_datum_t *msg)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);

	hooks_hello_rtt(s, htype, incoming);
	if (!incoming || !msg || !msg->data)
		return 0;
	if (ktls_record_limit_check(s, htype, msg))
		return GNUTLS_E_UNIMPLEMENTED_FEATURE;
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO)
		return hooks_client_hello(s, msg);
	else if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO && msg->size >= 2)
		/* 1.3 hides behind 0x0303: only older versions matter here */
		s->peer_max_version = msg->data[0] << 8 | msg->data[1];
	return 0;
}

void ktls_hooks_install(struct ktls_session *s)
{
	gnutls_handshake_set_hook_function(s->gs, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_PRE, hooks_func);
}
