/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client-side TLS session cache, shared by all worker loops: resume data
 * per key, where the key holds everything that must match for a ticket to
 * be offered again (peer address and port, peername, auth mode, our
 * identity, trust store). Bounded (least recently used goes first),
 * thread-safe, entries expire with their ticket, TLS 1.3 tickets are taken
 * out on use (single use).
 */
#ifndef TLSHD_SESSION_CACHE_H
#define TLSHD_SESSION_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct tlshd_session_cache;

struct tlshd_session_cache_stats {
	unsigned long hits;	/* resume data found and offered */
	unsigned long misses;	/* nothing to offer */
	unsigned long rejected;	/* offered, but the server did a full one */
	unsigned long resumed;	/* offered and accepted */
	unsigned long stored;	/* tickets kept */
	unsigned int entries;
};

/* Capacity: entries (tickets and per-server hints); 0 gives the default. */
#define TLSHD_SESSION_CACHE_DEFAULT 256

struct tlshd_session_cache *tlshd_session_cache_new(unsigned int capacity);
void tlshd_session_cache_free(struct tlshd_session_cache *c);

/*
 * The cache key, as one string. Fields are length-prefixed so that no
 * choice of peername or identity can make two different keys equal.
 * Returns 0, or -ENOSPC if len is too small.
 */
int tlshd_session_cache_key(char *buf, size_t len, const char *addr,
			    const char *peername, unsigned int auth_mode,
			    const char *identity, const char *trust);

/*
 * Resume data for key (a malloc'd copy in *data), if a live entry has
 * some; a single-use entry leaves the cache. now is in seconds on any
 * monotonic clock the caller keeps using. Counts a hit or a miss.
 * Returns 0 or -ENOENT.
 */
int tlshd_session_cache_get(struct tlshd_session_cache *c, const char *key,
			    int64_t now, void **data, size_t *len);

/* Keep resume data (copied) until now + lifetime. */
int tlshd_session_cache_put(struct tlshd_session_cache *c, const char *key,
			    const void *data, size_t len, int64_t now,
			    unsigned int lifetime, int single_use);

/* Forget key's resume data (a handshake that offered it failed). */
void tlshd_session_cache_drop(struct tlshd_session_cache *c, const char *key);

/* After a handshake that offered resume data: was it accepted? */
void tlshd_session_cache_result(struct tlshd_session_cache *c, int resumed);

/*
 * Whether this server sent a TLS 1.3 ticket last time: 1 yes, 0 no, -1 not
 * known. Lets the client wait for tickets only where they come. The
 * verdict lives as long as the server's entry (a lookup counts as a use),
 * so that a client reconnecting to a server that sends none (every
 * ktls-utils server) pays the first contact's wait once, not again.
 */
int tlshd_session_cache_sends_tickets(struct tlshd_session_cache *c,
				      const char *key);
void tlshd_session_cache_set_sends_tickets(struct tlshd_session_cache *c,
					   const char *key, int sends);

void tlshd_session_cache_stats(struct tlshd_session_cache *c,
			       struct tlshd_session_cache_stats *st);

#endif /* TLSHD_SESSION_CACHE_H */
