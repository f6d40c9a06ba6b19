// SPDX-License-Identifier: GPL-2.0-or-later
/* Clocks, CPU accounting, sizes, names and order statistics. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Process CPU (user + sys of every thread, io-wq workers included: they
 * belong to the process) and the whole machine's busy time from /proc/stat,
 * which also catches softirq work done on nobody's behalf.
 */
void bench_cpu_mark(double *proc_s, double *guest_s)
{
	unsigned long long v[10] = { 0 }, busy = 0;
	struct rusage ru;
	char line[256];
	FILE *f;
	int i;

	getrusage(RUSAGE_SELF, &ru);
	*proc_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	*guest_s = 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]) >= 8) {
		/* all but idle (3) and iowait (4); guest time is in user */
		for (i = 0; i < 8; i++)
			if (i != 3 && i != 4)
				busy += v[i];
		*guest_s = (double)busy / sysconf(_SC_CLK_TCK);
	}
	fclose(f);
}

/* "65536", "64k", "8M", "1G" (powers of 1024). */
uint64_t bench_parse_size(const char *s, int *ok)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	*ok = 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (tolower((unsigned char)*end)) {
	case 'k': mul = 1ull << 10; end++; break;
	case 'm': mul = 1ull << 20; end++; break;
	case 'g': mul = 1ull << 30; end++; break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if ((*end == 'b' || *end == 'B') && !end[1])
		end++;
	if (*end || v > UINT64_MAX / mul)
		return 0;
	*ok = 1;
	return v * mul;
}

const char *bench_cipher_short(unsigned int cipher)
{
	const char *name = ktls_cipher_short_name(cipher);

	return name ? name : "-";
}

unsigned int bench_cipher_parse(const char *s)
{
	return ktls_cipher_parse(s, strlen(s));
}

/* "1.3": the number in libktls's "TLS 1.3". */
const char *bench_version_name(uint16_t v)
{
	const char *name = ktls_version_name(v);

	return name ? strchr(name, ' ') + 1 : "-";
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between order statistics; sorted input. */
double bench_quantile(const double *sorted, unsigned int n, double q)
{
	double pos, frac;
	unsigned int i;

	if (!n)
		return 0;
	pos = q * (n - 1);
	i = (unsigned int)pos;
	frac = pos - i;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}
