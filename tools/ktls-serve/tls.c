// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS on a connection through libktls: the handshake on the non-blocking
 * socket, driven by POLL_ADD (never blocking) with a linked timeout for
 * what is left of the handshake time, on the ring of whoever runs it: a
 * handshake worker's (handshake.c) or the data ring; then the handover to
 * kTLS. Nothing here changes server-wide state: a worker thread runs
 * it. The socket stays non-blocking throughout (see splice.c). Also the
 * alerts at the end.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <gnutls/gnutls.h>

#include "serve.h"

/*
 * A client that connected and went away without sending a byte: a load
 * balancer's or monitor's health probe, not a failed handshake. The
 * kernel counts a FIN received as one byte.
 */
#define TLS_TCP_CLOSE_WAIT 8	/* tcpi_state: the peer's FIN is in */

static int tls_was_probe(const struct conn *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
		  sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received == 0 ||
	       (ti.tcpi_bytes_received == 1 && ti.tcpi_state == TLS_TCP_CLOSE_WAIT);
}

/* The log's "TLS1.3": libktls's "TLS 1.3" without the space. */
static const char *tls_version_name(uint16_t v, char *buf, size_t len)
{
	const char *name = ktls_version_name(v);

	snprintf(buf, len, "TLS%s", name ? strchr(name, ' ') + 1 : "?");
	return buf;
}

static enum conn_state tls_handshake(struct conn *c)
{
	struct server *s = c->srv;
	struct ktls_info info = KTLS_INFO_INIT();
	const void *data;
	char version[8];
	size_t n;
	int ret;

	ret = ktls_session_handshake(c->tls);
	if (ret == -EAGAIN) {
		ring_poll(c, ktls_session_poll_events(c->tls),
			  ktls_session_time_left(c->tls));
		return CONN_HANDSHAKE;
	}
	if (ret) {
		const char *why = ktls_session_error(c->tls);

		if (!strncmp(why, "handshake failed: ", 18))
			why += 18;
		if (tls_was_probe(c)) {
			conn_debug(c, "closed without a ClientHello (a probe?): %s",
				   why);
			return CONN_ABORT;
		}
		conn_log(c, "handshake failed: %s", why);
		return CONN_ABORT;
	}
	ktls_session_info(c->tls, &info);
	if (s->opt.tls == SERVE_TLS_USER) {
		c->tls_up = 1;
		conn_info(c, "%s %s%s in %lld ms, user-space record layer",
			  tls_version_name(info.version, version, sizeof(version)),
			  info.cipher_name,
			  info.resumed ? " (resumed)" : "",
			  (long long)(serve_now_ms() - c->t_accept));
		return CONN_WAIT_REQUEST;
	}

	ret = ktls_session_offload(c->tls);
	if (ret) {
		conn_log(c, "kTLS offload failed: %s",
			 ktls_session_error(c->tls));
		return CONN_ABORT;
	}
	c->tls_up = 1;
	c->offloaded = 1;
	/* Again: whether a record size limit is kept is known only now. */
	ktls_session_info(c->tls, &info);
	/* Request bytes GnuTLS decrypted before the handover are ours now. */
	n = ktls_session_pending(c->tls, &data);
	if (n > c->rx_cap) {
		conn_log(c, "%zu bytes of request came with the handshake, more than --max-header",
			 n);
		return CONN_ABORT;
	}
	if (n)
		memcpy(c->rx, data, n);
	c->rx_len = n;
	/* Kept only where a client's KeyUpdate can be followed. */
	if (!info.key_update) {
		ktls_session_free(c->tls);
		c->tls = NULL;
	}
	conn_info(c, "%s %s%s in %lld ms, kTLS TX+RX%s",
		  tls_version_name(info.version, version, sizeof(version)),
		  info.cipher_name,
		  info.resumed ? " (resumed)" : "",
		  (long long)(serve_now_ms() - c->t_accept),
		  n ? ", request bytes taken over from GnuTLS" : "");
	if (info.peer_record_limit)
		conn_info(c, "peer asked for records of at most %u bytes: %s",
			  info.peer_record_limit, info.record_limit_kept ?
			  "kept by kTLS (TLS_TX_MAX_PAYLOAD_LEN)" :
			  "declined, this kernel's kTLS cannot limit its records");
	return CONN_WAIT_REQUEST;
}

enum conn_state tls_start(struct conn *c)
{
	struct ktls_session_opts opts = KTLS_SESSION_OPTS_INIT(
		.timeout_ms = c->srv->opt.handshake_timeout * 1000);
	int ret;

	ret = ktls_session_new(&c->tls, c->srv->cfg, c->fd, &opts);
	if (ret) {
		conn_log(c, "cannot set up a TLS session: %s",
			 serve_errname(ret));
		return CONN_ABORT;
	}
	return tls_handshake(c);
}

/* The POLL for the handshake completed (or its timeout fired). */
enum conn_state tls_step(struct conn *c)
{
	if (c->timed_out) {
		conn_log(c, "handshake timeout: not complete after %u s",
			 c->srv->opt.handshake_timeout);
		return CONN_ABORT;
	}
	/* c->stopped, not srv->stopping: a worker runs this too. */
	if (c->r_poll == -ECANCELED && c->stopped) {
		conn_info(c, "handshake abandoned: server shutting down");
		return CONN_ABORT;
	}
	if (c->r_poll < 0) {
		conn_log(c, "handshake: poll failed: %s",
			 serve_errname(c->r_poll));
		return CONN_ABORT;
	}
	return tls_handshake(c);
}

/* A fatal alert before an abort; best effort, never blocking. */
void tls_alert(struct conn *c, int description)
{
	int ret;

	c->alert_sent = 1;
	if (c->offloaded) {
		/* ktls_send_alert clears a pending EBADMSG first. */
		ret = ktls_send_alert(c->fd, 2, description);
		if (ret)
			conn_log(c, "alert %s not sent: %s",
				 ktls_alert_name(description),
				 serve_errname(ret));
	} else if (c->tls) {
		ktls_session_alert(c->tls, description);
	}
}

/*
 * close_notify (if TLS is up), without blocking: if the socket has no room
 * now, wait once for POLLOUT (bounded), then give up.
 */
enum conn_state tls_close_notify(struct conn *c)
{
	int ret;

	if (c->offloaded) {
		ret = ktls_close_notify(c->fd);
	} else if (c->tls) {
		ret = gnutls_bye(ktls_session_gnutls(c->tls), GNUTLS_SHUT_WR);
		ret = ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ?
			      -EAGAIN : ret < 0 ? -EIO : 0;
	} else {
		return CONN_CLOSE_FINISH;
	}
	if (ret == -EAGAIN && !c->notify_tried) {
		c->notify_tried = 1;
		ring_poll(c, POLLOUT, c->srv->opt.idle_timeout * 1000);
		return CONN_CLOSE_NOTIFY;
	}
	if (ret)
		conn_info(c, "close_notify not sent: %s", ret == -EAGAIN ?
			  "no room in the socket" : serve_errname(ret));
	return CONN_CLOSE_FINISH;
}

/* The wait for room to send close_notify ended. */
enum conn_state tls_close_notify_step(struct conn *c)
{
	if (!c->timed_out && c->r_poll >= 0)
		return tls_close_notify(c);
	conn_info(c, "close_notify not sent: client stopped reading");
	return CONN_CLOSE_FINISH;
}

/*
 * --rekey-every: with nothing of ours in flight, the KeyUpdate and the
 * next transmit key (the open record goes out first). -1 if that failed.
 */
int tls_rekey_due(struct conn *c)
{
	if (!c->tls || !c->srv->opt.rekey_every ||
	    c->key_bytes < (uint64_t)c->srv->opt.rekey_every << 20)
		return 0;
	if (ktls_key_update(c->tls, 0)) {
		conn_log(c, "KeyUpdate failed: %s", ktls_session_error(c->tls));
		return -1;
	}
	c->key_bytes = 0;
	return 0;
}
