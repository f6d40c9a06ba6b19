/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dropping the privileges tlshd does not need once it is set up. */
#ifndef TLSHD_PRIVS_H
#define TLSHD_PRIVS_H

/*
 * Keep CAP_NET_ADMIN (ACCEPT and DONE need it; so does loading the tls
 * module on demand) and nothing else, for this thread and the threads it
 * creates afterwards; forbid gaining privileges through exec. Returns 0,
 * -EPERM if CAP_NET_ADMIN isn't ours to keep (run as root, or with it as
 * an ambient capability), or another negative errno.
 */
int tlshd_privs_drop(void);

#endif /* TLSHD_PRIVS_H */
