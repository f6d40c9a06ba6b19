// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD allocator that fails on demand, for out-of-memory tests.
 * Only malloc, calloc and realloc are replaced: glibc's own strdup,
 * asprintf, getline, ... call these, and so do GnuTLS and libnl.
 *
 * Nothing fails until armed. A test looks up failmalloc_arm (dlsym) and
 * calls failmalloc_arm(n): the nth allocation from then on fails (and
 * only that one; later ones succeed, as on a real system under pressure),
 * 0 disarms. Without a call, FAILMALLOC_N=n arms it at start-up for any
 * program. failmalloc_count() tells how many allocations were made since
 * the last arm, failmalloc_failed() whether the failure happened.
 *
 * FAILMALLOC_SKIP=lib1:lib2 names libraries whose own calls never fail
 * (nor count): libtasn1 crashes on a failed allocation and GMP aborts,
 * which are their doing, not the code under test's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static __thread int in_hook;
static unsigned long fail_at;	/* 0: disarmed */
static unsigned long count;
static int failed;
static char failed_in[128];	/* library that asked for the failed one */
static char *skip;	/* FAILMALLOC_SKIP, ':' turned into '\0', "" ends */

void failmalloc_arm(unsigned long n)
{
	__atomic_store_n(&count, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&failed, 0, __ATOMIC_SEQ_CST);
	failed_in[0] = '\0';
	__atomic_store_n(&fail_at, n, __ATOMIC_SEQ_CST);
}

unsigned long failmalloc_count(void)
{
	return __atomic_load_n(&count, __ATOMIC_SEQ_CST);
}

/* The file name of the object whose call failed ("" if unknown). */
const char *failmalloc_failed_in(void)
{
	return failed_in;
}

int failmalloc_failed(void)
{
	return __atomic_load_n(&failed, __ATOMIC_SEQ_CST);
}

__attribute__((constructor)) static void failmalloc_init(void)
{
	const char *s = getenv("FAILMALLOC_N");
	const char *k = getenv("FAILMALLOC_SKIP");
	size_t len;
	char *p;

	if (k && *k) {
		len = strlen(k);
		skip = __libc_calloc(1, len + 2);
		if (skip) {
			memcpy(skip, k, len);
			for (p = skip; *p; p++)
				if (*p == ':')
					*p = '\0';
		}
	}
	if (skip) {
		void *frame;

		/* The first backtrace loads libgcc_s: not from inside malloc. */
		in_hook = 1;
		backtrace(&frame, 1);
		in_hook = 0;
	}
	if (s && *s)
		failmalloc_arm(strtoul(s, NULL, 10));
}

static const char *caller_name(void *caller)
{
	const char *name;
	Dl_info info;

	if (!dladdr(caller, &info) || !info.dli_fname)
		return "";
	name = strrchr(info.dli_fname, '/');
	return name ? name + 1 : info.dli_fname;
}

/*
 * Whether a library in FAILMALLOC_SKIP is on the way to this allocation
 * (GnuTLS hands GMP its own allocator, so the direct caller is not enough).
 */
static int skipped(void)
{
	void *frames[24];
	const char *name;
	int i, n, ret = 0;
	char *p;

	if (!skip)
		return 0;
	in_hook = 1;
	n = backtrace(frames, 24);
	for (i = 1; i < n && !ret; i++) {
		name = caller_name(frames[i]);
		for (p = skip; *p && !ret; p += strlen(p) + 1)
			ret = !strncmp(name, p, strlen(p));
	}
	in_hook = 0;
	return ret;
}

/* Whether this allocation is the one to fail. */
static int should_fail(void *caller)
{
	unsigned long at = __atomic_load_n(&fail_at, __ATOMIC_SEQ_CST);

	if (!at || in_hook || skipped())
		return 0;
	if (__atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST) != at)
		return 0;
	in_hook = 1;
	strncpy(failed_in, caller_name(caller), sizeof(failed_in) - 1);
	in_hook = 0;
	__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t size)
{
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	/* realloc(p, 0) frees; failing it would leak nothing but is odd. */
	if (p && !size)
		return __libc_realloc(p, size);
	if (should_fail(__builtin_return_address(0)))
		return NULL;
	return __libc_realloc(p, size);
}
