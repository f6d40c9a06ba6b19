// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Ticket resumption in the engine, TLS 1.2 (its ticket comes inside the
 * handshake; TLS 1.3's post-handshake capture needs kTLS: guest tests).
 * A full handshake yields resume data; offering it resumes; a server with
 * the same master key (ktls_config_set_ticket_key) resumes another's
 * ticket, one with a different key gives a full handshake; tampered or
 * garbage resume data gives a full handshake, never an error; a server
 * with tickets off leaves the client without resume data. Host only.
 */
#include <fcntl.h>
#include <poll.h>

#include "ktls_test.h"

/* Both ends on one thread, non-blocking: 0 or the first error. */
static int run_pair(struct ktls_config *ccfg, struct ktls_config *scfg,
		    const struct ktls_session_opts *co,
		    const struct ktls_session_opts *so, struct ktls_info *ci,
		    struct ktls_info *si, void **resume, size_t *resume_len)
{
	struct ktls_session *s[2] = { NULL, NULL };
	int sv[2], err;

	err = test_handshake_pair(ccfg, scfg, co, so, s, sv);
	if (!err) {
		CHECK(ktls_session_info(s[0], ci) == 0, "client info");
		CHECK(ktls_session_info(s[1], si) == 0, "server info");
		if (resume)
			ktls_session_get_resume_data(s[0], resume, resume_len,
						     NULL);
	}
	ktls_session_free(s[0]);
	ktls_session_free(s[1]);
	close(sv[0]);
	close(sv[1]);
	return err;
}

/* Where the ticket sealed under master key mk starts in resume data. */
static unsigned char *ticket_in(void *rd, size_t len, const unsigned char *mk)
{
	unsigned char in[8 + KTLS_TICKET_KEY_SIZE], out[64];
	uint64_t t = (uint64_t)time(NULL) / (3 * 21600);
	int i;

	for (i = 0; i < 8; i++)
		in[i] = t >> (56 - 8 * i);
	memcpy(in + 8, mk, KTLS_TICKET_KEY_SIZE);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA3_512, in, sizeof(in), out) < 0)
		return NULL;
	return memmem(rd, len, out, 16);
}

int main(void)
{
	struct ktls_config *ccfg, *scfg, *scfg2, *scfg3;
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost");
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT();
	struct ktls_info ci = KTLS_INFO_INIT(), si = KTLS_INFO_INIT();
	unsigned char key[KTLS_TICKET_KEY_SIZE], other[KTLS_TICKET_KEY_SIZE];
	struct test_cert tc;
	unsigned char *bad;
	void *rd = NULL, *rd2 = NULL;
	size_t len = 0, len2 = 0, pos;
	unsigned int n = 0, full = 0;
	unsigned char *tk;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key));
	gnutls_rnd(GNUTLS_RND_KEY, other, sizeof(other));

	ccfg = test_engine_config(&tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_2,
				  KTLS_CIPHER_ALL);
	scfg = test_engine_config(&tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				  KTLS_CIPHER_ALL);
	scfg2 = test_engine_config(&tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				   KTLS_CIPHER_ALL);
	scfg3 = test_engine_config(&tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				   KTLS_CIPHER_ALL);
	CHECK(ktls_config_set_ticket_key(scfg, key, 32) == -EINVAL, "short key");
	CHECK(ktls_config_set_ticket_key(ccfg, key, sizeof(key)) == -EINVAL,
	      "a client takes no ticket key");
	CHECK(ktls_config_set_ticket_key(scfg, key, sizeof(key)) == 0, "key");
	CHECK(ktls_config_set_ticket_key(scfg2, key, sizeof(key)) == 0, "key 2");
	CHECK(ktls_config_set_ticket_key(scfg3, other, sizeof(other)) == 0,
	      "key 3");

	/* Full, then resumed with what the first left. */
	CHECK(run_pair(ccfg, scfg, &co, &so, &ci, &si, &rd, &len) == 0, "full");
	CHECK(!ci.resumed && !si.resumed, "first handshake resumed?");
	CHECK(rd && len > 0, "no resume data after a TLS 1.2 ticket");
	CHECK(ktls_config_set_ticket_key(scfg, key, sizeof(key)) == -EBUSY,
	      "key changed after the first session");
	co.resume_data = rd;
	co.resume_len = len;
	CHECK(run_pair(ccfg, scfg, &co, &so, &ci, &si, NULL, NULL) == 0,
	      "resume");
	CHECK(ci.resumed && si.resumed, "not resumed: %d/%d", ci.resumed,
	      si.resumed);
	CHECK(!strcmp(ci.peer_name, "localhost"), "resumed peer name '%s'",
	      ci.peer_name);
	printf("ok: TLS 1.2 ticket: full, then resumed (peer %s)\n",
	       ci.peer_name);

	/* Another server with the same master key: resumed. Another key: full. */
	CHECK(run_pair(ccfg, scfg2, &co, &so, &ci, &si, NULL, NULL) == 0,
	      "same key");
	CHECK(ci.resumed && si.resumed, "shared key: not resumed");
	CHECK(run_pair(ccfg, scfg3, &co, &so, &ci, &si, NULL, NULL) == 0,
	      "other key");
	CHECK(!ci.resumed && !si.resumed, "other key: resumed");
	printf("ok: a shared ticket key resumes, another key gives a full handshake\n");

	/*
	 * A tampered ticket: a full handshake, never a failure. The ticket
	 * inside the resume data starts with its key's name, the first 16
	 * bytes of SHA3-512(period || master key), period = time / (3 x the
	 * 21600 s default lifetime) (GnuTLS's lib/stek.c). Tampering with
	 * the rest of the resume data (the client's own secret) would be
	 * local memory corruption, not a forged ticket.
	 */
	tk = ticket_in(rd, len, key);
	CHECK(tk != NULL, "no ticket named after our key in the resume data");
	bad = malloc(len);
	CHECK(bad != NULL, "malloc");
	for (pos = tk - (unsigned char *)rd; pos < len && n < 96; pos += 3, n++) {
		memcpy(bad, rd, len);
		bad[pos] ^= 0x5a;
		co.resume_data = bad;
		CHECK(run_pair(ccfg, scfg, &co, &so, &ci, &si, NULL, NULL) == 0,
		      "tampered at %zu of %zu: failed", pos, len);
		if (pos - (tk - (unsigned char *)rd) < 16 + 16 + 2 + 32)
			CHECK(!ci.resumed, "tampered at %zu: resumed", pos);
		full += !ci.resumed;
	}
	co.resume_data = "garbage";
	co.resume_len = 7;
	CHECK(run_pair(ccfg, scfg, &co, &so, &ci, &si, NULL, NULL) == 0 &&
	      !ci.resumed, "garbage resume data");
	printf("ok: %u tampered tickets (%u full handshakes) and garbage: handshakes succeed\n",
	       n, full);

	/* Tickets off: nothing to resume from. */
	so.no_tickets = 1;
	co.resume_data = NULL;
	co.resume_len = 0;
	CHECK(run_pair(ccfg, scfg, &co, &so, &ci, &si, &rd2, &len2) == 0,
	      "no tickets");
	CHECK(!rd2, "resume data without a ticket");
	printf("ok: no ticket, no resume data\n");

	free(bad);
	free(rd);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);
	ktls_config_put(scfg2);
	ktls_config_put(scfg3);
	test_cert_free(&tc);
	printf("ticket resumption behaves\n");
	return 0;
}
