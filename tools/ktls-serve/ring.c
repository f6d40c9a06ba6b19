// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The io_uring rings: the data ring, and one per handshake worker
 * (handshake.c). Every request carries a user_data that says who it
 * belongs to: small numbers are the server's own ops (accept, signalfd,
 * backoff), anything else is a connection pointer with the op in its low
 * bits. A connection counts its ops in flight and only moves on (or is
 * freed) once all of them, linked timeouts included, have completed; so no
 * completion ever refers to freed memory. The loop that hands completions
 * out is server.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "serve.h"

/* The data ring, or a handshake worker's. */
int ring_init(struct io_uring *ring, unsigned int entries)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	ret = io_uring_queue_init_params(entries, ring, &p);
	if (ret < 0)
		return ret;
	if (!(p.features & IORING_FEAT_NODROP)) {
		/* A lost completion would leak a connection forever. */
		io_uring_queue_exit(ring);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * An SQE, with room for need-1 more behind it: a linked chain must go to
 * the kernel in one submission, so make the room before its first SQE.
 */
struct io_uring_sqe *ring_sqe_on(struct io_uring *ring, unsigned int need)
{
	struct io_uring_sqe *sqe;

	if (io_uring_sq_space_left(ring) < need)
		io_uring_submit(ring);
	sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	/* Can't be NULL: the SQ was just flushed and entries >= need. */
	io_uring_sqe_set_data64(sqe, RING_IGNORE);
	return sqe;
}

struct io_uring_sqe *ring_sqe(struct server *s, unsigned int need)
{
	return ring_sqe_on(&s->ring, need);
}

/* On the ring of whoever holds the connection: the data ring or a worker's. */
struct io_uring_sqe *ring_conn_sqe(struct conn *c, enum conn_op op,
				   unsigned int need)
{
	struct io_uring_sqe *sqe = ring_sqe_on(c->ring, need);

	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | op);
	if (!c->inflight++) {
		/* A new batch: no results yet. */
		c->r_poll = c->r_recv = c->r_send = CONN_NO_RESULT;
		c->r_in = c->r_out = c->r_read = CONN_NO_RESULT;
		c->timed_out = 0;
	}
	return sqe;
}

/* Bound the op just prepared (it must have IOSQE_IO_LINK set). */
void ring_link_timeout(struct conn *c, int64_t ms)
{
	struct io_uring_sqe *sqe;

	if (ms < 0)
		ms = 0;
	c->ts.tv_sec = ms / 1000;
	c->ts.tv_nsec = (ms % 1000) * 1000000;
	sqe = ring_conn_sqe(c, CONN_OP_TIMEOUT, 1);
	io_uring_prep_link_timeout(sqe, &c->ts, 0);
}

/* Wait for events on the connection's socket, for at most ms if ms >= 0. */
void ring_poll(struct conn *c, short events, int64_t ms)
{
	struct io_uring_sqe *sqe;

	sqe = ring_conn_sqe(c, CONN_OP_POLL, ms >= 0 ? 2 : 1);
	io_uring_prep_poll_add(sqe, c->fd, events);
	if (ms >= 0) {
		sqe->flags |= IOSQE_IO_LINK;
		ring_link_timeout(c, ms);
	}
}

/* Cancel whatever a connection waits on (a poll or a recv). */
void ring_cancel_conn(struct conn *c)
{
	static const enum conn_op ops[] = { CONN_OP_POLL, CONN_OP_RECV };
	struct io_uring_sqe *sqe;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		sqe = ring_sqe_on(c->ring, 1);
		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c | ops[i], 0);
	}
}

/* Submit what is queued and wait for at least one completion. */
int ring_wait(struct io_uring *ring)
{
	int ret = io_uring_submit_and_wait(ring, 1);

	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		return ret;
	return 0;
}

/*
 * The next completion, taken off the ring before it is handled: handlers
 * may submit, even flush, the SQ. 0, or -EAGAIN when there is none.
 */
int ring_next(struct io_uring *ring, uint64_t *ud, int *res)
{
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(ring, &cqe))
		return -EAGAIN;
	*ud = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* The connection and op a user_data of RING_GLOBAL_MAX or more names. */
struct conn *ring_conn(uint64_t ud, enum conn_op *op)
{
	*op = ud & CONN_OP_MASK;
	return (struct conn *)(uintptr_t)(ud & ~(uint64_t)CONN_OP_MASK);
}
