/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket settings tlshd changes while it owns a consumer's socket, and
 * gives back before DONE: TCP_NODELAY, which the consumer sees. The open
 * file's O_NONBLOCK, which the consumer shares, is left alone: the engine
 * reads and writes with MSG_DONTWAIT (ktls_session_opts.dontwait), which
 * saves three fcntl() calls a handshake and one a step.
 */
#ifndef TLSHD_SOCKOPTS_H
#define TLSHD_SOCKOPTS_H

struct tlshd_sockopts {
	int nodelay_set;	/* we turned TCP_NODELAY on */
};

/* NODELAY for the handshake. */
void tlshd_sockopts_take(struct tlshd_sockopts *so, int fd);
/* Give back what take changed; safe to call twice. */
void tlshd_sockopts_give_back(struct tlshd_sockopts *so, int fd);

#endif /* TLSHD_SOCKOPTS_H */
