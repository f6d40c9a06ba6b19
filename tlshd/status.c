// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The counters are plain atomics: workers bump them once per request,
 * and the status line is a snapshot, so no lock is worth taking. A
 * request's end is counted after its take (release), and the snapshot
 * reads ends before takes (acquire), so "in flight" is never negative.
 */
#include <malloc.h>
#include <stdio.h>

#include <ktls.h>

#include "handshake.h"
#include "log.h"
#include "session_cache.h"
#include "status.h"

static struct {
	unsigned long taken;
	unsigned long ok;
	unsigned long failed;
} tlshd_status;

void tlshd_status_taken(void)
{
	__atomic_add_fetch(&tlshd_status.taken, 1, __ATOMIC_RELEASE);
}

void tlshd_status_done(unsigned int status)
{
	__atomic_add_fetch(status ? &tlshd_status.failed : &tlshd_status.ok, 1,
			   __ATOMIC_RELEASE);
}

void tlshd_status_log(void)
{
	unsigned long taken, ok, failed;
	struct tlshd_session_cache_stats st;
	struct mallinfo2 mi;
	char cache[96] = "unused";

	ok = __atomic_load_n(&tlshd_status.ok, __ATOMIC_ACQUIRE);
	failed = __atomic_load_n(&tlshd_status.failed, __ATOMIC_ACQUIRE);
	taken = __atomic_load_n(&tlshd_status.taken, __ATOMIC_ACQUIRE);
	if (tlshd_handshake_cache_stats(&st) == 0)
		snprintf(cache, sizeof(cache), "%u entries, %lu resumed",
			 st.entries, st.resumed);
	/* Bytes malloc has handed out and not had back: unlike RSS, free
	 * memory kept in arenas does not count; chunks in the per-thread
	 * caches (tcache) do, so tests that need it exact turn those off. */
	mi = mallinfo2();
	tlshd_notice("status: %lu handshakes in flight, %lu GnuTLS sessions open, heap %zu kB in use; since start %lu ok, %lu failed; session cache %s",
		     taken - ok - failed, ktls_session_count(),
		     (mi.uordblks + mi.hblkhd) / 1024, ok, failed, cache);
}
