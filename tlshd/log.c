// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging for the daemon. Several worker threads log at once, so stderr
 * lines are formatted into one buffer and written with a single write(2),
 * which keeps them whole.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_stderr = 1;
static int log_level = LOG_INFO;
static const char *log_ident = "tlshd";

void tlshd_log_open(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void tlshd_log_close(void)
{
	if (!log_stderr)
		closelog();
}

void tlshd_log_set_level(int prio)
{
	log_level = prio;
}

int tlshd_log_enabled(int prio)
{
	return prio <= log_level;
}

static const char *tlshd_log_prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void tlshd_log(int prio, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (!tlshd_log_enabled(prio))
		return;
	va_start(ap, fmt);
	if (!log_stderr) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d]: %s: ",
		     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     log_ident, (int)getpid(), tlshd_log_prio_name(prio));
	if (n < 0)
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
