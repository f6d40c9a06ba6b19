/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tlshd's side of the kernel's "handshake" generic netlink family. */
#ifndef TLSHD_NETLINK_H
#define TLSHD_NETLINK_H

#include <stdint.h>

#include "msg.h"

struct nl_sock;

/*
 * The READY socket, one for the whole process (the daemon context owns
 * it), joined to the "tlshd" multicast group and non-blocking. Every
 * worker's epoll watches it with EPOLLEXCLUSIVE, so a notification wakes
 * one idle worker, which ACCEPTs until EAGAIN, instead of waking all of
 * them to race for the request.
 */
struct tlshd_nl_events {
	struct nl_sock *sk;
	int family;
	int group;
};

/*
 * Resolve the family and group by name and join the group. Returns 0,
 * -ENOENT when the kernel has no handshake family (or no "tlshd" group),
 * or another negative errno; err says why.
 */
int tlshd_nl_events_open(struct tlshd_nl_events *ev, char *err, size_t errlen);
void tlshd_nl_events_close(struct tlshd_nl_events *ev);
/* The fd to poll for READY notifications. */
int tlshd_nl_events_fd(const struct tlshd_nl_events *ev);

/*
 * A worker's own command socket for ACCEPT/DONE round trips, so a reply
 * is never mixed up with notifications.
 */
struct tlshd_nl {
	const struct tlshd_nl_events *events;
	struct nl_sock *cmd;
	int family;
	char buf[16384];
};

int tlshd_nl_open(struct tlshd_nl *nl, const struct tlshd_nl_events *ev,
		  char *err, size_t errlen);
void tlshd_nl_close(struct tlshd_nl *nl);

/*
 * Read up to max queued notifications in one call, more only after an
 * overrun. Returns how many READY notifications for our handler class came
 * in, and sets *overrun when the receive buffer overran: requests may then
 * hide behind the lost messages, and the caller must ACCEPT until EAGAIN.
 */
int tlshd_nl_read_events(struct tlshd_nl *nl, unsigned int max, int *overrun);

/*
 * Ask for one pending request. Returns 0 with req filled; -EAGAIN when
 * none is pending; another negative errno with err set on failure. When
 * req->sockfd >= 0 after a failure, the fd is ours: answer DONE and close.
 */
int tlshd_nl_accept(struct tlshd_nl *nl, struct tlshd_request *req,
		    char *err);

/* Report a result (status: positive errno, 0 success). Does not close. */
int tlshd_nl_done(struct tlshd_nl *nl, int sockfd, unsigned int status,
		  const uint32_t *remote_auth, unsigned int nremote);

#endif /* TLSHD_NETLINK_H */
