// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --access-log: one line per response in the common log format, what log
 * analysers and fail2ban read:
 *   host ident authuser [date] "request line" status bytes
 * Each line is one write() to a file opened O_APPEND, so lines never
 * interleave, also with log rotation by copytruncate. The write is a
 * page-cache copy on the ring thread, as cheap as the log line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "serve.h"

int access_log_open(struct server *s, const char *path)
{
	int fd;

	if (!strcmp(path, "-")) {
		s->access_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	s->access_fd = fd;
	return 0;
}

/* "10/Oct/2000:13:55:36 -0700", formatted once a second. */
static const char *access_log_date(struct server *s)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != s->access_date_sec) {
		localtime_r(&ts.tv_sec, &tm);
		strftime(s->access_date, sizeof(s->access_date),
			 "%d/%b/%Y:%H:%M:%S %z", &tm);
		s->access_date_sec = ts.tv_sec;
	}
	return s->access_date;
}

/* The target as sent, with '"' and '\' escaped so the line still parses. */
static void access_log_quote(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '"' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = 0;
}

void access_log_write(const struct conn *c)
{
	struct server *s = c->srv;
	char host[INET6_ADDRSTRLEN], target[2 * HTTP_TARGET_LOG + 1];
	char request[2 * HTTP_TARGET_LOG + 64], bytes[24], line[512];
	uint64_t sent = c->body_sent + c->extra_sent;
	int n;

	if (s->access_fd < 0)
		return;
	if (IN6_IS_ADDR_V4MAPPED(&c->addr))
		inet_ntop(AF_INET, &c->addr.s6_addr[12], host, sizeof(host));
	else
		inet_ntop(AF_INET6, &c->addr, host, sizeof(host));
	if (c->req.method_name[0] && c->req.target[0]) {
		access_log_quote(target, sizeof(target), c->req.target);
		snprintf(request, sizeof(request), "%s %s HTTP/1.%d",
			 c->req.method_name, target, c->req.minor);
	} else {
		snprintf(request, sizeof(request), "-");
	}
	if (sent)
		snprintf(bytes, sizeof(bytes), "%" PRIu64, sent);
	else
		snprintf(bytes, sizeof(bytes), "-");
	n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %s\n", host,
		     access_log_date(s), request, c->status, bytes);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (write(s->access_fd, line, n) < 0 && !s->access_failed) {
		s->access_failed = 1;
		serve_log("access log: %s; further failures not logged",
			  strerror(errno));
	}
}
