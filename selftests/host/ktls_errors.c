// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Failures are loud and precise: engine against engine (or a plain GnuTLS
 * peer) over a socketpair, each failure must give the right errno on our
 * side, a cause a human can act on, and the peer a fatal alert it reports.
 * Also: PSK success and failures, configuration errors. Host only.
 */
#include "ktls_test.h"

struct side {
	struct ktls_config *cfg;
	struct ktls_session_opts opts;
	struct ktls_session *s;
	int fd;
	int ret;
	char err[256];
};

#define SIDE_INIT { .opts = KTLS_SESSION_OPTS_INIT() }

static void *side_run(void *arg)
{
	struct side *d = arg;

	d->ret = ktls_session_handshake(d->s);
	snprintf(d->err, sizeof(d->err), "%s", ktls_session_error(d->s));
	return NULL;
}

/* Handshake client against server; both results land in the sides. */
static void pair(struct side *cli, struct side *srv)
{
	int sv[2];
	pthread_t th;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	cli->fd = sv[0];
	srv->fd = sv[1];
	cli->opts.timeout_ms = srv->opts.timeout_ms = 10000;
	CHECK(ktls_session_new(&cli->s, cli->cfg, cli->fd, &cli->opts) == 0,
	      "client session");
	CHECK(ktls_session_new(&srv->s, srv->cfg, srv->fd, &srv->opts) == 0,
	      "server session");
	pthread_create(&th, NULL, side_run, srv);
	side_run(cli);
	/* A failed client may leave the server waiting: end its stream. */
	if (cli->ret)
		shutdown(cli->fd, SHUT_WR);
	pthread_join(th, NULL);
}

static void unpair(struct side *cli, struct side *srv)
{
	ktls_session_free(cli->s);
	ktls_session_free(srv->s);
	close(cli->fd);
	close(srv->fd);
	ktls_config_put(cli->cfg);
	ktls_config_put(srv->cfg);
	*cli = (struct side)SIDE_INIT;
	*srv = (struct side)SIDE_INIT;
}

static void expect(const char *what, const struct side *d, int err,
		   const char *text)
{
	CHECK(d->ret == err, "%s: got %d (%s), want %d", what, d->ret, d->err,
	      err);
	CHECK(!text || strstr(d->err, text), "%s: cause '%s' lacks '%s'",
	      what, d->err, text);
	printf("ok: %s: %s\n", what, d->err);
}

static struct ktls_config *server_cfg(const struct test_cert *tc)
{
	return test_engine_config(tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				  KTLS_CIPHER_ALL) ?: NULL;
}

static void test_verification(const struct test_cert *good,
			      const struct test_cert *other,
			      const struct test_cert *expired)
{
	struct side c = SIDE_INIT, s = SIDE_INIT;
	struct ktls_info info = KTLS_INFO_INIT();

	/* The good case first, so a failure below means something. */
	c.cfg = test_engine_config(good, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	ktls_config_set_versions(c.cfg, KTLS_VERSION_1_2, KTLS_VERSION_1_3);
	s.cfg = server_cfg(good);
	ktls_config_set_versions(s.cfg, KTLS_VERSION_1_2, KTLS_VERSION_1_3);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("trusted server", &c, 0, NULL);
	expect("server side", &s, 0, NULL);
	CHECK(ktls_session_info(c.s, &info) == 0, "info");
	CHECK(info.version == KTLS_VERSION_1_3 && info.peer_verified &&
	      !strcmp(info.peer_name, "localhost") && info.cipher,
	      "info: version %x verified %d peer '%s'", info.version,
	      info.peer_verified, info.peer_name);
	unpair(&c, &s);

	c.cfg = test_engine_config(other, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	s.cfg = server_cfg(good);
	ktls_config_set_versions(s.cfg, KTLS_VERSION_1_3, KTLS_VERSION_1_3);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("untrusted server certificate", &c, -EACCES,
	       "certificate not trusted");
	expect("server told", &s, -EACCES, "peer sent fatal alert");
	unpair(&c, &s);

	c.cfg = test_engine_config(good, KTLS_ROLE_CLIENT, KTLS_VERSION_1_2,
				   KTLS_CIPHER_ALL);
	s.cfg = server_cfg(good);
	c.opts.peername = "www.example.org";
	pair(&c, &s);
	expect("name mismatch", &c, -EACCES,
	       "name mismatch: wanted www.example.org");
	expect("server told", &s, -EACCES, "Certificate is bad");
	unpair(&c, &s);

	c.cfg = test_engine_config(expired, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	s.cfg = server_cfg(expired);
	ktls_config_set_versions(s.cfg, KTLS_VERSION_1_3, KTLS_VERSION_1_3);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("expired certificate", &c, -EACCES, "certificate expired");
	expect("server told", &s, -EACCES, "expired");
	unpair(&c, &s);

	/* A server that requires a client certificate gets none. */
	c.cfg = test_engine_config(good, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	s.cfg = server_cfg(good);
	ktls_config_set_versions(s.cfg, KTLS_VERSION_1_3, KTLS_VERSION_1_3);
	ktls_config_set_trust_file(s.cfg, good->trust_path);
	ktls_config_set_verify(s.cfg, KTLS_VERIFY_REQUIRED);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("client certificate required, none sent", &s, -EACCES,
	       "no certificate");
	unpair(&c, &s);
}

static void test_negotiation(const struct test_cert *tc)
{
	struct side c = SIDE_INIT, s = SIDE_INIT;

	c.cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	s.cfg = server_cfg(tc);		/* TLS 1.2 only */
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("TLS 1.2-only server", &s, -EACCES,
	       "peer offers only TLS 1.3");
	expect("client told", &c, -EACCES, NULL);
	unpair(&c, &s);

	c.cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_AES_128_GCM);
	s.cfg = test_engine_config(tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_3,
				   KTLS_CIPHER_AES_256_GCM);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("no common cipher", &s, -EACCES,
	       "peer offers AES-128-GCM, we offer AES-256-GCM");
	expect("client told", &c, -EACCES, "peer sent fatal alert");
	unpair(&c, &s);
}

/* A plain GnuTLS client with a given priority against an engine server. */
static void offer(const struct test_cert *tc, const char *prio,
		  const char *what, int err, const char *text)
{
	struct test_peer peer = { 0 };
	struct side s = SIDE_INIT;
	pthread_t th;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	s.cfg = test_engine_config(tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				   KTLS_CIPHER_ALL);
	ktls_config_set_versions(s.cfg, KTLS_VERSION_1_2, KTLS_VERSION_1_3);
	s.opts.timeout_ms = 10000;
	CHECK(ktls_session_new(&s.s, s.cfg, sv[1], &s.opts) == 0, "session");
	peer.fd = sv[0];
	peer.tc = tc;
	peer.prio = prio;
	peer.version = KTLS_VERSION_1_2;
	test_peer_init(&peer);
	pthread_create(&th, NULL, test_peer_run, &peer);
	side_run(&s);
	shutdown(sv[1], SHUT_RDWR);
	pthread_join(th, NULL);
	expect(what, &s, err, text);
	CHECK(peer.result == GNUTLS_E_FATAL_ALERT_RECEIVED,
	      "%s: the peer got no alert (%s)", what,
	      gnutls_strerror(peer.result));
	test_peer_free(&peer);
	ktls_session_free(s.s);
	ktls_config_put(s.cfg);
	close(sv[0]);
	close(sv[1]);
}

static void test_offers(const struct test_cert *tc)
{
	offer(tc, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA",
	      "RSA-key-exchange-only client", -EACCES,
	      "peer offers only RSA key exchange");
	offer(tc, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1",
	      "CBC-only client", -EACCES, "peer offers only non-AEAD");
	offer(tc, "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0",
	      "TLS 1.0/1.1-only client", -EACCES, "peer offers only TLS 1.1");
	/* Our certificate is ECDSA: the mismatch is named, not the ciphers. */
	offer(tc, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:+DHE-RSA",
	      "RSA-suites-only TLS 1.2 client", -EACCES,
	      "no cipher suite for our ECDSA certificate: peer offers only RSA-signed (EC)DHE suites");
	offer(tc, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-SHA256",
	      "RSA-signatures-only TLS 1.3 client", -EACCES,
	      "no signature algorithm in common: our certificate is ECDSA, peer accepts only RSA signatures");
}

/* What the kernel lacks is refused before any byte, naming the cipher. */
static void test_kernel_lacks(const struct test_cert *tc)
{
	struct side c = SIDE_INIT, s = SIDE_INIT;
	unsigned char b;
	int sv[2];

	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL &
				     ~KTLS_CIPHER_CHACHA20_POLY1305);
	c.cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_CHACHA20_POLY1305);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(ktls_session_new(&c.s, c.cfg, sv[0], NULL) == 0, "session");
	c.ret = ktls_session_handshake(c.s);
	snprintf(c.err, sizeof(c.err), "%s", ktls_session_error(c.s));
	expect("CHACHA20-only config, kernel without it", &c, -EOPNOTSUPP,
	       "lacks CHACHA20-POLY1305");
	CHECK(recv(sv[1], &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "bytes were sent anyway");
	ktls_session_free(c.s);
	ktls_config_put(c.cfg);
	close(sv[0]);
	close(sv[1]);
	c = (struct side)SIDE_INIT;

	/* The client's config was frozen while the kernel "had" CHACHA. */
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	c.cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				   KTLS_CIPHER_CHACHA20_POLY1305);
	CHECK(ktls_config_freeze(c.cfg) == 0, "freeze");
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL &
				     ~KTLS_CIPHER_CHACHA20_POLY1305);
	s.cfg = test_engine_config(tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_3,
				   KTLS_CIPHER_ALL);
	c.opts.peername = "localhost";
	pair(&c, &s);
	expect("CHACHA20-only client, server kernel without it", &s,
	       -EOPNOTSUPP,
	       "peer offers only CHACHA20-POLY1305, which this kernel's kTLS lacks");
	unpair(&c, &s);
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
}

static void test_psk(const struct test_cert *tc)
{
	static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
	static const unsigned char bad[32] = "0123456789abcdef0123456789abcdeX";
	uint16_t v;
	struct side c = SIDE_INIT, s = SIDE_INIT;
	struct ktls_info info = KTLS_INFO_INIT();

	for (v = KTLS_VERSION_1_2; v <= KTLS_VERSION_1_3; v++) {
		CHECK(ktls_config_new(&c.cfg, KTLS_ROLE_CLIENT) == 0, "cfg");
		CHECK(ktls_config_new(&s.cfg, KTLS_ROLE_SERVER) == 0, "cfg");
		ktls_config_set_versions(c.cfg, v, v);
		CHECK(ktls_config_add_psk(s.cfg, "host-a", key, 32) == 0, "psk");
		c.opts.psk_identity = "host-a";
		c.opts.psk_key = key;
		c.opts.psk_key_len = 32;
		pair(&c, &s);
		expect("PSK", &c, 0, NULL);
		expect("PSK server", &s, 0, NULL);
		CHECK(ktls_session_info(s.s, &info) == 0 &&
		      !strcmp(info.peer_name, "host-a") &&
		      strstr(info.kx_name, "PSK"),
		      "PSK info: peer '%s' kx '%s'", info.peer_name,
		      info.kx_name);
		printf("ok: PSK TLS 1.%d: %s %s\n", v == KTLS_VERSION_1_3 ? 3 : 2,
		       info.kx_name, info.cipher_name);
		unpair(&c, &s);

		CHECK(ktls_config_new(&c.cfg, KTLS_ROLE_CLIENT) == 0, "cfg");
		CHECK(ktls_config_new(&s.cfg, KTLS_ROLE_SERVER) == 0, "cfg");
		ktls_config_set_versions(c.cfg, v, v);
		ktls_config_add_psk(s.cfg, "host-a", key, 32);
		c.opts.psk_identity = "host-a";
		c.opts.psk_key = bad;
		c.opts.psk_key_len = 32;
		pair(&c, &s);
		CHECK(c.ret == -EACCES || s.ret == -EACCES,
		      "wrong PSK: client %d (%s), server %d (%s)", c.ret, c.err,
		      s.ret, s.err);
		printf("ok: wrong PSK key, TLS 1.%d: client: %s; server: %s\n",
		       v == KTLS_VERSION_1_3 ? 3 : 2, c.err, s.err);
		unpair(&c, &s);

		CHECK(ktls_config_new(&c.cfg, KTLS_ROLE_CLIENT) == 0, "cfg");
		CHECK(ktls_config_new(&s.cfg, KTLS_ROLE_SERVER) == 0, "cfg");
		ktls_config_set_versions(c.cfg, v, v);
		ktls_config_add_psk(s.cfg, "host-a", key, 32);
		c.opts.psk_identity = "host-b";
		c.opts.psk_key = key;
		c.opts.psk_key_len = 32;
		pair(&c, &s);
		CHECK(c.ret == -EACCES && s.ret < 0,
		      "unknown PSK identity: client %d (%s), server %d (%s)",
		      c.ret, c.err, s.ret, s.err);
		printf("ok: unknown PSK identity, TLS 1.%d: client: %s; server: %s\n",
		       v == KTLS_VERSION_1_3 ? 3 : 2, c.err, s.err);
		unpair(&c, &s);
	}
}

static void test_config(const struct test_cert *tc)
{
	struct ktls_config *cfg;
	struct ktls_session *s;
	int sv[2];

	CHECK(ktls_config_new(&cfg, KTLS_ROLE_CLIENT) == 0, "cfg");
	CHECK(ktls_config_set_trust_file(cfg, "/nonexistent/ca.pem") == -ENOENT,
	      "missing trust file");
	CHECK(ktls_config_set_cert_files(cfg, "/nonexistent/c", "/nonexistent/k") ==
	      -ENOENT, "missing cert file");
	CHECK(ktls_config_set_versions(cfg, 0x0301, KTLS_VERSION_1_3) == -EINVAL,
	      "TLS 1.0 allowed");
	CHECK(ktls_config_set_ciphers(cfg, 0) == -EINVAL, "no cipher allowed");
	CHECK(ktls_config_set_ciphers(cfg, 1u << 7) == -EINVAL, "unknown cipher");
	CHECK(ktls_config_set_trust_file(cfg, tc->trust_path) == 0, "trust");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(ktls_session_new(&s, cfg, sv[0], NULL) == 0, "session");
	CHECK(ktls_config_set_versions(cfg, KTLS_VERSION_1_3, KTLS_VERSION_1_3) ==
	      -EBUSY, "config changed under a live session");
	CHECK(ktls_session_offload(s) == -EINVAL, "offload before handshake");
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);

	CHECK(ktls_config_new(&cfg, KTLS_ROLE_SERVER) == 0, "cfg");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(ktls_session_new(&s, cfg, sv[0], NULL) == -ENOKEY,
	      "a server without certificate or PSK");
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
	printf("ok: configuration errors\n");
}

/* A peer that streams one endless handshake message. */
struct flood {
	int fd;
	size_t sent;
};

static void *flood_run(void *arg)
{
	struct flood *f = arg;
	unsigned char rec[5 + 16384] = { 22, 3, 3, 16384 >> 8, 16384 & 0xff };
	char hello[4096];
	ssize_t n;

	/* Wait for the ClientHello, then a ServerHello of 2^24-1 bytes. */
	if (recv(f->fd, hello, sizeof(hello), 0) <= 0)
		return NULL;
	rec[5] = 2;
	rec[6] = rec[7] = rec[8] = 0xff;
	while (f->sent < 16u << 20) {
		n = send(f->fd, rec, sizeof(rec), MSG_NOSIGNAL);
		if (n <= 0)
			break;
		f->sent += n;
		rec[5] = rec[6] = rec[7] = rec[8] = 0;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

/* What a handshake reads is bounded whatever GnuTLS makes of it. */
static void test_input_cap(const struct test_cert *tc)
{
	struct side c = SIDE_INIT;
	struct flood f = { 0 };
	pthread_t th;
	int sv[2];

	c.cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_2,
				   KTLS_CIPHER_ALL);
	c.opts.peername = "localhost";
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	f.fd = sv[1];
	CHECK(ktls_session_new(&c.s, c.cfg, sv[0], &c.opts) == 0, "session");
	pthread_create(&th, NULL, flood_run, &f);
	c.ret = ktls_session_handshake(c.s);
	snprintf(c.err, sizeof(c.err), "%s", ktls_session_error(c.s));
	close(sv[0]);
	pthread_join(th, NULL);
	/* GnuTLS 3.7 waits for the whole message: our cap ends it. */
	expect("endless ServerHello", &c, -EMSGSIZE,
	       "peer sent over 512 KiB of handshake data");
	CHECK(f.sent < 1u << 20, "endless ServerHello: %zu bytes read", f.sent);
	ktls_session_free(c.s);
	ktls_config_put(c.cfg);
	close(sv[1]);
}

int main(void)
{
	struct test_cert good, other, expired;
	time_t now = time(NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&good);
	test_cert_make2(&other, "some-other-ca", now - 3600, now + 86400);
	test_cert_make2(&expired, "localhost", now - 10 * 86400,
			now - 86400);
	test_config(&good);
	test_verification(&good, &other, &expired);
	test_negotiation(&good);
	test_offers(&good);
	test_kernel_lacks(&good);
	test_psk(&good);
	test_input_cap(&good);
	test_cert_free(&good);
	test_cert_free(&other);
	test_cert_free(&expired);
	/* Failed handshakes and refused setups freed their GnuTLS sessions. */
	CHECK(ktls_session_count() == 0, "%lu sessions still counted open",
	      ktls_session_count());
	printf("every failure had its errno and its cause\n");
	return 0;
}
