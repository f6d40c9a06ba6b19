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

static struct {
	int64_t interval_us;		/* between pings; 0: no watchdog */
	unsigned int nworkers;
	_Atomic int64_t *alive_us;	/* per worker: its last turn */
	int64_t sent_us;		/* worker 0's last ping */
	int stalled;			/* worker 0 noticed a stall */
} tlshd_watchdog;

static int64_t tlshd_watchdog_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int tlshd_watchdog_init(unsigned int nworkers)
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
	tlshd_watchdog.alive_us = calloc(nworkers, sizeof(*tlshd_watchdog.alive_us));
	if (!tlshd_watchdog.alive_us)
		return -ENOMEM;
	/* systemd's advice: ping at half the timeout. */
	tlshd_watchdog.interval_us = v / 2;
	tlshd_watchdog.nworkers = nworkers;
	for (i = 0; i < nworkers; i++)
		atomic_store(&tlshd_watchdog.alive_us[i], tlshd_watchdog_now_us());
	return (int)(tlshd_watchdog.interval_us / 1000);
}

void tlshd_watchdog_alive(unsigned int worker)
{
	int64_t now, oldest;
	unsigned int i;

	if (!tlshd_watchdog.interval_us || worker >= tlshd_watchdog.nworkers)
		return;
	now = tlshd_watchdog_now_us();
	atomic_store(&tlshd_watchdog.alive_us[worker], now);
	if (worker != 0 || now - tlshd_watchdog.sent_us < tlshd_watchdog.interval_us)
		return;
	oldest = now;
	for (i = 0; i < tlshd_watchdog.nworkers; i++) {
		int64_t t = atomic_load(&tlshd_watchdog.alive_us[i]);

		if (t < oldest)
			oldest = t;
	}
	/* A loop turns every quarter interval: two intervals is a stall. */
	if (now - oldest > 2 * tlshd_watchdog.interval_us) {
		if (!tlshd_watchdog.stalled)
			tlshd_err("watchdog: a worker loop has not turned for %lld ms: no keep-alive to systemd",
				  (long long)(now - oldest) / 1000);
		tlshd_watchdog.stalled = 1;
		return;
	}
	tlshd_watchdog.stalled = 0;
	tlshd_watchdog.sent_us = now;
	tlshd_notify_systemd("WATCHDOG=1");
}

int tlshd_watchdog_timeout(int timeout_ms)
{
	int quarter;

	if (!tlshd_watchdog.interval_us)
		return timeout_ms;
	quarter = (int)(tlshd_watchdog.interval_us / 4000);
	if (quarter < 1)
		quarter = 1;
	return timeout_ms < 0 || timeout_ms > quarter ? quarter : timeout_ms;
}

void tlshd_watchdog_exit(void)
{
	tlshd_watchdog.interval_us = 0;
	free(tlshd_watchdog.alive_us);
	tlshd_watchdog.alive_us = NULL;
}
