/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status line tlshd --status prints: what is in flight, how many GnuTLS sessions are
 * open, how much heap is in use, and how handshakes have ended since the
 * start. An idle daemon shows 0 in flight and 0 sessions; anything else
 * after load is a leak.
 */
#ifndef TLSHD_STATUS_H
#define TLSHD_STATUS_H

#include <stddef.h>

struct tlshd_daemon;

#define TLSHD_STATUS_SOCKET "/run/tlshd/status"

/* The status line, without "status: " and newline. */
void tlshd_status_format(const struct tlshd_daemon *d, char *buf, size_t len);

/*
 * Listen on the status socket at path (its directory is made if need be;
 * a name left by a dead daemon is replaced). Returns the listening fd
 * (non-blocking) or a negative errno; -EADDRINUSE if a live daemon
 * answers there.
 */
int tlshd_status_listen(const char *path);
/* Answer every pending connection on the listening fd. */
void tlshd_status_answer(const struct tlshd_daemon *d, int lfd);
/*
 * Ask the daemon at path: its line, NUL-terminated, into buf (NULL: only
 * check that something accepts). Returns 0 or a negative errno.
 */
int tlshd_status_query(const char *path, char *buf, size_t len);

#endif /* TLSHD_STATUS_H */
