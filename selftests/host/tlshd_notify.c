// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * tlshd's readiness signals: the sd_notify datagram reaches a socket named
 * by $NOTIFY_SOCKET (path and abstract forms), and the ready file appears
 * whole, holding our pid.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "notify.h"

#include "check.h"

/* Bind a datagram socket to name ('@' first: abstract); return it. */
static int listen_at(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sun,
		 offsetof(struct sockaddr_un, sun_path) + len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void check_notify(const char *name)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = listen_at(name);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK(tlshd_notify_systemd("READY=1") == 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK(n == 7);
	if (n > 0) {
		buf[n] = '\0';
		CHECK(!strcmp(buf, "READY=1"));
	}
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/tlshd-notify.XXXXXX";
	char path[256], abstract[64], pid[32];
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/notify", dir);
	check_notify(path);
	unlink(path);
	snprintf(abstract, sizeof(abstract), "@tlshd-test-%d", (int)getpid());
	check_notify(abstract);

	/* No socket configured: nothing to do, no error. */
	unsetenv("NOTIFY_SOCKET");
	CHECK(tlshd_notify_systemd("READY=1") == 0);
	/* A relative name is not a notify socket. */
	setenv("NOTIFY_SOCKET", "relative", 1);
	CHECK(tlshd_notify_systemd("READY=1") == -EINVAL);
	/* Nobody listening there. */
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(tlshd_notify_systemd("READY=1") == -ENOENT);

	snprintf(path, sizeof(path), "%s/ready", dir);
	CHECK(tlshd_notify_ready_file(path) == 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK(fgets(pid, sizeof(pid), f) != NULL);
		CHECK(atoi(pid) == (int)getpid());
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/ready.tmp", dir);
	CHECK(stat(path, &st) < 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/no/such/dir/ready", dir);
	CHECK(tlshd_notify_ready_file(path) == -ENOENT);

	snprintf(path, sizeof(path), "%s/ready", dir);
	unlink(path);
	rmdir(dir);
	if (failures) {
		fprintf(stderr, "tlshd_notify: %d checks failed\n", failures);
		return 1;
	}
	printf("tlshd_notify: all checks passed\n");
	return 0;
}
