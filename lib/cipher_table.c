// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one cipher table: per AEAD that kTLS takes, its KTLS_CIPHER_* bit,
 * its names, GnuTLS's id, the kernel's TLS_CIPHER_* number and the layout
 * of its tls12_crypto_info_* struct; and the names of TLS versions.
 * Everything else in libktls, tlshd and the tools asks here. The rows are
 * in the order a server prefers them (priority.c).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ktls-internal.h"

/*
 * RFC 8446 5.5's records per key: AES-GCM 2^24.5 full-size records. It
 * names none for CCM, whose bound is tighter than GCM's: half of it
 * (2^23.5), conservative, not a standard's. ChaCha20-Poly1305: none (0),
 * the sequence number wraps first.
 */
#define KTLS_RFC_LIMIT_GCM 23726566
#define KTLS_RFC_LIMIT_CCM 11863283

/* Offset and size of one field of a kernel crypto info struct. */
#define CT_FIELD(type, f) offsetof(struct type, f), sizeof(((struct type *)0)->f)

static const struct ktls_cipher_desc cipher_table[] = {
	{ KTLS_CIPHER_AES_128_GCM, "AES-128-GCM", "aes128gcm",
	  GNUTLS_CIPHER_AES_128_GCM, TLS_CIPHER_AES_GCM_128,
	  sizeof(struct tls12_crypto_info_aes_gcm_128),
	  CT_FIELD(tls12_crypto_info_aes_gcm_128, key),
	  CT_FIELD(tls12_crypto_info_aes_gcm_128, salt),
	  CT_FIELD(tls12_crypto_info_aes_gcm_128, iv),
	  offsetof(struct tls12_crypto_info_aes_gcm_128, rec_seq),
	  KTLS_RFC_LIMIT_GCM },
	{ KTLS_CIPHER_AES_256_GCM, "AES-256-GCM", "aes256gcm",
	  GNUTLS_CIPHER_AES_256_GCM, TLS_CIPHER_AES_GCM_256,
	  sizeof(struct tls12_crypto_info_aes_gcm_256),
	  CT_FIELD(tls12_crypto_info_aes_gcm_256, key),
	  CT_FIELD(tls12_crypto_info_aes_gcm_256, salt),
	  CT_FIELD(tls12_crypto_info_aes_gcm_256, iv),
	  offsetof(struct tls12_crypto_info_aes_gcm_256, rec_seq),
	  KTLS_RFC_LIMIT_GCM },
	/* No salt: the whole 12-byte iv, in both versions. */
	{ KTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305", "chacha20",
	  GNUTLS_CIPHER_CHACHA20_POLY1305, TLS_CIPHER_CHACHA20_POLY1305,
	  sizeof(struct tls12_crypto_info_chacha20_poly1305),
	  CT_FIELD(tls12_crypto_info_chacha20_poly1305, key),
	  0, 0,
	  CT_FIELD(tls12_crypto_info_chacha20_poly1305, iv),
	  offsetof(struct tls12_crypto_info_chacha20_poly1305, rec_seq),
	  0 },
	{ KTLS_CIPHER_AES_128_CCM, "AES-128-CCM", "aes128ccm",
	  GNUTLS_CIPHER_AES_128_CCM, TLS_CIPHER_AES_CCM_128,
	  sizeof(struct tls12_crypto_info_aes_ccm_128),
	  CT_FIELD(tls12_crypto_info_aes_ccm_128, key),
	  CT_FIELD(tls12_crypto_info_aes_ccm_128, salt),
	  CT_FIELD(tls12_crypto_info_aes_ccm_128, iv),
	  offsetof(struct tls12_crypto_info_aes_ccm_128, rec_seq),
	  KTLS_RFC_LIMIT_CCM },
};
#define CT_N (sizeof(cipher_table) / sizeof(cipher_table[0]))
_Static_assert(CT_N == 4 && KTLS_CIPHER_ALL == 0x0f,
	       "one row per KTLS_CIPHER_* bit");

static const struct {
	uint16_t version;
	const char *name;
} version_table[] = {
	{ 0x0300, "SSL 3.0" },
	{ 0x0301, "TLS 1.0" },
	{ 0x0302, "TLS 1.1" },
	{ KTLS_VERSION_1_2, "TLS 1.2" },
	{ KTLS_VERSION_1_3, "TLS 1.3" },
};

const struct ktls_cipher_desc *ktls_cipher_desc_at(size_t i)
{
	return i < CT_N ? &cipher_table[i] : NULL;
}

const struct ktls_cipher_desc *ktls_cipher_desc(unsigned int cipher)
{
	size_t i;

	for (i = 0; i < CT_N; i++)
		if (cipher_table[i].bit == cipher)
			return &cipher_table[i];
	return NULL;
}

const struct ktls_cipher_desc *
ktls_cipher_desc_gnutls(gnutls_cipher_algorithm_t algorithm)
{
	size_t i;

	for (i = 0; i < CT_N; i++)
		if (cipher_table[i].gnutls == algorithm)
			return &cipher_table[i];
	return NULL;
}

KTLS_EXPORT const char *ktls_cipher_name(unsigned int cipher)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(cipher);

	return d ? d->name : "unknown cipher";
}

KTLS_EXPORT const char *ktls_cipher_short_name(unsigned int cipher)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(cipher);

	return d ? d->short_name : NULL;
}

static int cipher_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !strncasecmp(s, name, len);
}

KTLS_EXPORT unsigned int ktls_cipher_parse(const char *name, size_t len)
{
	size_t i;

	if (!name)
		return 0;
	for (i = 0; i < CT_N; i++)
		if (cipher_is(name, len, cipher_table[i].name) ||
		    cipher_is(name, len, cipher_table[i].short_name))
			return cipher_table[i].bit;
	return 0;
}

KTLS_EXPORT unsigned int ktls_cipher_from_gnutls(int algorithm)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc_gnutls(algorithm);

	return d ? d->bit : 0;
}

KTLS_EXPORT int ktls_cipher_gnutls(unsigned int cipher)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(cipher);

	return d ? (int)d->gnutls : GNUTLS_CIPHER_UNKNOWN;
}

KTLS_EXPORT unsigned int ktls_cipher_from_kernel(int type)
{
	size_t i;

	for (i = 0; i < CT_N; i++)
		if (cipher_table[i].kernel == type)
			return cipher_table[i].bit;
	return 0;
}

KTLS_EXPORT const char *ktls_version_name(uint16_t version)
{
	size_t i;

	for (i = 0; i < sizeof(version_table) / sizeof(version_table[0]); i++)
		if (version_table[i].version == version)
			return version_table[i].name;
	return NULL;
}
