/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Daemon-wide counters of the requests tlshd has taken, and the status
 * line SIGUSR1 logs: what is in flight, how many GnuTLS sessions are
 * open, how much heap is in use, and how handshakes have ended since the
 * start. An idle daemon shows 0 in flight and 0 sessions; anything else
 * after load is a leak.
 */
#ifndef TLSHD_STATUS_H
#define TLSHD_STATUS_H

/* ACCEPT gave us a request (and its socket). Any thread. */
void tlshd_status_taken(void);

/* DONE went (or was tried) with this status for a taken request. */
void tlshd_status_done(unsigned int status);

/* Log the status line (main thread, on SIGUSR1). */
void tlshd_status_log(void);

#endif /* TLSHD_STATUS_H */
