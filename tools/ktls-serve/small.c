// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small bodies (up to --small-body): the body is read behind the head in a
 * buffer of the connection's own, and head and body go out in one SEND.
 * The splice path costs a SEND of the head and then a splice pair through
 * io-wq, a ring round trip each; here the READ is linked to the SEND, so
 * the whole response is one submission:
 *
 *   READ file@off -> buf + head_len  (IOSQE_IO_LINK)
 *   SEND buf                         (IOSQE_IO_LINK, IOSQE_ASYNC)
 *   LINK_TIMEOUT
 *
 * A page-cache hit completes the READ inline; the SEND, which encrypts,
 * runs in an io-wq worker as a splice does, not on the ring's thread. A short READ breaks the link
 * (the SEND comes back -ECANCELED) and the rest is read before the SEND is
 * tried again. The buffer lives for one response: memory stays bounded by
 * --max-conns times --small-body.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

/* Take the body this way? Then the head is moved into the buffer. */
int small_prepare(struct conn *c)
{
	struct server *s = c->srv;
	size_t head = c->head_len;
	char *buf;

	if (s->opt.tls == SERVE_TLS_USER || c->body_left > s->opt.small_body ||
	    !c->body_left)
		return 0;
	buf = malloc(head + c->body_left);
	if (!buf)
		return 0;	/* the splice path needs no buffer */
	memcpy(buf, c->head, head);
	c->small = buf;
	c->small_head = head;
	c->small_got = 0;
	c->head_len = head + c->body_left;
	c->body_left = 0;	/* nothing for the splice path */
	return 1;
}

/* Queue the READ of what is missing, linked to the SEND that follows. */
void small_queue_read(struct conn *c)
{
	struct io_uring_sqe *sqe;
	uint64_t got = c->small_got;

	sqe = ring_conn_sqe(c, CONN_OP_READ, 3);
	io_uring_prep_read(sqe, c->file_fd, c->small + c->small_head + got,
			   c->body_len - got, c->body_off + got);
	sqe->flags |= IOSQE_IO_LINK;
}

/* The READ's result: 1 all read, 0 read on, -1 give up (logged). */
int small_read_done(struct conn *c)
{
	int res = c->r_read;

	if (res == CONN_NO_RESULT)
		return 1;
	if (res < 0) {
		conn_log(c, "reading %s failed: %s", c->req.target,
			 serve_errname(res));
		return -1;
	}
	if (res == 0) {
		conn_log(c, "%s shrank while being sent: %" PRIu64 " bytes missing",
			 c->req.target, c->body_len - c->small_got);
		return -1;
	}
	c->small_got += res;
	if (c->small_got < c->body_len && c->r_send != -ECANCELED) {
		/* A short READ breaks the link: the SEND must not have run. */
		conn_log(c, "BUG: short read of %s, yet its send ran (%d)",
			 c->req.target, c->r_send);
		return -1;
	}
	return c->small_got >= c->body_len;
}

/* n more bytes of the buffer went out: count head and body apart. */
void small_count(struct conn *c, size_t before, size_t n)
{
	struct serve_stats *st = &c->srv->stats;
	size_t head = c->small_head, h = 0;

	if (before < head)
		h = n < head - before ? n : head - before;
	st->head_bytes += h;
	st->body_small += n - h;
	c->body_sent += n - h;
	c->key_bytes += n - h;
}

void small_release(struct conn *c)
{
	free(c->small);
	c->small = NULL;
}
