/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel keyrings: where consumers put certificates, keys and PSKs. Keys
 * are read through libktls (ktls_keyring_*); this is what tlshd adds.
 */
#ifndef TLSHD_KEYRING_H
#define TLSHD_KEYRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Link the keyring named desc (e.g. ".nfs") into our process keyring so
 * keys the kernel names by serial are ours to read. Returns the keyring's
 * serial or -errno.
 */
long tlshd_keyring_link_name(const char *desc);
/* The same for a keyring given by serial (the ACCEPT KEYRING attribute). */
int tlshd_keyring_link_serial(uint32_t serial);

/*
 * A verified x509 peer as a key (type "user", payload its leaf
 * certificate, DER) in our session keyring, expiring after ttl seconds:
 * its serial is the peer identity DONE reports. Returns it or -errno.
 */
long tlshd_keyring_add_peer(const char *name, const void *der, size_t len,
			    unsigned int ttl);

#endif /* TLSHD_KEYRING_H */
