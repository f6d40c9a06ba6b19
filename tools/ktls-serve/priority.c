// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --priority: which of libktls's versions and ciphers to offer. It goes
 * through libktls's own setters (ktls_config_set_versions, _set_ciphers),
 * which know only the secure set, and libktls still ANDs in what the
 * kernel's kTLS can take: the option can only narrow the defaults. It is
 * not a GnuTLS priority string, on purpose: one of those could widen them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve.h"

static int priority_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(p, word, n);
}

int priority_apply(struct ktls_config *cfg, const char *str, int ktls,
		   char *err, size_t errlen)
{
	const char *p = str, *end;
	uint16_t vmin = 0, vmax = 0, v;
	unsigned int ciphers = 0, bit;
	size_t n;
	int ret;

	while (*p) {
		end = p + strcspn(p, ":,");
		n = end - p;
		if (n && *p == '+') {
			p++;
			n--;
		}
		if (n > 5 && !strncasecmp(p, "VERS-", 5)) {
			p += 5;
			n -= 5;
		}
		v = priority_is(p, n, "TLS1.2") ? KTLS_VERSION_1_2 :
		    priority_is(p, n, "TLS1.3") ? KTLS_VERSION_1_3 : 0;
		bit = v ? 0 : ktls_cipher_parse(p, n);
		if (v) {
			if (!vmin || v < vmin)
				vmin = v;
			if (v > vmax)
				vmax = v;
		} else if (bit) {
			ciphers |= bit;
		} else if (n) {
			snprintf(err, errlen, "'%.*s' is neither TLS1.2, TLS1.3 nor a cipher libktls offers (AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CCM)",
				 (int)n, p);
			return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	if (!vmin && !ciphers) {
		snprintf(err, errlen, "names no version and no cipher");
		return -EINVAL;
	}
	if (vmin) {
		ret = ktls_config_set_versions(cfg, vmin, vmax);
		if (ret) {
			snprintf(err, errlen, "libktls refuses the versions: %s",
				 strerror(-ret));
			return ret;
		}
	}
	/* libktls would AND them away, and every handshake would fail. */
	if (ciphers && ktls && !(ciphers & ktls_kernel_ciphers())) {
		snprintf(err, errlen, "none of its ciphers is one this kernel's kTLS takes");
		return -EOPNOTSUPP;
	}
	if (ciphers) {
		ret = ktls_config_set_ciphers(cfg, ciphers);
		if (ret) {
			snprintf(err, errlen, "libktls refuses the ciphers: %s",
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}
