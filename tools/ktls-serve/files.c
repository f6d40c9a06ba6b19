// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Safe path resolution under the document root. ".." segments are refused
 * outright (a client that sends one is probing), and every open goes
 * through openat2(RESOLVE_BENEATH), so that a symlink or a mount point
 * inside the root can't lead out of it either.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "files.h"

int files_open_root(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int files_openat2(int dirfd, const char *rel)
{
	/* O_NONBLOCK: opening a FIFO someone left in the root must not hang. */
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do {
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd < 0 ? -errno : (int)fd;
}

static int files_has_dotdot(const char *p)
{
	const char *seg = p;

	for (;; p++) {
		if (*p == '/' || !*p) {
			if (p - seg == 2 && seg[0] == '.' && seg[1] == '.')
				return 1;
			if (!*p)
				return 0;
			seg = p + 1;
		}
	}
}

static int files_errno(int err, const char **why)
{
	switch (err) {
	case -EXDEV:
		*why = "path escapes the document root (refused)";
		return -EXDEV;
	case -ELOOP:
		*why = "too many symbolic links, or a magic link";
		return -ENOENT;
	case -EACCES:
	case -EPERM:
		*why = "permission denied";
		return -EACCES;
	case -ENOSYS:
		*why = "the kernel lacks openat2";
		return -ENOSYS;
	case -ENAMETOOLONG:
		*why = "name too long";
		return -ENOENT;
	default:
		*why = "no such file";
		return -ENOENT;
	}
}

int files_open(int rootfd, const char *path, struct files_entry *e)
{
	const char *rel = path, **why = &e->why;
	struct stat *st = &e->st;
	int fd, idx, fl;

	e->fd = -1;
	e->why = "";
	e->is_dir = 0;
	e->type = files_content_type(path);
	if (files_has_dotdot(path)) {
		*why = "path traversal refused (\"..\" segment)";
		return -EPERM;
	}
	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";

	fd = files_openat2(rootfd, rel);
	if (fd < 0)
		return files_errno(fd, why);
	if (fstat(fd, st) < 0)
		goto notfound;
	if (S_ISDIR(st->st_mode)) {
		e->is_dir = 1;
		idx = files_openat2(fd, "index.html");
		close(fd);
		if (idx < 0) {
			files_errno(idx, why);
			if (idx == -ENOENT)
				*why = "directory without index.html";
			return idx == -EACCES || idx == -EPERM ? -EACCES :
			       idx == -EXDEV ? -EXDEV : -ENOENT;
		}
		fd = idx;
		e->type = files_content_type("index.html");
		if (fstat(fd, st) < 0)
			goto notfound;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -ENOENT;
	}
	/* Splicing from the file must be able to wait for the page cache. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		goto notfound;
	e->fd = fd;
	return 0;
notfound:
	close(fd);
	*why = "cannot stat the file";
	return -ENOENT;
}

void files_etag(const struct stat *st, char *buf, size_t len)
{
	uint64_t ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
		      (uint64_t)st->st_mtim.tv_nsec;

	snprintf(buf, len, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
		 (uint64_t)st->st_ino, (uint64_t)st->st_size, ns);
}

static const struct {
	const char *ext;
	const char *type;
} files_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "css", "text/css" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "pdf", "application/pdf" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
};

const char *files_content_type(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	size_t i;

	if (dot && (!slash || dot > slash))
		for (i = 0; i < sizeof(files_types) / sizeof(files_types[0]); i++)
			if (!strcasecmp(dot + 1, files_types[i].ext))
				return files_types[i].type;
	return "application/octet-stream";
}
