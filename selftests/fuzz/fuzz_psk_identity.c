// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the split of a key's description ("type;uid;gid;perm;
 * description", as keyctl_describe gives it) into its type and the PSK
 * identity. The input is a C string in a buffer of exactly its size, so an
 * overread is an ASan report. The result is checked against a separate,
 * obvious computation on an untouched copy: the identity is everything
 * after the fourth ';' (';' included), the type everything before the
 * first, neither empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktls-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size), i, first = 0, after = 0;
	char *buf, *orig, *type = NULL, *identity = NULL;
	unsigned int semis = 0;
	int ret, want;

	buf = malloc(len + 1);
	orig = malloc(len + 1);
	if (!buf || !orig)
		abort();
	memcpy(buf, data, len);
	buf[len] = '\0';
	memcpy(orig, buf, len + 1);

	for (i = 0; i < len && semis < 4; i++) {
		if (orig[i] != ';')
			continue;
		if (!semis)
			first = i;
		if (++semis == 4)
			after = i + 1;
	}
	want = semis == 4 && first > 0 && after < len ? 0 : -EINVAL;

	ret = ktls_keyring_split_description(buf, &type, &identity);
	if (ret != want)
		abort();
	if (!ret) {
		if (type != buf || identity != buf + after)
			abort();
		if (strlen(type) != first || memcmp(type, orig, first))
			abort();
		if (strcmp(identity, orig + after))
			abort();
	}
	free(orig);
	free(buf);
	return 0;
}
