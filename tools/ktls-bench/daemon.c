// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshake daemons that ktls-bench starts itself (--daemon, --ours), one
 * per upcall sample, so that two daemons run the same rounds interleaved.
 * Each runs as `PATH -s -c CONF` with a config in the ktls-utils format
 * both understand (the clients trust the run's CA), in a cgroup of its own
 * whose cpu.stat counts it and everything it forks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

#define DAEMON_CGROUP_ROOT "/sys/fs/cgroup"

static int daemon_write_config(struct bench_ctx *ctx, char *path, size_t len,
			       char *err, size_t errlen)
{
	FILE *f;

	snprintf(path, len, "%s/ktls-bench-%d-daemon.conf", ctx->o->tmpdir,
		 (int)getpid());
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "[authenticate.client]\nx509.truststore=%s\n", ctx->ca_file);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* A cgroup for the daemon; without one, CPU is not reported (cg[0] = 0). */
static void daemon_cgroup_make(struct bench_daemon *d)
{
	static unsigned int seq;

	snprintf(d->cgroup, sizeof(d->cgroup), "%s/ktls-bench-%d-%u",
		 DAEMON_CGROUP_ROOT, (int)getpid(), seq++);
	if (mkdir(d->cgroup, 0755) && errno != EEXIST)
		d->cgroup[0] = 0;
}

/* In the child: join the cgroup, send output to the log, exec. */
static void daemon_exec(const struct bench_daemon *d, const char *path,
			const char *conf, const char *log)
{
	char procs[300];
	int fd;

	if (d->cgroup[0]) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", d->cgroup);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "0", 1) < 0)
				fprintf(stderr, "ktls-bench: %s: %s\n", procs,
					strerror(errno));
			close(fd);
		}
	}
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execlp(path, path, "-s", "-c", conf, (char *)NULL);
	fprintf(stderr, "ktls-bench: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int daemon_start(struct bench_ctx *ctx, const char *path,
		 struct bench_daemon *d, char *err, size_t errlen)
{
	char conf[300], log[300];
	const char *base = strrchr(path, '/');
	int ret;

	memset(d, 0, sizeof(*d));
	ret = daemon_write_config(ctx, conf, sizeof(conf), err, errlen);
	if (ret)
		return ret;
	snprintf(log, sizeof(log), "%s/ktls-bench-%d-%s.log", ctx->o->tmpdir,
		 (int)getpid(), base ? base + 1 : path);
	daemon_cgroup_make(d);
	d->pid = fork();
	if (d->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	if (!d->pid)
		daemon_exec(d, path, conf, log);
	return 0;
}

/* Microseconds of CPU the daemon's cgroup used so far; 0 if unknown. */
uint64_t daemon_cpu_usec(const struct bench_daemon *d)
{
	char path[300], key[64];
	unsigned long long v;
	uint64_t usec = 0;
	FILE *f;

	if (!d->cgroup[0])
		return 0;
	snprintf(path, sizeof(path), "%s/cpu.stat", d->cgroup);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "usage_usec")) {
			usec = v;
			break;
		}
	}
	fclose(f);
	return usec;
}

/* SIGTERM, then SIGKILL after 5 s; the cgroup goes once it is empty. */
void daemon_stop(struct bench_daemon *d)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i, status;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (i = 0; i < 250; i++) {
			if (waitpid(d->pid, &status, WNOHANG) == d->pid)
				break;
			nanosleep(&ts, NULL);
		}
		if (i == 250) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
		}
		d->pid = 0;
	}
	/* Forked children may linger a moment after the daemon. */
	for (i = 0; d->cgroup[0] && i < 50; i++) {
		if (!rmdir(d->cgroup) || errno == ENOENT)
			break;
		nanosleep(&ts, NULL);
	}
	d->cgroup[0] = 0;
}
