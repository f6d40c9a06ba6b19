// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resumption state of one configuration load, and the client's ticket
 * phase of a handshake (see resumption.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <ktls.h>
#include <linux/handshake.h>

#include "config.h"
#include "handshake.h"
#include "log.h"
#include "msg.h"
#include "resumption.h"
#include "session_cache.h"

/*
 * A TLS 1.3 server sends its ticket once our Finished has reached it:
 * one round trip after the handshake, plus what little making a ticket
 * costs. The time from our ClientHello to its answer is that round trip
 * plus the server's hello work (key share, signature), which costs more
 * than a ticket, so twice that, with a floor for a busy scheduler, is
 * ample. The cap is for a slow first answer on a slow path.
 */
#define TLSHD_TICKET_WAIT_RTTS 2
#define TLSHD_TICKET_WAIT_FLOOR_MS 10
#define TLSHD_TICKET_WAIT_MAX_MS 300
/*
 * A server's refusal of our certificate is worth a longer wait than a
 * ticket: without it the consumer gets a socket the server will close.
 * The server verifies our chain first, so this one scales with the
 * handshake's own duration.
 */
#define TLSHD_VERDICT_WAIT_MIN_MS 50
#define TLSHD_VERDICT_WAIT_MAX_MS 2000
#define TLSHD_TICKET_DEFAULT_LIFETIME 3600

static void tlshd_resumption_load_key(struct tlshd_resumption *r,
				      const struct tlshd_config *cfg,
				      const struct tlshd_resumption *prev)
{
	const char *spec = cfg ? cfg->ticket_key : NULL;
	char err[256];

	if (!spec && prev && prev->tickets && prev->random_key) {
		memcpy(r->key, prev->key, sizeof(r->key));
		r->random_key = 1;
		r->tickets = 1;
		return;
	}
	if (tlshd_ticket_key_load(spec, r->key, err, sizeof(err))) {
		tlshd_err("%s: this server issues no session tickets", err);
		return;
	}
	r->random_key = !spec;
	r->tickets = 1;
}

struct tlshd_resumption *tlshd_resumption_new(const struct tlshd_config *cfg,
					      const struct tlshd_resumption *prev)
{
	struct tlshd_resumption *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (!cfg || cfg->tickets) {
		tlshd_resumption_load_key(r, cfg, prev);
		r->lifetime = tlshd_ticket_lifetime(cfg ? cfg->ticket_rotation : 0);
	}
	/*
	 * PSK is NVMe/TCP's mode, and an NVMe/TCP host drops the queue on any
	 * post-handshake record. Its tlshd takes our TLS 1.3 ticket only if
	 * it comes within its short wait, which a loaded server (or one
	 * sharing its worker) misses: PSK servers issue tickets only when
	 * told to (tickets=true).
	 */
	r->psk_tickets = r->tickets && cfg && cfg->tickets == 1;
	/* -1: the adaptive default (twice the hello round trip). */
	r->ticket_wait_ms = cfg ? cfg->ticket_wait_ms : -1;
	if (!cfg || cfg->cache) {
		r->cache = tlshd_session_cache_new(cfg && cfg->cache_size > 0 ?
						   cfg->cache_size : 0);
		if (!r->cache)
			tlshd_err("no memory for the session cache: no resumption");
	}
	return r;
}

void tlshd_resumption_free(struct tlshd_resumption *r)
{
	if (!r)
		return;
	tlshd_session_cache_free(r->cache);
	gnutls_memset(r->key, 0, sizeof(r->key));
	free(r);
}

void tlshd_resumption_server_opts(const struct tlshd_resumption *r, int psk,
				  struct ktls_session_opts *opts)
{
	opts->no_tickets = psk ? !r->psk_tickets : !r->tickets;
	opts->ticket_key = r->key;
	opts->ticket_key_len = sizeof(r->key);
	opts->ticket_lifetime = r->lifetime;
}

/*
 * What a ticket is bound to: the peer, our identity (the certificate the
 * request names by key serial, or the configured one, or the PSK we
 * offer) and the trust store.
 */
void tlshd_resumption_lookup(const struct tlshd_resumption *r,
			     struct tlshd_resume_client *rc,
			     const struct tlshd_request *req,
			     const char *peer_addr, const char *trust,
			     uint32_t psk_serial,
			     struct ktls_session_opts *opts)
{
	char identity[64];
	void *data;
	size_t len;

	if (!r->cache)
		return;
	if (req->auth_mode == HANDSHAKE_AUTH_PSK)
		snprintf(identity, sizeof(identity), "psk:%u", psk_serial);
	else if (req->auth_mode == HANDSHAKE_AUTH_X509 && req->cert_serial)
		snprintf(identity, sizeof(identity), "cert:%u/%u",
			 req->cert_serial, req->privkey_serial);
	else if (req->auth_mode == HANDSHAKE_AUTH_X509)
		snprintf(identity, sizeof(identity), "cert:config");
	else
		snprintf(identity, sizeof(identity), "anon");
	if (tlshd_session_cache_key(rc->cache_key, sizeof(rc->cache_key),
				    peer_addr, req->peername, req->auth_mode,
				    identity, trust)) {
		rc->cache_key[0] = 0;
		return;
	}
	if (tlshd_session_cache_get(r->cache, rc->cache_key,
				    tlshd_now_ms() / 1000, &data, &len))
		return;
	opts->resume_data = data;
	opts->resume_len = len;
	rc->offered = 1;
}

int tlshd_resumption_wants_tickets(const struct tlshd_resumption *r,
				   struct tlshd_resume_client *rc,
				   struct ktls_session *session)
{
	struct ktls_info info = KTLS_INFO_INIT();

	if (ktls_session_info(session, &info))
		return 0;
	rc->tls13 = info.version == KTLS_VERSION_1_3;
	rc->hello_rtt_us = info.hello_rtt_us;
	/*
	 * A server's refusal of our chain takes its verifying it: worth a
	 * longer wait. Its answer to an empty Certificate (we had none to
	 * give) costs it nothing, and comes with its ticket, if any.
	 */
	rc->verdict = rc->tls13 && info.cert_sent;
	if (rc->offered)
		tlshd_session_cache_result(r->cache, info.resumed);
	return rc->verdict || (r->cache && rc->cache_key[0]);
}

/* Nothing queued on the kTLS socket: a ticket may still come. */
static int tlshd_resumption_socket_quiet(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Take what has come; > 0 a ticket, 0 none, < 0 an error (or refusal). */
static int tlshd_resumption_recv(struct tlshd_resume_client *rc,
				 struct ktls_session *session)
{
	int ret = ktls_session_recv_tickets(session, 0);

	if (ret == -EACCES || ret == -ECONNABORTED)
		rc->refused = ret;
	if (ret > 0)
		rc->taken = 1;
	return ret;
}

/*
 * Why this handshake does not wait for a ticket at all (not even a peek
 * at the socket), or NULL. A server's refusal of our certificate is
 * awaited whatever the server's tickets.
 */
static const char *tlshd_resumption_skip(const struct tlshd_resumption *r,
					 const struct tlshd_resume_client *rc)
{
	if (rc->verdict)
		return NULL;
	if (!r->cache || !rc->cache_key[0])
		return "no session cache";
	if (tlshd_session_cache_sends_tickets(r->cache, rc->cache_key) == 0)
		return "server sends none";
	return NULL;
}

/*
 * How long to wait for a first ticket (or the verdict), from this
 * handshake's own pace; why, in words, in why.
 */
static int64_t tlshd_resumption_wait_ms(const struct tlshd_resumption *r,
					const struct tlshd_resume_client *rc,
					int64_t elapsed_ms, char *why,
					size_t len)
{
	int64_t rtt_ms = (rc->hello_rtt_us + 999) / 1000;
	int64_t wait;

	/* 0: keep a ticket only if it has come already. */
	if (r->ticket_wait_ms > 0 || (!r->ticket_wait_ms && !rc->verdict)) {
		snprintf(why, len, "ticket_wait_ms=%d", r->ticket_wait_ms);
		return r->ticket_wait_ms;
	}
	if (rc->verdict) {
		wait = 3 * elapsed_ms;
		if (wait < TLSHD_VERDICT_WAIT_MIN_MS)
			wait = TLSHD_VERDICT_WAIT_MIN_MS;
		if (wait > TLSHD_VERDICT_WAIT_MAX_MS)
			wait = TLSHD_VERDICT_WAIT_MAX_MS;
		snprintf(why, len,
			 "the server's verdict on our certificate: 3x the %lld ms handshake",
			 (long long)elapsed_ms);
		return wait;
	}
	if (!rc->hello_rtt_us) {
		/* Not measured (cannot happen for a client): the cap. */
		snprintf(why, len, "no round trip measured");
		return TLSHD_TICKET_WAIT_MAX_MS;
	}
	wait = TLSHD_TICKET_WAIT_RTTS * rtt_ms;
	if (wait < TLSHD_TICKET_WAIT_FLOOR_MS)
		wait = TLSHD_TICKET_WAIT_FLOOR_MS;
	if (wait > TLSHD_TICKET_WAIT_MAX_MS)
		wait = TLSHD_TICKET_WAIT_MAX_MS;
	snprintf(why, len, "%dx the %lld.%03u ms hello round trip",
		 TLSHD_TICKET_WAIT_RTTS, (long long)(rc->hello_rtt_us / 1000),
		 rc->hello_rtt_us % 1000);
	return wait;
}

/* The ticket phase's one debug line: how long, and how it ended. */
static int tlshd_resumption_wait_end(const struct tlshd_resume_client *rc,
				     int fd, const char *outcome)
{
	if (rc->awaiting)
		tlshd_debug("fd %d: ticket wait: %lld ms (%s; bound %lld ms, %s)",
			    fd, (long long)(tlshd_now_ms() - rc->wait_start_ms),
			    outcome, (long long)rc->wait_ms, rc->wait_why);
	else
		tlshd_debug("fd %d: ticket wait: 0 ms (%s)", fd, outcome);
	return 0;
}

int tlshd_resumption_take_tickets(const struct tlshd_resumption *r,
				  struct tlshd_resume_client *rc,
				  struct ktls_session *session, int fd,
				  int64_t start_ms, int64_t *deadline_ms)
{
	const char *skip;
	int64_t now;
	int ret;

	if (!rc->tls13) {
		tlshd_debug("fd %d: ticket wait: skipped (TLS 1.2: any ticket came inside the handshake)",
			    fd);
		return 0;
	}
	if (!rc->awaiting) {
		skip = tlshd_resumption_skip(r, rc);
		if (skip) {
			tlshd_debug("fd %d: ticket wait: skipped (%s)", fd,
				    skip);
			return 0;
		}
	}
	ret = tlshd_resumption_recv(rc, session);
	if (ret < 0 && !rc->refused)
		tlshd_debug("fd %d: no session ticket taken: %s", fd,
			    ktls_session_error(session));
	if (!ret && !tlshd_resumption_socket_quiet(fd)) {
		/* A record came after the look: a fatal alert is the outcome. */
		tlshd_resumption_recv(rc, session);
		return tlshd_resumption_wait_end(rc, fd, rc->refused ?
						 "the server refused us" :
						 "a record that is no ticket came");
	}
	if (ret)
		return tlshd_resumption_wait_end(rc, fd, ret > 0 ?
						 "ticket taken" : rc->refused ?
						 "the server refused us" :
						 "error");
	now = tlshd_now_ms();
	if (!rc->awaiting) {
		rc->wait_ms = tlshd_resumption_wait_ms(r, rc, now - start_ms,
						       rc->wait_why,
						       sizeof(rc->wait_why));
		rc->wait_start_ms = now;
		if (now + rc->wait_ms < *deadline_ms)
			*deadline_ms = now + rc->wait_ms;
		rc->awaiting = 1;
	}
	if (now < *deadline_ms)
		return 1;
	return tlshd_resumption_wait_end(rc, fd, "none came");
}

void tlshd_resumption_store(const struct tlshd_resumption *r,
			    struct tlshd_resume_client *rc,
			    struct ktls_session *session)
{
	struct tlshd_session_cache *c = r->cache;
	struct tlshd_session_cache_stats st;
	struct ktls_info info = KTLS_INFO_INIT();
	unsigned int lifetime;
	void *data;
	size_t len;

	if (!c || !rc->cache_key[0] || ktls_session_info(session, &info))
		return;
	/* A server may well issue none on a resumed session. */
	if (info.version == KTLS_VERSION_1_3 && (rc->taken || !info.resumed))
		tlshd_session_cache_set_sends_tickets(c, rc->cache_key,
						      rc->taken);
	if (!ktls_session_get_resume_data(session, &data, &len, &lifetime)) {
		if (!lifetime)
			lifetime = TLSHD_TICKET_DEFAULT_LIFETIME;
		tlshd_session_cache_put(c, rc->cache_key, data, len,
					tlshd_now_ms() / 1000, lifetime,
					info.version == KTLS_VERSION_1_3);
		ktls_keyring_free(data, len);
	}
	tlshd_session_cache_stats(c, &st);
	tlshd_debug("session cache: hits %lu, misses %lu, resumed %lu, rejected %lu, stored %lu, entries %u",
		   st.hits, st.misses, st.resumed, st.rejected, st.stored,
		   st.entries);
}

void tlshd_resumption_forget(const struct tlshd_resumption *r,
			     const struct tlshd_resume_client *rc)
{
	if (r->cache && rc->offered)
		tlshd_session_cache_drop(r->cache, rc->cache_key);
}

int tlshd_resumption_stats(const struct tlshd_resumption *r,
			   struct tlshd_session_cache_stats *st)
{
	if (!r || !r->cache)
		return -ENOENT;
	tlshd_session_cache_stats(r->cache, st);
	return 0;
}
