// SPDX-License-Identifier: GPL-2.0-or-later
/* Kernel keyring access through libkeyutils. */
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

int tlshd_keyring_psk_identity(char *described, char **type, char **identity)
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
	*identity = d;
	return 0;
}

static int tlshd_keyring_describe_full(uint32_t serial, char **type,
				       char **desc)
{
	char *buf = NULL;
	int ret;

	if (!serial)
		return -ENOKEY;
	if (keyctl_describe_alloc((key_serial_t)serial, &buf) < 0)
		return -errno;
	ret = tlshd_keyring_psk_identity(buf, type, desc);
	if (ret)
		free(buf);
	return ret;
}

int tlshd_keyring_describe(uint32_t serial, char **desc)
{
	char *type, *d;
	int ret;

	ret = tlshd_keyring_describe_full(serial, &type, &d);
	if (ret)
		return ret;
	memmove(type, d, strlen(d) + 1);
	*desc = type;
	return 0;
}

static int tlshd_keyring_walk(int32_t ring, int depth,
			      tlshd_keyring_psk_fn fn, void *arg)
{
	key_serial_t *keys = NULL;
	long n, i;
	int count = 0, ret = 0;

	n = keyctl_read_alloc(ring, (void **)&keys);
	if (n < 0)
		return -errno;
	n /= sizeof(*keys);
	for (i = 0; i < n && ret >= 0; i++) {
		char *type, *identity;
		void *key;
		size_t len;

		if (tlshd_keyring_describe_full(keys[i], &type, &identity))
			continue;	/* not ours to see */
		if (!strcmp(type, "psk") &&
		    !tlshd_keyring_read(keys[i], &key, &len)) {
			ret = fn(keys[i], identity, key, len, arg);
			tlshd_keyring_free(key, len);
			count++;
		} else if (!strcmp(type, "keyring") && depth > 0) {
			int sub = tlshd_keyring_walk(keys[i], depth - 1, fn,
						     arg);

			/* An unreadable keyring is skipped. */
			if (sub > 0)
				count += sub;
			else if (sub == -ENOMEM)
				ret = sub;
		}
		free(type);
	}
	free(keys);
	return ret < 0 ? ret : count;
}

int tlshd_keyring_for_each_psk(int32_t ring, tlshd_keyring_psk_fn fn,
			       void *arg)
{
	return tlshd_keyring_walk(ring, 1, fn, arg);
}

int tlshd_keyring_read(uint32_t serial, void **data, size_t *len)
{
	void *buf = NULL;
	long n;

	if (!serial)
		return -ENOKEY;
	n = keyctl_read_alloc((key_serial_t)serial, &buf);
	if (n < 0)
		return -errno;
	if (n == 0) {
		free(buf);
		return -ENODATA;
	}
	*data = buf;
	*len = n;
	return 0;
}

void tlshd_keyring_free(void *data, size_t len)
{
	if (!data)
		return;
	explicit_bzero(data, len);
	free(data);
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
