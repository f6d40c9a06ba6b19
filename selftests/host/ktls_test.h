/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the engine's host tests: an ECDSA certificate made at run
 * time, a plain-GnuTLS peer on the other end of a socketpair, raw TLS
 * record parsing and an AEAD record decryptor that uses nothing but a
 * tls12_crypto_info_* (nonce and AAD built exactly as the kernel does).
 */
#ifndef KTLS_TEST_H
#define KTLS_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "ktls-internal.h"

#define CHECK(cond, ...) do { \
		if (!(cond)) { \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__); \
			printf("\n"); \
			exit(1); \
		} \
	} while (0)

/* A self-signed ECDSA P-256 certificate for "localhost", DER and PEM. */
struct test_cert {
	gnutls_datum_t cert_der, key_der, cert_pem;
	char trust_path[64];
};

static inline void test_cert_make2(struct test_cert *tc, const char *name,
				   time_t not_before, time_t not_after);

static inline void test_cert_make(struct test_cert *tc)
{
	time_t now = time(NULL);

	test_cert_make2(tc, "localhost", now - 3600, now + 86400);
}

static inline void test_cert_make2(struct test_cert *tc, const char *name,
				   time_t not_before, time_t not_after)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	FILE *f;
	int fd;

	CHECK(gnutls_x509_privkey_init(&key) == 0, "privkey init");
	CHECK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0,
	      "key generation");
	CHECK(gnutls_x509_crt_init(&crt) == 0, "crt init");
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, not_before);
	gnutls_x509_crt_set_expiration_time(crt, not_after);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
				      name, strlen(name));
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
					     name, strlen(name), GNUTLS_FSAN_SET);
	gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
					   GNUTLS_KEY_KEY_CERT_SIGN);
	CHECK(gnutls_x509_crt_set_key(crt, key) == 0, "set key");
	CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0,
	      "self-sign");
	CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
				      &tc->cert_der) == 0, "export");
	CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
				      &tc->cert_pem) == 0, "export");
	CHECK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_DER,
					  &tc->key_der) == 0, "export key");
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);

	strcpy(tc->trust_path, "/tmp/ktls-test-ca.XXXXXX");
	fd = mkstemp(tc->trust_path);
	CHECK(fd >= 0, "mkstemp");
	f = fdopen(fd, "w");
	fwrite(tc->cert_pem.data, 1, tc->cert_pem.size, f);
	fclose(f);
}

static inline void test_cert_free(struct test_cert *tc)
{
	unlink(tc->trust_path);
	gnutls_free(tc->cert_der.data);
	gnutls_free(tc->key_der.data);
	gnutls_free(tc->cert_pem.data);
}

/* An engine config for one version and one cipher. */
static inline struct ktls_config *test_engine_config(const struct test_cert *tc,
						     enum ktls_role role,
						     uint16_t version,
						     unsigned int cipher)
{
	const void *certs[1] = { tc->cert_der.data };
	size_t lens[1] = { tc->cert_der.size };
	struct ktls_config *cfg;

	CHECK(ktls_config_new(&cfg, role) == 0, "config");
	CHECK(ktls_config_set_versions(cfg, version, version) == 0, "versions");
	CHECK(ktls_config_set_ciphers(cfg, cipher) == 0, "ciphers");
	if (role == KTLS_ROLE_SERVER)
		CHECK(ktls_config_set_cert_der(cfg, certs, lens, 1,
					       tc->key_der.data,
					       tc->key_der.size) == 0,
		      "cert der");
	else
		CHECK(ktls_config_set_trust_file(cfg, tc->trust_path) == 0,
		      "trust");
	return cfg;
}

static inline const char *test_gnutls_cipher(unsigned int cipher)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM: return "+AES-128-GCM";
	case KTLS_CIPHER_AES_256_GCM: return "+AES-256-GCM";
	case KTLS_CIPHER_CHACHA20_POLY1305: return "+CHACHA20-POLY1305";
	default: return "+AES-128-CCM";
	}
}

/*
 * The plain GnuTLS peer. Its writes can be held back and sent in one
 * send() (hold_finished: from its Finished on, so that application data
 * leaves in the same write as the end of its handshake).
 */
struct test_peer {
	int fd;
	int server;
	uint16_t version;
	unsigned int cipher;
	const struct test_cert *tc;
	int hold_finished;
	const char *prio;	/* instead of version + cipher */
	const void *early;	/* sent right after the handshake, held */
	size_t early_len;
	gnutls_session_t gs;
	gnutls_certificate_credentials_t x509;
	gnutls_datum_t ticket_key;
	int holding;
	unsigned char hold[65536];
	size_t hold_len;
	int result;
};

static inline ssize_t test_peer_push(gnutls_transport_ptr_t ptr,
				     const void *buf, size_t len)
{
	struct test_peer *p = ptr;

	if (!p->holding)
		return send(p->fd, buf, len, MSG_NOSIGNAL);
	if (p->hold_len + len > sizeof(p->hold)) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(p->hold + p->hold_len, buf, len);
	p->hold_len += len;
	return len;
}

static inline ssize_t test_peer_pull(gnutls_transport_ptr_t ptr, void *buf,
				     size_t len)
{
	struct test_peer *p = ptr;

	return recv(p->fd, buf, len, 0);
}

static inline int test_peer_hook(gnutls_session_t gs, unsigned int htype,
				 unsigned int when, unsigned int incoming,
				 const gnutls_datum_t *msg)
{
	struct test_peer *p = gnutls_session_get_ptr(gs);

	if (!incoming && p->hold_finished)
		p->holding = 1;
	return 0;
}

static inline void test_peer_init(struct test_peer *p)
{
	char prio[256];
	unsigned int flags = p->server ? GNUTLS_SERVER : GNUTLS_CLIENT;

	if (p->hold_finished)
		flags |= p->server ? GNUTLS_ENABLE_EARLY_START :
				     GNUTLS_ENABLE_FALSE_START;
	CHECK(gnutls_init(&p->gs, flags) == 0, "gnutls_init");
	snprintf(prio, sizeof(prio),
		 "NORMAL:-VERS-ALL:+VERS-TLS1.%d:-CIPHER-ALL:%s",
		 p->version == KTLS_VERSION_1_3 ? 3 : 2,
		 test_gnutls_cipher(p->cipher));
	CHECK(gnutls_priority_set_direct(p->gs, p->prio ? p->prio : prio,
					  NULL) == 0, "prio");
	gnutls_certificate_allocate_credentials(&p->x509);
	if (p->server) {
		gnutls_datum_t c = p->tc->cert_der, k = p->tc->key_der;

		CHECK(gnutls_certificate_set_x509_key_mem(p->x509, &c, &k,
					GNUTLS_X509_FMT_DER) == 0, "peer key");
		gnutls_session_ticket_key_generate(&p->ticket_key);
		gnutls_session_ticket_enable_server(p->gs, &p->ticket_key);
	}
	gnutls_credentials_set(p->gs, GNUTLS_CRD_CERTIFICATE, p->x509);
	gnutls_session_set_ptr(p->gs, p);
	gnutls_transport_set_ptr(p->gs, p);
	gnutls_transport_set_push_function(p->gs, test_peer_push);
	gnutls_transport_set_pull_function(p->gs, test_peer_pull);
	gnutls_handshake_set_hook_function(p->gs, GNUTLS_HANDSHAKE_FINISHED,
					   GNUTLS_HOOK_PRE, test_peer_hook);
}

static inline void *test_peer_run(void *arg)
{
	struct test_peer *p = arg;
	size_t off = 0;
	ssize_t n;
	int ret;

	do {
		ret = gnutls_handshake(p->gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	p->result = ret;
	if (ret == 0 && p->early) {
		p->holding = 1;
		n = gnutls_record_send(p->gs, p->early, p->early_len);
		if (n != (ssize_t)p->early_len)
			p->result = -1;
	}
	if (p->holding) {
		p->holding = 0;
		while (off < p->hold_len) {
			n = send(p->fd, p->hold + off, p->hold_len - off,
				 MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += n;
		}
	}
	return NULL;
}

static inline void test_peer_free(struct test_peer *p)
{
	gnutls_deinit(p->gs);
	gnutls_certificate_free_credentials(p->x509);
	gnutls_free(p->ticket_key.data);
}

/* Everything readable on fd right now (the peer has finished writing). */
static inline size_t test_drain(int fd, unsigned char *buf, size_t max)
{
	size_t len = 0;
	ssize_t n;

	while (len < max) {
		n = recv(fd, buf + len, max - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += n;
	}
	return len;
}

struct test_record {
	unsigned char type;		/* outer content type */
	const unsigned char *hdr;	/* 5 bytes */
	const unsigned char *body;
	size_t len;
};

/* Split raw bytes into records; returns how many. */
static inline int test_records(const unsigned char *buf, size_t len,
			       struct test_record *r, int max)
{
	int n = 0;
	size_t off = 0, blen;

	while (off + 5 <= len && n < max) {
		blen = buf[off + 3] << 8 | buf[off + 4];
		CHECK(off + 5 + blen <= len, "truncated record");
		r[n].type = buf[off];
		r[n].hdr = buf + off;
		r[n].body = buf + off + 5;
		r[n].len = blen;
		n++;
		off += 5 + blen;
	}
	CHECK(off == len, "trailing bytes after records");
	return n;
}

static inline void test_seq_add(unsigned char seq[8], uint64_t add)
{
	int i;

	for (i = 7; i >= 0 && add; i--) {
		add += seq[i];
		seq[i] = add & 0xff;
		add >>= 8;
	}
}

/*
 * Decrypt one record as the kernel would with this crypto_info, whose
 * rec_seq has been advanced by `advance` records. Returns the plaintext
 * length (TLS 1.3: without the inner type, which goes to *inner), or -1.
 */
static inline int test_decrypt(const union ktls_crypto_info *ci,
			       uint64_t advance, const struct test_record *r,
			       unsigned char *out, unsigned char *inner)
{
	gnutls_cipher_algorithm_t alg;
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t key;
	const unsigned char *salt, *iv, *rec_seq;
	unsigned char nonce[12], aad[13], seq[8];
	const unsigned char *ct = r->body;
	size_t ctlen = r->len, outlen = 16384 + 256, saltlen, ivlen;
	int tls13 = ci->info.version == TLS_1_3_VERSION, i, ret;

	switch (ci->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		alg = GNUTLS_CIPHER_AES_128_GCM;
		key.data = (void *)ci->gcm128.key; key.size = 16;
		salt = ci->gcm128.salt; iv = ci->gcm128.iv;
		rec_seq = ci->gcm128.rec_seq; saltlen = 4; ivlen = 8;
		break;
	case TLS_CIPHER_AES_GCM_256:
		alg = GNUTLS_CIPHER_AES_256_GCM;
		key.data = (void *)ci->gcm256.key; key.size = 32;
		salt = ci->gcm256.salt; iv = ci->gcm256.iv;
		rec_seq = ci->gcm256.rec_seq; saltlen = 4; ivlen = 8;
		break;
	case TLS_CIPHER_AES_CCM_128:
		alg = GNUTLS_CIPHER_AES_128_CCM;
		key.data = (void *)ci->ccm128.key; key.size = 16;
		salt = ci->ccm128.salt; iv = ci->ccm128.iv;
		rec_seq = ci->ccm128.rec_seq; saltlen = 4; ivlen = 8;
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		alg = GNUTLS_CIPHER_CHACHA20_POLY1305;
		key.data = (void *)ci->chacha.key; key.size = 32;
		salt = NULL; iv = ci->chacha.iv;
		rec_seq = ci->chacha.rec_seq; saltlen = 0; ivlen = 12;
		break;
	default:
		return -1;
	}
	memcpy(seq, rec_seq, 8);
	test_seq_add(seq, advance);

	if (tls13 || saltlen == 0) {
		/* (salt || iv) XOR seq, right-aligned: RFC 8446 and 7905 */
		if (saltlen)
			memcpy(nonce, salt, saltlen);
		memcpy(nonce + saltlen, iv, ivlen);
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= seq[i];
	} else {
		/* TLS 1.2 AES: salt || explicit nonce carried in the record */
		if (ctlen < 8)
			return -1;
		memcpy(nonce, salt, 4);
		memcpy(nonce + 4, ct, 8);
		ct += 8;
		ctlen -= 8;
	}
	if (ctlen < 16)
		return -1;
	if (tls13) {
		memcpy(aad, r->hdr, 5);
	} else {
		memcpy(aad, seq, 8);
		aad[8] = r->type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (ctlen - 16) >> 8;
		aad[12] = (ctlen - 16) & 0xff;
	}
	if (gnutls_aead_cipher_init(&h, alg, &key) < 0)
		return -1;
	ret = gnutls_aead_cipher_decrypt(h, nonce, 12, aad, tls13 ? 5 : 13, 16,
					 ct, ctlen, out, &outlen);
	gnutls_aead_cipher_deinit(h);
	if (ret < 0)
		return -1;
	if (!tls13) {
		*inner = r->type;
		return outlen;
	}
	while (outlen && !out[outlen - 1])
		outlen--;	/* padding */
	if (!outlen)
		return -1;
	*inner = out[--outlen];
	return outlen;
}

/*
 * A client (s[0] on sv[0]) and a server (s[1] on sv[1]) over a
 * non-blocking socketpair, both driven on this thread until their
 * handshakes end: 0 or the first handshake error. Set-up failures stop
 * the test. The caller frees both sessions and closes both sockets.
 */
static inline int test_handshake_pair(struct ktls_config *ccfg,
				      struct ktls_config *scfg,
				      const struct ktls_session_opts *co,
				      const struct ktls_session_opts *so,
				      struct ktls_session *s[2], int sv[2])
{
	int ret[2] = { -EAGAIN, -EAGAIN }, i, rounds = 0;
	struct pollfd pfd[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	for (i = 0; i < 2; i++)
		fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK);
	CHECK(ktls_session_new(&s[0], ccfg, sv[0], co) == 0, "client: %s",
	      ktls_session_error(NULL));
	CHECK(ktls_session_new(&s[1], scfg, sv[1], so) == 0, "server: %s",
	      ktls_session_error(NULL));
	while (ret[0] == -EAGAIN || ret[1] == -EAGAIN) {
		CHECK(++rounds < 1000, "no progress");
		for (i = 0; i < 2; i++) {
			if (ret[i] == -EAGAIN)
				ret[i] = ktls_session_handshake(s[i]);
			pfd[i].fd = sv[i];
			pfd[i].events = ret[i] == -EAGAIN ?
					ktls_session_poll_events(s[i]) : 0;
		}
		if (ret[0] == -EAGAIN || ret[1] == -EAGAIN)
			poll(pfd, 2, 5000);
	}
	return ret[0] ? ret[0] : ret[1];
}

#endif /* KTLS_TEST_H */
