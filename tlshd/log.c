// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging for the daemon. Several worker threads log at once, so stderr
 * lines are formatted into one buffer and written with a single write(2),
 * which keeps them whole. The system log is journald's native protocol
 * (sd_journal_sendv) when journald runs, so that handshake results carry
 * fields an admin can filter on; otherwise syslog(3). Both use facility
 * LOG_AUTH, as ktls-utils' tlshd does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

#define TLSHD_LOG_FACILITY LOG_AUTH
#define TLSHD_LOG_MAX_FIELDS 16

static int log_where = TLSHD_LOG_STDERR;
static int log_journald;
static int log_level = LOG_INFO;
static const char *log_ident = "tlshd";
static unsigned long log_warnings, log_errors;
/* No fork after start: getpid() once, not once a line. */
static int log_pid;

static int tlshd_log_pid(void)
{
	int pid = __atomic_load_n(&log_pid, __ATOMIC_RELAXED);

	if (!pid) {
		pid = getpid();
		__atomic_store_n(&log_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

/*
 * syslog(3) tries to connect to /dev/log again for every message while
 * nothing listens there (a container, a test guest): three syscalls a
 * line for a message that goes nowhere. Look for the socket at most every
 * TLSHD_LOG_DEVLOG_MS instead, and skip syslog() while there is none.
 */
#define TLSHD_LOG_DEVLOG_MS 10000
static int tlshd_log_syslog_there(void)
{
	static int64_t checked_ms = -TLSHD_LOG_DEVLOG_MS - 1;
	static int there;
	struct timespec ts;
	int64_t now, last;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	last = __atomic_load_n(&checked_ms, __ATOMIC_RELAXED);
	if (now - last >= TLSHD_LOG_DEVLOG_MS &&
	    __atomic_compare_exchange_n(&checked_ms, &last, now, 0,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&there, access("/dev/log", W_OK) == 0,
				 __ATOMIC_RELAXED);
	return __atomic_load_n(&there, __ATOMIC_RELAXED);
}

void tlshd_log_open(const char *ident, int where)
{
	log_ident = ident;
	log_where = where;
	if (!(where & TLSHD_LOG_SYSTEM))
		return;
	/* The socket journald listens on for native messages. */
	log_journald = access("/run/systemd/journal/socket", W_OK) == 0;
	/* Also the fallback should journald refuse a message. */
	openlog(ident, LOG_PID | LOG_NDELAY, TLSHD_LOG_FACILITY);
}

void tlshd_log_close(void)
{
	if (log_where & TLSHD_LOG_SYSTEM)
		closelog();
}

int tlshd_log_journald(void)
{
	return (log_where & TLSHD_LOG_SYSTEM) && log_journald;
}

void tlshd_log_set_level(int prio)
{
	log_level = prio;
}

int tlshd_log_enabled(int prio)
{
	return prio <= log_level;
}

void tlshd_log_counts(unsigned long *warnings, unsigned long *errors)
{
	*warnings = __atomic_load_n(&log_warnings, __ATOMIC_RELAXED);
	*errors = __atomic_load_n(&log_errors, __ATOMIC_RELAXED);
}

void tlshd_log_reset_counts(void)
{
	__atomic_store_n(&log_warnings, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&log_errors, 0, __ATOMIC_RELAXED);
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

static void tlshd_log_stderr(int prio, const char *msg)
{
	char line[1100];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d]: %s: %s\n",
		     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     log_ident, tlshd_log_pid(), tlshd_log_prio_name(prio), msg);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = sizeof(line);
		line[n - 1] = '\n';
	}
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* 0, or negative if journald did not take the message. */
static int tlshd_log_journal(int prio, const char *msg,
			      const struct tlshd_log_field *fields,
			      unsigned int nfields)
{
	struct iovec iov[5 + TLSHD_LOG_MAX_FIELDS];
	char *strs[5 + TLSHD_LOG_MAX_FIELDS];
	unsigned int n = 0, i;
	int ret = -ENOMEM;

	if (nfields > TLSHD_LOG_MAX_FIELDS)
		nfields = TLSHD_LOG_MAX_FIELDS;
	if (asprintf(&strs[n++], "MESSAGE=%s", msg) < 0 ||
	    asprintf(&strs[n++], "PRIORITY=%d", prio) < 0 ||
	    asprintf(&strs[n++], "SYSLOG_FACILITY=%d",
		     TLSHD_LOG_FACILITY >> 3) < 0 ||
	    asprintf(&strs[n++], "SYSLOG_IDENTIFIER=%s", log_ident) < 0 ||
	    asprintf(&strs[n++], "SYSLOG_PID=%d", tlshd_log_pid()) < 0) {
		n--;
		goto out;
	}
	for (i = 0; i < nfields; i++) {
		if (asprintf(&strs[n++], "%s=%s", fields[i].name,
			     fields[i].value ? fields[i].value : "") < 0) {
			n--;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_base = strs[i];
		iov[i].iov_len = strlen(strs[i]);
	}
	ret = sd_journal_sendv(iov, n);
out:
	while (n)
		free(strs[--n]);
	return ret;
}

static void tlshd_log_va(int prio, const struct tlshd_log_field *fields,
			 unsigned int nfields, const char *fmt, va_list ap)
{
	char msg[1024];

	if (prio <= LOG_ERR)
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
	else if (prio == LOG_WARNING)
		__atomic_add_fetch(&log_warnings, 1, __ATOMIC_RELAXED);
	if (!tlshd_log_enabled(prio))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_where & TLSHD_LOG_STDERR)
		tlshd_log_stderr(prio, msg);
	if (!(log_where & TLSHD_LOG_SYSTEM))
		return;
	if ((!log_journald ||
	     tlshd_log_journal(prio, msg, fields, nfields) < 0) &&
	    tlshd_log_syslog_there())
		syslog(prio, "%s", msg);
}

void tlshd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tlshd_log_va(prio, NULL, 0, fmt, ap);
	va_end(ap);
}

void tlshd_log_fields(int prio, const struct tlshd_log_field *fields,
		      unsigned int nfields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tlshd_log_va(prio, fields, nfields, fmt, ap);
	va_end(ap);
}
