// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Key-exchange groups in the engine: X25519 by default, for certificate
 * and for PSK handshakes (GnuTLS's NORMAL put P-256 first, and PSK pairs
 * on FFDHE2048); ktls_config_set_groups() names others, in any case and
 * by NIST name, and refuses unknown names; ktls_group_parse() maps one
 * name. Also the client's hello round trip (ktls_info.hello_rtt_us) and
 * cert_sent, which tlshd's ticket wait uses. TLS 1.3, host only.
 */
#include <fcntl.h>
#include <poll.h>

#include "ktls_test.h"

/* One handshake: 0, the client's info in *ci, the server's in *si. */
static int run_pair(struct ktls_config *ccfg, struct ktls_config *scfg,
		    const struct ktls_session_opts *co, struct ktls_info *ci,
		    struct ktls_info *si)
{
	struct ktls_session *s[2] = { NULL, NULL };
	int sv[2], err;

	err = test_handshake_pair(ccfg, scfg, co, NULL, s, sv);
	if (!err) {
		CHECK(ktls_session_info(s[0], ci) == 0, "client info");
		CHECK(ktls_session_info(s[1], si) == 0, "server info");
	}
	ktls_session_free(s[0]);
	ktls_session_free(s[1]);
	close(sv[0]);
	close(sv[1]);
	return err;
}

static struct ktls_config *psk_config(enum ktls_role role, const char *groups)
{
	struct ktls_config *cfg;

	CHECK(ktls_config_new(&cfg, role) == 0, "psk config");
	CHECK(ktls_config_set_versions(cfg, KTLS_VERSION_1_3,
				       KTLS_VERSION_1_3) == 0, "versions");
	if (role == KTLS_ROLE_SERVER)
		CHECK(ktls_config_add_psk(cfg, "host nqn", "0123456789abcdef0123456789abcdef",
					  32) == 0, "add psk");
	if (groups)
		CHECK(ktls_config_set_groups(cfg, groups) == 0, "groups %s",
		      groups);
	return cfg;
}

int main(void)
{
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost");
	struct ktls_session_opts po = KTLS_SESSION_OPTS_INIT(
		.psk_identity = "host nqn",
		.psk_key = "0123456789abcdef0123456789abcdef",
		.psk_key_len = 32);
	struct ktls_info ci = KTLS_INFO_INIT(), si = KTLS_INFO_INIT();
	struct ktls_config *ccfg, *scfg;
	const char *n;
	struct test_cert tc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);

	/* Names: GnuTLS's or NIST's, any case, len bytes. */
	n = ktls_group_parse("p-256", 5);
	CHECK(n && !strcmp(n, "SECP256R1"), "P-256: %s", n ? n : "NULL");
	n = ktls_group_parse("x25519 and more", 6);
	CHECK(n && !strcmp(n, "X25519"), "x25519: %s", n ? n : "NULL");
	n = ktls_group_parse("FFDHE2048", 9);
	CHECK(n && !strcmp(n, "FFDHE2048"), "FFDHE2048");
	CHECK(!ktls_group_parse("P-257", 5), "P-257 known");
	CHECK(!ktls_group_parse("X255", 4), "a prefix known");
	CHECK(!ktls_group_parse(NULL, 0), "NULL known");

	/* Certificates, both ends default: X25519. */
	ccfg = test_engine_config(&tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				  KTLS_CIPHER_ALL);
	scfg = test_engine_config(&tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_3,
				  KTLS_CIPHER_ALL);
	CHECK(ktls_config_set_groups(ccfg, "X25519 P-257") == -EINVAL,
	      "unknown group taken");
	CHECK(ktls_config_set_groups(ccfg, " ,;: ") == -EINVAL, "no group taken");
	CHECK(ktls_config_set_groups(ccfg, NULL) == -EINVAL, "NULL taken");
	CHECK(run_pair(ccfg, scfg, &co, &ci, &si) == 0, "default handshake");
	CHECK(!strcmp(ci.group_name, "X25519") && !strcmp(si.group_name, "X25519"),
	      "default group %s/%s, want X25519", ci.group_name, si.group_name);
	CHECK(ci.hello_rtt_us > 0, "client: no hello round trip measured");
	CHECK(si.hello_rtt_us == 0, "server: a hello round trip");
	CHECK(!ci.cert_sent, "client: cert_sent without a certificate");
	printf("default: %s, client hello round trip %u us\n", ci.group_name,
	       ci.hello_rtt_us);
	CHECK(ktls_config_set_groups(ccfg, "P-384") == -EBUSY,
	      "groups changed on a frozen config");
	ktls_config_put(ccfg);

	/* A client that names its groups: the server takes its own first. */
	ccfg = test_engine_config(&tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				  KTLS_CIPHER_ALL);
	CHECK(ktls_config_set_groups(ccfg, "secp384r1, p-384;P-521") == 0,
	      "groups");
	CHECK(run_pair(ccfg, scfg, &co, &ci, &si) == 0, "P-384 handshake");
	CHECK(!strcmp(ci.group_name, "SECP384R1"), "group %s, want SECP384R1",
	      ci.group_name);
	printf("client P-384, P-521: %s\n", ci.group_name);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);

	/* PSK (psk_dhe_ke), both ends default: X25519, not FFDHE2048. */
	ccfg = psk_config(KTLS_ROLE_CLIENT, NULL);
	scfg = psk_config(KTLS_ROLE_SERVER, NULL);
	CHECK(run_pair(ccfg, scfg, &po, &ci, &si) == 0, "PSK handshake");
	CHECK(!strcmp(ci.group_name, "X25519") && !strcmp(si.group_name, "X25519"),
	      "PSK group %s/%s, want X25519", ci.group_name, si.group_name);
	printf("PSK default: %s (%s)\n", ci.group_name, ci.kx_name);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);

	/* PSK pinned to a finite-field group on both ends. */
	ccfg = psk_config(KTLS_ROLE_CLIENT, "FFDHE2048");
	scfg = psk_config(KTLS_ROLE_SERVER, "ffdhe2048 x25519");
	CHECK(run_pair(ccfg, scfg, &po, &ci, &si) == 0, "PSK FFDHE handshake");
	CHECK(!strcmp(ci.group_name, "FFDHE2048"), "PSK group %s, want FFDHE2048",
	      ci.group_name);
	printf("PSK pinned: %s (%s)\n", ci.group_name, ci.kx_name);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);

	test_cert_free(&tc);
	gnutls_global_deinit();
	printf("PASS\n");
	return 0;
}
