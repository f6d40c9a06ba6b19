/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the test peers: a TCP connection to HOST:PORT, any family. */
#ifndef SELFTESTS_TCP_CONNECT_H
#define SELFTESTS_TCP_CONNECT_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

/* Returns a connected fd, or -1 after printing "PROG: why" to stderr. */
static inline int tcp_connect(const char *prog, const char *host,
			      const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, ret, err = 0;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, host, gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "%s: connect to %s:%s: %s\n", prog, host, port,
			strerror(err));
	return fd;
}

#endif /* SELFTESTS_TCP_CONNECT_H */
