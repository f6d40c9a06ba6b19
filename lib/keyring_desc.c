// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What keyctl_describe gives, "type;uid;gid;perm;description", split in
 * place. Pure, so that it can be fuzzed (selftests/fuzz/fuzz_psk_identity).
 */
#include <errno.h>
#include <string.h>

#include "ktls-internal.h"

int ktls_keyring_split_description(char *described, char **type, char **desc)
{
	char *d = described;
	int i;

	/* Four separators; the description after them may hold ';' itself. */
	for (i = 0; i < 4; i++) {
		d = strchr(d, ';');
		if (!d)
			return -EINVAL;
		*d++ = '\0';
	}
	/* The kernel refuses empty types and descriptions: so do we. */
	if (!*described || !*d)
		return -EINVAL;
	*type = described;
	*desc = d;
	return 0;
}
