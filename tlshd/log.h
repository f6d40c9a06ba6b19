/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tlshd logging: syslog by default, stderr on request. */
#ifndef TLSHD_LOG_H
#define TLSHD_LOG_H

#include <syslog.h>

void tlshd_log_open(const char *ident, int to_stderr);
void tlshd_log_close(void);
/* Messages above this syslog priority are dropped (LOG_INFO by default). */
void tlshd_log_set_level(int prio);
int tlshd_log_enabled(int prio);

void tlshd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define tlshd_err(...) tlshd_log(LOG_ERR, __VA_ARGS__)
#define tlshd_warn(...) tlshd_log(LOG_WARNING, __VA_ARGS__)
#define tlshd_notice(...) tlshd_log(LOG_NOTICE, __VA_ARGS__)
#define tlshd_info(...) tlshd_log(LOG_INFO, __VA_ARGS__)
#define tlshd_debug(...) tlshd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TLSHD_LOG_H */
