// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * ktls-serve's path resolution on a real directory tree: files and index
 * pages are found, and every way out of the root is refused (".."
 * segments, absolute and relative symlinks, a magic link), as are FIFOs
 * (without hanging) and anything that is not a regular file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "files.h"

#include "check.h"

static char base[] = "/tmp/serve_files.XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		exit(1);
	}
}

static void mk(const char *rel, int dir, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if ((dir == 1 && mkdir(p, 0755)) || (dir == 0 && symlink(target, p)) ||
	    (dir == 2 && mkfifo(p, 0644))) {
		perror(p);
		exit(1);
	}
}

/* Expect ret; on success the file's content must be want. */
static void expect(int root, const char *path, int ret, const char *want,
		   const char *type, const char *why)
{
	struct files_entry e;
	char buf[64] = "";
	ssize_t n;
	int got = files_open(root, path, &e);

	if (got != ret) {
		fprintf(stderr, "%s: got %d (%s), want %d\n", path, got, e.why, ret);
		failures++;
	}
	if (got == 0) {
		n = read(e.fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		if (want && strcmp(buf, want)) {
			fprintf(stderr, "%s: read \"%s\", want \"%s\"\n", path, buf, want);
			failures++;
		}
		if (type && strcmp(e.type, type)) {
			fprintf(stderr, "%s: type %s, want %s\n", path, e.type, type);
			failures++;
		}
		CHECK(!(fcntl(e.fd, F_GETFL) & O_NONBLOCK));
		CHECK(fcntl(e.fd, F_GETFD) & FD_CLOEXEC);
		close(e.fd);
	} else {
		CHECK(e.fd == -1);
		if (why && !strstr(e.why, why)) {
			fprintf(stderr, "%s: why \"%s\", want \"%s\"\n", path, e.why, why);
			failures++;
		}
	}
}

static int fd_count(void)
{
	char p[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n += access(p, F_OK) == 0;
	}
	return n;
}

int main(void)
{
	char root_path[600];
	int root, fds;
	long probe;

	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	probe = syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0);
	if (probe < 0 && errno == ENOSYS) {
		printf("kernel lacks openat2\n");
		return 77;
	}
	put("secret", "outside");
	mk("root", 1, NULL);
	put("root/a.txt", "A");
	put("root/page.HTML", "P");
	mk("root/sub", 1, NULL);
	put("root/sub/index.html", "I");
	mk("root/empty", 1, NULL);
	mk("root/link", 0, "a.txt");
	mk("root/sub/up", 0, "../a.txt");
	mk("root/abs", 0, "/etc/passwd");
	mk("root/escape", 0, "../secret");
	mk("root/escdir", 0, "..");
	mk("root/magic", 0, "/proc/self/root/etc/passwd");
	mk("root/fifo", 2, NULL);
	mk("root/sub/indexdir", 1, NULL);
	mk("root/sub/indexdir/index.html", 1, NULL);
	mk("root/dangling", 0, "nowhere");

	snprintf(root_path, sizeof(root_path), "%s/root", base);
	root = files_open_root(root_path);
	CHECK(root >= 0);
	CHECK(files_open_root("/nonexistent/dir") == -ENOENT);
	fds = fd_count();

	expect(root, "/a.txt", 0, "A", "text/plain; charset=utf-8", NULL);
	expect(root, "//a.txt", 0, "A", NULL, NULL);
	expect(root, "/./a.txt", 0, "A", NULL, NULL);
	expect(root, "/page.HTML", 0, "P", "text/html; charset=utf-8", NULL);
	expect(root, "/sub", 0, "I", "text/html; charset=utf-8", NULL);
	expect(root, "/sub/", 0, "I", NULL, NULL);
	expect(root, "/link", 0, "A", NULL, NULL);
	expect(root, "/sub/up", 0, "A", NULL, NULL);	/* stays inside */

	expect(root, "/", -ENOENT, NULL, NULL, "without index.html");
	expect(root, "/empty", -ENOENT, NULL, NULL, "without index.html");
	expect(root, "/missing", -ENOENT, NULL, NULL, "no such file");
	expect(root, "/dangling", -ENOENT, NULL, NULL, NULL);
	expect(root, "/a.txt/x", -ENOENT, NULL, NULL, NULL);
	expect(root, "/fifo", -ENOENT, NULL, NULL, "not a regular file");
	expect(root, "/sub/indexdir", -ENOENT, NULL, NULL, "not a regular file");

	expect(root, "/../secret", -EPERM, NULL, NULL, "traversal");
	expect(root, "/..", -EPERM, NULL, NULL, "traversal");
	expect(root, "/sub/../a.txt", -EPERM, NULL, NULL, "traversal");
	expect(root, "/sub/..", -EPERM, NULL, NULL, "traversal");
	expect(root, "/abs", -EXDEV, NULL, NULL, "escapes");
	expect(root, "/escape", -EXDEV, NULL, NULL, "escapes");
	expect(root, "/escdir/secret", -EXDEV, NULL, NULL, "escapes");
	expect(root, "/magic", -EXDEV, NULL, NULL, NULL);
	/* "..." and "..x" are names, not traversal. */
	expect(root, "/...", -ENOENT, NULL, NULL, "no such file");
	expect(root, "/..x", -ENOENT, NULL, NULL, "no such file");

	if (geteuid() != 0) {
		put("root/private", "x");
		chmod(root_path, 0755);
		snprintf(root_path, sizeof(root_path), "%s/root/private", base);
		chmod(root_path, 0);
		expect(root, "/private", -EACCES, NULL, NULL, "permission");
	}

	CHECK(fd_count() == fds);	/* nothing leaked on any path */
	CHECK(!strcmp(files_content_type("x.tar.gz"), "application/gzip"));
	CHECK(!strcmp(files_content_type("dir.d/file"), "application/octet-stream"));
	CHECK(!strcmp(files_content_type("noext"), "application/octet-stream"));
	close(root);

	snprintf(root_path, sizeof(root_path), "rm -rf '%s'", base);
	if (system(root_path))
		fprintf(stderr, "warning: could not remove %s\n", base);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("serve_files: all checks passed\n");
	return 0;
}
