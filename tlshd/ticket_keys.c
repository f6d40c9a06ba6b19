// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading the ticket master key (see ticket_keys.h). A key that is
 * configured but unusable is an error, not a random fallback: servers
 * that silently disagree on the key never resume each other's tickets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include <ktls.h>

#include "ticket_keys.h"

static int tlshd_ticket_key_keyring(const char *serial, unsigned char *key,
				    char *err, size_t errlen)
{
	unsigned long id;
	char *end;
	void *data;
	size_t len;
	int ret;

	errno = 0;
	id = strtoul(serial, &end, 10);
	if (errno || end == serial || *end || !id || id > 0x7fffffffUL) {
		snprintf(err, errlen, "ticket_key: \"keyring:%s\" names no key serial",
			 serial);
		return -EINVAL;
	}
	ret = ktls_keyring_read(id, &data, &len);
	if (ret) {
		snprintf(err, errlen, "ticket_key: key %lu: %s", id,
			 strerror(-ret));
		return ret;
	}
	if (len != TLSHD_TICKET_KEY_SIZE) {
		snprintf(err, errlen, "ticket_key: key %lu holds %zu bytes, not %d",
			 id, len, TLSHD_TICKET_KEY_SIZE);
		ktls_keyring_free(data, len);
		return -EINVAL;
	}
	memcpy(key, data, len);
	ktls_keyring_free(data, len);
	return 0;
}

static int tlshd_ticket_key_file(const char *path, unsigned char *key,
				 char *err, size_t errlen)
{
	unsigned char extra;
	size_t have = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "ticket_key %s: %s", path, strerror(errno));
		return ret;
	}
	while (have < TLSHD_TICKET_KEY_SIZE) {
		n = read(fd, key + have, TLSHD_TICKET_KEY_SIZE - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
	}
	if (have == TLSHD_TICKET_KEY_SIZE && read(fd, &extra, 1) == 0) {
		close(fd);
		return 0;
	}
	close(fd);
	gnutls_memset(key, 0, TLSHD_TICKET_KEY_SIZE);
	snprintf(err, errlen,
		 "ticket_key %s: must hold exactly %d bytes (head -c %d /dev/urandom)",
		 path, TLSHD_TICKET_KEY_SIZE, TLSHD_TICKET_KEY_SIZE);
	return -EINVAL;
}

int tlshd_ticket_key_load(const char *spec, unsigned char *key, char *err,
			  size_t errlen)
{
	if (!spec) {
		if (gnutls_rnd(GNUTLS_RND_KEY, key, TLSHD_TICKET_KEY_SIZE) < 0) {
			snprintf(err, errlen, "ticket_key: no random bytes");
			return -EIO;
		}
		return 0;
	}
	if (!strncmp(spec, "keyring:", 8))
		return tlshd_ticket_key_keyring(spec + 8, key, err, errlen);
	return tlshd_ticket_key_file(spec, key, err, errlen);
}

unsigned int tlshd_ticket_lifetime(int rotation)
{
	if (rotation <= 0)
		return 0;
	return rotation < 3 ? 1 : rotation / 3;
}
