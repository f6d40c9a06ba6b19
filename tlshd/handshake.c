// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lifecycle of one handshake request. The engine (libktls) does the
 * TLS work; this file picks credentials for the request, drives the
 * session without blocking, switches the socket to kTLS, and decides what
 * status the kernel gets and what the log says.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ktls.h>
#include <keyutils.h>
#include <linux/handshake.h>

#include "config.h"
#include "creds.h"
#include "keyring.h"
#include "handshake.h"
#include "log.h"
#include "session_cache.h"
#include "ticket_keys.h"

int64_t tlshd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4)))
static short tlshd_handshake_end(struct tlshd_handshake *hs, int status,
				 const char *fmt, ...)
{
	va_list ap;

	hs->status = status;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(hs->cause, sizeof(hs->cause), fmt, ap);
		va_end(ap);
	}
	return 0;
}

/*
 * Resumption, process-wide: the server's ticket master key and the
 * client's session cache, set up by the first handshake from the
 * configuration ([resumption]) and shared by every worker.
 *
 * A TLS 1.3 server's NewSessionTicket comes after the handshake, usually
 * once the socket is kTLS already. The client takes it off the kTLS socket
 * before DONE hands the socket to the kernel consumer
 * (ktls_session_recv_tickets: peek, consume handshake records only, stop
 * at data). The wait goes through the worker's event loop like any other
 * handshake step, so other handshakes go on meanwhile. It is bounded by
 * 3x the handshake's duration (50-300 ms, or [resumption] ticket_wait_ms),
 * ends at the first record that is not a ticket, and is skipped for a minute
 * after a server sent no ticket. A ticket that comes later still reaches
 * the consumer as a handshake record, which it must skip (SUNRPC does; so
 * does ktls_recv).
 */
static struct {
	pthread_once_t once;
	int tickets;		/* server: issue tickets */
	unsigned int lifetime;
	int ticket_wait_ms;	/* client: TLS 1.3 ticket wait; -1 adaptive */
	unsigned char key[TLSHD_TICKET_KEY_SIZE];
	struct tlshd_session_cache *cache;	/* client; NULL: off */
} tlshd_resumption = { .once = PTHREAD_ONCE_INIT };
static const struct tlshd_config *tlshd_resumption_cfg;

#define TLSHD_TICKET_WAIT_MIN_MS 50
#define TLSHD_TICKET_WAIT_MAX_MS 300
#define TLSHD_TICKET_DEFAULT_LIFETIME 3600

static void tlshd_resumption_init(void)
{
	const struct tlshd_config *cfg = tlshd_resumption_cfg;
	char err[256];

	if (!cfg || cfg->tickets) {
		if (tlshd_ticket_key_load(cfg ? cfg->ticket_key : NULL,
					  tlshd_resumption.key, err,
					  sizeof(err)) == 0)
			tlshd_resumption.tickets = 1;
		else
			tlshd_err("%s: this server issues no session tickets", err);
		tlshd_resumption.lifetime =
			tlshd_ticket_lifetime(cfg ? cfg->ticket_rotation : 0);
	}
	/* -1: the adaptive default, 3x the handshake's duration. */
	tlshd_resumption.ticket_wait_ms = cfg ? cfg->ticket_wait_ms : -1;
	if (!cfg || cfg->cache) {
		struct tlshd_session_cache *c = tlshd_session_cache_new(
			cfg && cfg->cache_size > 0 ? cfg->cache_size : 0);

		if (!c)
			tlshd_err("no memory for the session cache: no resumption");
		/* The status line reads it from the main thread. */
		__atomic_store_n(&tlshd_resumption.cache, c, __ATOMIC_RELEASE);
	}
}

static void tlshd_resumption_setup(const struct tlshd_creds *creds)
{
	tlshd_resumption_cfg = creds->cfg;
	pthread_once(&tlshd_resumption.once, tlshd_resumption_init);
}

/*
 * Client: what a ticket is bound to. Our identity is the certificate the
 * request names by key serial (or the configured one), or the PSK we
 * offer; the trust store is the configured one (else the system's).
 */
static void tlshd_handshake_cache_lookup(struct tlshd_handshake *hs,
					 const struct tlshd_creds *creds,
					 struct ktls_session_opts *opts,
					 void **data)
{
	const struct tlshd_request *req = &hs->req;
	const char *trust = creds->cfg && creds->cfg->client.truststore ?
			    creds->cfg->client.truststore : "system";
	char identity[64];
	size_t len;

	*data = NULL;
	if (!tlshd_resumption.cache)
		return;
	if (req->auth_mode == HANDSHAKE_AUTH_PSK)
		snprintf(identity, sizeof(identity), "psk:%u",
			 hs->remote_auth[0]);
	else if (req->auth_mode == HANDSHAKE_AUTH_X509 && req->cert_serial)
		snprintf(identity, sizeof(identity), "cert:%u/%u",
			 req->cert_serial, req->privkey_serial);
	else if (req->auth_mode == HANDSHAKE_AUTH_X509)
		snprintf(identity, sizeof(identity), "cert:config");
	else
		snprintf(identity, sizeof(identity), "anon");
	if (tlshd_session_cache_key(hs->cache_key, sizeof(hs->cache_key),
				    hs->peer_addr, req->peername,
				    req->auth_mode, identity, trust)) {
		hs->cache_key[0] = 0;
		return;
	}
	if (tlshd_session_cache_get(tlshd_resumption.cache, hs->cache_key,
				    tlshd_now_ms() / 1000, data, &len))
		return;
	opts->resume_data = *data;
	opts->resume_len = len;
	hs->resume_offered = 1;
}

static int tlshd_handshake_status(int err);

/* Nothing queued on the kTLS socket: a ticket may still come. */
static int tlshd_handshake_socket_quiet(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

/*
 * Client, TLS 1.3, after offload: take what tickets have come. Returns 1
 * while it is worth waiting for one (hs->deadline_ms then bounds the
 * wait), 0 when done waiting.
 */
static int tlshd_handshake_ticket_wait(struct tlshd_handshake *hs)
{
	struct tlshd_session_cache *c = tlshd_resumption.cache;
	int64_t now = tlshd_now_ms(), wait;
	int fixed = tlshd_resumption.ticket_wait_ms, ret;

	if (!hs->tls13) {
		tlshd_debug("fd %d: TLS 1.2: no ticket wait (any ticket came inside the handshake)",
			    hs->req.sockfd);
		return 0;
	}
	ret = ktls_session_recv_tickets(hs->session, 0);
	if (ret == -EACCES || ret == -ECONNABORTED) {
		hs->refused = ret;
		return 0;
	}
	if (ret < 0)
		tlshd_debug("fd %d: no session ticket taken: %s",
			    hs->req.sockfd, ktls_session_error(hs->session));
	if (ret > 0)
		hs->tickets_taken = 1;
	if (!ret && !tlshd_handshake_socket_quiet(hs->req.sockfd)) {
		/* A record came after the look: a fatal alert is the outcome. */
		ret = ktls_session_recv_tickets(hs->session, 0);
		if (ret == -EACCES || ret == -ECONNABORTED)
			hs->refused = ret;
		if (ret > 0)
			hs->tickets_taken = 1;
		return 0;
	}
	if (ret)
		return 0;
	if (!hs->awaiting_ticket) {
		/*
		 * A server that got our certificate answers it (ticket or
		 * alert) one round trip after our Finished: wait for that
		 * even from a server that sends no tickets.
		 */
		if (!hs->verdict &&
		    (!fixed || !c || !hs->cache_key[0] ||
		     tlshd_session_cache_sends_tickets(c, hs->cache_key,
						       now / 1000) == 0))
			return 0;
		/* The server sends it about one round trip after our Finished. */
		wait = 3 * (now - hs->start_ms);
		if (wait < TLSHD_TICKET_WAIT_MIN_MS)
			wait = TLSHD_TICKET_WAIT_MIN_MS;
		if (wait > TLSHD_TICKET_WAIT_MAX_MS)
			wait = TLSHD_TICKET_WAIT_MAX_MS;
		if (fixed > 0 || (fixed == 0 && !hs->verdict))
			wait = fixed;
		if (now + wait < hs->deadline_ms)
			hs->deadline_ms = now + wait;
		hs->awaiting_ticket = 1;
		tlshd_debug("fd %d: waiting up to %lld ms for a session ticket",
			    hs->req.sockfd, (long long)(hs->deadline_ms - now));
	}
	return now < hs->deadline_ms;
}

/* Client, after offload (and any ticket wait): fill the cache. */
static void tlshd_handshake_cache_store(struct tlshd_handshake *hs)
{
	struct tlshd_session_cache *c = tlshd_resumption.cache;
	struct tlshd_session_cache_stats st;
	struct ktls_info info;
	unsigned int lifetime;
	void *data;
	size_t len;
	int ret;

	if (ktls_session_info(hs->session, &info))
		return;
	/* A server may well issue none on a resumed session. */
	if (info.version == KTLS_VERSION_1_3 &&
	    (hs->tickets_taken || !info.resumed))
		tlshd_session_cache_set_sends_tickets(c, hs->cache_key,
						      hs->tickets_taken,
						      tlshd_now_ms() / 1000);
	ret = ktls_session_get_resume_data(hs->session, &data, &len,
					   &lifetime);
	if (!ret) {
		if (!lifetime)
			lifetime = TLSHD_TICKET_DEFAULT_LIFETIME;
		tlshd_session_cache_put(c, hs->cache_key, data, len,
					tlshd_now_ms() / 1000, lifetime,
					info.version == KTLS_VERSION_1_3);
		tlshd_keyring_free(data, len);
	}
	tlshd_session_cache_stats(c, &st);
	tlshd_info("session cache: hits %lu, misses %lu, resumed %lu, rejected %lu, stored %lu, entries %u",
		   st.hits, st.misses, st.resumed, st.rejected, st.stored,
		   st.entries);
}

/* Client: a resumable session goes on to wait for its ticket. */
static short tlshd_handshake_cache_step(struct tlshd_handshake *hs)
{
	if (tlshd_handshake_ticket_wait(hs))
		return POLLIN;
	if (hs->refused)
		return tlshd_handshake_end(hs,
					   tlshd_handshake_status(-hs->refused),
					   "%s", ktls_session_error(hs->session));
	if (tlshd_resumption.cache && hs->cache_key[0])
		tlshd_handshake_cache_store(hs);
	return tlshd_handshake_end(hs, 0, NULL);
}

/*
 * The kernel's consumers act on a few errnos; anything else is EIO, with
 * the precise cause in our log.
 */
static int tlshd_handshake_status(int err)
{
	switch (err) {
	case 0:
	case EACCES:
	case ETIMEDOUT:
	case EKEYREJECTED:
	case ENOKEY:
	case EOPNOTSUPP:
	case EINVAL:
		return err;
	case ENOPROTOOPT:	/* no kTLS in this kernel */
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

static void tlshd_handshake_peer_addr(struct tlshd_handshake *hs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	snprintf(hs->peer_addr, sizeof(hs->peer_addr), "?");
	if (getpeername(hs->req.sockfd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(hs->peer_addr, sizeof(hs->peer_addr), "%s:%u", host,
			 ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		/* An IPv4 peer on a dual-stack socket: show it as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host,
				  sizeof(host));
			snprintf(hs->peer_addr, sizeof(hs->peer_addr), "%s:%u",
				 host, ntohs(sin6->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(hs->peer_addr, sizeof(hs->peer_addr), "[%s]:%u", host,
			 ntohs(sin6->sin6_port));
	}
}

/*
 * A PSK client offers the first of the kernel's peer identities whose key
 * we can read: the key's description is the PSK identity, its payload the
 * PSK. GnuTLS offers one identity per ClientHello.
 */
static int tlshd_handshake_psk(struct tlshd_handshake *hs, char **identity,
			       void **key, size_t *key_len)
{
	const struct tlshd_request *req = &hs->req;
	char causes[160] = "";
	size_t pos = 0;
	unsigned int i;
	int ret;

	if (!req->npeerids)
		return tlshd_handshake_end(hs, ENOKEY,
					   "PSK handshake requested without a peer identity");
	for (i = 0; i < req->npeerids; i++) {
		uint32_t id = req->peerids[i];

		ret = tlshd_keyring_describe(id, identity);
		if (!ret) {
			ret = tlshd_keyring_read(id, key, key_len);
			if (ret) {
				free(*identity);
				*identity = NULL;
			}
		}
		if (!ret) {
			hs->remote_auth[0] = id;
			hs->nremote = 1;
			return 1;
		}
		if (pos < sizeof(causes))
			pos += snprintf(causes + pos, sizeof(causes) - pos,
					"%skey %u: %s", pos ? ", " : "", id,
					strerror(-ret));
	}
	return tlshd_handshake_end(hs, ENOKEY, "no usable PSK: %s", causes);
}

/* Server PSK: cap on the keys one request gathers from its keyrings. */
#define TLSHD_MAX_SERVER_PSKS 64

struct tlshd_psk_gather {
	struct tlshd_handshake *hs;
	struct ktls_config *kc;
};

static int tlshd_handshake_add_psk(uint32_t serial, const char *identity,
				   const void *key, size_t len, void *arg)
{
	struct tlshd_psk_gather *g = arg;
	struct tlshd_handshake *hs = g->hs;
	struct tlshd_psk_ref *ref;
	unsigned int i;
	int ret;

	for (i = 0; i < hs->npsks; i++)
		if (hs->psks[i].serial == serial ||
		    !strcmp(hs->psks[i].identity, identity))
			return 0;	/* reachable twice, or shadowed */
	if (hs->npsks == TLSHD_MAX_SERVER_PSKS)
		return 0;
	ref = realloc(hs->psks, (hs->npsks + 1) * sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	hs->psks = ref;
	ref[hs->npsks].identity = strdup(identity);
	if (!ref[hs->npsks].identity)
		return -ENOMEM;
	ret = ktls_config_add_psk(g->kc, identity, key, len);
	if (ret) {
		free(ref[hs->npsks].identity);
		if (ret == -ENOMEM)
			return ret;
		tlshd_debug("PSK key %u ('%s') skipped: %s", serial, identity,
			    strerror(-ret));
		return 0;
	}
	ref[hs->npsks++].serial = serial;
	return 0;
}

/*
 * A PSK server can't know the client's identity before its hello, so it
 * offers every "psk" key of the request's keyring and the configured
 * keyrings, plus the keys the request names (as ktls-utils does, the
 * description is the identity).
 */
static struct ktls_config *tlshd_handshake_server_psk(struct tlshd_handshake *hs,
						      const struct tlshd_creds *creds)
{
	const struct tlshd_request *req = &hs->req;
	struct tlshd_psk_gather g = { .hs = hs };
	unsigned int i;
	char err[200];
	int ret;

	/* With the [tlshd] policy (versions, ciphers) of the other configs. */
	ret = tlshd_creds_config_new(creds, 1, &g.kc, err, sizeof(err));
	if (ret) {
		tlshd_handshake_end(hs, EIO, "%s", err);
		return NULL;
	}
	hs->owned_cfg = g.kc;
	for (i = 0; i < req->npeerids; i++) {
		char *identity;
		void *key;
		size_t len;

		ret = 0;
		if (tlshd_keyring_describe(req->peerids[i], &identity))
			continue;
		if (!tlshd_keyring_read(req->peerids[i], &key, &len)) {
			ret = tlshd_handshake_add_psk(req->peerids[i], identity,
						      key, len, &g);
			tlshd_keyring_free(key, len);
		}
		free(identity);
		if (ret)
			goto fail;
	}
	/*
	 * Newer kernels name the request's keyring in ACCEPT; 6.12 links it
	 * into our process keyring instead.
	 */
	if (req->keyring) {
		ret = tlshd_keyring_for_each_psk(req->keyring,
						 tlshd_handshake_add_psk, &g);
		if (ret == -ENOMEM)
			goto fail;
	}
	ret = tlshd_keyring_for_each_psk(KEY_SPEC_PROCESS_KEYRING,
					 tlshd_handshake_add_psk, &g);
	if (ret == -ENOMEM)
		goto fail;
	for (i = 0; i < creds->nkeyrings; i++) {
		ret = tlshd_keyring_for_each_psk(creds->keyrings[i],
						 tlshd_handshake_add_psk, &g);
		if (ret == -ENOMEM)
			goto fail;
	}
	tlshd_debug("fd %d: offering %u PSK identities", req->sockfd, hs->npsks);
	if (!hs->npsks) {
		tlshd_handshake_end(hs, ENOKEY,
				    "no PSK for a server handshake: no readable \"psk\" key in the request's keyring%s, our process keyring or [authenticate] keyrings",
				    req->npeerids ? ", its peer identities" : "");
		return NULL;
	}
	return g.kc;
fail:
	tlshd_handshake_end(hs, EIO, "gathering PSKs: %s", strerror(-ret));
	return NULL;
}

/* The credentials this request asks for; NULL with status set if none. */
static struct ktls_config *tlshd_handshake_config(struct tlshd_handshake *hs,
						  const struct tlshd_creds *creds)
{
	const struct tlshd_request *req = &hs->req;
	int server = req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO;
	struct ktls_config *kc;
	char err[200];
	int ret;

	switch (req->auth_mode) {
	case HANDSHAKE_AUTH_UNAUTH:
		if (server) {
			tlshd_handshake_end(hs, EINVAL,
					    "a server handshake needs x509 or PSK authentication");
			return NULL;
		}
		if (!creds->client_anon)
			tlshd_handshake_end(hs, ENOKEY, "%s",
					    creds->client_anon_err);
		return creds->client_anon;
	case HANDSHAKE_AUTH_X509:
		if (req->cert_serial && req->privkey_serial) {
			ret = tlshd_creds_from_keys(creds, server,
						    req->cert_serial,
						    req->privkey_serial,
						    &hs->owned_cfg, err,
						    sizeof(err));
			if (ret) {
				tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
						    "%s", err);
				return NULL;
			}
			return hs->owned_cfg;
		}
		kc = server ? creds->server_x509 : creds->client_x509;
		if (!kc && (server ? creds->server_x509_err[0] :
				     creds->client_x509_err[0]))
			tlshd_handshake_end(hs, ENOKEY, "%s", server ?
					    creds->server_x509_err :
					    creds->client_x509_err);
		else if (!kc)
			tlshd_handshake_end(hs, ENOKEY,
					    "x509 authentication requested, but no %s certificate is configured ([authenticate.%s] x509.certificate)",
					    server ? "server" : "client",
					    server ? "server" : "client");
		return kc;
	case HANDSHAKE_AUTH_PSK:
		if (server)
			return tlshd_handshake_server_psk(hs, creds);
		if (creds->client_anon)
			return creds->client_anon;
		/* A PSK needs no trust store: the policy alone will do. */
		ret = tlshd_creds_config_new(creds, 0, &hs->owned_cfg, err,
					     sizeof(err));
		if (ret) {
			tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
					    "%s", err);
			return NULL;
		}
		return hs->owned_cfg;
	default:
		tlshd_handshake_end(hs, EINVAL, "unknown authentication mode %u",
				    req->auth_mode);
		return NULL;
	}
}

short tlshd_handshake_start(struct tlshd_handshake *hs,
			    const struct tlshd_request *req,
			    const struct tlshd_creds *creds)
{
	struct ktls_session_opts opts = { 0 };
	struct ktls_config *kc;
	void *resume_data = NULL;
	char *psk_identity = NULL;
	void *psk_key = NULL;
	size_t psk_len = 0;
	uint32_t timeout;
	int ret;

	memset(hs, 0, sizeof(*hs));
	hs->req = *req;
	hs->saved_flags = -1;
	hs->status = -1;
	hs->start_ms = tlshd_now_ms();
	timeout = req->timeout_ms ? req->timeout_ms : TLSHD_DEFAULT_TIMEOUT_MS;
	hs->deadline_ms = hs->start_ms + timeout;
	tlshd_handshake_peer_addr(hs);

	/* Keys the request names may live there: make them ours to read. */
	if (req->keyring) {
		ret = tlshd_keyring_link_serial(req->keyring);
		if (ret)
			tlshd_debug("cannot link keyring %u: %s", req->keyring,
				    strerror(-ret));
	}
	tlshd_resumption_setup(creds);
	kc = tlshd_handshake_config(hs, creds);
	if (!kc)
		return 0;

	/*
	 * O_NONBLOCK lives on the open file, which the consumer shares:
	 * remember its mode and give it back in tlshd_handshake_finish().
	 */
	hs->saved_flags = fcntl(req->sockfd, F_GETFL);
	if (hs->saved_flags < 0 ||
	    fcntl(req->sockfd, F_SETFL, hs->saved_flags | O_NONBLOCK) < 0) {
		ret = errno;
		hs->saved_flags = -1;
		return tlshd_handshake_end(hs, EIO, "socket mode: %s",
					   strerror(ret));
	}

	if (req->auth_mode == HANDSHAKE_AUTH_PSK &&
	    req->message_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO &&
	    !tlshd_handshake_psk(hs, &psk_identity, &psk_key, &psk_len))
		return 0;
	opts.peername = req->peername[0] ? req->peername : NULL;
	opts.timeout_ms = timeout;
	opts.psk_identity = psk_identity;
	opts.psk_key = psk_key;
	opts.psk_key_len = psk_len;
	if (req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO) {
		opts.no_tickets = !tlshd_resumption.tickets;
		/*
		 * PSK is NVMe/TCP's mode, and an NVMe/TCP host drops the
		 * queue on any post-handshake record. Its tlshd takes our
		 * TLS 1.3 ticket only if it comes within its short wait,
		 * which a loaded server (or one sharing its worker) misses:
		 * PSK servers issue tickets only when told to (tickets=true).
		 */
		if (req->auth_mode == HANDSHAKE_AUTH_PSK &&
		    (!creds->cfg || creds->cfg->tickets != 1))
			opts.no_tickets = 1;
		opts.ticket_key = tlshd_resumption.key;
		opts.ticket_key_len = sizeof(tlshd_resumption.key);
		opts.ticket_lifetime = tlshd_resumption.lifetime;
	} else {
		tlshd_handshake_cache_lookup(hs, creds, &opts, &resume_data);
	}
	ret = ktls_session_new(&hs->session, kc, req->sockfd, &opts);
	/* The session keeps its own copy of the PSK and resume data. */
	free(psk_identity);
	tlshd_keyring_free(psk_key, psk_len);
	tlshd_keyring_free(resume_data, opts.resume_len);
	if (ret)
		return tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
					   "cannot set up a TLS session: %s",
					   strerror(-ret));
	return tlshd_handshake_resume(hs);
}

/* Server PSK: tell the kernel which key the client proved it holds. */
static void tlshd_handshake_psk_identity(struct tlshd_handshake *hs)
{
	struct ktls_info info;
	unsigned int i;

	if (!hs->npsks || ktls_session_info(hs->session, &info))
		return;
	for (i = 0; i < hs->npsks; i++) {
		if (!strcmp(hs->psks[i].identity, info.peer_name)) {
			hs->remote_auth[0] = hs->psks[i].serial;
			hs->nremote = 1;
			return;
		}
	}
}

/*
 * Server x509: a verified client certificate is the peer's identity, given
 * to the kernel as a key holding it (nfsd counts any identity as an
 * authenticated peer). A client that sent none gets none.
 */
static void tlshd_handshake_x509_identity(struct tlshd_handshake *hs)
{
	struct ktls_info info;
	const void *der;
	size_t len;
	long k;

	if (hs->req.message_type != HANDSHAKE_MSG_TYPE_SERVERHELLO ||
	    hs->req.auth_mode != HANDSHAKE_AUTH_X509 ||
	    ktls_session_info(hs->session, &info) || !info.peer_verified ||
	    ktls_session_peer_cert(hs->session, &der, &len))
		return;
	k = tlshd_keyring_add_peer(info.peer_name, der, len,
				   TLSHD_PEER_KEY_TTL);
	if (k < 0) {
		tlshd_warn("fd %d: peer certificate not kept as a key: %s",
			   hs->req.sockfd, strerror(-k));
		return;
	}
	hs->remote_auth[0] = k;
	hs->nremote = 1;
}

static short tlshd_handshake_offload(struct tlshd_handshake *hs)
{
	struct ktls_info info;
	const void *data;
	size_t n;
	int ret;

	ret = ktls_session_offload(hs->session);
	if (ret)
		return tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
					   "kTLS: %s",
					   ktls_session_error(hs->session));
	/*
	 * Plaintext the engine decrypted before the switch can't be given to
	 * an in-kernel consumer: it would be lost, so fail loudly instead.
	 */
	n = ktls_session_pending(hs->session, &data);
	if (n)
		return tlshd_handshake_end(hs, EIO,
					   "peer sent %zu bytes of application data before the handover to kTLS",
					   n);
	tlshd_handshake_psk_identity(hs);
	tlshd_handshake_x509_identity(hs);
	if (hs->req.message_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO ||
	    ktls_session_info(hs->session, &info))
		return tlshd_handshake_end(hs, 0, NULL);
	hs->verdict = info.version == KTLS_VERSION_1_3 &&
		      ktls_session_cert_requested(hs->session);
	if (!hs->verdict &&
	    (!tlshd_resumption.cache || !hs->cache_key[0]))
		return tlshd_handshake_end(hs, 0, NULL);
	if (hs->resume_offered)
		tlshd_session_cache_result(tlshd_resumption.cache,
					   info.resumed);
	hs->caching = 1;
	hs->tls13 = info.version == KTLS_VERSION_1_3;
	return tlshd_handshake_cache_step(hs);
}

short tlshd_handshake_resume(struct tlshd_handshake *hs)
{
	int ret;

	if (hs->status >= 0)
		return 0;
	if (hs->caching)
		return tlshd_handshake_cache_step(hs);
	ret = ktls_session_handshake(hs->session);
	if (ret == -EAGAIN) {
		if (tlshd_now_ms() < hs->deadline_ms)
			return ktls_session_poll_events(hs->session);
		tlshd_handshake_expire(hs);
		return 0;
	}
	if (ret)
		return tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
					   "%s", ktls_session_error(hs->session));
	return tlshd_handshake_offload(hs);
}

void tlshd_handshake_expire(struct tlshd_handshake *hs)
{
	int ret;

	if (hs->status >= 0)
		return;
	if (hs->caching) {
		/* The ticket wait's own deadline: hand over without one. */
		tlshd_handshake_cache_step(hs);
		return;
	}
	/* The engine, given one more go, times out with its own alert. */
	ret = ktls_session_handshake(hs->session);
	if (ret == 0) {
		tlshd_handshake_offload(hs);
		return;
	}
	if (ret == -ETIMEDOUT || ret == -EAGAIN) {
		tlshd_handshake_end(hs, ETIMEDOUT,
				    "handshake timed out after %lld ms",
				    (long long)(hs->deadline_ms - hs->start_ms));
		return;
	}
	tlshd_handshake_end(hs, tlshd_handshake_status(-ret), "%s",
			    ktls_session_error(hs->session));
}

void tlshd_handshake_abort(struct tlshd_handshake *hs, int status,
			   const char *cause)
{
	if (hs->status < 0)
		tlshd_handshake_end(hs, status, "%s", cause);
}

static const char *tlshd_version_name(uint16_t v)
{
	switch (v) {
	case KTLS_VERSION_1_2:
		return "TLSv1.2";
	case KTLS_VERSION_1_3:
		return "TLSv1.3";
	default:
		return "TLS?";
	}
}

/*
 * One line per handshake: successes at info, failures at warning, so that
 * a priority filter (journalctl -p warning) finds every failure. Under
 * journald the same facts go in fields too (PEER, ROLE, AUTH, VERSION,
 * CIPHER, GROUP, RESULT, ERRNO, MS).
 */
static void tlshd_handshake_log(const struct tlshd_handshake *hs)
{
	const struct tlshd_request *req = &hs->req;
	long long ms = tlshd_now_ms() - hs->start_ms;
	const char *ename = strerrorname_np(hs->status);
	struct ktls_info info;
	const char *peer = req->peername[0] ? req->peername : "-";
	const char *type = req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO ?
			   "server" : "client";
	const char *auth = tlshd_msg_auth_name(req->auth_mode);
	char peer_field[sizeof(req->peername) + sizeof(hs->peer_addr) + 2];
	char ms_field[24], errno_field[24];
	struct tlshd_log_field f[9] = {
		{ "PEER", peer_field }, { "ROLE", type }, { "AUTH", auth },
		{ "MS", ms_field }, { "ERRNO", errno_field },
	};

	snprintf(peer_field, sizeof(peer_field), "%s %s", peer, hs->peer_addr);
	snprintf(ms_field, sizeof(ms_field), "%lld", ms);
	snprintf(errno_field, sizeof(errno_field), "%d", hs->status);
	if (hs->status == 0 && hs->session &&
	    ktls_session_info(hs->session, &info) == 0) {
		/* Asked for, optional and not given: say so. */
		int nocert = req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO &&
			     !info.peer_verified && !info.resumed &&
			     ktls_session_cert_requested(hs->session);

		f[5] = (struct tlshd_log_field){ "VERSION",
			tlshd_version_name(info.version) };
		f[6] = (struct tlshd_log_field){ "CIPHER", info.cipher_name };
		f[7] = (struct tlshd_log_field){ "GROUP",
			info.group_name[0] ? info.group_name : "none" };
		f[8] = (struct tlshd_log_field){ "RESULT",
			info.resumed ? "resumed" : "ok" };
		tlshd_log_fields(LOG_INFO, f, 9,
				 "handshake ok: peer %s %s, %s, auth %s, %s %s, group %s, %s%s%s%s, %lld ms",
				 peer, hs->peer_addr, type, auth,
				 tlshd_version_name(info.version),
				 info.cipher_name,
				 info.group_name[0] ? info.group_name : "none",
				 info.resumed ? "resumed" : "full handshake",
				 info.peer_verified ? ", verified " :
				 req->auth_mode == HANDSHAKE_AUTH_PSK ? ", identity " : "",
				 info.peer_verified ||
				 req->auth_mode == HANDSHAKE_AUTH_PSK ? info.peer_name : "",
				 nocert ? ", no client certificate" : "",
				 ms);
		if (info.peer_record_limit && info.record_limit_kept)
			tlshd_info("peer %s %s asked for records of at most %u bytes: kept by kTLS (TLS_TX_MAX_PAYLOAD_LEN)",
				   peer, hs->peer_addr, info.peer_record_limit);
		else if (info.peer_record_limit)
			tlshd_info("peer %s %s asked for records of at most %u bytes: declined, this kernel's kTLS cannot limit its records",
				   peer, hs->peer_addr, info.peer_record_limit);
		/* allow_rsa_kx is an opt-in to weakness: say so every time. */
		if (info.version == KTLS_VERSION_1_2 &&
		    (!strcmp(info.kx_name, "RSA") || !strcmp(info.kx_name, "PSK")))
			tlshd_warn("peer %s %s: %s key exchange without forward secrecy, allowed by [tlshd] allow_rsa_kx",
				   peer, hs->peer_addr, info.kx_name);
		return;
	}
	f[5] = (struct tlshd_log_field){ "RESULT", "failed" };
	tlshd_log_fields(LOG_WARNING, f, 6,
			 "handshake failed: peer %s %s, %s, auth %s, %lld ms, status %s: %s",
			 peer, hs->peer_addr, type, auth, ms,
			 ename ? ename : "?",
			 hs->cause[0] ? hs->cause : "unknown");
}

void tlshd_handshake_finish(struct tlshd_handshake *hs)
{
	if (hs->status < 0)
		tlshd_handshake_end(hs, EIO, "abandoned");
	/* Whatever went wrong, don't offer that ticket again. */
	if (hs->status && hs->resume_offered && tlshd_resumption.cache)
		tlshd_session_cache_drop(tlshd_resumption.cache, hs->cache_key);
	tlshd_handshake_log(hs);
	if (hs->saved_flags >= 0) {
		fcntl(hs->req.sockfd, F_SETFL, hs->saved_flags);
		hs->saved_flags = -1;
	}
	ktls_session_free(hs->session);
	hs->session = NULL;
	ktls_config_put(hs->owned_cfg);
	hs->owned_cfg = NULL;
	while (hs->npsks)
		free(hs->psks[--hs->npsks].identity);
	free(hs->psks);
	hs->psks = NULL;
}

int tlshd_handshake_cache_stats(struct tlshd_session_cache_stats *st)
{
	struct tlshd_session_cache *c;

	c = __atomic_load_n(&tlshd_resumption.cache, __ATOMIC_ACQUIRE);
	if (!c)
		return -ENOENT;
	tlshd_session_cache_stats(c, st);
	return 0;
}
