// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --tls=user: the same server with GnuTLS's record layer in user space,
 * the baseline kTLS is measured against. File bodies are read() into a
 * buffer and go out through gnutls_record_send; the socket stays
 * non-blocking and the ring polls it when GnuTLS would block.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "serve.h"

#define USER_CHUNK (64 * 1024)
/* Bytes sent before giving the other connections a turn. */
#define USER_BUDGET (1024 * 1024)

static gnutls_session_t user_gs(struct conn *c)
{
	return ktls_session_gnutls(c->tls);
}

static int64_t user_idle_ms(struct conn *c)
{
	return (int64_t)c->srv->opt.idle_timeout * 1000;
}

/*
 * Request bytes, as many as there are: CONN_PARSE once some arrived (or
 * rx is full, which the parser answers with 413), else why not.
 */
enum conn_state user_read(struct conn *c)
{
	gnutls_session_t gs = user_gs(c);
	ssize_t n;

	if (c->rx_len == c->rx_cap)
		return CONN_PARSE;
	n = gnutls_record_recv(gs, c->rx + c->rx_len, c->rx_cap - c->rx_len);
	if (n > 0) {
		if (!c->t_request)
			c->t_request = serve_now_ms();
		c->rx_len += n;
		return CONN_PARSE;
	}
	switch (n) {
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_INTERRUPTED:
		ring_poll(c, POLLIN, c->rx_deadline - serve_now_ms());
		return CONN_RECV;
	case 0:
		return CONN_PEER_CLOSE_NOTIFY;
	case GNUTLS_E_PREMATURE_TERMINATION:
		return CONN_PEER_EOF;
	case GNUTLS_E_WARNING_ALERT_RECEIVED:
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		c->peer_alert_level = n == GNUTLS_E_FATAL_ALERT_RECEIVED ? 2 : 1;
		c->peer_alert_desc = gnutls_alert_get(gs);
		return CONN_PEER_ALERT;
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		c->recv_err = -ECONNRESET;
		c->recv_detail = NULL;
		return CONN_RECV_ERROR;
	default:
		snprintf(c->recv_why, sizeof(c->recv_why), "GnuTLS: %s",
			 gnutls_strerror(n));
		/* GnuTLS's alert for it is the one the client gets. */
		gnutls_alert_send_appropriate(gs, n);
		c->alert_sent = 1;
		c->recv_err = -EBADMSG;
		c->recv_detail = c->recv_why;
		return CONN_RECV_ERROR;
	}
}

/*
 * Wait for request bytes. Bytes GnuTLS already holds, or a pipelined
 * request, are taken after a turn of the ring (a POLLOUT that is ready at
 * once) rather than here, so that back-to-back requests don't recurse.
 */
enum conn_state user_wait_recv(struct conn *c)
{
	if (c->rx_len || gnutls_record_check_pending(user_gs(c)))
		ring_poll(c, POLLOUT, c->rx_deadline - serve_now_ms());
	else
		ring_poll(c, POLLIN, c->rx_deadline - serve_now_ms());
	return CONN_RECV;
}

enum conn_state user_send_head(struct conn *c)
{
	ssize_t n;

	while (c->head_sent < c->head_len) {
		n = gnutls_record_send(user_gs(c), c->head + c->head_sent,
				       c->head_len - c->head_sent);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			ring_poll(c, POLLOUT, user_idle_ms(c));
			return CONN_SEND_HEAD;
		}
		if (n < 0) {
			conn_log(c, "client disconnected before the response: GnuTLS: %s",
				 gnutls_strerror(n));
			return CONN_ABORT;
		}
		c->head_sent += n;
		c->srv->stats.head_bytes += n;
	}
	return CONN_HEAD_SENT;
}

enum conn_state user_send_body(struct conn *c)
{
	size_t sent = 0, want;
	ssize_t n;

	if (!c->ubuf) {
		c->ubuf = malloc(USER_CHUNK);
		if (!c->ubuf) {
			conn_log(c, "no memory for a send buffer");
			return CONN_ABORT;
		}
	}
	for (;;) {
		if (c->ubuf_pos == c->ubuf_len) {
			if (!c->body_left)
				return CONN_RESPONSE_DONE;
			if (sent >= USER_BUDGET) {
				ring_poll(c, POLLOUT, user_idle_ms(c));
				return CONN_SEND_BODY;
			}
			want = c->body_left < USER_CHUNK ? c->body_left : USER_CHUNK;
			n = pread(c->file_fd, c->ubuf, want, c->body_off);
			if (n <= 0) {
				conn_log(c, "reading %s failed: %s", c->req.target,
					 n ? serve_errname(-errno) : "file shrank");
				return CONN_ABORT;
			}
			c->ubuf_len = n;
			c->ubuf_pos = 0;
			c->body_off += n;
			c->body_left -= n;
			c->srv->stats.body_copied += n;
		}
		/* After EAGAIN GnuTLS wants the very same arguments again. */
		n = gnutls_record_send(user_gs(c), c->ubuf + c->ubuf_pos,
				       c->ubuf_len - c->ubuf_pos);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			ring_poll(c, POLLOUT, user_idle_ms(c));
			return CONN_SEND_BODY;
		}
		if (n < 0) {
			conn_log(c, "client disconnected mid-body: %" PRIu64 " of %" PRIu64 " bytes of %s sent (GnuTLS: %s)",
				 c->body_sent, c->body_len, c->req.target,
				 gnutls_strerror(n));
			return CONN_ABORT;
		}
		c->ubuf_pos += n;
		c->body_sent += n;
		sent += n;
	}
}

/*
 * A POLL for this connection completed. In CONN_RECV: request bytes that
 * are already in, else what GnuTLS has.
 */
enum conn_state user_step(struct conn *c)
{
	if (c->timed_out) {
		if (c->state == CONN_RECV)
			return CONN_RECV_TIMEOUT;
		conn_log(c, "client stopped reading: no progress for %u s (%" PRIu64 " of %" PRIu64 " body bytes sent)",
			 c->srv->opt.idle_timeout, c->body_sent, c->body_len);
		return CONN_ABORT;
	}
	if (c->r_poll == -ECANCELED && c->srv->stopping &&
	    c->state == CONN_RECV)
		return CONN_RECV_STOPPED;
	if (c->r_poll == -ECANCELED && c->evicted && c->state == CONN_RECV)
		return CONN_RECV_EVICTED;
	if (c->r_poll < 0) {
		conn_log(c, "poll failed: %s", serve_errname(c->r_poll));
		return CONN_ABORT;
	}
	switch (c->state) {
	case CONN_RECV:
		return c->rx_len ? CONN_PARSE : user_read(c);
	case CONN_SEND_HEAD:
		return user_send_head(c);
	case CONN_SEND_BODY:
		return user_send_body(c);
	default:
		conn_log(c, "BUG: user TLS completion in state %d", c->state);
		abort();
	}
}
