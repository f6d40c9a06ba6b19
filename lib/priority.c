// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The GnuTLS priority string: only AEAD ciphers the running kernel's kTLS
 * accepts, TLS 1.2 at least, forward-secret key exchange unless the config
 * opts in to RSA key exchange. No CBC, no SHA1 MAC: -MAC-ALL:+AEAD.
 * A server chooses by its own order (%SERVER_PRECEDENCE): AES-128-GCM,
 * AES-256-GCM, ChaCha20-Poly1305, AES-128-CCM; ECDHE before DHE; the
 * groups in the config's order, X25519 and P-256 first by default
 * (groups.c), for certificates and for PSK (psk_dhe_ke) alike.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls-internal.h"

static int priority_add(char *buf, size_t len, size_t *pos, const char *s)
{
	int n = snprintf(buf + *pos, len - *pos, "%s", s);

	if (n < 0 || (size_t)n >= len - *pos)
		return -ENOSPC;
	*pos += n;
	return 0;
}

int ktls_priority_build(const struct ktls_config *cfg, int psk, char *buf,
			size_t len)
{
	unsigned int ciphers = cfg->offered ? cfg->offered : cfg->ciphers;
	int cert_kx = !psk;
	int psk_kx = psk || (cfg->role == KTLS_ROLE_SERVER && cfg->psks);
	const struct ktls_cipher_desc *d;
	size_t pos = 0, i;
	int ret;

	ret = priority_add(buf, len, &pos, "NORMAL:-VERS-ALL");
	if (!ret)
		ret = ktls_groups_priority(cfg, buf, len, &pos);
	/* A server picks by its own order (scanners rate "client's" as weak). */
	if (cfg->role == KTLS_ROLE_SERVER && !ret)
		ret = priority_add(buf, len, &pos, ":%SERVER_PRECEDENCE");
	if (cfg->max_version >= KTLS_VERSION_1_3 && !ret)
		ret = priority_add(buf, len, &pos, ":+VERS-TLS1.3");
	if (cfg->min_version <= KTLS_VERSION_1_2 && !ret)
		ret = priority_add(buf, len, &pos, ":+VERS-TLS1.2");
	if (!ret)
		ret = priority_add(buf, len, &pos, ":-CIPHER-ALL");
	/* The table's names are GnuTLS's, in a server's order. */
	for (i = 0; (d = ktls_cipher_desc_at(i)); i++) {
		if (!(ciphers & d->bit) || ret)
			continue;
		ret = priority_add(buf, len, &pos, ":+");
		if (!ret)
			ret = priority_add(buf, len, &pos, d->name);
	}
	if (!ret)
		ret = priority_add(buf, len, &pos, ":-MAC-ALL:+AEAD:-KX-ALL");
	if (cert_kx && !ret)
		ret = priority_add(buf, len, &pos,
				   ":+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA");
	if (cert_kx && cfg->allow_rsa_kx && !ret)
		ret = priority_add(buf, len, &pos, ":+RSA");
	if (psk_kx && !ret)
		ret = priority_add(buf, len, &pos, ":+ECDHE-PSK:+DHE-PSK");
	if (psk_kx && cfg->allow_rsa_kx && !ret)
		ret = priority_add(buf, len, &pos, ":+PSK");
	return ret;
}
