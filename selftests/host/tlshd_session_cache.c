// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * tlshd's client session cache: keys that differ in any field never meet,
 * entries expire, TLS 1.3 entries are single use, the size bound holds by
 * evicting the least recently used, hit/miss/resume/reject counters count,
 * the per-server ticket hint sticks, and concurrent workers neither lose
 * nor corrupt entries. Also the ticket master key loader's refusals.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_cache.h"
#include "ticket_keys.h"

#include "check.h"

static char *key(const char *addr, const char *peer, unsigned int auth,
		 const char *id, const char *trust)
{
	static char buf[16][256];
	static int i;
	char *k = buf[i++ % 16];

	if (tlshd_session_cache_key(k, 256, addr, peer, auth, id, trust))
		return NULL;
	return k;
}

static int has(struct tlshd_session_cache *c, const char *k, int64_t now,
	       const char *want)
{
	void *d;
	size_t len;
	int ok;

	if (tlshd_session_cache_get(c, k, now, &d, &len))
		return 0;
	ok = !want || (len == strlen(want) && !memcmp(d, want, len));
	free(d);
	return ok;
}

#define NTHREADS 4
#define NOPS 2000

static void *hammer(void *arg)
{
	struct tlshd_session_cache *c = arg;
	char k[64], v[32];
	void *d;
	size_t len;
	int i;

	for (i = 0; i < NOPS; i++) {
		snprintf(k, sizeof(k), "k%d", i % 50);
		snprintf(v, sizeof(v), "v%d", i % 50);
		tlshd_session_cache_put(c, k, v, strlen(v) + 1, 0, 100, 0);
		if (!tlshd_session_cache_get(c, k, 0, &d, &len)) {
			/* Whoever wrote it last, it belongs to this key. */
			if (strcmp(d, v))
				__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			free(d);
		}
	}
	return NULL;
}

int main(void)
{
	struct tlshd_session_cache *c;
	struct tlshd_session_cache_stats st;
	const char *base, *other;
	unsigned char tk[TLSHD_TICKET_KEY_SIZE];
	char err[256], path[] = "/tmp/tlshd-tk.XXXXXX";
	pthread_t th[NTHREADS];
	char small[8];
	int i, fd;

	c = tlshd_session_cache_new(3);
	CHECK(c != NULL);
	if (!c)
		return 1;

	/* Every field of the key matters. */
	base = key("10.0.0.1:2049", "nfs", 2, "cert:1/2", "/ca.pem");
	CHECK(tlshd_session_cache_put(c, base, "T1", 2, 100, 10, 0) == 0);
	CHECK(has(c, base, 100, "T1"));
	CHECK(!has(c, key("10.0.0.1:2050", "nfs", 2, "cert:1/2", "/ca.pem"), 100, NULL));
	CHECK(!has(c, key("10.0.0.2:2049", "nfs", 2, "cert:1/2", "/ca.pem"), 100, NULL));
	CHECK(!has(c, key("10.0.0.1:2049", "nfs2", 2, "cert:1/2", "/ca.pem"), 100, NULL));
	CHECK(!has(c, key("10.0.0.1:2049", "nfs", 3, "cert:1/2", "/ca.pem"), 100, NULL));
	CHECK(!has(c, key("10.0.0.1:2049", "nfs", 2, "cert:3/4", "/ca.pem"), 100, NULL));
	CHECK(!has(c, key("10.0.0.1:2049", "nfs", 2, "cert:1/2", "/other.pem"), 100, NULL));
	/* Length prefixes: shifting text between fields gives another key. */
	CHECK(strcmp(key("a;b", "c", 1, "", ""), key("a", "b;c", 1, "", "")) != 0);
	CHECK(tlshd_session_cache_key(small, sizeof(small), "10.0.0.1:1", "x",
				      1, "y", "z") == -ENOSPC);

	/* Reusable (TLS 1.2) entries stay; they expire with their lifetime. */
	CHECK(has(c, base, 109, "T1"));
	CHECK(!has(c, base, 110, NULL));

	/* TLS 1.3 tickets are single use. */
	CHECK(tlshd_session_cache_put(c, base, "T2", 2, 200, 10, 1) == 0);
	CHECK(has(c, base, 200, "T2"));
	CHECK(!has(c, base, 200, NULL));
	/* A new ticket replaces the old one. */
	CHECK(tlshd_session_cache_put(c, base, "T3", 2, 200, 10, 0) == 0);
	CHECK(tlshd_session_cache_put(c, base, "T4", 2, 200, 10, 0) == 0);
	CHECK(has(c, base, 200, "T4"));
	tlshd_session_cache_drop(c, base);
	CHECK(!has(c, base, 200, NULL));
	tlshd_session_cache_drop(c, "never seen");
	CHECK(tlshd_session_cache_put(c, base, "T4", 2, 200, 10, 0) == 0);
	CHECK(tlshd_session_cache_put(c, base, "", 0, 200, 10, 0) == -EINVAL);
	CHECK(tlshd_session_cache_put(c, base, "x", 1, 200, 0, 0) == -EINVAL);

	/* Bounded: the least recently used goes. */
	other = key("10.0.0.9:1", "", 1, "", "");
	CHECK(tlshd_session_cache_put(c, "A", "a", 1, 300, 10, 0) == 0);
	CHECK(tlshd_session_cache_put(c, "B", "b", 1, 300, 10, 0) == 0);
	CHECK(has(c, "A", 300, "a"));	/* now base is the oldest */
	CHECK(tlshd_session_cache_put(c, other, "c", 1, 300, 10, 0) == 0);
	CHECK(!has(c, base, 300, NULL));
	CHECK(has(c, "A", 300, "a"));
	CHECK(has(c, "B", 300, "b"));
	CHECK(has(c, other, 300, "c"));

	/* The per-server ticket hint. */
	CHECK(tlshd_session_cache_sends_tickets(c, "nowhere") == -1);
	tlshd_session_cache_set_sends_tickets(c, "A", 1);
	CHECK(tlshd_session_cache_sends_tickets(c, "A") == 1);
	tlshd_session_cache_set_sends_tickets(c, "A", 0);
	/* A "no" holds as long as the entry: no wait on any reconnect. */
	CHECK(tlshd_session_cache_sends_tickets(c, "A") == 0);
	CHECK(tlshd_session_cache_sends_tickets(c, "A") == 0);

	tlshd_session_cache_result(c, 1);
	tlshd_session_cache_result(c, 0);
	tlshd_session_cache_result(c, 0);
	tlshd_session_cache_stats(c, &st);
	CHECK(st.resumed == 1);
	CHECK(st.rejected == 2);
	CHECK(st.hits == 8);
	CHECK(st.misses == 10);
	CHECK(st.stored == 8);
	CHECK(st.entries == 3);
	tlshd_session_cache_free(c);

	/* Threads: every value read back belongs to its key. */
	c = tlshd_session_cache_new(16);
	CHECK(c != NULL);
	for (i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, hammer, c) == 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	tlshd_session_cache_stats(c, &st);
	CHECK(st.entries <= 16);
	CHECK(st.stored == NTHREADS * NOPS);
	tlshd_session_cache_free(c);

	/* Ticket keys: random, a 64-byte file, and refusals that say why. */
	CHECK(tlshd_ticket_key_load(NULL, tk, err, sizeof(err)) == 0);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	memset(tk, 0x5a, sizeof(tk));
	CHECK(write(fd, tk, 63) == 63);
	CHECK(tlshd_ticket_key_load(path, tk, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "exactly 64 bytes") != NULL);
	memset(tk, 0x5a, sizeof(tk));
	CHECK(write(fd, tk, 1) == 1);
	memset(tk, 0, sizeof(tk));
	CHECK(tlshd_ticket_key_load(path, tk, err, sizeof(err)) == 0);
	CHECK(tk[0] == 0x5a && tk[63] == 0x5a);
	CHECK(write(fd, tk, 1) == 1);
	CHECK(tlshd_ticket_key_load(path, tk, err, sizeof(err)) == -EINVAL);
	close(fd);
	unlink(path);
	CHECK(tlshd_ticket_key_load(path, tk, err, sizeof(err)) == -ENOENT);
	CHECK(tlshd_ticket_key_load("keyring:abc", tk, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "names no key serial") != NULL);
	CHECK(tlshd_ticket_lifetime(0) == 0);
	CHECK(tlshd_ticket_lifetime(3600) == 1200);
	CHECK(tlshd_ticket_lifetime(2) == 1);

	if (failures) {
		fprintf(stderr, "tlshd_session_cache: %d checks failed\n",
			failures);
		return 1;
	}
	printf("tlshd_session_cache: all checks passed\n");
	return 0;
}
