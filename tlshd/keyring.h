/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel keyrings: where consumers put certificates, keys and PSKs. */
#ifndef TLSHD_KEYRING_H
#define TLSHD_KEYRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Link the keyring named desc (e.g. ".nfs") into our session keyring so
 * keys the kernel names by serial are ours to read. Returns the keyring's
 * serial or -errno.
 */
long tlshd_keyring_link_name(const char *desc);
/* The same for a keyring given by serial (the ACCEPT KEYRING attribute). */
int tlshd_keyring_link_serial(uint32_t serial);

/* A key's description (for a PSK: its identity); free() it. */
int tlshd_keyring_describe(uint32_t serial, char **desc);

/*
 * Split what keyctl_describe gives, "type;uid;gid;perm;description", in
 * place: *type and *identity (a PSK's identity is its description) point
 * into described. -EINVAL if it isn't of that form. Pure: fuzzed.
 */
int tlshd_keyring_psk_identity(char *described, char **type, char **identity);

/*
 * A verified x509 peer as a key (type "user", payload its leaf
 * certificate, DER) in our session keyring, expiring after ttl seconds:
 * its serial is the peer identity DONE reports. Returns it or -errno.
 */
long tlshd_keyring_add_peer(const char *name, const void *der, size_t len,
			    unsigned int ttl);

/* A key's payload; free it with tlshd_keyring_free (it wipes it). */
int tlshd_keyring_read(uint32_t serial, void **data, size_t *len);
void tlshd_keyring_free(void *data, size_t len);

/*
 * Call fn for every key of type "psk" in keyring ring and in the keyrings
 * it holds (one level down), with its description (the PSK identity) and
 * payload, wiped after the call. fn returns 0 to go on. Returns the number
 * of keys passed to fn or -errno. ring may be a KEY_SPEC_* id.
 */
typedef int (*tlshd_keyring_psk_fn)(uint32_t serial, const char *identity,
				    const void *key, size_t len, void *arg);
int tlshd_keyring_for_each_psk(int32_t ring, tlshd_keyring_psk_fn fn,
			       void *arg);

#endif /* TLSHD_KEYRING_H */
