// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --handshake-workers: TLS handshakes off the data ring. A handshake costs
 * milliseconds of CPU (an RSA signature), and on the one data ring a burst
 * of them would hold up every established connection's data. So the data
 * thread, after accepting (and the limits), hands each new TLS connection
 * to a worker thread with IORING_OP_MSG_RING; the worker runs the
 * handshake on its own ring (POLL with a linked timeout, tls.c), does the
 * kTLS handover and hands the connection back the same way, with the
 * verdict (serve requests, or close) that the data thread then acts on.
 *
 * Ownership is by message, no locks: a connection away at a worker is the
 * worker's alone (see struct conn). The data thread keeps every connection
 * on its list, so the limits, the counts and the final free stay its own;
 * it only reads, of one away, what never changes. A MSG_RING that failed
 * delivered nothing: the sender still holds the connection, and runs the
 * handshake itself (data thread) or tries again shortly (worker).
 *
 * Shutdown: RING_WORKER_STOP makes a worker abandon its handshakes (their
 * connections come back to be closed) and turn away what still arrives;
 * RING_WORKER_EXIT, once the data thread is done, ends its loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "serve.h"

#define HS_RING_ENTRIES 256
#define HS_RETRY_MS 10	/* a hand-back that failed: again after this */

static uint64_t hs_ud(struct conn *c, enum conn_op op)
{
	return (uint64_t)(uintptr_t)c | op;
}

/* Worker thread: the connections whose handshakes it runs. */
static void hs_list_add(struct hs_worker *w, struct conn *c)
{
	c->wprev = NULL;
	c->wnext = w->conns;
	if (w->conns)
		w->conns->wprev = c;
	w->conns = c;
	w->nconns++;
}

static void hs_list_del(struct hs_worker *w, struct conn *c)
{
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		w->conns = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	c->wprev = c->wnext = NULL;
	w->nconns--;
}

/* Worker thread: to the data ring; after this c is no longer ours. */
static void hs_hand_back(struct hs_worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe = ring_sqe_on(&w->ring, 1);

	io_uring_prep_msg_ring(sqe, w->srv->ring.ring_fd, 0,
			       hs_ud(c, CONN_OP_HANDBACK), 0);
	io_uring_sqe_set_data64(sqe, hs_ud(c, CONN_OP_HANDBACK_SENT));
}

/* Worker thread: a waiting state stays here, a verdict goes back. */
static void hs_run(struct hs_worker *w, struct conn *c, enum conn_state next)
{
	if (conn_waiting(next)) {
		if (!c->inflight) {
			conn_log(c, "BUG: handshake state %d with no op in flight",
				 next);
			abort();
		}
		c->state = next;
		/* Stopped while its POLL completed: end the new one too. */
		if (c->stopped)
			ring_cancel_conn(c);
		return;
	}
	hs_list_del(w, c);
	c->handback = next;
	hs_hand_back(w, c);
}

static void hs_arrive(struct hs_worker *w, struct conn *c)
{
	c->ring = &w->ring;
	hs_list_add(w, c);
	if (w->stopping) {
		c->stopped = 1;
		conn_info(c, "handshake abandoned: server shutting down");
		hs_run(w, c, CONN_ABORT);
		return;
	}
	hs_run(w, c, tls_start(c));
}

/* Worker thread: end every handshake's wait; they come back cancelled. */
static void hs_stop(struct hs_worker *w)
{
	struct conn *c;

	w->stopping = 1;
	for (c = w->conns; c; c = c->wnext) {
		c->stopped = 1;
		ring_cancel_conn(c);
	}
}

static void hs_handback_failed(struct hs_worker *w, struct conn *c, int res)
{
	struct io_uring_sqe *sqe;

	conn_log(c, "handing the connection back to the data ring failed: %s; again in %d ms",
		 serve_errname(res), HS_RETRY_MS);
	c->retry_ts.tv_sec = 0;
	c->retry_ts.tv_nsec = HS_RETRY_MS * 1000000L;
	sqe = ring_sqe_on(&w->ring, 1);
	io_uring_prep_timeout(sqe, &c->retry_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, hs_ud(c, CONN_OP_HANDBACK_RETRY));
}

static void hs_dispatch(struct hs_worker *w, uint64_t ud, int res)
{
	enum conn_op op;
	struct conn *c;

	switch (ud) {
	case RING_IGNORE:
		return;
	case RING_WORKER_STOP:
		hs_stop(w);
		return;
	case RING_WORKER_EXIT:
		w->exiting = 1;
		return;
	}
	if (ud < RING_GLOBAL_MAX)
		return;
	c = ring_conn(ud, &op);
	switch (op) {
	case CONN_OP_HANDOFF:
		hs_arrive(w, c);
		return;
	case CONN_OP_HANDBACK_SENT:
		/* Delivered: c may be gone already, don't look at it. */
		if (res < 0)
			hs_handback_failed(w, c, res);
		return;
	case CONN_OP_HANDBACK_RETRY:
		hs_hand_back(w, c);
		return;
	default:
		if (conn_complete(c, op, res))
			hs_run(w, c, tls_step(c));
		return;
	}
}

/*
 * Worker thread, at start: a nice above the data thread's, so that when
 * handshakes and established connections want the same CPU, the data
 * (and the io-wq threads the data ring makes, which inherit the data
 * thread's) goes first. Linux keeps a nice value per thread.
 */
static void hs_lower_priority(struct hs_worker *w)
{
	unsigned int step = w->srv->opt.handshake_nice;
	pid_t tid = gettid();
	int cur, want;

	if (!step)
		return;
	errno = 0;
	cur = getpriority(PRIO_PROCESS, (id_t)tid);
	if (cur == -1 && errno)
		goto fail;
	want = cur + (int)step > 19 ? 19 : cur + (int)step;
	if (setpriority(PRIO_PROCESS, (id_t)tid, want))
		goto fail;
	return;
fail:
	/* Only an odd seccomp policy forbids this: run at the same nice. */
	if (!w->index)
		serve_log("handshake workers keep the data thread's nice: %s",
			  strerror(errno));
}

static void *hs_main(void *arg)
{
	struct hs_worker *w = arg;
	uint64_t ud;
	int ret, res;

	hs_lower_priority(w);
	while (!w->exiting) {
		ret = ring_wait(&w->ring);
		if (ret) {
			serve_log("handshake worker %u: io_uring_submit_and_wait: %s",
				  w->index, serve_errname(ret));
			break;
		}
		while (!ring_next(&w->ring, &ud, &res))
			hs_dispatch(w, ud, res);
	}
	return NULL;
}

static int hs_msg_ring_supported(struct server *s)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&s->ring);
	int ok;

	if (!probe)
		return 0;
	ok = io_uring_opcode_supported(probe, IORING_OP_MSG_RING);
	io_uring_free_probe(probe);
	return ok;
}

/* Data thread, at start: the rings first, then the threads. */
int handshake_workers_start(struct server *s)
{
	unsigned int i, n = s->opt.handshake_workers;
	struct hs_worker *w;
	int ret;

	if (!n)
		return 0;
	if (!hs_msg_ring_supported(s)) {
		serve_log("this kernel's io_uring has no MSG_RING: handshakes run on the data ring");
		s->opt.handshake_workers = 0;
		return 0;
	}
	s->workers = calloc(n, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	s->nworkers = n;
	for (i = 0; i < n; i++) {
		w = &s->workers[i];
		w->srv = s;
		w->index = i;
		ret = ring_init(&w->ring, HS_RING_ENTRIES);
		if (ret) {
			serve_log("handshake worker %u: io_uring: %s", i,
				  serve_errname(ret));
			return ret;
		}
		w->ring_up = 1;
		/* Signals stay blocked in it: only the data thread reads them. */
		ret = pthread_create(&w->thread, NULL, hs_main, w);
		if (ret) {
			serve_log("handshake worker %u: %s", i, strerror(ret));
			return -ret;
		}
		w->started = 1;
	}
	return 0;
}

/* Data thread: a STOP or EXIT to every worker, by MSG_RING. */
static void hs_tell_all(struct server *s, uint64_t what)
{
	struct io_uring_sqe *sqe;
	unsigned int i;

	for (i = 0; i < s->nworkers; i++) {
		if (!s->workers[i].started)
			continue;
		sqe = ring_sqe(s, 1);
		io_uring_prep_msg_ring(sqe, s->workers[i].ring.ring_fd, 0,
				       what, 0);
		io_uring_sqe_set_data64(sqe, RING_WORKER_SENT);
	}
}

/* Data thread, at SIGTERM: workers abandon their handshakes. */
void handshake_workers_stop(struct server *s)
{
	hs_tell_all(s, RING_WORKER_STOP);
}

/*
 * Data thread, at the end (drained, or a second signal): the threads
 * leave their loops and are joined, then their rings go. A worker the
 * message did not reach is left alone, and so are the connections it
 * might hold: the process is about to end.
 */
void handshake_workers_exit(struct server *s)
{
	unsigned int i, started = 0, sent = 0;
	int failed = 0, res;
	uint64_t ud;

	for (i = 0; i < s->nworkers; i++)
		started += s->workers[i].started;
	if (started) {
		hs_tell_all(s, RING_WORKER_EXIT);
		while (sent < started) {
			if (ring_wait(&s->ring))
				break;
			/* Other completions don't matter any more. */
			while (!ring_next(&s->ring, &ud, &res)) {
				if (ud != RING_WORKER_SENT)
					continue;
				sent++;
				failed |= res < 0;
			}
		}
		if (failed || sent < started) {
			serve_log("cannot tell the handshake workers to exit: leaving them");
			s->workers_left = 1;
			return;
		}
	}
	for (i = 0; i < s->nworkers; i++) {
		if (s->workers[i].started)
			pthread_join(s->workers[i].thread, NULL);
		if (s->workers[i].ring_up)
			io_uring_queue_exit(&s->workers[i].ring);
	}
	free(s->workers);
	s->workers = NULL;
	s->nworkers = 0;
}

/* Data thread: the least busy worker takes c. */
void handshake_handoff(struct conn *c)
{
	struct server *s = c->srv;
	struct hs_worker *w = &s->workers[s->next_worker];
	struct io_uring_sqe *sqe;
	unsigned int i, k;

	for (i = 1; i < s->nworkers; i++) {
		k = (s->next_worker + i) % s->nworkers;
		if (s->workers[k].assigned < w->assigned)
			w = &s->workers[k];
	}
	s->next_worker = (w->index + 1) % s->nworkers;
	w->assigned++;
	c->worker = w;
	c->away = 1;
	c->handoff_pending = 1;
	c->returned = 0;
	c->state = CONN_HANDSHAKE;
	sqe = ring_sqe(s, 1);
	io_uring_prep_msg_ring(sqe, w->ring.ring_fd, 0,
			       hs_ud(c, CONN_OP_HANDOFF), 0);
	io_uring_sqe_set_data64(sqe, hs_ud(c, CONN_OP_HANDOFF_SENT));
}

/* Data thread: c is ours again; its verdict goes on here. */
static void hs_returned(struct conn *c)
{
	c->away = 0;
	c->returned = 0;
	c->worker->assigned--;
	conn_resume(c, c->handback);
}

/*
 * Data thread: the two completions of a hand-off, in either order: our
 * MSG_RING's own, and the one that brings the connection back (a quick
 * failure can come back before the first is seen).
 */
void handshake_on_cqe(struct server *s, struct conn *c, enum conn_op op,
		      int res)
{
	switch (op) {
	case CONN_OP_HANDOFF_SENT:
		c->handoff_pending = 0;
		if (res < 0) {
			/* It never arrived: the handshake runs here. */
			serve_log_limited(&s->rl_handoff, "handing a handshake to worker %u failed: %s; running it on the data ring",
					  c->worker->index, serve_errname(res));
			c->away = 0;
			c->worker->assigned--;
			c->worker = NULL;
			if (s->stopping) {
				conn_info(c, "handshake abandoned: server shutting down");
				conn_resume(c, CONN_ABORT);
			} else {
				conn_start(c);
			}
			return;
		}
		if (c->returned)
			hs_returned(c);
		return;
	case CONN_OP_HANDBACK:
		c->returned = 1;
		if (!c->handoff_pending)
			hs_returned(c);
		return;
	default:
		conn_log(c, "BUG: hand-off completion of op %d", op);
		abort();
	}
}
