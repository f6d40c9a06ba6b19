// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Log lines on stderr: one per request, one per failure. --quiet keeps the
 * failures and drops the routine lines. Each line goes out in one write so
 * that a test reading the log never sees half of one. Also the clocks that
 * the log and the responses read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

static int log_quiet, log_debug;

void serve_log_init(int quiet, int debug)
{
	log_quiet = quiet;
	log_debug = debug;
}

int64_t serve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The Date header, formatted once a second. */
const char *serve_date(struct server *s)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != s->date_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(s->date, sizeof(s->date), "%a, %d %b %Y %H:%M:%S GMT",
			 &tm);
		s->date_sec = ts.tv_sec;
	}
	return s->date;
}

static void log_emit(const struct conn *c, const char *fmt, va_list ap)
{
	char line[1024];
	int n, m;

	if (c)
		n = snprintf(line, sizeof(line), "ktls-serve: conn %llu %s: ",
			     (unsigned long long)c->id, c->peer);
	else
		n = snprintf(line, sizeof(line), "ktls-serve: ");
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;	/* nowhere left to say it */
}

void serve_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(NULL, fmt, ap);
	va_end(ap);
}

void serve_log_limited(struct serve_ratelimit *rl, const char *fmt, ...)
{
	int64_t now = serve_now_ms();
	char msg[768];
	va_list ap;

	if (now < rl->next_ms) {
		rl->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->suppressed)
		serve_log("%s (and %lu more like it in the last second)", msg,
			  rl->suppressed);
	else
		serve_log("%s", msg);
	rl->suppressed = 0;
	rl->next_ms = now + 1000;
}

void serve_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	log_emit(NULL, fmt, ap);
	va_end(ap);
}

void conn_log(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(c, fmt, ap);
	va_end(ap);
}

void conn_info(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	log_emit(c, fmt, ap);
	va_end(ap);
}

/* What only --debug shows: routine events that look like failures. */
void conn_debug(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (!log_debug)
		return;
	va_start(ap, fmt);
	log_emit(c, fmt, ap);
	va_end(ap);
}

/* "Broken pipe (EPIPE)": the text and the name a reader can grep for. */
const char *serve_errname(int err)
{
	/* Per thread: handshake workers log too. */
	static __thread char buf[96];
	const char *name;

	if (err < 0)
		err = -err;
	switch (err) {
	case EPIPE: name = "EPIPE"; break;
	case ECONNRESET: name = "ECONNRESET"; break;
	case EBADMSG: name = "EBADMSG"; break;
	case EINVAL: name = "EINVAL"; break;
	case EMSGSIZE: name = "EMSGSIZE"; break;
	case EIO: name = "EIO"; break;
	case ETIMEDOUT: name = "ETIMEDOUT"; break;
	case ECANCELED: name = "ECANCELED"; break;
	case EINTR: name = "EINTR"; break;
	case ENOMEM: name = "ENOMEM"; break;
	case EMFILE: name = "EMFILE"; break;
	case ENFILE: name = "ENFILE"; break;
	case EAGAIN: name = "EAGAIN"; break;
	case EPROTO: name = "EPROTO"; break;
	default: name = NULL; break;
	}
	if (name)
		snprintf(buf, sizeof(buf), "%s (%s)", strerror(err), name);
	else
		snprintf(buf, sizeof(buf), "%s (errno %d)", strerror(err), err);
	return buf;
}
