// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Would tlshd accept this server with its default policy? TLS 1.2 or
 * 1.3, forward-secret key exchange (ECDHE or DHE; RSA key exchange only
 * with [tlshd] allow_rsa_kx), a chain that verifies, and a cipher the
 * running kernel's kTLS takes (when it has kTLS at all).
 */
#include <stdio.h>
#include <string.h>

#include <ktls.h>

#include "probe.h"

static int verdict_forward_secret(const struct probe_hs *hs)
{
	return strstr(hs->kx, "DHE") != NULL;
}

void probe_tlshd_verdict(struct probe_report *r)
{
	const size_t len = sizeof(r->tlshd_reason);
	char *why = r->tlshd_reason;

	r->tlshd_accepts = 0;
	if (!r->modern.ok) {
		if (r->legacy.ok)
			snprintf(why, len, "the server offers only %s; tlshd needs TLS 1.2 or 1.3",
				 r->legacy.version);
		else
			snprintf(why, len, "no TLS 1.2 or 1.3 handshake: %s",
				 r->modern.error);
	} else if (!verdict_forward_secret(&r->modern)) {
		snprintf(why, len, "the server offers only %s key exchange (no forward secrecy); tlshd allows it only with [tlshd] allow_rsa_kx=true",
			 r->modern.kx);
	} else if (!r->trusted) {
		snprintf(why, len, "its certificate chain does not verify: %s",
			 r->verify_status);
	} else if (r->kernel_ciphers && !(r->kernel_ciphers &
					  r->modern.ktls_cipher)) {
		snprintf(why, len, "it negotiates %s, which this kernel's kTLS does not take",
			 r->modern.cipher);
	} else {
		r->tlshd_accepts = 1;
		why[0] = '\0';
	}
}
