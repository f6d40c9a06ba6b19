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

#include "creds_choice.h"
#include "resumption.h"
#include "sockopts.h"

struct ktls_session;
struct tlshd_creds;

/* When the kernel gives no TIMEOUT: consumers cancel after 5-10 s anyway. */
#define TLSHD_DEFAULT_TIMEOUT_MS 30000
/* How long a verified client's certificate key outlives its DONE (s). */
#define TLSHD_PEER_KEY_TTL 600

enum tlshd_phase {
	TLSHD_PHASE_ENGINE,	/* the TLS handshake itself */
	TLSHD_PHASE_TICKETS,	/* client, offloaded: taking tickets */
};

struct tlshd_handshake {
	struct tlshd_request req;
	const struct tlshd_creds *creds;		/* held by the caller */
	const struct tlshd_resumption *resumption;	/* ditto */
	struct tlshd_creds_choice choice;
	struct tlshd_sockopts sockopts;
	struct ktls_session *session;
	enum tlshd_phase phase;
	int64_t start_ms;		/* CLOCK_MONOTONIC */
	int64_t deadline_ms;
	int status;			/* final errno for DONE; -1 running */
	uint32_t remote_auth[1];	/* for DONE: the peer's identity */
	unsigned int nremote;
	char cause[256];
	char peer_addr[64];
	struct tlshd_resume_client resume;
};

int64_t tlshd_now_ms(void);

/*
 * Set up for req (whose fd the caller owns), with credentials and
 * resumption state the caller holds until tlshd_handshake_finish().
 * Returns the poll events to wait for on req->sockfd, or 0 when the
 * handshake already ended (see status); any work possible without
 * waiting has been done.
 */
short tlshd_handshake_start(struct tlshd_handshake *hs,
			    const struct tlshd_request *req,
			    const struct tlshd_creds *creds,
			    const struct tlshd_resumption *resumption);

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

#endif /* TLSHD_HANDSHAKE_H */
