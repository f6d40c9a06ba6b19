// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * The engine's handover structs are right: for TLS 1.2 and 1.3, each of
 * the four ciphers, the engine as client and as server, run a handshake
 * against plain GnuTLS over a socketpair, fill tls12_crypto_info_* for
 * both directions with the engine's own function, then decrypt the raw
 * records each side sends next using nothing but those structs, building
 * nonce and AAD the way the kernel does. Records sent under the new keys
 * before the handover (TLS 1.3 tickets) must be accounted for by rec_seq.
 * No kTLS needed: this runs on the host.
 */
#include "ktls_test.h"

static const unsigned int ciphers[] = {
	KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM,
	KTLS_CIPHER_CHACHA20_POLY1305, KTLS_CIPHER_AES_128_CCM,
};

static uint64_t seq_of(const unsigned char *s)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | s[i];
	return v;
}

static const unsigned char *rec_seq_of(const union ktls_crypto_info *ci)
{
	switch (ci->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128: return ci->gcm128.rec_seq;
	case TLS_CIPHER_AES_GCM_256: return ci->gcm256.rec_seq;
	case TLS_CIPHER_AES_CCM_128: return ci->ccm128.rec_seq;
	default: return ci->chacha.rec_seq;
	}
}

static socklen_t expected_len(unsigned int cipher)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM:
		return sizeof(struct tls12_crypto_info_aes_gcm_128);
	case KTLS_CIPHER_AES_256_GCM:
		return sizeof(struct tls12_crypto_info_aes_gcm_256);
	case KTLS_CIPHER_CHACHA20_POLY1305:
		return sizeof(struct tls12_crypto_info_chacha20_poly1305);
	default:
		return sizeof(struct tls12_crypto_info_aes_ccm_128);
	}
}

/*
 * Decrypt every record in buf in order, the first with rec_seq + 0; the
 * last must be application data equal to want. Returns the record count.
 */
static int check_stream(const union ktls_crypto_info *ci, int tls12_aes,
			const unsigned char *buf, size_t len, const char *want,
			int skip, const char *what)
{
	struct test_record r[16];
	unsigned char out[16384 + 256], inner;
	int n, i, plen;

	n = test_records(buf, len, r, 16);
	CHECK(n > skip, "%s: %d records, expected more than %d", what, n, skip);
	for (i = skip; i < n; i++) {
		plen = test_decrypt(ci, i - skip, &r[i], out, &inner);
		CHECK(plen >= 0, "%s: record %d of %d does not decrypt with the extracted state",
		      what, i, n);
		if (tls12_aes) {
			unsigned char seq[8];

			/* GnuTLS's explicit nonce is the sequence number */
			memcpy(seq, rec_seq_of(ci), 8);
			test_seq_add(seq, i - skip);
			CHECK(!memcmp(r[i].body, seq, 8),
			      "%s: explicit nonce is not the sequence number", what);
		}
		if (i == n - 1) {
			CHECK(inner == 23, "%s: last record has type %d", what,
			      inner);
			CHECK(plen == (int)strlen(want) && !memcmp(out, want, plen),
			      "%s: plaintext differs", what);
		}
	}
	return n;
}

static void run(int engine_server, uint16_t version, unsigned int cipher,
		const struct test_cert *tc)
{
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 10000);
	struct test_peer peer = { 0 };
	union ktls_crypto_info tx, rx;
	socklen_t txlen = 0, rxlen = 0;
	struct ktls_config *cfg;
	struct ktls_session *s;
	pthread_t th;
	unsigned char raw[65536];
	size_t len;
	int sv[2], n, ret, tls12_aes;
	char what[128];
	const char *to_engine = "from the plain GnuTLS peer to the engine";
	const char *to_peer = "from the engine to the plain GnuTLS peer";
	uint64_t txseq;

	snprintf(what, sizeof(what), "engine %s, TLS 1.%d, %s",
		 engine_server ? "server" : "client",
		 version == KTLS_VERSION_1_3 ? 3 : 2, ktls_cipher_name(cipher));
	tls12_aes = version == KTLS_VERSION_1_2 &&
		    cipher != KTLS_CIPHER_CHACHA20_POLY1305;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");

	cfg = test_engine_config(tc, engine_server ? KTLS_ROLE_SERVER :
						     KTLS_ROLE_CLIENT,
				 version, cipher);
	CHECK(ktls_session_new(&s, cfg, sv[0], &so) == 0, "session");
	peer.fd = sv[1];
	peer.server = !engine_server;
	peer.version = version;
	peer.cipher = cipher;
	peer.tc = tc;
	test_peer_init(&peer);
	pthread_create(&th, NULL, test_peer_run, &peer);
	ret = ktls_session_handshake(s);
	pthread_join(th, NULL);
	CHECK(ret == 0, "%s: handshake: %s", what, ktls_session_error(s));
	CHECK(peer.result == 0, "%s: peer handshake: %s", what,
	      gnutls_strerror(peer.result));

	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 1, &rx, &rxlen) == 0,
	      "%s: fill rx", what);
	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 0, &tx, &txlen) == 0,
	      "%s: fill tx", what);
	CHECK(rxlen == expected_len(cipher) && txlen == expected_len(cipher),
	      "%s: struct size", what);
	CHECK(tx.info.version == (version == KTLS_VERSION_1_3 ?
				  TLS_1_3_VERSION : TLS_1_2_VERSION),
	      "%s: version field", what);

	/* Peer -> engine: whatever is in the socket, tickets included. */
	CHECK(gnutls_record_send(peer.gs, to_engine, strlen(to_engine)) ==
	      (ssize_t)strlen(to_engine), "%s: peer send", what);
	len = test_drain(sv[0], raw, sizeof(raw));
	n = check_stream(&rx, tls12_aes, raw, len, to_engine, 0, what);

	/*
	 * Engine -> peer: records that went out under the new keys before
	 * the fill (a TLS 1.3 server's tickets) sit in front; rec_seq must
	 * count exactly those (TLS 1.2: the Finished, already consumed).
	 */
	CHECK(gnutls_record_send(ktls_session_gnutls(s), to_peer,
				 strlen(to_peer)) == (ssize_t)strlen(to_peer),
	      "%s: engine send", what);
	len = test_drain(sv[1], raw, sizeof(raw));
	{
		struct test_record r[16];
		int total = test_records(raw, len, r, 16);

		txseq = seq_of(rec_seq_of(&tx));
		CHECK((uint64_t)total - 1 ==
		      txseq - (version == KTLS_VERSION_1_2 ? 1 : 0),
		      "%s: %d records before ours, but rec_seq is %llu", what,
		      total - 1, (unsigned long long)txseq);
		check_stream(&tx, tls12_aes, raw, len, to_peer, total - 1, what);
	}
	if (engine_server && version == KTLS_VERSION_1_3)
		CHECK(txseq > 0, "%s: a TLS 1.3 server sent no ticket?", what);
	printf("ok: %s (rx: %d records from seq %llu, tx seq %llu)\n", what, n,
	       (unsigned long long)seq_of(rec_seq_of(&rx)),
	       (unsigned long long)txseq);

	gnutls_memset(&tx, 0, sizeof(tx));
	gnutls_memset(&rx, 0, sizeof(rx));
	test_peer_free(&peer);
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
}

/* The decryptor itself must notice a wrong key or a wrong sequence. */
static void run_negative(const struct test_cert *tc)
{
	union ktls_crypto_info ci;
	struct test_record r;
	unsigned char hdr[5] = { 23, 3, 3, 0, 0 }, body[64], out[64], inner;

	memset(&ci, 0, sizeof(ci));
	ci.info.version = TLS_1_3_VERSION;
	ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memset(body, 0x5a, sizeof(body));
	hdr[4] = sizeof(body);
	r.type = 23;
	r.hdr = hdr;
	r.body = body;
	r.len = sizeof(body);
	CHECK(test_decrypt(&ci, 0, &r, out, &inner) < 0,
	      "garbage decrypted: the decryptor checks nothing");
}

int main(void)
{
	struct test_cert tc;
	size_t v, c;
	int srv;
	uint16_t versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };

	gnutls_global_init();
	/* No kTLS on a build host: let the engine negotiate all four. */
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	run_negative(&tc);
	for (srv = 0; srv < 2; srv++)
		for (v = 0; v < 2; v++)
			for (c = 0; c < 4; c++)
				run(srv, versions[v], ciphers[c], &tc);
	test_cert_free(&tc);
	printf("all 16 combinations decrypt as the kernel would\n");
	return 0;
}
