// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlshd's own keyring work (libkeyutils): linking the consumers' keyrings
 * into ours, and keeping a verified peer as a key. Reading keys is
 * libktls's (ktls_keyring_*).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "keyring.h"

long tlshd_keyring_link_name(const char *desc)
{
	key_serial_t ring;
	int ret;

	ring = find_key_by_type_and_desc("keyring", desc, 0);
	if (ring < 0)
		return -errno;
	ret = tlshd_keyring_link_serial(ring);
	return ret ? ret : ring;
}

/*
 * Into our process keyring, not the session keyring: a process without a
 * session keyring of its own (started by hand, not by systemd) would get
 * a fresh one on the first link, and keys reachable only through the
 * user-session keyring (an administrator's, the kernel's) would stop being
 * ours to read. The process keyring is searched before either.
 */
int tlshd_keyring_link_serial(uint32_t serial)
{
	if (keyctl_link((key_serial_t)serial, KEY_SPEC_PROCESS_KEYRING) < 0)
		return -errno;
	return 0;
}

long tlshd_keyring_add_peer(const char *name, const void *der, size_t len,
			    unsigned int ttl)
{
	char desc[300];
	key_serial_t k;

	snprintf(desc, sizeof(desc), "tlshd peer: %s", name[0] ? name : "?");
	k = add_key("user", desc, der, len, KEY_SPEC_SESSION_KEYRING);
	if (k < 0)
		return -errno;
	keyctl_set_timeout(k, ttl);
	return k;
}
