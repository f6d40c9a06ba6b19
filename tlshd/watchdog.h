/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TLSHD_WATCHDOG_H
#define TLSHD_WATCHDOG_H

#include <stdint.h>

/* Owned by the daemon context (daemon.h). */
struct tlshd_watchdog {
	int64_t interval_us;		/* between pings; 0: no watchdog */
	unsigned int nworkers;
	_Atomic int64_t *alive_us;	/* per worker: its last turn */
	int64_t sent_us;		/* worker 0's last ping */
	int stalled;			/* worker 0 noticed a stall */
};

/*
 * Read systemd's WATCHDOG_USEC (and WATCHDOG_PID) for nworkers loops.
 * Returns the ping interval in ms, 0 when no watchdog is asked for, or a
 * negative errno.
 */
int tlshd_watchdog_init(struct tlshd_watchdog *w, unsigned int nworkers);
/* A worker loop turned: note it; worker 0 pings while all of them turn. */
void tlshd_watchdog_alive(struct tlshd_watchdog *w, unsigned int worker);
/* An epoll timeout (ms, -1 none) shortened so the loop turns in time. */
int tlshd_watchdog_timeout(const struct tlshd_watchdog *w, int timeout_ms);
void tlshd_watchdog_exit(struct tlshd_watchdog *w);

#endif /* TLSHD_WATCHDOG_H */
