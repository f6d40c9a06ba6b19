// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The byte stream: a file of pseudo-random bytes, sent over and over from
 * offset 0, cut where the sender stops. Receivers hash what they decrypted;
 * the expected hash is computed afterwards from the file, outside the timed
 * window. The hash is a Fletcher-style pair of 64-bit sums over words:
 * cheap enough not to weigh on the receiver, and sensitive to lost,
 * duplicated, reordered or corrupted data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "bench.h"

void stream_hash_init(struct stream_hash *h)
{
	memset(h, 0, sizeof(*h));
	h->a = 0x6a09e667f3bcc908ULL;
}

static inline void stream_word(struct stream_hash *h, uint64_t w)
{
	h->a += w ^ 0x9e3779b97f4a7c15ULL;
	h->b += h->a;
}

void stream_hash_update(struct stream_hash *h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t a, b, w;

	h->len += len;
	while (h->ncarry && len) {
		h->carry[h->ncarry++] = *p++;
		len--;
		if (h->ncarry == 8) {
			memcpy(&w, h->carry, 8);
			stream_word(h, w);
			h->ncarry = 0;
		}
	}
	a = h->a;
	b = h->b;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		a += w ^ 0x9e3779b97f4a7c15ULL;
		b += a;
	}
	h->a = a;
	h->b = b;
	memcpy(h->carry + h->ncarry, p, len);
	h->ncarry += len;
}

uint64_t stream_hash_final(struct stream_hash *h)
{
	uint64_t w = 0;

	if (h->ncarry) {
		memcpy(&w, h->carry, h->ncarry);
		stream_word(h, w | (uint64_t)h->ncarry << 60);
		h->ncarry = 0;
	}
	return h->a ^ (h->b * 0xff51afd7ed558ccdULL) ^ h->len;
}

uint64_t stream_expected(const struct bench_ctx *ctx, uint64_t total)
{
	struct stream_hash h;
	size_t fsz = ctx->o->file_size, n;

	stream_hash_init(&h);
	while (total) {
		n = total < fsz ? total : fsz;
		stream_hash_update(&h, ctx->file_map, n);
		total -= n;
	}
	return stream_hash_final(&h);
}

/* xorshift64*: reproducible content, not compressible, not zeros. */
int stream_file_open(struct bench_ctx *ctx)
{
	size_t size = ctx->o->file_size, i;
	uint64_t s = 0x243f6a8885a308d3ULL, *buf;
	void *map;
	int fd;

	snprintf(ctx->file_path, sizeof(ctx->file_path),
		 "%s/ktls-bench.XXXXXX", ctx->o->tmpdir);
	fd = mkostemp(ctx->file_path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(ctx->file_path);
	buf = malloc(size + 8);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < size / 8 + 1; i++) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		buf[i] = s * 0x2545f4914f6cdd1dULL;
	}
	if (pwrite(fd, buf, size, 0) != (ssize_t)size) {
		free(buf);
		close(fd);
		return -EIO;
	}
	free(buf);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	ctx->file_fd = fd;
	ctx->file_map = map;
	return 0;
}

void stream_file_close(struct bench_ctx *ctx)
{
	if (ctx->file_map)
		munmap((void *)ctx->file_map, ctx->o->file_size);
	if (ctx->file_fd >= 0)
		close(ctx->file_fd);
	ctx->file_map = NULL;
	ctx->file_fd = -1;
}
