// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One client connection: handshake, then requests and responses until
 * either side is done. Each step submits a batch of ring ops (a recv, a
 * send or a poll with its linked timeout, or a splice chain) and the next
 * step runs when the whole batch has completed.
 *
 *   HANDSHAKE -> RECV -> SEND_HEAD -> [SEND_BODY] -> RECV ... -> close
 *
 * This file owns the state: the phases (tls.c, tls_user.c, splice.c and
 * the request handling here) return the next one, a waiting state once
 * they have submitted ops or a verdict that conn_run() acts on at once.
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

#include "serve.h"
#include "files.h"

#define CONN_LINGER_MS 1000
#define CONN_LINGER_MAX (64 * 1024)

static int64_t conn_idle_ms(const struct conn *c)
{
	return (int64_t)c->srv->opt.idle_timeout * 1000;
}

struct conn *conn_new(struct server *s, int fd, const char *peer,
		      const struct in6_addr *addr)
{
	struct conn *c;
	int one = 1;

	/* Aligned: the low bits of its address tag ring ops (ring.c). */
	if (posix_memalign((void **)&c, CONN_ALIGN, sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->rx_cap = s->opt.max_header;
	c->rx = malloc(c->rx_cap);
	if (!c->rx) {
		free(c);
		return NULL;
	}
	c->srv = s;
	c->ring = &s->ring;
	c->fd = fd;
	/* Heads go out with MSG_MORE; what is left must not wait for ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->file_fd = -1;
	c->pipe[0] = c->pipe[1] = -1;
	c->id = ++s->next_id;
	c->t_accept = serve_now_ms();
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->addr = *addr;

	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->stats.conns++;
	return c;
}

/* Also at exit, once the ring is gone and nothing is in flight. */
void conn_free(struct conn *c)
{
	struct server *s = c->srv;

	if (c->inflight || c->away) {
		/* A completion would still point here: fail loudly. */
		conn_log(c, "BUG: freeing a connection with %u ops in flight%s",
			 c->inflight, c->away ? ", at a handshake worker" : "");
		abort();
	}
	if (c->file_fd >= 0)
		close(c->file_fd);
	splice_release(c);
	small_release(c);
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
}

static enum conn_state conn_abort(struct conn *c)
{
	conn_info(c, "closed after %u request%s", c->nreq,
		  c->nreq == 1 ? "" : "s");
	conn_free(c);
	return CONN_FREED;
}

/*
 * A RECVMSG into rx from byte @from, linked to a timeout of @ms. With room
 * for TLS_GET_RECORD_TYPE once offloaded: alerts come as control records.
 */
static void conn_prep_recvmsg(struct conn *c, size_t from, int64_t ms)
{
	struct io_uring_sqe *sqe;

	c->iov.iov_base = c->rx + from;
	c->iov.iov_len = c->rx_cap - from;
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
	ring_link_timeout(c, ms);
}

static enum conn_state conn_linger(struct conn *c)
{
	conn_prep_recvmsg(c, 0, CONN_LINGER_MS);
	return CONN_LINGER;
}

/* After close_notify (if any): linger or close. */
static enum conn_state conn_close_finish(struct conn *c)
{
	if (c->linger && c->srv->opt.tls != SERVE_TLS_USER) {
		shutdown(c->fd, SHUT_WR);
		c->linger_bytes = 0;
		return conn_linger(c);
	}
	return CONN_ABORT;
}

static enum conn_state conn_close(struct conn *c)
{
	if (c->tls_up)
		return tls_close_notify(c);
	return CONN_CLOSE_FINISH;
}

static enum conn_state conn_linger_step(struct conn *c)
{
	if (c->r_recv > 0 && !c->timed_out) {
		c->linger_bytes += c->r_recv;
		if (c->linger_bytes < CONN_LINGER_MAX)
			return conn_linger(c);
	}
	return CONN_ABORT;
}

/* Waiting for the next request on a kept-alive connection, nothing in. */
int conn_is_idle(const struct conn *c)
{
	/* Away at a handshake worker: its state is the worker's. */
	if (c->away)
		return 0;
	return c->state == CONN_RECV && !c->rx_len && c->nreq && !c->evicted;
}

/* Make room: end the wait; the RECV (or POLL) comes back cancelled. */
void conn_evict(struct conn *c)
{
	c->evicted = 1;
	ring_cancel_conn(c);
}

/* Server shutdown: wake what only waits for the client. */
void conn_stop(struct conn *c)
{
	if (c->away)
		return;		/* its worker abandons it (handshake.c) */
	if (c->state == CONN_HANDSHAKE)
		c->stopped = 1;
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
	access_log_write(c);
}

static enum conn_state conn_response_done(struct conn *c)
{
	size_t used;

	conn_log_request(c);
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	small_release(c);
	if (!c->keep_alive || c->srv->stopping)
		return CONN_CLOSE;
	used = c->req.header_len;
	memmove(c->rx, c->rx + used, c->rx_len - used);
	c->rx_len -= used;
	return CONN_WAIT_REQUEST;
}

/*
 * Status line, headers and (for errors) a short body: one SEND. A small
 * file body is in c->small behind the head: a READ linked to that SEND.
 */
static enum conn_state conn_send_head(struct conn *c)
{
	struct io_uring_sqe *sqe;
	int more = c->body_left ? MSG_MORE : 0;
	const char *out = c->small ? c->small : c->head;

	if (!c->head_len) {
		conn_log(c, "BUG: response head does not fit in %d bytes",
			 CONN_HEAD_MAX);
		return CONN_ABORT;
	}
	if (c->srv->opt.tls == SERVE_TLS_USER)
		return user_send_head(c);
	/* A KeyUpdate the client asked for goes out before our data. */
	if (c->tls && !c->head_sent && ktls_session_send(c->tls, "", 0, 0)) {
		conn_log(c, "answering the client's KeyUpdate failed: %s",
			 ktls_session_error(c->tls));
		return CONN_ABORT;
	}
	if (c->small && c->small_got < c->body_len)
		small_queue_read(c);
	sqe = ring_conn_sqe(c, CONN_OP_SEND, 2);
	io_uring_prep_send(sqe, c->fd, out + c->head_sent,
			   c->head_len - c->head_sent, MSG_NOSIGNAL | more);
	sqe->flags |= IOSQE_IO_LINK;
	/*
	 * A body's encryption goes to io-wq's workers, as a splice's does,
	 * rather than onto the ring's one thread.
	 */
	if (c->small)
		sqe->flags |= IOSQE_ASYNC;
	ring_link_timeout(c, conn_idle_ms(c));
	return CONN_SEND_HEAD;
}

/* Head (and error body) fully sent: the body, or the next request. */
static enum conn_state conn_head_sent(struct conn *c)
{
	c->extra_sent = c->extra_len;
	if (!c->body_left)
		return CONN_RESPONSE_DONE;
	if (c->srv->opt.tls == SERVE_TLS_USER)
		return user_send_body(c);
	return splice_begin(c);
}

static enum conn_state conn_send_step(struct conn *c)
{
	int got = small_read_done(c);

	if (got < 0)
		return CONN_ABORT;
	if (!got)	/* a short READ: the SEND was cancelled */
		return conn_send_head(c);
	if (c->r_send <= 0) {
		if (c->timed_out)
			conn_log(c, "client stopped reading: response head not taken within %u s",
				 c->srv->opt.idle_timeout);
		else
			conn_log(c, "client disconnected before the response: %s",
				 serve_errname(c->r_send ? c->r_send : -EPIPE));
		return CONN_ABORT;
	}
	if (c->small)
		small_count(c, c->head_sent, c->r_send);
	else
		c->srv->stats.head_bytes += c->r_send;
	c->head_sent += c->r_send;
	if (c->head_sent < c->head_len)
		return conn_send_head(c);
	return CONN_HEAD_SENT;
}

static void conn_prepare_head(struct conn *c, struct http_response *r)
{
	r->status = c->status;
	r->keep_alive = c->keep_alive;
	r->date = serve_date(c->srv);
	c->head_len = http_format_head(c->head, sizeof(c->head), r);
	c->head_sent = 0;
}

/* An answer without a file body: the head and a short text body. */
static enum conn_state conn_respond(struct conn *c, int status,
				    const char *why, struct http_response *r)
{
	const char *body = http_error_body(status);
	size_t blen = strlen(body);

	c->status = status;
	c->why = why;
	c->body_left = c->body_len = c->body_sent = 0;
	if (status != 304) {
		r->content_length = blen;
		r->content_type = "text/plain; charset=utf-8";
	}
	r->size = c->file_size;
	conn_prepare_head(c, r);
	c->extra_len = 0;
	if (c->req.method != HTTP_HEAD && c->head_len && blen &&
	    status != 304 && c->head_len + blen <= sizeof(c->head)) {
		memcpy(c->head + c->head_len, body, blen);
		c->head_len += blen;
		c->extra_len = blen;
	}
	return conn_send_head(c);
}

static enum conn_state conn_respond_error(struct conn *c, int status,
					  const char *why)
{
	struct http_response r = { 0 };

	return conn_respond(c, status, why, &r);
}

/* /dir -> /dir/, so that the index page's relative links resolve. */
static enum conn_state conn_redirect_dir(struct conn *c)
{
	struct http_response r = { 0 };

	r.location = c->req.raw_path;
	r.location_query = c->req.query;
	return conn_respond(c, 301, "directory: redirected to its path with a slash",
			    &r);
}

/*
 * RFC 9110 section 13.2.2 for GET and HEAD: If-None-Match, when present,
 * decides alone; else If-Modified-Since. Returns why the client's copy is
 * current, or NULL.
 */
static const char *conn_not_modified(const struct http_request *req,
				     const char *etag, int64_t mtime)
{
	unsigned int i;

	if (req->n_if_none_match) {
		for (i = 0; i < req->n_if_none_match; i++)
			if (http_etag_match(&req->if_none_match[i], etag, 1))
				return "not modified (If-None-Match)";
		return NULL;
	}
	if (req->if_modified_since >= 0 && mtime <= req->if_modified_since)
		return "not modified (If-Modified-Since)";
	return NULL;
}

/* If-Range: the range holds only if the client's validator is current. */
static int conn_if_range_holds(const struct http_request *req,
			       const char *etag, int64_t mtime)
{
	const struct http_field *f = &req->if_range;

	if (f->v[0] == '"' || f->v[0] == 'W')
		return http_etag_match(f, etag, 0);
	return http_parse_date(f->v, f->n) == mtime;
}

static enum conn_state conn_handle(struct conn *c)
{
	struct server *s = c->srv;
	struct http_request *req = &c->req;
	struct http_response r = { 0 };
	struct files_entry e;
	char etag[64], last_modified[40];
	const char *current;
	uint64_t off = 0, len;
	int64_t mtime;
	size_t plen;
	int ret;

	c->keep_alive = req->keep_alive && !s->stopping;
	c->why = req->range_ignored;
	c->file_size = 0;
	if (req->method == HTTP_OTHER) {
		c->linger = req->has_body;	/* its body is still coming */
		return conn_respond_error(c, 405, "method not allowed");
	}
	ret = files_open(s->root_fd, req->path, &e);
	if (ret == -EPERM) {
		conn_log(c, "%s: %s", req->target, e.why);
		c->keep_alive = 0;
		c->linger = 1;
		return conn_respond_error(c, 400, e.why);
	}
	plen = strlen(req->path);
	if (e.is_dir && (!ret || ret == -ENOENT) && req->path[plen - 1] != '/') {
		if (e.fd >= 0)
			close(e.fd);
		return conn_redirect_dir(c);
	}
	if (ret == -EXDEV)
		conn_log(c, "%s: %s", req->target, e.why);
	if (ret)
		return conn_respond_error(c, 404, e.why);
	mtime = e.st.st_mtim.tv_sec;
	files_etag(&e.st, etag, sizeof(etag));
	http_format_date(last_modified, sizeof(last_modified), mtime);
	r.etag = etag;
	r.last_modified = last_modified;
	current = conn_not_modified(req, etag, mtime);
	if (current) {
		close(e.fd);
		return conn_respond(c, 304, current, &r);
	}
	if (req->range.kind != HTTP_RANGE_NONE && req->if_range.n &&
	    !conn_if_range_holds(req, etag, mtime)) {
		req->range.kind = HTTP_RANGE_NONE;
		c->why = "If-Range does not match: the whole file";
	}
	c->file_size = e.st.st_size;
	len = c->file_size;
	c->status = 200;
	switch (http_range_resolve(&req->range, c->file_size, &off, &len)) {
	case HTTP_RANGE_UNSATISFIABLE:
		close(e.fd);
		return conn_respond_error(c, 416, "range not satisfiable");
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
		if (small_prepare(c) && tls_rekey_due(c))
			return CONN_ABORT;
	} else {
		close(e.fd);
		c->body_left = 0;
	}
	return conn_send_head(c);
}

static enum conn_state conn_submit_recvmsg(struct conn *c);

/* Answer a request that is complete (or broken) in rx, or read on. */
static enum conn_state conn_parse(struct conn *c)
{
	enum http_parse_result ret;

	ret = http_parse_request(c->rx, c->rx_len, c->rx_cap, &c->req);
	if (ret == HTTP_PARSE_INCOMPLETE) {
		if (c->srv->opt.tls == SERVE_TLS_USER)
			return user_read(c);	/* what GnuTLS has, or a POLL */
		return conn_submit_recvmsg(c);
	}
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
		return conn_respond_error(c, c->req.status, c->req.error);
	}
	return conn_handle(c);
}

static enum conn_state conn_submit_recvmsg(struct conn *c)
{
	conn_prep_recvmsg(c, c->rx_len, c->rx_deadline - serve_now_ms());
	return CONN_RECV;
}

/* More request bytes are needed. */
static enum conn_state conn_submit_recv(struct conn *c)
{
	if (c->srv->opt.tls == SERVE_TLS_USER)
		return user_wait_recv(c);
	return conn_submit_recvmsg(c);
}

/*
 * Ready for a request. The deadline is set here and not moved by partial
 * data, so a client that trickles a header byte by byte (slowloris) is cut
 * off after --idle-timeout like one that sends nothing.
 */
static enum conn_state conn_wait_request(struct conn *c)
{
	/* Chosen to make room while it was answering: done now. */
	if (c->evicted)
		return CONN_RECV_EVICTED;
	c->t_request = 0;
	c->why = NULL;
	c->t_idle = serve_now_ms();
	c->rx_deadline = c->t_idle + conn_idle_ms(c);
	if (c->rx_len) {
		c->t_request = serve_now_ms();
		/* A pipelined request; user TLS takes it after a turn. */
		if (c->srv->opt.tls != SERVE_TLS_USER)
			return CONN_PARSE;
	}
	return conn_submit_recv(c);
}

static enum conn_state conn_recv_eof(struct conn *c, int close_notify)
{
	if (close_notify) {
		/* Between requests that is how a TLS client says goodbye. */
		if (c->rx_len)
			conn_log(c, "client sent close_notify in the middle of a request (%zu bytes received)",
				 c->rx_len);
		else
			conn_info(c, "client sent close_notify after %u request%s",
				  c->nreq, c->nreq == 1 ? "" : "s");
		return CONN_CLOSE;
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
	return CONN_ABORT;
}

static enum conn_state conn_recv_timeout(struct conn *c)
{
	unsigned int t = c->srv->opt.idle_timeout;

	if (c->rx_len) {
		conn_log(c, "slowloris timeout: request head still incomplete after %u s (%zu bytes received)",
			 t, c->rx_len);
		c->linger = 0;
	} else {
		conn_info(c, "idle timeout: no request for %u s, closing", t);
	}
	return CONN_CLOSE;
}

static enum conn_state conn_recv_stopped(struct conn *c)
{
	conn_info(c, "closing idle connection: server shutting down");
	return CONN_CLOSE;
}

static enum conn_state conn_recv_evicted(struct conn *c)
{
	conn_info(c, "closing idle connection after %u request%s: room for a new client",
		  c->nreq, c->nreq == 1 ? "" : "s");
	return CONN_CLOSE;
}

static enum conn_state conn_recv_alert(struct conn *c)
{
	int desc = c->peer_alert_desc;

	if (desc == 0)	/* close_notify */
		return conn_recv_eof(c, 1);
	if (c->peer_alert_level == 2) {
		conn_log(c, "client sent fatal alert: %s", ktls_alert_name(desc));
		return CONN_ABORT;
	}
	conn_log(c, "client sent warning alert %s: ignored",
		 ktls_alert_name(desc));
	return conn_submit_recv(c);
}

/* A record that isn't application data arrived on the kTLS socket. */
static enum conn_state conn_control_record(struct conn *c, int type,
					   const unsigned char *p, int n)
{
	int ret;

	if (type == KTLS_RECORD_ALERT && n >= 2) {
		c->peer_alert_level = p[0];
		c->peer_alert_desc = p[1];
		return CONN_PEER_ALERT;
	}
	if (type == KTLS_RECORD_HANDSHAKE && n && p[0] == 24 && c->tls) {
		ret = ktls_session_handshake_record(c->tls, p, n);
		if (!ret) {
			conn_info(c, "client sent a KeyUpdate%s: followed",
				  n == 5 && p[4] ? " (update requested)" : "");
			return conn_submit_recv(c);
		}
		conn_log(c, "client's KeyUpdate: %s",
			 ktls_session_error(c->tls));
		if (ret == -EPROTO) {	/* the library sent the alert */
			c->alert_sent = 1;
			return CONN_ABORT;
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
	return CONN_ABORT;
}

/* The receive failed: say why, in terms of what the client did. */
static enum conn_state conn_recv_error(struct conn *c)
{
	const char *detail = c->recv_detail;
	int err = c->recv_err;

	if (err == -ECONNRESET) {
		conn_log(c, "client reset the connection%s", c->rx_len ?
			 " mid-request" : "");
		return CONN_ABORT;
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
		return CONN_ABORT;
	}
	conn_log(c, "receive failed: %s", detail ? detail : serve_errname(err));
	return CONN_ABORT;
}

static enum conn_state conn_recv_step(struct conn *c)
{
	int res = c->r_recv, type;

	/*
	 * The record type first: an empty alert or handshake record is a
	 * protocol violation (unexpected_message), not the end of the
	 * stream that an empty data read is.
	 */
	if (res >= 0) {
		type = c->offloaded ? ktls_record_type_from_msg(&c->msg) :
				      KTLS_RECORD_DATA;
		if (res == 0 && type == KTLS_RECORD_DATA)
			return CONN_PEER_EOF;
		if (type != KTLS_RECORD_DATA)
			return conn_control_record(c, type,
					(unsigned char *)c->rx + c->rx_len, res);
		if (!c->t_request)
			c->t_request = serve_now_ms();
		c->rx_len += res;
		return CONN_PARSE;
	}
	if (c->timed_out)
		return CONN_RECV_TIMEOUT;
	if (res == -ECANCELED && c->srv->stopping)
		return CONN_RECV_STOPPED;
	if (res == -ECANCELED && c->evicted)
		return CONN_RECV_EVICTED;
	c->recv_err = res;
	c->recv_detail = NULL;
	return CONN_RECV_ERROR;
}

/* The batch of a waiting state completed: its phase goes on. */
static enum conn_state conn_step(struct conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
		return tls_step(c);
	case CONN_CLOSE_NOTIFY:
		return tls_close_notify_step(c);
	case CONN_LINGER:
		return conn_linger_step(c);
	default:
		break;
	}
	if (c->srv->opt.tls == SERVE_TLS_USER)
		return user_step(c);
	switch (c->state) {
	case CONN_RECV:
		return conn_recv_step(c);
	case CONN_SEND_HEAD:
		return conn_send_step(c);
	case CONN_SEND_BODY:
		return splice_step(c);
	default:
		conn_log(c, "BUG: completion in state %d", c->state);
		abort();
	}
}

/* A verdict: what it means for the connection, and the state after. */
static enum conn_state conn_act(struct conn *c, enum conn_state next)
{
	switch (next) {
	case CONN_WAIT_REQUEST:
		return conn_wait_request(c);
	case CONN_PARSE:
		return conn_parse(c);
	case CONN_HEAD_SENT:
		return conn_head_sent(c);
	case CONN_RESPONSE_DONE:
		return conn_response_done(c);
	case CONN_PEER_CLOSE_NOTIFY:
		return conn_recv_eof(c, 1);
	case CONN_PEER_EOF:
		return conn_recv_eof(c, 0);
	case CONN_PEER_ALERT:
		return conn_recv_alert(c);
	case CONN_RECV_ERROR:
		return conn_recv_error(c);
	case CONN_RECV_TIMEOUT:
		return conn_recv_timeout(c);
	case CONN_RECV_STOPPED:
		return conn_recv_stopped(c);
	case CONN_RECV_EVICTED:
		return conn_recv_evicted(c);
	case CONN_CLOSE:
		return conn_close(c);
	case CONN_CLOSE_FINISH:
		return conn_close_finish(c);
	case CONN_ABORT:
		return conn_abort(c);
	default:
		conn_log(c, "BUG: no verdict %d", next);
		abort();
	}
}

int conn_waiting(enum conn_state state)
{
	return state < CONN_WAIT_REQUEST;
}

/* Act on verdicts until the connection waits for its ring ops, or is gone. */
static void conn_run(struct conn *c, enum conn_state next)
{
	struct server *s = c->srv;

	if (c->tls_up && !c->hs_counted) {
		c->hs_counted = 1;
		s->stats.handshakes++;
		if (!c->worker)
			s->stats.handshakes_inline++;
	}
	while (next != CONN_FREED && !conn_waiting(next))
		next = conn_act(c, next);
	if (next == CONN_FREED)
		return;
	if (!c->inflight) {
		/* Nothing would ever wake it: fail loudly. */
		conn_log(c, "BUG: state %d with no op in flight", next);
		abort();
	}
	c->state = next;
	/* Shutdown came as its POLL completed: end the new one too. */
	if (c->stopped && next == CONN_HANDSHAKE)
		ring_cancel_conn(c);
}

void conn_start(struct conn *c)
{
	conn_run(c, c->srv->opt.tls == SERVE_TLS_OFF ? CONN_WAIT_REQUEST :
						       tls_start(c));
}

/*
 * Back on the data ring from a handshake worker (or never got there):
 * the handshake's verdict, or a waiting state, goes on here.
 */
void conn_resume(struct conn *c, enum conn_state next)
{
	c->ring = &c->srv->ring;
	conn_run(c, next);
}

/*
 * A completion of the connection's batch: its result noted. 1 once the
 * whole batch is in. The holder's thread calls it, for its own ring.
 */
int conn_complete(struct conn *c, enum conn_op op, int res)
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
	case CONN_OP_READ:
		c->r_read = res;
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
	default:
		conn_log(c, "BUG: completion of op %d", op);
		abort();
	}
	return !--c->inflight;
}

void conn_on_cqe(struct conn *c, enum conn_op op, int res)
{
	if (conn_complete(c, op, res))
		conn_run(c, conn_step(c));
}
