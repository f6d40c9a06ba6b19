/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket settings tlshd changes while it owns a consumer's socket, and
 * gives back before DONE. Both live where the consumer sees them: the open
 * file's O_NONBLOCK, which the consumer shares, and TCP_NODELAY.
 */
#ifndef TLSHD_SOCKOPTS_H
#define TLSHD_SOCKOPTS_H

struct tlshd_sockopts {
	int saved_flags;	/* file flags to restore, -1: none */
	int nodelay_set;	/* we turned TCP_NODELAY on */
};

/*
 * Non-blocking for the event loop, and NODELAY for the handshake. Returns
 * 0 or a negative errno (the file mode could not be changed).
 */
int tlshd_sockopts_take(struct tlshd_sockopts *so, int fd);
/* Give back what take changed; safe to call twice. */
void tlshd_sockopts_give_back(struct tlshd_sockopts *so, int fd);

#endif /* TLSHD_SOCKOPTS_H */
