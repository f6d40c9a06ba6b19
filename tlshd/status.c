// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The status line and the socket that serves it (tlshd --status). The
 * counters are the daemon context's; the line is read on the main thread,
 * which is the only one to swap the published generation.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ktls.h>

#include "daemon.h"
#include "log.h"
#include "resumption.h"
#include "session_cache.h"
#include "status.h"

void tlshd_status_format(const struct tlshd_daemon *d, char *buf, size_t len)
{
	unsigned long taken, ok, failed;
	struct tlshd_session_cache_stats st;
	struct mallinfo2 mi;
	char cache[96] = "unused";

	ok = __atomic_load_n(&d->counters.ok, __ATOMIC_ACQUIRE);
	failed = __atomic_load_n(&d->counters.failed, __ATOMIC_ACQUIRE);
	taken = __atomic_load_n(&d->counters.taken, __ATOMIC_ACQUIRE);
	if (d->current &&
	    tlshd_resumption_stats(d->current->resumption, &st) == 0)
		snprintf(cache, sizeof(cache), "%u entries, %lu resumed",
			 st.entries, st.resumed);
	/* Bytes malloc has handed out and not had back: unlike RSS, free
	 * memory kept in arenas does not count; chunks in the per-thread
	 * caches (tcache) do, so tests that need it exact turn those off. */
	mi = mallinfo2();
	snprintf(buf, len, "%lu handshakes in flight, %lu GnuTLS sessions open, heap %zu kB in use; since start %lu ok, %lu failed; session cache %s",
		 taken - ok - failed, ktls_session_count(),
		 (mi.uordblks + mi.hblkhd) / 1024, ok, failed, cache);
}

/*
 * The status socket: a stream socket that answers each connection with
 * the status line ("status: ...\n") and closes it. Bound before the
 * daemon drops privileges, mode 0600 (root), in a 0755 directory.
 */
int tlshd_status_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		if (ret != -EADDRINUSE)
			goto fail;
		/* A live daemon answers there; a dead one left the name. */
		ret = tlshd_status_query(path, NULL, 0);
		if (ret != -ECONNREFUSED) {
			ret = -EADDRINUSE;
			goto fail;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			ret = -errno;
			goto fail;
		}
	}
	if (chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		ret = -errno;
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

void tlshd_status_answer(const struct tlshd_daemon *d, int lfd)
{
	char line[400];
	int fd;
	size_t n;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		n = snprintf(line, sizeof(line), "status: ");
		tlshd_status_format(d, line + n, sizeof(line) - n - 1);
		n = strlen(line);
		line[n++] = '\n';
		/* A fresh socket's buffer takes one line; a peer that
		 * never reads costs nothing. */
		if (send(fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			tlshd_debug("status socket: %s", strerror(errno));
		close(fd);
	}
}

int tlshd_status_query(const char *path, char *buf, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto out;
	}
	while (buf && got + 1 < len) {
		n = read(fd, buf + got, len - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	if (buf) {
		buf[got] = '\0';
		if (!got)
			ret = -ENODATA;
	}
out:
	close(fd);
	return ret;
}
