/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A worker: one epoll loop with its own netlink command socket, every
 * in-flight handshake's socket, and their deadlines. The READY socket is
 * shared and watched with EPOLLEXCLUSIVE: a notification wakes one idle
 * worker, which ACCEPTs once per READY it read (until EAGAIN only after an
 * overrun, or when it has room again after a full house); the kernel hands
 * every request to exactly one worker.
 */
#ifndef TLSHD_LOOP_H
#define TLSHD_LOOP_H

#include <stdint.h>

#include "netlink.h"

struct tlshd_daemon;
struct tlshd_flight;

enum tlshd_watch_kind {
	TLSHD_WATCH_NETLINK,
	TLSHD_WATCH_KICK,
	TLSHD_WATCH_STOP,
	TLSHD_WATCH_HANDSHAKE,
};

struct tlshd_watch {
	enum tlshd_watch_kind kind;
};

struct tlshd_loop {
	struct tlshd_daemon *d;
	int id;
	int epfd;
	struct tlshd_nl nl;
	struct tlshd_watch nl_watch;
	struct tlshd_watch kick_watch;
	struct tlshd_watch stop_watch;
	/* In-flight handshakes, a min-heap on their deadlines. */
	struct tlshd_flight **heap;
	unsigned int nflights;
	unsigned int cap;
	unsigned int max_flights;
	int accept_pending;	/* stopped accepting at max_flights */
	int nl_watched;		/* READY socket in epfd (not while full) */
	int64_t ready_us;	/* when READY last woke us, for the debug log */
};

/*
 * Set up a worker of d: its netlink command socket, watching d's READY
 * socket, kick and stop eventfds. Returns 0 or a negative errno with the
 * cause in err.
 */
int tlshd_loop_init(struct tlshd_loop *loop, struct tlshd_daemon *d, int id,
		    unsigned int max_flights, char *err, size_t errlen);

/* Run until d's stop_fd becomes readable; in-flight handshakes then end. */
int tlshd_loop_run(struct tlshd_loop *loop);

void tlshd_loop_destroy(struct tlshd_loop *loop);

#endif /* TLSHD_LOOP_H */
