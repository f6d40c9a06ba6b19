// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event loop of one worker. Requests are accepted as soon as READY
 * arrives and driven without blocking; each ends with DONE and the close
 * of our copy of the socket. The deadline heap gives epoll_wait its timer.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>

#include "daemon.h"
#include "handshake.h"
#include "log.h"
#include "loop.h"
#include "watchdog.h"

/*
 * Where a handshake's time goes, for the debug log (microseconds, from
 * CLOCK_MONOTONIC): READY seen, ACCEPT answered, first flight sent, time
 * spent in the engine, end of the handshake (kTLS installed).
 */
struct tlshd_flight_times {
	int64_t ready, accepted, started, engine, ended;
	unsigned int steps;
};

struct tlshd_flight {
	struct tlshd_watch watch;
	unsigned int heap_idx;
	uint32_t events;	/* registered with epoll, 0: not yet */
	struct tlshd_generation *gen;	/* referenced till the end */
	struct tlshd_flight_times t;
	struct tlshd_handshake hs;
};

#define TLSHD_LOOP_EVENTS 64

/* Watch (or stop watching) the READY socket and the kick eventfd. */
static int tlshd_loop_watch_ready(struct tlshd_loop *loop, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int nfd = tlshd_nl_events_fd(&loop->d->events);

	if (on == loop->nl_watched)
		return 0;
	if (!on) {
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, nfd, NULL);
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, loop->d->kick_fd, NULL);
		loop->nl_watched = 0;
		return 0;
	}
	ev.data.ptr = &loop->nl_watch;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, nfd, &ev) < 0)
		return -errno;
	ev.data.ptr = &loop->kick_watch;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->d->kick_fd, &ev) < 0) {
		int ret = -errno;

		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, nfd, NULL);
		return ret;
	}
	loop->nl_watched = 1;
	return 0;
}

/* Full: let another worker take what is still pending. */
static void tlshd_loop_hand_over(struct tlshd_loop *loop)
{
	uint64_t one = 1;

	tlshd_loop_watch_ready(loop, 0);
	if (write(loop->d->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		tlshd_err("worker %d: cannot wake another worker: %s",
			  loop->id, strerror(errno));
}

static int64_t tlshd_loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- deadline heap ---- */

static int tlshd_heap_less(const struct tlshd_loop *loop, unsigned int a,
			   unsigned int b)
{
	return loop->heap[a]->hs.deadline_ms < loop->heap[b]->hs.deadline_ms;
}

static void tlshd_heap_swap(struct tlshd_loop *loop, unsigned int a,
			    unsigned int b)
{
	struct tlshd_flight *t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_idx = a;
	loop->heap[b]->heap_idx = b;
}

static void tlshd_heap_up(struct tlshd_loop *loop, unsigned int i)
{
	while (i > 0 && tlshd_heap_less(loop, i, (i - 1) / 2)) {
		tlshd_heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void tlshd_heap_down(struct tlshd_loop *loop, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nflights && tlshd_heap_less(loop, l, m))
			m = l;
		if (r < loop->nflights && tlshd_heap_less(loop, r, m))
			m = r;
		if (m == i)
			return;
		tlshd_heap_swap(loop, i, m);
		i = m;
	}
}

static int tlshd_heap_push(struct tlshd_loop *loop, struct tlshd_flight *f)
{
	if (loop->nflights == loop->cap) {
		unsigned int cap = loop->cap ? loop->cap * 2 : 16;
		struct tlshd_flight **h;

		h = realloc(loop->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		loop->heap = h;
		loop->cap = cap;
	}
	f->heap_idx = loop->nflights;
	loop->heap[loop->nflights++] = f;
	tlshd_heap_up(loop, f->heap_idx);
	return 0;
}

static void tlshd_heap_remove(struct tlshd_loop *loop, struct tlshd_flight *f)
{
	unsigned int i = f->heap_idx;

	loop->nflights--;
	if (i == loop->nflights)
		return;
	tlshd_heap_swap(loop, i, loop->nflights);
	/* The moved element goes whichever way it must; the other is a no-op. */
	tlshd_heap_up(loop, i);
	tlshd_heap_down(loop, i);
}

/* ---- requests ---- */

static void tlshd_loop_done(struct tlshd_loop *loop, int sockfd,
			    unsigned int status, const uint32_t *remote,
			    unsigned int nremote)
{
	int ret;

	tlshd_daemon_count_done(loop->d, status);
	ret = tlshd_nl_done(&loop->nl, sockfd, status, remote, nremote);
	if (ret)
		tlshd_err("DONE for fd %d (status %u) failed: %s", sockfd,
			  status, strerror(-ret));
	close(sockfd);
}

/*
 * One debug line per handshake, so that the time from the consumer's
 * submit to its done callback can be split by phase: compare with the
 * kernel's handshake tracepoints or the consumer's own clock.
 */
static void tlshd_loop_log_times(const struct tlshd_loop *loop,
				 const struct tlshd_flight *f, int fd,
				 int64_t finished, int64_t done)
{
	const struct tlshd_flight_times *t = &f->t;

	if (!tlshd_log_enabled(LOG_DEBUG) || !t->accepted)
		return;
	tlshd_debug("worker %d: fd %d times (us): READY->ACCEPT %lld, ACCEPT->first flight %lld, handshake %lld (engine %lld in %u steps), finish %lld, DONE %lld, READY->DONE %lld",
		    loop->id, fd,
		    t->ready ? (long long)(t->accepted - t->ready) : -1LL,
		    (long long)(t->started - t->accepted),
		    (long long)(t->ended - t->accepted),
		    (long long)t->engine, t->steps,
		    (long long)(finished - t->ended),
		    (long long)(done - finished),
		    t->ready ? (long long)(done - t->ready) : -1LL);
}

/* The end of a handshake: log, DONE, close, free. */
static void tlshd_loop_complete(struct tlshd_loop *loop,
				struct tlshd_flight *f, int in_heap)
{
	int fd = f->hs.req.sockfd;
	int64_t finished;

	if (!f->t.ended)
		f->t.ended = tlshd_loop_now_us();
	if (f->events)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (in_heap)
		tlshd_heap_remove(loop, f);
	tlshd_handshake_finish(&f->hs);
	tlshd_daemon_release(loop->d, f->gen);
	finished = tlshd_loop_now_us();
	tlshd_loop_done(loop, fd, f->hs.status, f->hs.remote_auth,
			f->hs.status ? 0 : f->hs.nremote);
	tlshd_loop_log_times(loop, f, fd, finished, tlshd_loop_now_us());
	free(f);
}

/* One step of the engine, timed. */
static short tlshd_loop_step(struct tlshd_flight *f)
{
	int64_t t0 = tlshd_loop_now_us(), t1;
	short events = tlshd_handshake_resume(&f->hs);

	t1 = tlshd_loop_now_us();
	f->t.engine += t1 - t0;
	f->t.steps++;
	if (!events)
		f->t.ended = t1;
	return events;
}

static uint32_t tlshd_loop_epoll_events(short events)
{
	return (events & POLLIN ? EPOLLIN : 0) |
	       (events & POLLOUT ? EPOLLOUT : 0);
}

/* Wait for events, or complete the flight if events is 0. */
static void tlshd_loop_wait_for(struct tlshd_loop *loop,
				struct tlshd_flight *f, short events,
				int in_heap)
{
	struct epoll_event ev = { .data.ptr = &f->watch };
	int op;

	if (!events) {
		tlshd_loop_complete(loop, f, in_heap);
		return;
	}
	/* A step may bring the deadline forward (the ticket wait does). */
	if (in_heap)
		tlshd_heap_up(loop, f->heap_idx);
	ev.events = tlshd_loop_epoll_events(events);
	if (ev.events == f->events)
		return;
	op = f->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop->epfd, op, f->hs.req.sockfd, &ev) < 0) {
		tlshd_handshake_abort(&f->hs, EIO, "epoll_ctl failed");
		tlshd_loop_complete(loop, f, in_heap);
		return;
	}
	f->events = ev.events;
}

static void tlshd_loop_start(struct tlshd_loop *loop,
			     const struct tlshd_request *req, int64_t ready,
			     int64_t accepted)
{
	struct tlshd_flight *f;
	short events;

	f = calloc(1, sizeof(*f));
	if (!f) {
		tlshd_err("out of memory for a handshake on fd %d", req->sockfd);
		tlshd_loop_done(loop, req->sockfd, ENOMEM, NULL, 0);
		return;
	}
	f->watch.kind = TLSHD_WATCH_HANDSHAKE;
	f->t.ready = ready;
	f->t.accepted = accepted;
	tlshd_debug("worker %d: accepted fd %d: %s, auth %s, peer %s, timeout %u ms, keyring %u, %u peer ids, cert %u/%u",
		    loop->id, req->sockfd, tlshd_msg_type_name(req->message_type),
		    tlshd_msg_auth_name(req->auth_mode),
		    req->peername[0] ? req->peername : "-", req->timeout_ms,
		    req->keyring, req->npeerids, req->cert_serial,
		    req->privkey_serial);
	/* What is published now; a reload may swap it at any time. */
	f->gen = tlshd_daemon_acquire(loop->d);
	if (!f->gen) {
		/* main() publishes before any worker starts. */
		tlshd_err("no credentials for fd %d", req->sockfd);
		free(f);
		tlshd_loop_done(loop, req->sockfd, EIO, NULL, 0);
		return;
	}
	events = tlshd_handshake_start(&f->hs, req, f->gen->creds,
				       f->gen->resumption);
	f->t.started = tlshd_loop_now_us();
	f->t.engine = f->t.started - accepted;
	f->t.steps = 1;
	if (!events)
		f->t.ended = f->t.started;
	if (!events) {
		tlshd_loop_complete(loop, f, 0);
		return;
	}
	if (tlshd_heap_push(loop, f)) {
		tlshd_handshake_abort(&f->hs, ENOMEM, "out of memory");
		tlshd_loop_complete(loop, f, 0);
		return;
	}
	tlshd_loop_wait_for(loop, f, events, 1);
}

/*
 * Take pending requests: count of them (one per READY read), or until the
 * kernel has none when count is 0 (after an overrun, at start, or when a
 * worker has room again); never more than we have room for.
 */
static void tlshd_loop_accept(struct tlshd_loop *loop, unsigned int count)
{
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	int drain = !count;
	int ret;

	while (loop->nflights < loop->max_flights) {
		if (!drain && !count--)
			return;
		ret = tlshd_nl_accept(&loop->nl, &req, err);
		if (ret == -EAGAIN) {
			loop->accept_pending = 0;
			return;
		}
		if (ret == 0) {
			tlshd_daemon_count_taken(loop->d);
			tlshd_loop_start(loop, &req, loop->ready_us,
					 tlshd_loop_now_us());
			loop->ready_us = 0;
			continue;
		}
		if (ret == -EPERM || ret == -EACCES) {
			tlshd_err("ACCEPT refused: tlshd needs CAP_NET_ADMIN");
			return;
		}
		/*
		 * The kernel had no fd to give us and failed that request
		 * (EIO). Leave the others pending until one of our flights
		 * ends and frees an fd.
		 */
		if (ret == -EMFILE || ret == -ENFILE) {
			tlshd_err("ACCEPT failed: out of file descriptors (%s), %u handshakes in flight; the kernel failed that request",
				  strerrorname_np(-ret), loop->nflights);
			loop->accept_pending = loop->nflights > 0;
			return;
		}
		tlshd_err("bad handshake request: %s", err);
		if (req.sockfd >= 0) {
			tlshd_daemon_count_taken(loop->d);
			tlshd_loop_done(loop, req.sockfd, EINVAL, NULL, 0);
			continue;
		}
		/* A malformed reply consumed its request; others may wait. */
		if (ret != -EINVAL)
			return;
	}
	loop->accept_pending = 1;
	tlshd_loop_hand_over(loop);
}

/*
 * READY woke us: one ACCEPT per notification read, and no more than we
 * have room for (the rest stay queued for another worker). An ACCEPT
 * until EAGAIN would cost a request and its answer per wake-up for
 * nothing; it is only needed when notifications were lost.
 */
static void tlshd_loop_ready(struct tlshd_loop *loop)
{
	int overrun, n;

	if (loop->nflights >= loop->max_flights)
		return;
	loop->ready_us = tlshd_loop_now_us();
	n = tlshd_nl_read_events(&loop->nl, loop->max_flights - loop->nflights,
				 &overrun);
	if (overrun)
		tlshd_loop_accept(loop, 0);
	else if (n > 0)
		tlshd_loop_accept(loop, n);
}

static void tlshd_loop_expire(struct tlshd_loop *loop)
{
	int64_t now = tlshd_now_ms();

	while (loop->nflights && loop->heap[0]->hs.deadline_ms <= now) {
		struct tlshd_flight *f = loop->heap[0];

		tlshd_handshake_expire(&f->hs);
		tlshd_loop_complete(loop, f, 1);
	}
}

static int tlshd_loop_timeout(const struct tlshd_loop *loop)
{
	int64_t left;

	if (!loop->nflights)
		return -1;
	left = loop->heap[0]->hs.deadline_ms - tlshd_now_ms();
	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

static void tlshd_loop_abort_all(struct tlshd_loop *loop)
{
	while (loop->nflights) {
		struct tlshd_flight *f = loop->heap[loop->nflights - 1];

		tlshd_handshake_abort(&f->hs, EIO, "tlshd is shutting down");
		tlshd_loop_complete(loop, f, 1);
	}
}

int tlshd_loop_run(struct tlshd_loop *loop)
{
	struct epoll_event evs[TLSHD_LOOP_EVENTS];
	uint64_t kicks;
	int i, n;

	/* Requests queued before we joined: take them now. */
	tlshd_loop_accept(loop, 0);
	for (;;) {
		tlshd_watchdog_alive(&loop->d->watchdog, loop->id);
		n = epoll_wait(loop->epfd, evs, TLSHD_LOOP_EVENTS,
			       tlshd_watchdog_timeout(&loop->d->watchdog,
						      tlshd_loop_timeout(loop)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tlshd_err("epoll_wait: %s", strerror(errno));
			tlshd_loop_abort_all(loop);
			return -errno;
		}
		for (i = 0; i < n; i++) {
			struct tlshd_watch *w = evs[i].data.ptr;
			struct tlshd_flight *f;

			switch (w->kind) {
			case TLSHD_WATCH_STOP:
				tlshd_loop_abort_all(loop);
				return 0;
			case TLSHD_WATCH_NETLINK:
				tlshd_loop_ready(loop);
				break;
			case TLSHD_WATCH_KICK:
				if (read(loop->d->kick_fd, &kicks,
					 sizeof(kicks)) > 0)
					tlshd_loop_accept(loop, 0);
				break;
			case TLSHD_WATCH_HANDSHAKE:
				f = (struct tlshd_flight *)((char *)w -
					offsetof(struct tlshd_flight, watch));
				tlshd_loop_wait_for(loop, f,
						    tlshd_loop_step(f), 1);
				break;
			}
		}
		tlshd_loop_expire(loop);
		/* Room again after a full house: requests may be waiting. */
		if (!loop->nl_watched && loop->nflights < loop->max_flights &&
		    tlshd_loop_watch_ready(loop, 1))
			tlshd_err("worker %d: cannot watch for requests again: %s",
				  loop->id, strerror(errno));
		if (loop->accept_pending && loop->nflights < loop->max_flights)
			tlshd_loop_accept(loop, 0);
	}
}

int tlshd_loop_init(struct tlshd_loop *loop, struct tlshd_daemon *d, int id,
		    unsigned int max_flights, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	memset(loop, 0, sizeof(*loop));
	loop->d = d;
	loop->id = id;
	loop->max_flights = max_flights;
	loop->nl_watch.kind = TLSHD_WATCH_NETLINK;
	loop->kick_watch.kind = TLSHD_WATCH_KICK;
	loop->stop_watch.kind = TLSHD_WATCH_STOP;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		return ret;
	}
	ret = tlshd_nl_open(&loop->nl, &d->events, err, errlen);
	if (ret)
		goto fail_epoll;
	ret = tlshd_loop_watch_ready(loop, 1);
	if (ret) {
		errno = -ret;
		goto fail_ctl;
	}
	ev.data.ptr = &loop->stop_watch;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, d->stop_fd, &ev) < 0)
		goto fail_ctl;
	return 0;
fail_ctl:
	ret = -errno;
	snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
	tlshd_nl_close(&loop->nl);
fail_epoll:
	close(loop->epfd);
	loop->epfd = -1;
	return ret;
}

void tlshd_loop_destroy(struct tlshd_loop *loop)
{
	tlshd_loop_abort_all(loop);
	free(loop->heap);
	loop->heap = NULL;
	tlshd_nl_close(&loop->nl);
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}
