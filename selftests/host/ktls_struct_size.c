// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * ktls_session_opts and ktls_info carry their size (ktls.h, "Extensible
 * structs"). A caller built with an older, smaller struct works: the
 * fields it lacks are not read (garbage there changes nothing) and an
 * info struct is written no further than its size (guard bytes after it
 * stay intact). A newer, larger struct works while its extra bytes are
 * zero (-E2BIG else; info's extra bytes are zeroed). Size 0 or below
 * sizeof(size_t): -EINVAL with a cause, nothing written. Host only.
 */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>

#include "ktls_test.h"

#define GUARD 0xa5
#define EXTRA 16

/* An opts or info struct of any size, with room and guard bytes after. */
union opts_buf {
	struct ktls_session_opts o;
	unsigned char raw[sizeof(struct ktls_session_opts) + EXTRA];
};
union info_buf {
	struct ktls_info i;
	unsigned char raw[sizeof(struct ktls_info) + EXTRA];
};

/* Both ends on one thread, non-blocking: 0 or the first error. */
static int run_pair(struct ktls_config *ccfg, struct ktls_config *scfg,
		    const void *co, const void *so, struct ktls_session **cs)
{
	struct ktls_session *s[2] = { NULL, NULL };
	int sv[2], err;

	err = test_handshake_pair(ccfg, scfg, co, so, s, sv);
	ktls_session_free(s[1]);
	close(sv[1]);
	*cs = s[0];		/* the caller reads its info, then frees it */
	return err;
}

static int guard_intact(const unsigned char *p, size_t from, size_t to)
{
	for (; from < to; from++)
		if (p[from] != GUARD)
			return 0;
	return 1;
}

static void older_callers(struct ktls_config *ccfg, struct ktls_config *scfg)
{
	size_t old_opts = offsetof(struct ktls_session_opts, resume_data);
	size_t old_info = offsetof(struct ktls_info, peer_record_limit);
	union opts_buf co, so;
	union info_buf ib;
	struct ktls_session *cs;

	/*
	 * Built before resumption and kernel-key PSKs: all that follows its
	 * size is garbage. Read, it would fail the session (resume_data a
	 * wild pointer, ticket_key_len not 64, psk_key_serial no key).
	 */
	memset(co.raw, 0xff, sizeof(co.raw));
	memset(so.raw, 0xff, sizeof(so.raw));
	co.o.size = old_opts;
	co.o.peername = "localhost";
	co.o.no_name_check = 0;
	co.o.psk_identity = NULL;
	co.o.psk_key = NULL;
	co.o.psk_key_len = 0;
	co.o.timeout_ms = 10000;
	co.o.no_tickets = 0;
	memcpy(so.raw, co.raw, old_opts);
	so.o.peername = NULL;
	CHECK(run_pair(ccfg, scfg, &co, &so, &cs) == 0,
	      "older opts (size %zu): fields past it were read", old_opts);
	CHECK(co.o.size == old_opts, "the caller's opts were written");

	/* An info struct from before record limits: not overrun. */
	memset(ib.raw, GUARD, sizeof(ib.raw));
	ib.i.size = old_info;
	CHECK(ktls_session_info(cs, &ib.i) == 0, "older info");
	CHECK(ib.i.size == old_info, "info size changed to %zu", ib.i.size);
	CHECK(ib.i.version == KTLS_VERSION_1_2 && ib.i.cipher_name[0] &&
	      !strcmp(ib.i.peer_name, "localhost"),
	      "older info not filled: version %#x peer '%s'", ib.i.version,
	      ib.i.peer_name);
	CHECK(guard_intact(ib.raw, old_info, sizeof(ib.raw)),
	      "info of size %zu overrun", old_info);
	printf("ok: older opts (%zu of %zu bytes) ignore what follows; older info (%zu of %zu bytes) not overrun\n",
	       old_opts, sizeof(struct ktls_session_opts), old_info,
	       sizeof(struct ktls_info));

	/* Size 0 and too small: -EINVAL, nothing written but size. */
	memset(ib.raw, GUARD, sizeof(ib.raw));
	ib.i.size = 0;
	CHECK(ktls_session_info(cs, &ib.i) == -EINVAL, "info size 0");
	CHECK(ib.i.size == 0 &&
	      guard_intact(ib.raw, sizeof(size_t), sizeof(ib.raw)),
	      "info size 0 written");
	ktls_session_free(cs);
}

static void bad_and_newer(struct ktls_config *ccfg, struct ktls_config *scfg)
{
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 10000);
	struct ktls_session *s = (void *)1, *cs;
	union opts_buf big;
	union info_buf ib;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	co.size = 0;
	CHECK(ktls_session_new(&s, ccfg, sv[0], &co) == -EINVAL && !s,
	      "opts size 0");
	CHECK(strstr(ktls_session_error(NULL), "KTLS_SESSION_OPTS_INIT"),
	      "size 0 cause: '%s'", ktls_session_error(NULL));
	printf("ok: opts size 0: -EINVAL, \"%s\"\n", ktls_session_error(NULL));
	co.size = sizeof(size_t) - 1;
	CHECK(ktls_session_new(&s, ccfg, sv[0], &co) == -EINVAL && !s,
	      "opts size %zu", co.size);

	/* A newer caller setting a field we lack: refused, not ignored. */
	memset(big.raw, 0, sizeof(big.raw));
	big.o = co;
	big.o.size = sizeof(big.raw);
	big.raw[sizeof(big.raw) - 1] = 1;
	CHECK(ktls_session_new(&s, ccfg, sv[0], &big.o) == -E2BIG && !s,
	      "newer opts with an unknown field set");
	CHECK(strstr(ktls_session_error(NULL), "not zero"), "E2BIG cause: '%s'",
	      ktls_session_error(NULL));
	close(sv[0]);
	close(sv[1]);

	/* The same, its unknown tail zero: works; a larger info is zeroed. */
	big.raw[sizeof(big.raw) - 1] = 0;
	CHECK(run_pair(ccfg, scfg, &big, NULL, &cs) == 0, "newer opts");
	memset(ib.raw, GUARD, sizeof(ib.raw));
	ib.i.size = sizeof(ib.raw) - 8;
	CHECK(ktls_session_info(cs, &ib.i) == 0, "newer info");
	CHECK(ib.i.version == KTLS_VERSION_1_2 && ib.i.size == sizeof(ib.raw) - 8,
	      "newer info");
	CHECK(!memcmp(ib.raw + sizeof(struct ktls_info),
		      (unsigned char[EXTRA]){ 0 }, EXTRA - 8) &&
	      guard_intact(ib.raw, sizeof(ib.raw) - 8, sizeof(ib.raw)),
	      "newer info: tail not zeroed or overrun");
	ktls_session_free(cs);
	printf("ok: newer opts with a zero tail work, a set one gives -E2BIG; newer info zero-extended\n");
}

int main(void)
{
	struct ktls_config *ccfg, *scfg;
	struct test_cert tc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	ccfg = test_engine_config(&tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_2,
				  KTLS_CIPHER_ALL);
	scfg = test_engine_config(&tc, KTLS_ROLE_SERVER, KTLS_VERSION_1_2,
				  KTLS_CIPHER_ALL);
	older_callers(ccfg, scfg);
	bad_and_newer(ccfg, scfg);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);
	test_cert_free(&tc);
	gnutls_global_deinit();
	printf("PASS\n");
	return 0;
}
