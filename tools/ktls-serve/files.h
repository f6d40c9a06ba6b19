/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files under the document root, opened so that no path can leave it. */
#ifndef SERVE_FILES_H
#define SERVE_FILES_H

#include <sys/stat.h>

/* The root directory as an O_PATH descriptor, or a negative errno. */
int files_open_root(const char *dir);

struct files_entry {
	int fd;
	struct stat st;
	const char *type;	/* Content-Type */
	const char *why;	/* on failure: the cause, for a log line */
	int is_dir;		/* the path named a directory */
};

/*
 * Open the regular file a decoded URL path names under rootfd; a directory
 * serves its index.html. Returns 0 with e->fd (the caller closes it),
 * e->st and e->type, or:
 *   -EPERM   the path has a ".." or "." segment, a backslash... (refused)
 *   -EXDEV   resolving it would leave the root (symlink, mount)
 *   -ENOENT  no such file, or not a regular file
 *   -EACCES  not readable
 * with e->fd = -1 and e->why set.
 */
int files_open(int rootfd, const char *path, struct files_entry *e);

/*
 * A strong entity-tag for the file (quoted): inode, size and mtime in
 * nanoseconds, so that any change to the file changes it.
 */
void files_etag(const struct stat *st, char *buf, size_t len);

/* A Content-Type for a file name, by extension. */
const char *files_content_type(const char *name);

#endif /* SERVE_FILES_H */
