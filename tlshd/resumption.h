/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resumption, built from one configuration's [resumption] section: the
 * server's ticket master key and the client's session cache. The daemon
 * context (daemon.c) owns it with the credentials of the same load, so a
 * reload builds a new one and the old one (its cache wiped) goes with its
 * last handshake.
 *
 * A TLS 1.3 server's NewSessionTicket comes after the handshake, usually
 * once the socket is kTLS already. A client takes it off the kTLS socket
 * before DONE hands the socket to the kernel consumer
 * (ktls_session_recv_tickets: peek, consume handshake records only, stop
 * at data). The wait goes through the worker's event loop like any other
 * handshake step. It is bounded by twice this handshake's hello round trip
 * (10-300 ms, or [resumption] ticket_wait_ms), ends at the first record
 * that is not a ticket, and is skipped, with no peek at the socket, for a
 * server the cache remembers sending none (for as long as it keeps that
 * server). A ticket that comes later still reaches the consumer as a
 * handshake record, which it must skip (SUNRPC does; so does ktls_recv).
 */
#ifndef TLSHD_RESUMPTION_H
#define TLSHD_RESUMPTION_H

#include <stdint.h>

#include "ticket_keys.h"

struct ktls_session;
struct ktls_session_opts;
struct tlshd_config;
struct tlshd_request;
struct tlshd_session_cache;
struct tlshd_session_cache_stats;

struct tlshd_resumption {
	int tickets;		/* server: issue tickets */
	int psk_tickets;	/* ... on PSK handshakes too (tickets=true) */
	unsigned int lifetime;
	int random_key;		/* no key configured: kept across reloads */
	int ticket_wait_ms;	/* client: TLS 1.3 ticket wait; -1 adaptive */
	unsigned char key[TLSHD_TICKET_KEY_SIZE];
	struct tlshd_session_cache *cache;	/* client; NULL: off */
};

/* One client handshake's part: its cache entry and its ticket wait. */
struct tlshd_resume_client {
	char cache_key[512];
	int offered;		/* resume data went into the ClientHello */
	int tls13;		/* tickets come after the handshake */
	int awaiting;		/* the deadline now bounds the ticket wait */
	int taken;		/* a ticket came */
	int verdict;		/* TLS 1.3 client chain sent: await the server's word */
	int refused;		/* ... which was a fatal alert: -errno */
	unsigned int hello_rtt_us;	/* ClientHello to the server's answer */
	int64_t wait_start_ms, wait_ms;	/* the wait, for its log line */
	char wait_why[96];
};

/*
 * Build from cfg (NULL: defaults). A random ticket key is taken over from
 * prev when neither configuration names one, so a reload does not void
 * the tickets clients hold. Problems are logged; NULL only without memory.
 */
struct tlshd_resumption *tlshd_resumption_new(const struct tlshd_config *cfg,
					      const struct tlshd_resumption *prev);
/* Wipes the ticket key and every cached session. */
void tlshd_resumption_free(struct tlshd_resumption *r);

/* Server: the ticket options of one handshake (psk: a PSK handshake). */
void tlshd_resumption_server_opts(const struct tlshd_resumption *r, int psk,
				  struct ktls_session_opts *opts);

/*
 * Client: look up resume data for req (peer_addr as logged, trust the
 * trust store's name, psk_serial the key offered). Sets opts->resume_data,
 * whose copy the caller frees with tlshd_keyring_free after use.
 */
void tlshd_resumption_lookup(const struct tlshd_resumption *r,
			     struct tlshd_resume_client *rc,
			     const struct tlshd_request *req,
			     const char *peer_addr, const char *trust,
			     uint32_t psk_serial,
			     struct ktls_session_opts *opts);

/*
 * Client, offloaded: does this handshake go on to take tickets (or await
 * the verdict on its certificate)? 0: hand over at once.
 */
int tlshd_resumption_wants_tickets(const struct tlshd_resumption *r,
				   struct tlshd_resume_client *rc,
				   struct ktls_session *session);

/*
 * Client, TLS 1.3, after offload: take what tickets have come. Returns 1
 * while it is worth waiting for one (*deadline_ms then bounds the wait),
 * 0 when done waiting; a fatal alert from the server is in rc->refused.
 */
int tlshd_resumption_take_tickets(const struct tlshd_resumption *r,
				  struct tlshd_resume_client *rc,
				  struct ktls_session *session, int fd,
				  int64_t start_ms, int64_t *deadline_ms);

/* Client, done waiting: fill the cache. */
void tlshd_resumption_store(const struct tlshd_resumption *r,
			    struct tlshd_resume_client *rc,
			    struct ktls_session *session);

/* Client, failed: don't offer that ticket again. */
void tlshd_resumption_forget(const struct tlshd_resumption *r,
			     const struct tlshd_resume_client *rc);

/* The client cache's counters; -ENOENT when it is off. */
int tlshd_resumption_stats(const struct tlshd_resumption *r,
			   struct tlshd_session_cache_stats *st);

#endif /* TLSHD_RESUMPTION_H */
