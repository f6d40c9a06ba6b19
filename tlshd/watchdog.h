/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TLSHD_WATCHDOG_H
#define TLSHD_WATCHDOG_H

/*
 * Read systemd's WATCHDOG_USEC (and WATCHDOG_PID) for nworkers loops.
 * Returns the ping interval in ms, 0 when no watchdog is asked for, or a
 * negative errno.
 */
int tlshd_watchdog_init(unsigned int nworkers);
/* A worker loop turned: note it; worker 0 pings while all of them turn. */
void tlshd_watchdog_alive(unsigned int worker);
/* An epoll timeout (ms, -1 none) shortened so the loop turns in time. */
int tlshd_watchdog_timeout(int timeout_ms);
void tlshd_watchdog_exit(void);

#endif /* TLSHD_WATCHDOG_H */
