/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Telling others that tlshd is ready: systemd's notify socket, a file. */
#ifndef TLSHD_NOTIFY_H
#define TLSHD_NOTIFY_H

/* Send state ("READY=1", ...) to $NOTIFY_SOCKET if set. 0 or -errno. */
int tlshd_notify_systemd(const char *state);

/* Atomically create path holding our pid. 0 or -errno. */
int tlshd_notify_ready_file(const char *path);

#endif /* TLSHD_NOTIFY_H */
