// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * systemd's watchdog (WatchdogSec=): WATCHDOG=1 goes out only while every
 * worker loop still turns, so a daemon with one wedged worker is killed and
 * restarted rather than left half-deaf. Each loop marks itself alive on
 * every turn and turns at least every quarter interval; worker 0 pings
 * when all marks are recent.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "watchdog.h"

static int64_t tlshd_watchdog_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int tlshd_watchdog_init(struct tlshd_watchdog *w, unsigned int nworkers)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	unsigned int i;
	char *end;

	if (!usec || !usec[0])
		return 0;
	/* Meant for another process (we were started by a script, say). */
	if (pid && pid[0] && strtol(pid, NULL, 10) != getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || v < 2000 || v > 3600ULL * 1000000)
		return -EINVAL;
	w->alive_us = calloc(nworkers, sizeof(*w->alive_us));
	if (!w->alive_us)
		return -ENOMEM;
	/* systemd's advice: ping at half the timeout. */
	w->interval_us = v / 2;
	w->nworkers = nworkers;
	for (i = 0; i < nworkers; i++)
		atomic_store(&w->alive_us[i], tlshd_watchdog_now_us());
	return (int)(w->interval_us / 1000);
}

void tlshd_watchdog_alive(struct tlshd_watchdog *w, unsigned int worker)
{
	int64_t now, oldest;
	unsigned int i;

	if (!w->interval_us || worker >= w->nworkers)
		return;
	now = tlshd_watchdog_now_us();
	atomic_store(&w->alive_us[worker], now);
	if (worker != 0 || now - w->sent_us < w->interval_us)
		return;
	oldest = now;
	for (i = 0; i < w->nworkers; i++) {
		int64_t t = atomic_load(&w->alive_us[i]);

		if (t < oldest)
			oldest = t;
	}
	/* A loop turns every quarter interval: two intervals is a stall. */
	if (now - oldest > 2 * w->interval_us) {
		if (!w->stalled)
			tlshd_err("watchdog: a worker loop has not turned for %lld ms: no keep-alive to systemd",
				  (long long)(now - oldest) / 1000);
		w->stalled = 1;
		return;
	}
	w->stalled = 0;
	w->sent_us = now;
	tlshd_notify_systemd("WATCHDOG=1");
}

int tlshd_watchdog_timeout(const struct tlshd_watchdog *w, int timeout_ms)
{
	int quarter;

	if (!w->interval_us)
		return timeout_ms;
	quarter = (int)(w->interval_us / 4000);
	if (quarter < 1)
		quarter = 1;
	return timeout_ms < 0 || timeout_ms > quarter ? quarter : timeout_ms;
}

void tlshd_watchdog_exit(struct tlshd_watchdog *w)
{
	w->interval_us = 0;
	free(w->alive_us);
	w->alive_us = NULL;
}
