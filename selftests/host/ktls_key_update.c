// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * The engine's TLS 1.3 key update derivation agrees with GnuTLS's own,
 * for the four ciphers, the engine as client and as server, against a
 * plain GnuTLS peer over a socketpair (no kTLS needed):
 *   - the secrets taken from GnuTLS's secret callback give, through
 *     HKDF-Expand-Label, the very key and iv GnuTLS's record state holds;
 *   - the peer calls gnutls_session_key_update(GNUTLS_KU_PEER): its
 *     KeyUpdate decrypts under the old receive key and reads
 *     {24, 0,0,1, 1}, and its next record decrypts, from sequence 0, under
 *     the receive key the engine derives for the next generation;
 *   - the engine's next transmit key equals the one GnuTLS itself moves to
 *     in gnutls_session_key_update;
 *   - a malformed KeyUpdate is refused, named (decode_error for a bad
 *     length, illegal_parameter for a request value of 2), and a session
 *     not handed to kTLS is not followed (EKEYEXPIRED, named);
 *   - the secrets are wiped when the session is.
 */
#include "ktls_test.h"

static const unsigned int ciphers[] = {
	KTLS_CIPHER_AES_128_GCM, KTLS_CIPHER_AES_256_GCM,
	KTLS_CIPHER_CHACHA20_POLY1305, KTLS_CIPHER_AES_128_CCM,
};

static const unsigned char *ci_key(const union ktls_crypto_info *ci,
				   size_t *len)
{
	switch (ci->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128: *len = 16; return ci->gcm128.key;
	case TLS_CIPHER_AES_GCM_256: *len = 32; return ci->gcm256.key;
	case TLS_CIPHER_AES_CCM_128: *len = 16; return ci->ccm128.key;
	default: *len = 32; return ci->chacha.key;
	}
}

/* Same key, salt and iv (rec_seq aside). */
static int ci_same_key(const union ktls_crypto_info *a,
		       const union ktls_crypto_info *b)
{
	size_t la, lb;
	const unsigned char *ka = ci_key(a, &la), *kb = ci_key(b, &lb);

	if (a->info.cipher_type != b->info.cipher_type || la != lb ||
	    memcmp(ka, kb, la))
		return 0;
	switch (a->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		return !memcmp(a->gcm128.salt, b->gcm128.salt, 4) &&
		       !memcmp(a->gcm128.iv, b->gcm128.iv, 8);
	case TLS_CIPHER_AES_GCM_256:
		return !memcmp(a->gcm256.salt, b->gcm256.salt, 4) &&
		       !memcmp(a->gcm256.iv, b->gcm256.iv, 8);
	case TLS_CIPHER_AES_CCM_128:
		return !memcmp(a->ccm128.salt, b->ccm128.salt, 4) &&
		       !memcmp(a->ccm128.iv, b->ccm128.iv, 8);
	default:
		return !memcmp(a->chacha.iv, b->chacha.iv, 12);
	}
}

/* The current generation's key and iv, from a kept secret. */
static void current_from_secret(struct ktls_session *s, int tx,
				union ktls_crypto_info *ci)
{
	gnutls_session_t gs = ktls_session_gnutls(s);
	gnutls_mac_algorithm_t mac = (gnutls_mac_algorithm_t)
				     gnutls_prf_hash_get(gs);
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(gs);
	unsigned char key[32], iv[12], seq[8] = { 0 };
	size_t klen = gnutls_cipher_get_key_size(c);
	gnutls_datum_t dk = { key, klen }, di = { iv, 12 };
	socklen_t len;

	CHECK(ktls_hkdf_expand_label(mac, tx ? s->ku_tx : s->ku_rx, s->ku_len,
				     "key", key, klen) == 0, "expand key");
	CHECK(ktls_hkdf_expand_label(mac, tx ? s->ku_tx : s->ku_rx, s->ku_len,
				     "iv", iv, 12) == 0, "expand iv");
	CHECK(ktls_crypto_info_set(ci, c, 1, &dk, &di, seq, &len) == 0, "set");
}

static void run(int engine_server, unsigned int cipher,
		const struct test_cert *tc)
{
	static const char msg[] = "under the peer's next key";
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 10000);
	struct test_peer peer = { 0 };
	union ktls_crypto_info cur, state, next;
	struct test_record r[16];
	unsigned char raw[65536], out[16384 + 256], nsec[64], inner;
	struct ktls_config *cfg;
	struct ktls_session *s;
	socklen_t len;
	pthread_t th;
	size_t rlen;
	int sv[2], n, i, plen, ret;
	char what[96];

	snprintf(what, sizeof(what), "engine %s, %s",
		 engine_server ? "server" : "client", ktls_cipher_name(cipher));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cfg = test_engine_config(tc, engine_server ? KTLS_ROLE_SERVER :
						     KTLS_ROLE_CLIENT,
				 KTLS_VERSION_1_3, cipher);
	CHECK(ktls_session_new(&s, cfg, sv[0], &so) == 0, "session");
	peer.fd = sv[1];
	peer.server = !engine_server;
	peer.version = KTLS_VERSION_1_3;
	peer.cipher = cipher;
	peer.tc = tc;
	test_peer_init(&peer);
	pthread_create(&th, NULL, test_peer_run, &peer);
	ret = ktls_session_handshake(s);
	pthread_join(th, NULL);
	CHECK(ret == 0 && peer.result == 0, "%s: handshake", what);
	CHECK(s->ku_len == (cipher == KTLS_CIPHER_AES_256_GCM ? 48u : 32u),
	      "%s: secret of %zu bytes kept", what, s->ku_len);

	/* The kept secrets are GnuTLS's current ones, both directions. */
	current_from_secret(s, 1, &cur);
	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 0, &state, &len) == 0,
	      "fill tx");
	CHECK(ci_same_key(&cur, &state), "%s: transmit secret is not GnuTLS's",
	      what);
	current_from_secret(s, 0, &cur);
	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 1, &state, &len) == 0,
	      "fill rx");
	CHECK(ci_same_key(&cur, &state), "%s: receive secret is not GnuTLS's",
	      what);

	/*
	 * The peer updates and asks us to: its KeyUpdate comes under the
	 * old key (after any tickets), the next record under the new one.
	 */
	CHECK(gnutls_session_key_update(peer.gs, GNUTLS_KU_PEER) == 0,
	      "%s: peer key update", what);
	CHECK(gnutls_record_send(peer.gs, msg, strlen(msg)) ==
	      (ssize_t)strlen(msg), "%s: peer send", what);
	rlen = test_drain(sv[0], raw, sizeof(raw));
	n = test_records(raw, rlen, r, 16);
	CHECK(n >= 2, "%s: %d records", what, n);
	for (i = 0; i < n - 1; i++) {
		plen = test_decrypt(&state, i, &r[i], out, &inner);
		CHECK(plen >= 0 && inner == KTLS_RECORD_HANDSHAKE,
		      "%s: record %d under the old key", what, i);
	}
	CHECK(plen == 5 && !memcmp(out, "\x18\x00\x00\x01\x01", 5),
	      "%s: the last old-key record is no KeyUpdate(update_requested)",
	      what);
	CHECK(ktls_key_update_next(s, 0, nsec, &next, &len) == 0,
	      "%s: next rx", what);
	plen = test_decrypt(&next, 0, &r[n - 1], out, &inner);
	CHECK(plen == (int)strlen(msg) && inner == KTLS_RECORD_DATA &&
	      !memcmp(out, msg, plen),
	      "%s: the peer's record after its KeyUpdate does not decrypt under the derived next key",
	      what);

	/* Our next transmit key is the one GnuTLS moves to itself. */
	CHECK(ktls_key_update_next(s, 1, nsec, &next, &len) == 0,
	      "%s: next tx", what);
	CHECK(gnutls_session_key_update(ktls_session_gnutls(s), 0) == 0,
	      "%s: engine's GnuTLS key update", what);
	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 0, &state, &len) == 0,
	      "fill tx");
	CHECK(ci_same_key(&next, &state),
	      "%s: derived next transmit key differs from GnuTLS's", what);
	gnutls_memset(nsec, 0, sizeof(nsec));

	/* Malformed KeyUpdates: refused before anything is derived. */
	CHECK(ktls_key_update_received(s, (const unsigned char *)"\x18\x00\x00\x02\x00\x00", 6) == -EPROTO &&
	      strstr(ktls_session_error(s), "malformed"),
	      "%s: a KeyUpdate of length 2: %s", what, ktls_session_error(s));
	CHECK(ktls_key_update_received(s, (const unsigned char *)"\x18\x00\x00\x01\x02", 5) == -EPROTO &&
	      strstr(ktls_session_error(s), "request_update 2"),
	      "%s: request_update 2: %s", what, ktls_session_error(s));
	CHECK(ktls_key_update_received(s, (const unsigned char *)"\x18\x00\x00\x01\x00", 5) == -EKEYEXPIRED &&
	      strstr(ktls_session_error(s), "not handed to kTLS"),
	      "%s: a session not offloaded: %s", what, ktls_session_error(s));
	CHECK(ktls_key_update(s, 0) == -EOPNOTSUPP,
	      "%s: ktls_key_update before offload", what);
	printf("ok: %s: kept secrets give GnuTLS's keys; GnuTLS's KeyUpdate followed; next transmit key as GnuTLS's; malformed ones named\n",
	       what);

	ktls_key_update_wipe(s);
	for (i = 0; i < (int)sizeof(s->ku_tx); i++)
		CHECK(!s->ku_tx[i] && !s->ku_rx[i], "%s: secrets not wiped", what);
	gnutls_memset(&cur, 0, sizeof(cur));
	gnutls_memset(&next, 0, sizeof(next));
	gnutls_memset(&state, 0, sizeof(state));
	test_peer_free(&peer);
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	struct test_cert tc;
	size_t c;
	int srv;

	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	/* The secrets are taken only where the kernel could use them. */
	ktls_kernel_rekey_override(1);
	test_cert_make(&tc);
	for (srv = 0; srv < 2; srv++)
		for (c = 0; c < 4; c++)
			run(srv, ciphers[c], &tc);
	test_cert_free(&tc);
	printf("all 8 combinations follow GnuTLS's key updates\n");
	return 0;
}
