// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Record size limits (max_fragment_length, record_size_limit) against a
 * plain GnuTLS peer, TLS 1.2 and 1.3. kTLS on 6.1/6.12 writes 16 KiB
 * records whatever was negotiated, so:
 *
 * - engine server, peer client asking for 512-byte records: the handshake
 *   succeeds, neither extension comes back (the peer's own view of the
 *   ServerHello/EncryptedExtensions), ktls_session_info() reports the 512
 *   asked for, and a full 16 KiB record from the engine is accepted by
 *   the peer;
 * - engine client, peer server limiting what it receives to 512: the
 *   handshake fails with -EOPNOTSUPP, a cause naming the limit, and the
 *   peer gets a handshake_failure alert;
 * - controls: with ktls_config_set_user_records() GnuTLS keeps the records
 *   and honours both limits (the server echoes, the client goes on), which
 *   shows the peer-side checks can see an echoed extension.
 */
#include "ktls_test.h"

#define LIMIT 512

struct seen {
	int mfl, rsl;
};

static int seen_ext(void *ctx, unsigned int tls_id, const unsigned char *d,
		    unsigned int size)
{
	struct seen *x = ctx;

	if (tls_id == 1)
		x->mfl = 1;
	if (tls_id == 28)
		x->rsl = 1;
	return 0;
}

static struct seen peer_seen;

/* The peer client's view: which limits did the server answer? */
static int peer_hook(gnutls_session_t gs, unsigned int htype,
		     unsigned int when, unsigned int incoming,
		     const gnutls_datum_t *m)
{
	gnutls_datum_t ext;
	size_t off = 0;

	if (!incoming)
		return 0;
	if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO) {
		if (m->size < 35)
			return 0;
		off = 35 + m->data[34] + 3;
	} else if (htype != GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS) {
		return 0;
	}
	if (off + 2 > m->size)
		return 0;
	ext.data = m->data + off;
	ext.size = m->size - off;
	gnutls_ext_raw_parse(&peer_seen, seen_ext, &ext, 0);
	return 0;
}

static const char *vname(uint16_t v)
{
	return v == KTLS_VERSION_1_3 ? "TLS 1.3" : "TLS 1.2";
}

static void run_server(const struct test_cert *tc, uint16_t v, int user)
{
	static unsigned char buf[16384], got[16384];
	struct test_peer peer = { 0 };
	struct ktls_config *cfg;
	struct ktls_session *s;
	struct ktls_info info = KTLS_INFO_INIT();
	pthread_t th;
	size_t off = 0;
	ssize_t n;
	int sv[2], ret;

	memset(&peer_seen, 0, sizeof(peer_seen));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cfg = test_engine_config(tc, KTLS_ROLE_SERVER, v, KTLS_CIPHER_ALL);
	ktls_config_set_user_records(cfg, user);
	CHECK(ktls_session_new(&s, cfg, sv[0], NULL) == 0, "session");
	peer.fd = sv[1];
	peer.version = v;
	peer.cipher = KTLS_CIPHER_AES_128_GCM;
	peer.tc = tc;
	test_peer_init(&peer);
	/* Asks for 512 both ways: max_fragment_length and record_size_limit */
	CHECK(gnutls_record_set_max_size(peer.gs, LIMIT) == 0, "set_max_size");
	gnutls_handshake_set_hook_function(peer.gs, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_PRE, peer_hook);
	pthread_create(&th, NULL, test_peer_run, &peer);
	ret = ktls_session_handshake(s);
	pthread_join(th, NULL);
	CHECK(ret == 0, "%s server%s: handshake: %s", vname(v),
	      user ? " (user records)" : "", ktls_session_error(s));
	CHECK(peer.result == 0, "%s: peer: %s", vname(v),
	      gnutls_strerror(peer.result));
	CHECK(ktls_session_info(s, &info) == 0, "info");

	if (user) {
		CHECK(peer_seen.rsl || peer_seen.mfl,
		      "%s, user records: GnuTLS did not answer the limit: the check is blind",
		      vname(v));
		CHECK(info.peer_record_limit == 0, "user records: limit %u",
		      info.peer_record_limit);
		printf("ok %s, user records: limit echoed (mfl %d, rsl %d), GnuTLS keeps it\n",
		       vname(v), peer_seen.mfl, peer_seen.rsl);
		goto out;
	}
	CHECK(!peer_seen.rsl && !peer_seen.mfl,
	      "%s: the server answered the limit (mfl %d, rsl %d): kTLS can't keep it",
	      vname(v), peer_seen.mfl, peer_seen.rsl);
	CHECK(info.peer_record_limit == LIMIT, "%s: peer_record_limit %u",
	      vname(v), info.peer_record_limit);
	/* One full-size record, as the kernel would write it. */
	memset(buf, 0x5a, sizeof(buf));
	n = gnutls_record_send(ktls_session_gnutls(s), buf, sizeof(buf));
	CHECK(n == (ssize_t)sizeof(buf), "%s: send: %zd", vname(v), n);
	while (off < sizeof(got)) {
		n = gnutls_record_recv(peer.gs, got + off, sizeof(got) - off);
		/* after a TLS 1.3 NewSessionTicket */
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		CHECK(n > 0, "%s: the peer refused a 16 KiB record: %s",
		      vname(v), gnutls_strerror(n));
		/* One record: GnuTLS itself did not split it either. */
		CHECK(off || n == (ssize_t)sizeof(got),
		      "%s: first record only %zd bytes", vname(v), n);
		off += n;
	}
	CHECK(!memcmp(buf, got, sizeof(buf)), "%s: bytes differ", vname(v));
	printf("ok %s: 512 asked for, declined, a 16 KiB record accepted\n",
	       vname(v));
out:
	ktls_session_free(s);
	ktls_config_put(cfg);
	test_peer_free(&peer);
	close(sv[0]);
	close(sv[1]);
}

static void run_client(const struct test_cert *tc, uint16_t v, int user)
{
	struct test_peer peer = { 0 };
	struct ktls_config *cfg;
	struct ktls_session *s;
	pthread_t th;
	int sv[2], ret;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, v, KTLS_CIPHER_ALL);
	ktls_config_set_user_records(cfg, user);
	CHECK(ktls_session_new(&s, cfg, sv[0], NULL) == 0, "session");
	peer.fd = sv[1];
	peer.server = 1;
	peer.version = v;
	peer.cipher = KTLS_CIPHER_AES_128_GCM;
	peer.tc = tc;
	test_peer_init(&peer);
	/* The server can take only 512-byte records: record_size_limit. */
	CHECK(gnutls_record_set_max_recv_size(peer.gs, LIMIT) == 0,
	      "set_max_recv_size");
	pthread_create(&th, NULL, test_peer_run, &peer);
	ret = ktls_session_handshake(s);
	/*
	 * The peer may wait for a Finished that never comes: end our side's
	 * writing only, so that a flight it is still sending is not cut off
	 * (EPIPE) before it reads our alert.
	 */
	if (ret)
		shutdown(sv[0], SHUT_WR);
	pthread_join(th, NULL);
	if (user) {
		CHECK(ret == 0, "%s client, user records: %s", vname(v),
		      ktls_session_error(s));
		printf("ok %s client, user records: GnuTLS keeps the server's limit\n",
		       vname(v));
		goto out;
	}
	CHECK(ret == -EOPNOTSUPP, "%s client: got %d (%s), want -EOPNOTSUPP",
	      vname(v), ret, ktls_session_error(s));
	CHECK(strstr(ktls_session_error(s), "limits records to 512 bytes"),
	      "%s client: cause: %s", vname(v), ktls_session_error(s));
	CHECK(peer.result == GNUTLS_E_FATAL_ALERT_RECEIVED &&
	      gnutls_alert_get(peer.gs) == GNUTLS_A_HANDSHAKE_FAILURE,
	      "%s client: the peer saw %s / %s", vname(v),
	      gnutls_strerror(peer.result),
	      gnutls_alert_get_name(gnutls_alert_get(peer.gs)));
	printf("ok %s client: refused: %s; peer got handshake_failure\n",
	       vname(v), ktls_session_error(s));
out:
	ktls_session_free(s);
	ktls_config_put(cfg);
	test_peer_free(&peer);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	uint16_t versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };
	struct test_cert tc;
	int v, user;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	for (v = 0; v < 2; v++)
		for (user = 0; user < 2; user++) {
			run_server(&tc, versions[v], user);
			run_client(&tc, versions[v], user);
		}
	test_cert_free(&tc);
	CHECK(ktls_session_count() == 0, "%lu sessions still counted open",
	      ktls_session_count());
	printf("all record-limit checks passed\n");
	return 0;
}
