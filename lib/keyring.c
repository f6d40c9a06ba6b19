// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Credentials from kernel keys (libkeyutils): a certificate chain and its
 * private key, trust anchors and PSKs, each the payload of a key given by
 * serial. Certificates are DER, several concatenated in one payload when
 * there is a chain. Payloads are wiped as soon as GnuTLS has its copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>
#include <keyutils.h>

#include "ktls-internal.h"

/* More than any sane chain; bounds the work a hostile payload causes. */
#define KEYRING_MAX_CERTS 16

KTLS_EXPORT void ktls_keyring_free(void *data, size_t len)
{
	if (!data)
		return;
	explicit_bzero(data, len);
	free(data);
}

/* A key's payload: -ENOKEY, -EKEYREVOKED, -EKEYEXPIRED, -EACCES... */
KTLS_EXPORT int ktls_keyring_read(int32_t serial, void **data, size_t *len)
{
	void *buf = NULL;
	long n;

	if (serial <= 0)
		return -ENOKEY;
	n = keyctl_read_alloc(serial, &buf);
	if (n < 0)
		return errno ? -errno : -EIO;
	if (n == 0) {
		free(buf);
		return -ENODATA;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* A key's type and description, split in one malloc'd block (*type). */
static int keyring_describe(int32_t serial, char **type, char **desc)
{
	char *buf = NULL;
	int ret;

	if (serial == 0)
		return -ENOKEY;
	if (keyctl_describe_alloc(serial, &buf) < 0)
		return errno ? -errno : -EIO;
	ret = ktls_keyring_split_description(buf, type, desc);
	if (ret)
		free(buf);
	return ret;
}

/* A key's description alone, malloc'd. */
static int keyring_description(int32_t serial, char **desc)
{
	char *type, *d;
	int ret;

	ret = keyring_describe(serial, &type, &d);
	if (ret)
		return ret;
	memmove(type, d, strlen(d) + 1);
	*desc = type;
	return 0;
}

/*
 * Length of the DER element (a SEQUENCE, as a certificate is) at p, header
 * included, or 0 if p doesn't start with a whole one.
 */
static size_t keyring_der_len(const unsigned char *p, size_t avail)
{
	size_t len = 0, hdr = 2, i, n;

	if (avail < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || avail < 2 + n)
			return 0;
		for (i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		hdr += n;
	}
	if (len > avail - hdr)
		return 0;
	return hdr + len;
}

/* Split concatenated DER certificates; -EKEYREJECTED if it isn't that. */
static int keyring_der_split(const void *data, size_t len, const void **certs,
			     size_t *lens, unsigned int *n)
{
	const unsigned char *p = data;
	size_t off = 0, l;

	*n = 0;
	while (off < len) {
		l = keyring_der_len(p + off, len - off);
		if (!l || *n == KEYRING_MAX_CERTS)
			return -EKEYREJECTED;
		certs[*n] = p + off;
		lens[(*n)++] = l;
		off += l;
	}
	return 0;
}

/* A key holding concatenated DER certificates, read and split. */
static int keyring_read_certs(int32_t serial, void **data, size_t *len,
			      const void **certs, size_t *lens,
			      unsigned int *n)
{
	int ret = ktls_keyring_read(serial, data, len);

	if (ret)
		return ret;
	ret = keyring_der_split(*data, *len, certs, lens, n);
	if (ret) {
		ktls_keyring_free(*data, *len);
		*data = NULL;
		*len = 0;
	}
	return ret;
}

/* Keys go only into a config that exists and no session has frozen. */
static int keyring_config_writable(struct ktls_config *cfg)
{
	return cfg ? ktls_config_mutable(cfg) : -EINVAL;
}

/* Each one parses as an X.509 certificate: 0, -EKEYREJECTED or -ENOMEM. */
static int keyring_check_certs(const void **certs, const size_t *lens,
			       unsigned int n)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++) {
		d.data = (void *)certs[i];
		d.size = lens[i];
		if (gnutls_x509_crt_init(&crt) < 0)
			return -ENOMEM;
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0)
			ret = -EKEYREJECTED;
		gnutls_x509_crt_deinit(crt);
	}
	return ret;
}

KTLS_EXPORT int ktls_config_set_cert_keyring(struct ktls_config *cfg,
					     int32_t cert_serial,
					     int32_t key_serial)
{
	const void *certs[KEYRING_MAX_CERTS];
	size_t lens[KEYRING_MAX_CERTS];
	void *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	unsigned int n;
	int ret;

	ret = keyring_config_writable(cfg);
	if (ret)
		return ret;
	ret = keyring_read_certs(cert_serial, &cert, &cert_len, certs, lens,
				 &n);
	if (ret)
		return ret;
	ret = ktls_keyring_read(key_serial, &key, &key_len);
	if (ret)
		goto out;
	ret = ktls_config_set_cert_der(cfg, certs, lens, n, key, key_len);
	if (ret == -EINVAL)
		ret = -EKEYREJECTED;	/* the payloads, not the call */
out:
	ktls_keyring_free(cert, cert_len);
	ktls_keyring_free(key, key_len);
	return ret;
}

KTLS_EXPORT int ktls_config_set_trust_keyring(struct ktls_config *cfg,
					      int32_t serial)
{
	const void *certs[KEYRING_MAX_CERTS];
	size_t lens[KEYRING_MAX_CERTS];
	void *data = NULL;
	size_t len = 0;
	unsigned int n, i;
	gnutls_datum_t d;
	int ret;

	ret = keyring_config_writable(cfg);
	if (ret)
		return ret;
	ret = keyring_read_certs(serial, &data, &len, certs, lens, &n);
	if (ret)
		return ret;
	/* All or nothing: check every certificate before adding any. */
	ret = keyring_check_certs(certs, lens, n);
	for (i = 0; !ret && i < n; i++) {
		d.data = (void *)certs[i];
		d.size = lens[i];
		if (gnutls_certificate_set_x509_trust_mem(cfg->x509, &d,
							  GNUTLS_X509_FMT_DER) < 0)
			ret = -ENOMEM;
	}
	if (!ret)
		cfg->have_trust = 1;
	ktls_keyring_free(data, len);
	return ret;
}

KTLS_EXPORT int ktls_keyring_psk(int32_t serial, char **identity, void **key,
				 size_t *len)
{
	int ret;

	ret = keyring_description(serial, identity);
	if (ret)
		return ret;
	ret = ktls_keyring_read(serial, key, len);
	if (ret) {
		free(*identity);
		*identity = NULL;
	}
	return ret;
}

KTLS_EXPORT void ktls_keyring_psk_free(char *identity, void *key, size_t len)
{
	free(identity);
	ktls_keyring_free(key, len);
}

KTLS_EXPORT int ktls_config_add_psk_keyring(struct ktls_config *cfg,
					    int32_t serial)
{
	char *identity = NULL;
	void *key = NULL;
	size_t len = 0;
	int ret;

	ret = keyring_config_writable(cfg);
	if (ret)
		return ret;
	ret = ktls_keyring_psk(serial, &identity, &key, &len);
	if (ret)
		return ret;
	ret = ktls_config_add_psk(cfg, identity, key, len);
	if (ret == -EINVAL)
		ret = -EKEYREJECTED;	/* a key longer than a PSK can be */
	ktls_keyring_psk_free(identity, key, len);
	return ret;
}

static int keyring_walk(int32_t ring, int depth, ktls_keyring_psk_fn fn,
			void *arg)
{
	key_serial_t *keys = NULL;
	long n, i;
	int count = 0, ret = 0;

	n = keyctl_read_alloc(ring, (void **)&keys);
	if (n < 0)
		return errno ? -errno : -EIO;
	n /= sizeof(*keys);
	for (i = 0; i < n && ret >= 0; i++) {
		char *type, *identity;
		void *key;
		size_t len;

		if (keyring_describe(keys[i], &type, &identity))
			continue;	/* not ours to see */
		if (!strcmp(type, "psk") &&
		    !ktls_keyring_read(keys[i], &key, &len)) {
			ret = fn(keys[i], identity, key, len, arg);
			ktls_keyring_free(key, len);
			count++;
		} else if (!strcmp(type, "keyring") && depth > 0) {
			int sub = keyring_walk(keys[i], depth - 1, fn, arg);

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

KTLS_EXPORT int ktls_keyring_for_each_psk(int32_t ring, ktls_keyring_psk_fn fn,
					  void *arg)
{
	return keyring_walk(ring, 1, fn, arg);
}
