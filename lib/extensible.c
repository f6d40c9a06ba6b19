// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Public structs that carry their size (ktls.h, "Extensible structs"):
 * copy one in from, or out to, a caller built with any version of it.
 * This only works while new fields are appended and each starts at or
 * after the previous version's sizeof (pad explicitly if needed): else an
 * old caller's tail padding would be read as a new field.
 */
#include <errno.h>
#include <string.h>

#include "ktls-internal.h"

int ktls_struct_in(void *dst, size_t dst_size, const void *src)
{
	size_t usize;
	const unsigned char *tail;

	memset(dst, 0, dst_size);
	if (!src)
		return 0;
	memcpy(&usize, src, sizeof(usize));
	if (usize < sizeof(usize))
		return -EINVAL;
	if (usize > dst_size) {
		/* A newer caller: fine while it sets nothing we lack. */
		for (tail = (const unsigned char *)src + dst_size;
		     tail < (const unsigned char *)src + usize; tail++)
			if (*tail)
				return -E2BIG;
		usize = dst_size;
	}
	memcpy(dst, src, usize);
	memcpy(dst, &dst_size, sizeof(dst_size));
	return 0;
}

int ktls_struct_out(void *dst, const void *src, size_t src_size)
{
	size_t usize;

	memcpy(&usize, dst, sizeof(usize));
	if (usize < sizeof(usize))
		return -EINVAL;
	if (usize > src_size)
		memset((unsigned char *)dst + src_size, 0, usize - src_size);
	/* The caller's size stays: it describes the caller's struct. */
	if (usize > sizeof(usize))
		memcpy((unsigned char *)dst + sizeof(usize),
		       (const unsigned char *)src + sizeof(usize),
		       (usize < src_size ? usize : src_size) - sizeof(usize));
	return 0;
}
