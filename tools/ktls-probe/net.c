// SPDX-License-Identifier: GPL-2.0-or-later
/* TCP connections to the target, each bounded by the probe's timeout. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "probe.h"

static int net_set_blocking(int fd, int blocking)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

/* 0 when connected, else an errno. */
static int net_try(const struct addrinfo *ai, unsigned int timeout_ms, int *out)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	err = poll(&pfd, 1, timeout_ms);
	if (err <= 0) {
		err = err ? errno : ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err || net_set_blocking(fd, 1) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	close(fd);
	return err ? err : EIO;
}

int probe_connect(const struct probe_opts *o, char *addr, size_t addrlen,
		  char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int ret, fd = -1, e = 0;

	ret = getaddrinfo(o->host, o->port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "cannot resolve %s: %s", o->host,
			 gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		e = net_try(ai, o->timeout_ms, &fd);
		if (!e)
			break;
	}
	if (fd >= 0 && getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, addrlen,
				   NULL, 0, NI_NUMERICHOST))
		snprintf(addr, addrlen, "?");
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s port %s: %s",
			 o->host, o->port, strerror(e));
	freeaddrinfo(res);
	return fd;
}
