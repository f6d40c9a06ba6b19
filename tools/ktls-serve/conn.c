// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One client connection: handshake, then requests and responses until
 * either side is done. Each step submits a batch of ring ops (a recv, a
 * send or a poll with its linked timeout, or a splice chain) and the next
 * step runs when the whole batch has completed.
 *
 *   HANDSHAKE -> RECV -> SEND_HEAD -> [SEND_BODY] -> RECV ... -> close
 *
 * Closing is graceful (close_notify, then a short linger after an error
 * response so the client reads it before our FIN) or an abort (the client
 * is gone or broke the protocol: just close).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "serve.h"
#include "files.h"

#define CONN_LINGER_MS 1000
#define CONN_LINGER_MAX (64 * 1024)

static int64_t conn_idle_ms(const struct conn *c)
{
	return (int64_t)c->srv->opt.idle_timeout * 1000;
}

struct conn *conn_new(struct server *s, int fd,
		      const struct sockaddr_storage *peer)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rx_cap = s->opt.max_header;
	c->rx = malloc(c->rx_cap);
	if (!c->rx) {
		free(c);
		return NULL;
	}
	c->srv = s;
	c->fd = fd;
	c->file_fd = -1;
	c->pipe[0] = c->pipe[1] = -1;
	c->id = ++s->next_id;
	c->t_accept = serve_now_ms();
	server_format_addr(peer, c->peer, sizeof(c->peer));

	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->stats.conns++;
	return c;
}

static void conn_free(struct conn *c)
{
	struct server *s = c->srv;

	if (c->inflight) {
		/* A completion would still point here: fail loudly. */
		conn_log(c, "BUG: freeing a connection with %u ops in flight",
			 c->inflight);
		abort();
	}
	conn_info(c, "closed after %u request%s", c->nreq,
		  c->nreq == 1 ? "" : "s");
	if (c->file_fd >= 0)
		close(c->file_fd);
	splice_release(c);
	if (c->tls)
		ktls_session_free(c->tls);
	close(c->fd);
	free(c->rx);
	free(c->ubuf);

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
	server_arm_accept(s);
}

void conn_abort(struct conn *c)
{
	conn_free(c);
}

static void conn_linger(struct conn *c)
{
	struct io_uring_sqe *sqe;

	c->state = CONN_LINGER;
	c->iov.iov_base = c->rx;
	c->iov.iov_len = c->rx_cap;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = &c->iov;
	c->msg.msg_iovlen = 1;
	if (c->offloaded) {
		c->msg.msg_control = c->cmsg.buf;
		c->msg.msg_controllen = sizeof(c->cmsg.buf);
	}
	sqe = ring_conn_sqe(c, CONN_OP_RECV, 2);
	io_uring_prep_recvmsg(sqe, c->fd, &c->msg, 0);
	sqe->flags |= IOSQE_IO_LINK;
	ring_link_timeout(c, CONN_LINGER_MS);
}

/* After close_notify (if any): linger or close. */
void conn_close_finish(struct conn *c)
{
	if (c->linger && c->srv->opt.tls != SERVE_TLS_USER) {
		shutdown(c->fd, SHUT_WR);
		c->linger_bytes = 0;
		conn_linger(c);
		return;
	}
	conn_free(c);
}

void conn_close(struct conn *c)
{
	if (c->tls_up && tls_close_notify(c) == -EAGAIN)
		return;	/* back through CONN_CLOSE_NOTIFY */
	conn_close_finish(c);
}

static void conn_linger_step(struct conn *c)
{
	if (c->r_recv > 0 && !c->timed_out) {
		c->linger_bytes += c->r_recv;
		if (c->linger_bytes < CONN_LINGER_MAX) {
			conn_linger(c);
			return;
		}
	}
	conn_free(c);
}

void conn_poll(struct conn *c, short events, int64_t ms)
{
	struct io_uring_sqe *sqe;

	sqe = ring_conn_sqe(c, CONN_OP_POLL, ms >= 0 ? 2 : 1);
	io_uring_prep_poll_add(sqe, c->fd, events);
	if (ms >= 0) {
		sqe->flags |= IOSQE_IO_LINK;
		ring_link_timeout(c, ms);
	}
}

void conn_start(struct conn *c)
{
	int one = 1;

	/* Heads go out with MSG_MORE; what is left must not wait for ACKs. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->srv->opt.tls == SERVE_TLS_OFF)
		conn_wait_request(c);
	else
		tls_start(c);
}

/* Server shutdown: wake what only waits for the client. */
void conn_stop(struct conn *c)
{
	if (c->state == CONN_HANDSHAKE ||
	    (c->state == CONN_RECV && !c->rx_len))
		ring_cancel_conn(c);
}

static const char *conn_method(const struct conn *c)
{
	return c->req.method_name[0] ? c->req.method_name : "-";
}

static void conn_log_request(struct conn *c)
{
	char range[96] = "";
	const char *why = c->why ? c->why : "";

	if (c->status == 206)
		snprintf(range, sizeof(range), " range %" PRIu64 "-%" PRIu64 "/%" PRIu64,
			 c->range_first, c->range_first + c->body_len - 1,
			 c->file_size);
	conn_info(c, "#%u \"%s %s HTTP/1.%d\" %d %" PRIu64 " bytes%s%s%s %" PRId64 " ms",
		  c->nreq, conn_method(c), c->req.target[0] ? c->req.target : "-",
		  c->req.minor, c->status, c->body_sent + c->extra_sent, range,
		  *why ? ": " : "", why, serve_now_ms() - c->t_request);
}

void conn_response_done(struct conn *c)
{
	size_t used;

	conn_log_request(c);
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	if (!c->keep_alive || c->srv->stopping) {
		conn_close(c);
		return;
	}
	used = c->req.header_len;
	memmove(c->rx, c->rx + used, c->rx_len - used);
	c->rx_len -= used;
	conn_wait_request(c);
}

/* Status line, headers and (for errors) a short body: one SEND. */
static void conn_send_head(struct conn *c)
{
	struct io_uring_sqe *sqe;
	int more = c->body_left ? MSG_MORE : 0;

	c->state = CONN_SEND_HEAD;
	if (!c->head_len) {
		conn_log(c, "BUG: response head does not fit in %d bytes",
			 CONN_HEAD_MAX);
		conn_abort(c);
		return;
	}
	if (c->srv->opt.tls == SERVE_TLS_USER) {
		user_send_head(c);
		return;
	}
	/* A KeyUpdate the client asked for goes out before our data. */
	if (c->tls && !c->head_sent && ktls_session_send(c->tls, "", 0, 0)) {
		conn_log(c, "answering the client's KeyUpdate failed: %s",
			 ktls_session_error(c->tls));
		conn_abort(c);
		return;
	}
	sqe = ring_conn_sqe(c, CONN_OP_SEND, 2);
	io_uring_prep_send(sqe, c->fd, c->head + c->head_sent,
			   c->head_len - c->head_sent, MSG_NOSIGNAL | more);
	sqe->flags |= IOSQE_IO_LINK;
	ring_link_timeout(c, conn_idle_ms(c));
}

/* Head (and error body) fully sent: the body, or the next request. */
void conn_head_sent(struct conn *c)
{
	c->extra_sent = c->extra_len;
	if (c->body_left) {
		if (c->srv->opt.tls == SERVE_TLS_USER)
			user_send_body(c);
		else if (splice_begin(c))
			conn_abort(c);
		return;
	}
	conn_response_done(c);
}

static void conn_send_step(struct conn *c)
{
	if (c->r_send <= 0) {
		if (c->timed_out)
			conn_log(c, "client stopped reading: response head not taken within %u s",
				 c->srv->opt.idle_timeout);
		else
			conn_log(c, "client disconnected before the response: %s",
				 serve_errname(c->r_send ? c->r_send : -EPIPE));
		conn_abort(c);
		return;
	}
	c->head_sent += c->r_send;
	c->srv->stats.head_bytes += c->r_send;
	if (c->head_sent < c->head_len) {
		conn_send_head(c);
		return;
	}
	conn_head_sent(c);
}

static void conn_prepare_head(struct conn *c, struct http_response *r)
{
	r->status = c->status;
	r->keep_alive = c->keep_alive;
	r->date = server_date(c->srv);
	c->head_len = http_format_head(c->head, sizeof(c->head), r);
	c->head_sent = 0;
}

static void conn_respond_error(struct conn *c, int status, const char *why)
{
	struct http_response r = { 0 };
	const char *body = http_error_body(status);
	size_t blen = strlen(body);

	c->status = status;
	c->why = why;
	c->body_left = c->body_len = c->body_sent = 0;
	r.content_length = blen;
	r.content_type = "text/plain; charset=utf-8";
	r.size = c->file_size;
	conn_prepare_head(c, &r);
	c->extra_len = 0;
	if (c->req.method != HTTP_HEAD && c->head_len &&
	    c->head_len + blen <= sizeof(c->head)) {
		memcpy(c->head + c->head_len, body, blen);
		c->head_len += blen;
		c->extra_len = blen;
	}
	conn_send_head(c);
}

static void conn_handle(struct conn *c)
{
	struct server *s = c->srv;
	struct http_request *req = &c->req;
	struct http_response r = { 0 };
	struct files_entry e;
	uint64_t off = 0, len;
	int ret;

	c->keep_alive = req->keep_alive && !s->stopping;
	c->why = req->range_ignored;
	c->file_size = 0;
	if (req->method == HTTP_OTHER) {
		c->linger = req->has_body;	/* its body is still coming */
		conn_respond_error(c, 405, "method not allowed");
		return;
	}
	ret = files_open(s->root_fd, req->path, &e);
	if (ret == -EPERM) {
		conn_log(c, "%s: %s", req->target, e.why);
		c->keep_alive = 0;
		c->linger = 1;
		conn_respond_error(c, 400, e.why);
		return;
	}
	if (ret == -EXDEV)
		conn_log(c, "%s: %s", req->target, e.why);
	if (ret) {
		conn_respond_error(c, 404, e.why);
		return;
	}
	c->file_size = e.st.st_size;
	len = c->file_size;
	c->status = 200;
	switch (http_range_resolve(&req->range, c->file_size, &off, &len)) {
	case HTTP_RANGE_UNSATISFIABLE:
		close(e.fd);
		conn_respond_error(c, 416, "range not satisfiable");
		return;
	case HTTP_RANGE_PARTIAL:
		c->status = 206;
		break;
	default:
		break;
	}
	r.content_length = len;
	r.content_type = e.type;
	r.range_first = off;
	r.range_last = off + len - 1;
	r.size = c->file_size;
	conn_prepare_head(c, &r);
	c->range_first = off;
	c->body_len = len;
	c->body_sent = 0;
	c->extra_len = c->extra_sent = 0;
	if (req->method == HTTP_GET && len) {
		c->file_fd = e.fd;
		c->body_off = off;
		c->body_left = len;
	} else {
		close(e.fd);
		c->body_left = 0;
	}
	conn_send_head(c);
}

/* A request is complete (or broken) in rx: answer it. 0: need more. */
int conn_parse(struct conn *c)
{
	enum http_parse_result ret;

	ret = http_parse_request(c->rx, c->rx_len, c->rx_cap, &c->req);
	if (ret == HTTP_PARSE_INCOMPLETE)
		return 0;
	if (!c->t_request)
		c->t_request = serve_now_ms();
	c->nreq++;
	c->srv->stats.requests++;
	c->extra_sent = 0;
	c->body_sent = 0;
	if (ret == HTTP_PARSE_ERROR) {
		conn_log(c, "bad request: %s", c->req.error);
		c->keep_alive = 0;
		c->linger = 1;
		c->file_size = 0;
		conn_respond_error(c, c->req.status, c->req.error);
		return 1;
	}
	conn_handle(c);
	return 1;
}

static void conn_submit_recvmsg(struct conn *c)
{
	struct io_uring_sqe *sqe;

	c->iov.iov_base = c->rx + c->rx_len;
	c->iov.iov_len = c->rx_cap - c->rx_len;
	memset(&c->msg, 0, sizeof(c->msg));
	c->msg.msg_iov = &c->iov;
	c->msg.msg_iovlen = 1;
	/* Room for TLS_GET_RECORD_TYPE: alerts come as control records. */
	if (c->offloaded) {
		c->msg.msg_control = c->cmsg.buf;
		c->msg.msg_controllen = sizeof(c->cmsg.buf);
	}
	sqe = ring_conn_sqe(c, CONN_OP_RECV, 2);
	io_uring_prep_recvmsg(sqe, c->fd, &c->msg, 0);
	sqe->flags |= IOSQE_IO_LINK;
	ring_link_timeout(c, c->rx_deadline - serve_now_ms());
}

/* More request bytes are needed. */
static void conn_submit_recv(struct conn *c)
{
	c->state = CONN_RECV;
	if (c->srv->opt.tls == SERVE_TLS_USER)
		user_wait_recv(c);
	else
		conn_submit_recvmsg(c);
}

/*
 * Ready for a request. The deadline is set here and not moved by partial
 * data, so a client that trickles a header byte by byte (slowloris) is cut
 * off after --idle-timeout like one that sends nothing.
 */
void conn_wait_request(struct conn *c)
{
	c->state = CONN_RECV;
	c->t_request = 0;
	c->why = NULL;
	c->rx_deadline = serve_now_ms() + conn_idle_ms(c);
	if (c->rx_len) {
		c->t_request = serve_now_ms();
		if (c->srv->opt.tls != SERVE_TLS_USER && conn_parse(c))
			return;
	}
	conn_submit_recv(c);
}

void conn_recv_eof(struct conn *c, int close_notify)
{
	if (close_notify) {
		/* Between requests that is how a TLS client says goodbye. */
		if (c->rx_len)
			conn_log(c, "client sent close_notify in the middle of a request (%zu bytes received)",
				 c->rx_len);
		else
			conn_info(c, "client sent close_notify after %u request%s",
				  c->nreq, c->nreq == 1 ? "" : "s");
		conn_close(c);
		return;
	}
	if (c->rx_len)
		conn_log(c, "client disconnected mid-request (%zu bytes of a request head received)",
			 c->rx_len);
	else if (c->tls_up)
		conn_log(c, "client closed the connection without close_notify after %u request%s",
			 c->nreq, c->nreq == 1 ? "" : "s");
	else
		conn_info(c, "client closed the connection after %u request%s",
			  c->nreq, c->nreq == 1 ? "" : "s");
	conn_abort(c);
}

void conn_recv_timeout(struct conn *c)
{
	unsigned int t = c->srv->opt.idle_timeout;

	if (c->rx_len) {
		conn_log(c, "slowloris timeout: request head still incomplete after %u s (%zu bytes received)",
			 t, c->rx_len);
		c->linger = 0;
	} else {
		conn_info(c, "idle timeout: no request for %u s, closing", t);
	}
	conn_close(c);
}

void conn_recv_stopped(struct conn *c)
{
	conn_info(c, "closing idle connection: server shutting down");
	conn_close(c);
}

void conn_recv_alert(struct conn *c, int level, int desc)
{
	if (desc == 0) {	/* close_notify */
		conn_recv_eof(c, 1);
		return;
	}
	if (level == 2) {
		conn_log(c, "client sent fatal alert: %s", ktls_alert_name(desc));
		conn_abort(c);
		return;
	}
	conn_log(c, "client sent warning alert %s: ignored",
		 ktls_alert_name(desc));
	conn_submit_recv(c);
}

/* A record that isn't application data arrived on the kTLS socket. */
static void conn_control_record(struct conn *c, int type,
				const unsigned char *p, int n)
{
	int ret;

	if (type == KTLS_RECORD_ALERT && n >= 2) {
		conn_recv_alert(c, p[0], p[1]);
		return;
	}
	if (type == KTLS_RECORD_HANDSHAKE && n && p[0] == 24 && c->tls) {
		ret = ktls_session_handshake_record(c->tls, p, n);
		if (!ret) {
			conn_info(c, "client sent a KeyUpdate%s: followed",
				  n == 5 && p[4] ? " (update requested)" : "");
			conn_submit_recv(c);
			return;
		}
		conn_log(c, "client's KeyUpdate: %s",
			 ktls_session_error(c->tls));
		if (ret == -EPROTO) {	/* the library sent the alert */
			c->alert_sent = 1;
			conn_abort(c);
			return;
		}
	}
	if (!n)
		conn_log(c, "client sent an empty %s record, which TLS forbids",
			 type == KTLS_RECORD_ALERT ? "alert" :
			 type == KTLS_RECORD_HANDSHAKE ? "handshake" : "control");
	else if (type == KTLS_RECORD_HANDSHAKE)
		conn_log(c, "client sent a post-handshake message (type %d)%s that kTLS cannot follow",
			 p[0], p[0] == 24 ? ", a KeyUpdate," : "");
	else
		conn_log(c, "client sent an unexpected TLS record (type %d, %d bytes)",
			 type, n);
	tls_alert(c, 10);	/* unexpected_message */
	conn_abort(c);
}

/* The receive failed: say why, in terms of what the client did. */
void conn_recv_error(struct conn *c, int err, const char *detail)
{
	if (err == -ECONNRESET) {
		conn_log(c, "client reset the connection%s", c->rx_len ?
			 " mid-request" : "");
		conn_abort(c);
		return;
	}
	if (c->tls_up && (err == -EBADMSG || err == -EINVAL ||
			  err == -EMSGSIZE || err == -EPROTO)) {
		conn_log(c, "garbage after handshake: %s", detail ? detail :
			 err == -EBADMSG ? "a record failed to decrypt (EBADMSG)" :
			 err == -EMSGSIZE ? "not a TLS record (its header claims an oversized record: EMSGSIZE)" :
			 "not a TLS record (bad record header: EINVAL)");
		/* bad_record_mac, record_overflow, decode_error */
		if (!c->alert_sent)
			tls_alert(c, err == -EBADMSG ? 20 :
				     err == -EMSGSIZE ? 22 : 50);
		conn_abort(c);
		return;
	}
	conn_log(c, "receive failed: %s", detail ? detail : serve_errname(err));
	conn_abort(c);
}

static int conn_record_type(struct msghdr *msg)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_TLS &&
		    cm->cmsg_type == TLS_GET_RECORD_TYPE)
			return *CMSG_DATA(cm);
	return KTLS_RECORD_DATA;
}

static void conn_recv_step(struct conn *c)
{
	int res = c->r_recv, type;

	/*
	 * The record type first: an empty alert or handshake record is a
	 * protocol violation (unexpected_message), not the end of the
	 * stream that an empty data read is.
	 */
	if (res >= 0) {
		type = c->offloaded ? conn_record_type(&c->msg) :
				      KTLS_RECORD_DATA;
		if (res == 0 && type == KTLS_RECORD_DATA) {
			conn_recv_eof(c, 0);
			return;
		}
		if (type != KTLS_RECORD_DATA) {
			conn_control_record(c, type,
					    (unsigned char *)c->rx + c->rx_len,
					    res);
			return;
		}
		if (!c->t_request)
			c->t_request = serve_now_ms();
		c->rx_len += res;
		if (!conn_parse(c))
			conn_submit_recv(c);
		return;
	}
	if (c->timed_out)
		conn_recv_timeout(c);
	else if (res == -ECANCELED && c->srv->stopping)
		conn_recv_stopped(c);
	else
		conn_recv_error(c, res, NULL);
}

static void conn_step(struct conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
		tls_step(c);
		return;
	case CONN_CLOSE_NOTIFY:
		tls_close_notify_step(c);
		return;
	case CONN_LINGER:
		conn_linger_step(c);
		return;
	default:
		break;
	}
	if (c->srv->opt.tls == SERVE_TLS_USER) {
		user_step(c);
		return;
	}
	switch (c->state) {
	case CONN_RECV:
		conn_recv_step(c);
		break;
	case CONN_SEND_HEAD:
		conn_send_step(c);
		break;
	case CONN_SEND_BODY:
		splice_step(c);
		break;
	default:
		conn_log(c, "BUG: completion in state %d", c->state);
		abort();
	}
}

void conn_batch_reset(struct conn *c)
{
	c->r_poll = c->r_recv = c->r_send = CONN_NO_RESULT;
	c->r_in = c->r_out = CONN_NO_RESULT;
	c->timed_out = 0;
}

void conn_on_cqe(struct conn *c, enum conn_op op, int res)
{
	if (c->srv->opt.debug)
		conn_log(c, "completion: state %d op %d res %d, %u in flight",
			 c->state, op, res, c->inflight);
	switch (op) {
	case CONN_OP_POLL:
		c->r_poll = res;
		break;
	case CONN_OP_RECV:
		c->r_recv = res;
		break;
	case CONN_OP_SEND:
		c->r_send = res;
		break;
	case CONN_OP_SPLICE_IN:
		c->r_in = res;
		break;
	case CONN_OP_SPLICE_OUT:
		c->r_out = res;
		break;
	case CONN_OP_TIMEOUT:
		/*
		 * -ECANCELED: the op finished first. Otherwise the timer
		 * fired: -ETIME if the op was cancelled, -EALREADY if it was
		 * running in an io-wq worker (a splice waiting for room in
		 * the socket) and has been interrupted.
		 */
		if (res != -ECANCELED)
			c->timed_out = 1;
		break;
	}
	if (--c->inflight)
		return;
	conn_step(c);
}
