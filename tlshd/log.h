/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlshd logging. The system log (journald's native protocol when journald
 * runs, else syslog(3), facility LOG_AUTH as ktls-utils uses) and, with
 * -s, stderr as well.
 */
#ifndef TLSHD_LOG_H
#define TLSHD_LOG_H

#include <syslog.h>

#define TLSHD_LOG_STDERR	0x1
#define TLSHD_LOG_SYSTEM	0x2	/* journald or syslog */

void tlshd_log_open(const char *ident, int where);
void tlshd_log_close(void);
/* Messages above this syslog priority are dropped (LOG_INFO by default). */
void tlshd_log_set_level(int prio);
int tlshd_log_enabled(int prio);

/* Whether the system log goes to journald (native fields). */
int tlshd_log_journald(void);

/* How many warnings (LOG_WARNING) and errors (LOG_ERR and worse) have
 * been logged since the last reset: --check-config's verdict. */
void tlshd_log_counts(unsigned long *warnings, unsigned long *errors);
void tlshd_log_reset_counts(void);

/* One structured field for journald ("NAME", "value"). */
struct tlshd_log_field {
	const char *name;
	const char *value;
};

void tlshd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same line, with fields that journald stores beside MESSAGE. */
void tlshd_log_fields(int prio, const struct tlshd_log_field *fields,
		      unsigned int nfields, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define tlshd_err(...) tlshd_log(LOG_ERR, __VA_ARGS__)
#define tlshd_warn(...) tlshd_log(LOG_WARNING, __VA_ARGS__)
#define tlshd_notice(...) tlshd_log(LOG_NOTICE, __VA_ARGS__)
#define tlshd_info(...) tlshd_log(LOG_INFO, __VA_ARGS__)
#define tlshd_debug(...) tlshd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TLSHD_LOG_H */
