/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One accepted handshake request, from the kernel's description to the
 * socket switched to kTLS and the status DONE reports. No netlink and no
 * event loop in here: the caller polls and answers.
 */
#ifndef TLSHD_HANDSHAKE_H
#define TLSHD_HANDSHAKE_H

#include <stdint.h>

#include "msg.h"

struct ktls_session;
struct ktls_config;
struct tlshd_creds;

struct tlshd_psk_ref {
	uint32_t serial;
	char *identity;
};

/* When the kernel gives no TIMEOUT: consumers cancel after 5-10 s anyway. */
#define TLSHD_DEFAULT_TIMEOUT_MS 30000
/* How long a verified client's certificate key outlives its DONE (s). */
#define TLSHD_PEER_KEY_TTL 600

struct tlshd_handshake {
	struct tlshd_request req;
	struct ktls_session *session;
	struct ktls_config *owned_cfg;	/* per-request credentials, if any */
	int saved_flags;		/* file flags to restore, -1: none */
	int64_t start_ms;		/* CLOCK_MONOTONIC */
	int64_t deadline_ms;
	int status;			/* final errno for DONE; -1 running */
	uint32_t remote_auth[1];	/* for DONE: the peer's identity */
	unsigned int nremote;
	struct tlshd_psk_ref *psks;	/* server PSK: identities offered */
	unsigned int npsks;
	char cause[256];
	char peer_addr[64];
	/* Client resumption (see handshake.c): the session cache key. */
	char cache_key[512];
	int resume_offered;
	int caching;		/* offloaded; taking tickets, then DONE */
	int tls13;		/* tickets come after the handshake */
	int awaiting_ticket;	/* deadline_ms now bounds the ticket wait */
	int tickets_taken;
	int verdict;		/* TLS 1.3 client cert sent: await the server's word */
	int refused;		/* ... which was a fatal alert: -errno */
};

int64_t tlshd_now_ms(void);

/*
 * Set up for req (whose fd the caller owns). Returns the poll events to
 * wait for on req->sockfd, or 0 when the handshake already ended (see
 * status); any work possible without waiting has been done.
 */
short tlshd_handshake_start(struct tlshd_handshake *hs,
			    const struct tlshd_request *req,
			    const struct tlshd_creds *creds);

/* The fd is ready (or the deadline passed): go on. Same return as start. */
short tlshd_handshake_resume(struct tlshd_handshake *hs);

/* The deadline passed: end with ETIMEDOUT unless it just completed. */
void tlshd_handshake_expire(struct tlshd_handshake *hs);

/* End it now (shutdown, say) with this status and cause. */
void tlshd_handshake_abort(struct tlshd_handshake *hs, int status,
			   const char *cause);

/*
 * After the end: log the one result line, give back the socket as the
 * consumer left it (blocking mode), drop the session. The caller then
 * sends DONE with hs->status and closes the fd.
 */
void tlshd_handshake_finish(struct tlshd_handshake *hs);

struct tlshd_session_cache_stats;

/* The client session cache's counters; -ENOENT until it is in use. */
int tlshd_handshake_cache_stats(struct tlshd_session_cache_stats *st);

#endif /* TLSHD_HANDSHAKE_H */
