/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon context: every piece of process-wide state, made by main()
 * and handed to each worker. Nothing else in tlshd keeps state at file
 * scope (log.c's logger and rate-limiting statics aside; see
 * selftests/host/layout_check.sh).
 */
#ifndef TLSHD_DAEMON_H
#define TLSHD_DAEMON_H

#include <pthread.h>
#include <stddef.h>

#include "netlink.h"
#include "watchdog.h"

struct tlshd_config;
struct tlshd_creds;
struct tlshd_resumption;

/*
 * What one configuration load yields: the credentials (which own the
 * configuration) and the resumption state. A handshake holds a reference
 * from its start to its end, so a reload never pulls either from under it.
 */
struct tlshd_generation {
	struct tlshd_creds *creds;
	struct tlshd_resumption *resumption;
	unsigned int refs;	/* under tlshd_daemon.lock */
};

/* Requests since start, for the status line. */
struct tlshd_counters {
	unsigned long taken;
	unsigned long ok;
	unsigned long failed;
};

struct tlshd_daemon {
	int stop_fd;		/* readable: every worker ends */
	/*
	 * READY wakes one idle worker (EPOLLEXCLUSIVE on the shared READY
	 * socket). A worker that fills up stops watching it and kicks this
	 * eventfd, also watched exclusively, so that another idle worker
	 * goes on accepting the requests the first one had to leave.
	 */
	int kick_fd;
	struct tlshd_nl_events events;	/* the READY socket */
	pthread_mutex_t lock;
	struct tlshd_generation *current;
	struct tlshd_counters counters;
	struct tlshd_watchdog watchdog;
};

/*
 * Open the eventfds and the READY socket (resolving the family and
 * joining its group). Returns 0 or a negative errno (-ENOENT: the kernel
 * has no handshake family), with the cause in err.
 */
int tlshd_daemon_init(struct tlshd_daemon *d, char *err, size_t errlen);
void tlshd_daemon_destroy(struct tlshd_daemon *d);

/*
 * Make a freshly loaded cfg and creds (heap; owned from now on) what new
 * handshakes use, with resumption state built from cfg. The previous
 * generation goes with its last handshake. Returns 0 or -ENOMEM (nothing
 * then changes and cfg and creds are still the caller's).
 */
int tlshd_daemon_publish(struct tlshd_daemon *d, struct tlshd_config *cfg,
			 struct tlshd_creds *creds);
/* Drop the published generation (at exit). */
void tlshd_daemon_unpublish(struct tlshd_daemon *d);

/* The current generation, referenced; NULL before the first publish. */
struct tlshd_generation *tlshd_daemon_acquire(struct tlshd_daemon *d);
void tlshd_daemon_release(struct tlshd_daemon *d, struct tlshd_generation *g);

/* Counting requests: one taken, then one done (status: errno, 0 ok). */
void tlshd_daemon_count_taken(struct tlshd_daemon *d);
void tlshd_daemon_count_done(struct tlshd_daemon *d, unsigned int status);

#endif /* TLSHD_DAEMON_H */
