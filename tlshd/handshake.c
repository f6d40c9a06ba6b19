// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lifecycle of one handshake request. The engine (libktls) does the
 * TLS work, creds_choice.c picks the credentials, resumption.c the ticket
 * phase; this file drives the request without blocking, from the kernel's
 * description to the socket switched to kTLS, and decides what status the
 * kernel gets and what the log says.
 */
#include <errno.h>
#include <poll.h>
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
#include "creds_choice.h"
#include "keyring.h"
#include "handshake.h"
#include "log.h"
#include "resumption.h"
#include "sockopts.h"

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

/* Client: the resume data of an earlier session with this peer, if any. */
static void tlshd_handshake_lookup(struct tlshd_handshake *hs,
				   struct ktls_session_opts *opts)
{
	const struct tlshd_config *cfg = hs->creds->cfg;
	const char *trust = cfg && cfg->client.truststore ?
			    cfg->client.truststore : "system";

	tlshd_resumption_lookup(hs->resumption, &hs->resume, &hs->req,
				hs->peer_addr, trust, hs->choice.psk_serial,
				opts);
}

short tlshd_handshake_start(struct tlshd_handshake *hs,
			    const struct tlshd_request *req,
			    const struct tlshd_creds *creds,
			    const struct tlshd_resumption *resumption)
{
	struct ktls_session_opts opts = KTLS_SESSION_OPTS_INIT();
	uint32_t timeout;
	int ret;

	memset(hs, 0, sizeof(*hs));
	hs->req = *req;
	hs->creds = creds;
	hs->resumption = resumption;
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
	ret = tlshd_creds_choose(creds, req, &hs->choice, hs->cause,
				 sizeof(hs->cause));
	if (ret)
		return tlshd_handshake_end(hs, tlshd_handshake_status(ret), NULL);
	/* A PSK client's identity for DONE is the key it offers. */
	if (hs->choice.psk_serial) {
		hs->remote_auth[0] = hs->choice.psk_serial;
		hs->nremote = 1;
	}
	tlshd_sockopts_take(&hs->sockopts, req->sockfd);

	opts.dontwait = 1;	/* the event loop waits, not the engine */
	opts.peername = req->peername[0] ? req->peername : NULL;
	opts.timeout_ms = timeout;
	opts.psk_identity = hs->choice.psk_identity;
	opts.psk_key = hs->choice.psk_key;
	opts.psk_key_len = hs->choice.psk_len;
	if (req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO)
		tlshd_resumption_server_opts(resumption,
					     req->auth_mode == HANDSHAKE_AUTH_PSK,
					     &opts);
	else
		tlshd_handshake_lookup(hs, &opts);
	ret = ktls_session_new(&hs->session, hs->choice.kc, req->sockfd, &opts);
	/* The session keeps its own copy of the PSK and resume data. */
	tlshd_creds_choice_drop_psk(&hs->choice);
	ktls_keyring_free((void *)opts.resume_data, opts.resume_len);
	if (ret)
		return tlshd_handshake_end(hs, tlshd_handshake_status(-ret),
					   "cannot set up a TLS session: %s",
					   strerror(-ret));
	return tlshd_handshake_resume(hs);
}

/* Server PSK: tell the kernel which key the client proved it holds. */
static void tlshd_handshake_psk_identity(struct tlshd_handshake *hs)
{
	struct ktls_info info = KTLS_INFO_INIT();
	uint32_t serial;

	if (!hs->choice.npsks || ktls_session_info(hs->session, &info))
		return;
	serial = tlshd_creds_choice_psk_serial(&hs->choice, info.peer_name);
	if (serial) {
		hs->remote_auth[0] = serial;
		hs->nremote = 1;
	}
}

/*
 * Server x509: a verified client certificate is the peer's identity, given
 * to the kernel as a key holding it (nfsd counts any identity as an
 * authenticated peer). A client that sent none gets none.
 */
static void tlshd_handshake_x509_identity(struct tlshd_handshake *hs)
{
	struct ktls_info info = KTLS_INFO_INIT();
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

/*
 * Client, offloaded: take the server's tickets (or its verdict on our
 * certificate) before the socket goes to the consumer.
 */
static short tlshd_handshake_tickets(struct tlshd_handshake *hs)
{
	if (tlshd_resumption_take_tickets(hs->resumption, &hs->resume,
					  hs->session, hs->req.sockfd,
					  hs->start_ms, &hs->deadline_ms))
		return POLLIN;
	if (hs->resume.refused)
		return tlshd_handshake_end(hs,
					   tlshd_handshake_status(-hs->resume.refused),
					   "%s", ktls_session_error(hs->session));
	tlshd_resumption_store(hs->resumption, &hs->resume, hs->session);
	return tlshd_handshake_end(hs, 0, NULL);
}

static short tlshd_handshake_offload(struct tlshd_handshake *hs)
{
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
	    !tlshd_resumption_wants_tickets(hs->resumption, &hs->resume,
					    hs->session))
		return tlshd_handshake_end(hs, 0, NULL);
	hs->phase = TLSHD_PHASE_TICKETS;
	return tlshd_handshake_tickets(hs);
}

short tlshd_handshake_resume(struct tlshd_handshake *hs)
{
	int ret;

	if (hs->status >= 0)
		return 0;
	if (hs->phase == TLSHD_PHASE_TICKETS)
		return tlshd_handshake_tickets(hs);
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
	if (hs->phase == TLSHD_PHASE_TICKETS) {
		/* The ticket wait's own deadline: hand over without one. */
		tlshd_handshake_tickets(hs);
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
	struct ktls_info info = KTLS_INFO_INIT();
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
	if (hs->status && hs->resumption)
		tlshd_resumption_forget(hs->resumption, &hs->resume);
	tlshd_handshake_log(hs);
	tlshd_sockopts_give_back(&hs->sockopts, hs->req.sockfd);
	ktls_session_free(hs->session);
	hs->session = NULL;
	tlshd_creds_choice_release(&hs->choice);
}
