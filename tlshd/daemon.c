// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one owner of tlshd's process-wide state (see daemon.h). Workers take
 * a reference to the current generation for each handshake; the mutex
 * makes take-and-reference atomic against a reload's swap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "config.h"
#include "creds.h"
#include "daemon.h"
#include "resumption.h"

int tlshd_daemon_init(struct tlshd_daemon *d, char *err, size_t errlen)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->kick_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->stop_fd < 0 || d->kick_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = tlshd_nl_events_open(&d->events, err, errlen);
	if (ret)
		goto fail;
	return 0;
fail:
	tlshd_daemon_destroy(d);
	return ret;
}

void tlshd_daemon_destroy(struct tlshd_daemon *d)
{
	tlshd_nl_events_close(&d->events);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->kick_fd >= 0)
		close(d->kick_fd);
	d->stop_fd = d->kick_fd = -1;
	tlshd_daemon_unpublish(d);
	tlshd_watchdog_exit(&d->watchdog);
}

static void tlshd_generation_free(struct tlshd_generation *g)
{
	struct tlshd_config *cfg = g->creds->owned_cfg;

	tlshd_resumption_free(g->resumption);
	tlshd_creds_free(g->creds);
	free(g->creds);
	if (cfg) {
		tlshd_config_free(cfg);
		free(cfg);
	}
	free(g);
}

int tlshd_daemon_publish(struct tlshd_daemon *d, struct tlshd_config *cfg,
			 struct tlshd_creds *creds)
{
	struct tlshd_generation *g, *old;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	/* Only the main thread publishes: current is stable here. */
	g->resumption = tlshd_resumption_new(cfg, d->current ?
					     d->current->resumption : NULL);
	if (!g->resumption) {
		free(g);
		return -ENOMEM;
	}
	tlshd_creds_freeze(creds);
	creds->owned_cfg = cfg;
	g->creds = creds;
	g->refs = 1;
	pthread_mutex_lock(&d->lock);
	old = d->current;
	d->current = g;
	pthread_mutex_unlock(&d->lock);
	tlshd_daemon_release(d, old);
	return 0;
}

void tlshd_daemon_unpublish(struct tlshd_daemon *d)
{
	struct tlshd_generation *old;

	pthread_mutex_lock(&d->lock);
	old = d->current;
	d->current = NULL;
	pthread_mutex_unlock(&d->lock);
	tlshd_daemon_release(d, old);
}

struct tlshd_generation *tlshd_daemon_acquire(struct tlshd_daemon *d)
{
	struct tlshd_generation *g;

	pthread_mutex_lock(&d->lock);
	g = d->current;
	if (g)
		g->refs++;
	pthread_mutex_unlock(&d->lock);
	return g;
}

void tlshd_daemon_release(struct tlshd_daemon *d, struct tlshd_generation *g)
{
	unsigned int left;

	if (!g)
		return;
	pthread_mutex_lock(&d->lock);
	left = --g->refs;
	pthread_mutex_unlock(&d->lock);
	if (!left)
		tlshd_generation_free(g);
}

/*
 * Plain atomics: a request's end is counted after its take (release), and
 * the status line reads ends before takes (acquire), so "in flight" is
 * never negative.
 */
void tlshd_daemon_count_taken(struct tlshd_daemon *d)
{
	__atomic_add_fetch(&d->counters.taken, 1, __ATOMIC_RELEASE);
}

void tlshd_daemon_count_done(struct tlshd_daemon *d, unsigned int status)
{
	__atomic_add_fetch(status ? &d->counters.failed : &d->counters.ok, 1,
			   __ATOMIC_RELEASE);
}
