// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * No byte is lost at handover. A plain GnuTLS peer sends application data
 * in the same write as the end of its handshake (its Finished; a TLS 1.3
 * server returns early for 0.5-RTT data, a TLS 1.2 client uses false
 * start). When the engine's handshake returns, those encrypted bytes must
 * still be in the socket for the kernel, GnuTLS must hold no plaintext
 * (ktls_session_pending() == 0), and the bytes must decrypt with the
 * engine's RX state.
 *
 * GnuTLS 3.7 itself happens to read record by record (the control run with
 * a greedy reader shows whether it does), so the property the engine
 * relies on is also tested head-on: the engine's reader, asked for far
 * more than a record, must stop at the record's end, whatever the split
 * of header and body across TCP segments.
 */
#include <sys/ioctl.h>

#include "ktls_test.h"

static const char early[] = "the peer speaks first, in its Finished's write";

/* A reader like GnuTLS's own: takes whatever the socket has, up to len. */
static ssize_t control_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct ktls_session *s = ptr;

	return recv(s->fd, buf, len, 0);
}

/* Returns how many bytes were left in the socket after the handshake. */
static int run(int engine_server, uint16_t version, int control,
	       const struct test_cert *tc)
{
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 10000);
	struct test_peer peer = { 0 };
	struct test_record r[16];
	union ktls_crypto_info rx;
	socklen_t rxlen;
	struct ktls_config *cfg;
	struct ktls_session *s;
	unsigned char raw[65536], out[16384 + 256], inner = 0;
	const void *pend;
	pthread_t th;
	size_t len;
	int sv[2], ret, n, i, plen = -1, inq = 0;
	char what[96];

	snprintf(what, sizeof(what), "engine %s, TLS 1.%d%s",
		 engine_server ? "server" : "client",
		 version == KTLS_VERSION_1_3 ? 3 : 2,
		 control ? ", greedy reader" : "");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cfg = test_engine_config(tc, engine_server ? KTLS_ROLE_SERVER :
						     KTLS_ROLE_CLIENT,
				 version, KTLS_CIPHER_AES_128_GCM);
	CHECK(ktls_session_new(&s, cfg, sv[0], &so) == 0, "session");
	CHECK(ktls_session_count() == 1, "%s: %lu sessions open, not 1", what,
	      ktls_session_count());
	if (control)
		gnutls_transport_set_pull_function(ktls_session_gnutls(s),
						   control_pull);

	peer.fd = sv[1];
	peer.server = !engine_server;
	peer.version = version;
	peer.cipher = KTLS_CIPHER_AES_128_GCM;
	peer.tc = tc;
	peer.hold_finished = 1;
	peer.early = early;
	peer.early_len = strlen(early);
	test_peer_init(&peer);
	pthread_create(&th, NULL, test_peer_run, &peer);
	ret = ktls_session_handshake(s);
	pthread_join(th, NULL);
	CHECK(ret == 0, "%s: handshake: %s", what, ktls_session_error(s));
	CHECK(peer.result == 0, "%s: peer: %s", what,
	      gnutls_strerror(peer.result));
	/* The peer's single write went out before its thread ended. */
	CHECK(peer.hold_len > strlen(early), "%s: peer held nothing", what);

	ioctl(sv[0], FIONREAD, &inq);
	if (control) {
		printf("control: %s: %d bytes left in the socket, %zu plaintext bytes in GnuTLS\n",
		       what, inq, gnutls_record_check_pending(ktls_session_gnutls(s)));
		goto out;
	}
	CHECK(ktls_session_pending(s, &pend) == 0,
	      "%s: GnuTLS took application data", what);
	CHECK(inq > 0, "%s: the peer's data is gone from the socket", what);

	CHECK(ktls_crypto_info_fill(ktls_session_gnutls(s), 1, &rx, &rxlen) == 0,
	      "fill");
	len = test_drain(sv[0], raw, sizeof(raw));
	n = test_records(raw, len, r, 16);
	for (i = 0; i < n; i++) {
		plen = test_decrypt(&rx, i, &r[i], out, &inner);
		CHECK(plen >= 0, "%s: record %d does not decrypt", what, i);
	}
	CHECK(inner == 23 && plen == (int)strlen(early) &&
	      !memcmp(out, early, plen), "%s: wrong plaintext", what);
	printf("ok: %s: %d bytes (%d records) left for the kernel, decrypted\n",
	       what, inq, n);
out:
	test_peer_free(&peer);
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
	return inq;
}

/* The engine's reader never crosses a record boundary. */
static void run_reader(const struct test_cert *tc)
{
	struct ktls_config *cfg;
	struct ktls_session *s;
	unsigned char wire[5 + 300 + 5 + 40], buf[4096];
	size_t first = 5 + 300, off = 0;
	ssize_t n;
	int sv[2], inq, reads = 0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				 KTLS_CIPHER_AES_128_GCM);
	CHECK(ktls_session_new(&s, cfg, sv[0], NULL) == 0, "session");
	memset(wire, 0xab, sizeof(wire));
	memcpy(wire, "\x17\x03\x03\x01\x2c", 5);		/* 300 bytes */
	memcpy(wire + first, "\x17\x03\x03\x00\x28", 5);	/* 40 bytes */

	/* Header split 2 + 3, body split, second record right behind. */
	CHECK(send(sv[1], wire, 2, 0) == 2, "send");
	n = ktls_transport_pull(s, buf, sizeof(buf));
	CHECK(n == 2, "partial header: read %zd", n);
	off += n;
	CHECK(send(sv[1], wire + 2, sizeof(wire) - 2, 0) ==
	      (ssize_t)sizeof(wire) - 2, "send");
	while (off < first) {
		n = ktls_transport_pull(s, buf, sizeof(buf));
		CHECK(n > 0, "read: %zd", n);
		CHECK(off + n <= first, "read %zd bytes at %zu: past the record's end at %zu",
		      n, off, first);
		off += n;
		reads++;
	}
	ioctl(sv[0], FIONREAD, &inq);
	CHECK(inq == (int)(sizeof(wire) - first),
	      "%d bytes left, expected the whole second record", inq);
	/* And the second record on its own, too. */
	n = ktls_transport_pull(s, buf, sizeof(buf));
	CHECK(n == 5, "header of the second record: %zd", n);
	n = ktls_transport_pull(s, buf, sizeof(buf));
	CHECK(n == 40, "body of the second record: %zd", n);
	printf("ok: the engine's reader stops at record ends (%d reads for a 300-byte record)\n",
	       reads);
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	struct test_cert tc;
	int srv, v, greedy_lost = 0;
	uint16_t versions[] = { KTLS_VERSION_1_2, KTLS_VERSION_1_3 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	run_reader(&tc);
	for (srv = 0; srv < 2; srv++)
		for (v = 0; v < 2; v++)
			run(srv, versions[v], 0, &tc);
	for (srv = 0; srv < 2; srv++)
		for (v = 0; v < 2; v++)
			if (run(srv, versions[v], 1, &tc) == 0)
				greedy_lost++;
	test_cert_free(&tc);
	/* Each run freed its session: the library's count is back to 0. */
	CHECK(ktls_session_count() == 0, "%lu sessions still counted open",
	      ktls_session_count());
	printf("no byte lost at handover (a greedy reader under this GnuTLS lost them in %d of 4 cases)\n",
	       greedy_lost);
	return 0;
}
