// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Event-loop use of the engine: on non-blocking sockets the handshake
 * returns -EAGAIN, ktls_session_poll_events() says what to wait for, and
 * one thread drives a client and a server to completion. The timeout is
 * honoured both ways: -ETIMEDOUT from a non-blocking loop that waits
 * ktls_session_time_left(), and from a blocking handshake. The same loop
 * on blocking sockets with ktls_session_opts.dontwait, whose mode must
 * stay blocking. Host only.
 */
#include <fcntl.h>
#include <poll.h>
#include <time.h>

#include "ktls_test.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void test_event_loop(const struct test_cert *tc, uint16_t version,
			    int dontwait)
{
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 10000,
		.dontwait = dontwait);
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.timeout_ms = 10000, .dontwait = dontwait);
	struct ktls_config *ccfg, *scfg;
	struct ktls_session *s[2];
	struct ktls_info ci = KTLS_INFO_INIT(), si = KTLS_INFO_INIT();
	struct pollfd pfd[2];
	int sv[2], ret[2] = { -EAGAIN, -EAGAIN }, again = 0, i, rounds = 0;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	if (!dontwait) {
		nonblock(sv[0]);
		nonblock(sv[1]);
	} else {
		/* A read that does block fails the test instead of hanging it. */
		struct timeval tv = { .tv_sec = 2 };

		for (i = 0; i < 2; i++)
			setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
	}
	ccfg = test_engine_config(tc, KTLS_ROLE_CLIENT, version, KTLS_CIPHER_ALL);
	scfg = test_engine_config(tc, KTLS_ROLE_SERVER, version, KTLS_CIPHER_ALL);
	CHECK(ktls_session_new(&s[0], ccfg, sv[0], &co) == 0, "client");
	CHECK(ktls_session_new(&s[1], scfg, sv[1], &so) == 0, "server");

	while (ret[0] == -EAGAIN || ret[1] == -EAGAIN) {
		CHECK(++rounds < 1000, "no progress");
		for (i = 0; i < 2; i++) {
			if (ret[i] != -EAGAIN)
				continue;
			ret[i] = ktls_session_handshake(s[i]);
			if (ret[i] == -EAGAIN)
				again++;
		}
		for (i = 0; i < 2; i++) {
			pfd[i].fd = sv[i];
			pfd[i].events = ret[i] == -EAGAIN ?
					ktls_session_poll_events(s[i]) : 0;
			CHECK(pfd[i].events == 0 || pfd[i].events == POLLIN ||
			      pfd[i].events == POLLOUT, "poll events %x",
			      pfd[i].events);
		}
		if (ret[0] == -EAGAIN || ret[1] == -EAGAIN)
			CHECK(poll(pfd, 2, ktls_session_time_left(s[0])) > 0,
			      "nothing to do while a handshake waits");
	}
	CHECK(ret[0] == 0, "client: %s", ktls_session_error(s[0]));
	CHECK(ret[1] == 0, "server: %s", ktls_session_error(s[1]));
	CHECK(again >= 2, "the handshake never returned -EAGAIN");
	CHECK(ktls_session_info(s[0], &ci) == 0 &&
	      ktls_session_info(s[1], &si) == 0, "info");
	CHECK(ci.version == version && si.version == version &&
	      ci.cipher == si.cipher && ci.cipher && ci.peer_verified,
	      "info: %x/%x %s/%s verified %d", ci.version, si.version,
	      ci.cipher_name, si.cipher_name, ci.peer_verified);
	if (dontwait)
		CHECK(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK) &&
		      !(fcntl(sv[1], F_GETFL) & O_NONBLOCK),
		      "dontwait changed the file mode");
	printf("ok: one thread, two %s sessions, TLS 1.%d %s %s: %d x -EAGAIN, %d rounds\n",
	       dontwait ? "dontwait (blocking fds)" : "non-blocking",
	       version == KTLS_VERSION_1_3 ? 3 : 2, ci.cipher_name,
	       ci.group_name, again, rounds);
	ktls_session_free(s[0]);
	ktls_session_free(s[1]);
	ktls_config_put(ccfg);
	ktls_config_put(scfg);
	close(sv[0]);
	close(sv[1]);
}

/* A peer that never answers: the deadline must end the handshake. */
static void test_timeout(const struct test_cert *tc, int blocking)
{
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 300);
	struct ktls_config *cfg;
	struct ktls_session *s;
	struct pollfd pfd;
	int64_t t0, dt;
	int sv[2], ret, left;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	if (!blocking)
		nonblock(sv[0]);
	cfg = test_engine_config(tc, KTLS_ROLE_CLIENT, KTLS_VERSION_1_3,
				 KTLS_CIPHER_ALL);
	CHECK(ktls_session_new(&s, cfg, sv[0], &co) == 0, "session");
	t0 = now_ms();
	for (;;) {
		ret = ktls_session_handshake(s);
		if (ret != -EAGAIN)
			break;
		CHECK(!blocking, "-EAGAIN on a blocking socket");
		left = ktls_session_time_left(s);
		CHECK(left >= 0 && left <= 300, "time left %d", left);
		pfd.fd = sv[0];
		pfd.events = ktls_session_poll_events(s);
		poll(&pfd, 1, left);
	}
	dt = now_ms() - t0;
	CHECK(ret == -ETIMEDOUT, "%s: got %d (%s)", blocking ? "blocking" :
	      "non-blocking", ret, ktls_session_error(s));
	CHECK(dt >= 250 && dt < 3000, "timed out after %lld ms, wanted 300",
	      (long long)dt);
	CHECK(strstr(ktls_session_error(s), "timed out"), "cause: %s",
	      ktls_session_error(s));
	CHECK(ktls_session_handshake(s) == -ETIMEDOUT, "not sticky");
	printf("ok: %s handshake against a silent peer: %s after %lld ms\n",
	       blocking ? "blocking" : "non-blocking", ktls_session_error(s),
	       (long long)dt);
	ktls_session_free(s);
	ktls_config_put(cfg);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	struct test_cert tc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gnutls_global_init();
	ktls_kernel_ciphers_override(KTLS_CIPHER_ALL);
	test_cert_make(&tc);
	test_event_loop(&tc, KTLS_VERSION_1_2, 0);
	test_event_loop(&tc, KTLS_VERSION_1_3, 0);
	test_event_loop(&tc, KTLS_VERSION_1_2, 1);
	test_event_loop(&tc, KTLS_VERSION_1_3, 1);
	test_timeout(&tc, 0);
	test_timeout(&tc, 1);
	test_cert_free(&tc);
	printf("non-blocking handshakes and timeouts behave\n");
	return 0;
}
