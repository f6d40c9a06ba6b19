// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server's certificate chain: who each certificate names, who signed
 * it, when it is valid, and whether the whole chain verifies against the
 * trust anchors for the name we asked for. The handshake itself never
 * verifies, so an expired or untrusted chain is still described.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <gnutls/x509.h>

#include "probe.h"

int probe_creds(const struct probe_opts *o,
		gnutls_certificate_credentials_t *cred, int trust)
{
	int ret;

	if (gnutls_certificate_allocate_credentials(cred) < 0) {
		*cred = NULL;
		return -ENOMEM;
	}
	if (!trust)
		return 0;
	if (o->ca)
		ret = gnutls_certificate_set_x509_trust_file(*cred, o->ca,
							    GNUTLS_X509_FMT_PEM);
	else
		ret = gnutls_certificate_set_x509_system_trust(*cred);
	if (ret > 0)
		return 0;
	return ret == 0 ? -ENOENT : -EINVAL;
}

static void chain_dn(gnutls_x509_crt_t crt, int issuer, char *buf, size_t len)
{
	gnutls_datum_t dn = { NULL, 0 };
	int ret;

	ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
		       gnutls_x509_crt_get_dn3(crt, &dn, 0);
	if (ret < 0)
		snprintf(buf, len, "(unreadable)");
	else
		snprintf(buf, len, "%.*s", (int)dn.size, dn.data);
	gnutls_free(dn.data);
}

static void chain_one(const gnutls_datum_t *der, time_t now,
		      struct probe_cert *c)
{
	gnutls_x509_crt_t crt;

	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		snprintf(c->subject, sizeof(c->subject), "(not X.509 DER)");
		goto out;
	}
	chain_dn(crt, 0, c->subject, sizeof(c->subject));
	chain_dn(crt, 1, c->issuer, sizeof(c->issuer));
	c->not_before = gnutls_x509_crt_get_activation_time(crt);
	c->not_after = gnutls_x509_crt_get_expiration_time(crt);
	c->expired = c->not_after != (time_t)-1 && c->not_after < now;
	c->not_yet_valid = c->not_before != (time_t)-1 && c->not_before > now;
out:
	gnutls_x509_crt_deinit(crt);
}

/* GnuTLS ends its status text with a blank. */
static void chain_trim(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = 0;
}

static void chain_verify(gnutls_session_t gs, struct probe_report *r)
{
	gnutls_datum_t out = { NULL, 0 };
	unsigned int status = 0;
	int ret;

	ret = gnutls_certificate_verify_peers3(gs, r->verify_name, &status);
	if (ret < 0) {
		snprintf(r->verify_status, sizeof(r->verify_status), "%s",
			 gnutls_strerror(ret));
		return;
	}
	r->trusted = status == 0;
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
							 &out, 0) < 0)
		snprintf(r->verify_status, sizeof(r->verify_status),
			 "status 0x%x", status);
	else
		snprintf(r->verify_status, sizeof(r->verify_status), "%.*s",
			 (int)out.size, out.data);
	gnutls_free(out.data);
	chain_trim(r->verify_status);
}

void probe_chain(gnutls_session_t gs, const struct probe_opts *o,
		 struct probe_report *r)
{
	const gnutls_datum_t *peers;
	unsigned int n = 0, i;
	time_t now = time(NULL);

	peers = gnutls_certificate_get_peers(gs, &n);
	r->total_certs = peers ? n : 0;
	for (i = 0; i < r->total_certs && i < PROBE_MAX_CERTS; i++)
		chain_one(&peers[i], now, &r->certs[i]);
	r->ncerts = i;
	if (!r->total_certs) {
		snprintf(r->verify_status, sizeof(r->verify_status),
			 "the server sent no certificate");
		return;
	}
	chain_verify(gs, r);
}
