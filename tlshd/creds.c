// SPDX-License-Identifier: GPL-2.0-or-later
/* Building libktls configurations from tlshd's configuration file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ktls.h>

#include "config.h"
#include "creds.h"
#include "keyring.h"

static const char *tlshd_creds_why(int err)
{
	return err == -ENOENT ? "no certificate found" : strerror(-err);
}

static const char *tlshd_creds_section(int server)
{
	return server ? "[authenticate.server]" : "[authenticate.client]";
}

/*
 * Trust anchors and CRL. A client always verifies the server: with the
 * configured anchors or the system's. A server asks for a client
 * certificate only when it has anchors to check one against.
 */
static int tlshd_creds_trust(struct ktls_config *kc,
			     const struct tlshd_config_x509 *x, int server,
			     char *err, size_t errlen)
{
	int ret;

	if (server && !x->truststore) {
		ktls_config_set_verify(kc, KTLS_VERIFY_NONE);
		return 0;
	}
	ret = ktls_config_set_trust_file(kc, x->truststore);
	if (ret) {
		snprintf(err, errlen, "%s x509.truststore %s: %s",
			 tlshd_creds_section(server),
			 x->truststore ? x->truststore : "(system trust store)",
			 tlshd_creds_why(ret));
		return ret;
	}
	if (x->crl) {
		ret = ktls_config_set_crl_file(kc, x->crl);
		if (ret) {
			snprintf(err, errlen, "%s x509.crl %s: %s",
				 tlshd_creds_section(server), x->crl,
				 strerror(-ret));
			return ret;
		}
	}
	if (server)
		ktls_config_set_verify(kc, KTLS_VERIFY_OPTIONAL);
	return 0;
}

static int tlshd_creds_new(struct ktls_config **out,
			   const struct tlshd_config_x509 *x, int server,
			   int with_cert, char *err, size_t errlen)
{
	struct ktls_config *kc;
	int ret;

	ret = ktls_config_new(&kc, server ? KTLS_ROLE_SERVER : KTLS_ROLE_CLIENT);
	if (ret) {
		snprintf(err, errlen, "cannot create a TLS configuration: %s",
			 strerror(-ret));
		return ret;
	}
	ret = tlshd_creds_trust(kc, x, server, err, errlen);
	if (ret)
		goto fail;
	if (with_cert) {
		ret = ktls_config_set_cert_files(kc, x->certificate,
						 x->private_key);
		if (ret) {
			snprintf(err, errlen,
				 "%s x509.certificate %s / x509.private_key %s: %s",
				 tlshd_creds_section(server), x->certificate,
				 x->private_key, tlshd_creds_why(ret));
			goto fail;
		}
	}
	*out = kc;
	return 0;
fail:
	ktls_config_put(kc);
	return ret;
}

static int tlshd_creds_check_pair(const struct tlshd_config_x509 *x,
				  int server, char *err, size_t errlen)
{
	if (!!x->certificate == !!x->private_key)
		return 0;
	snprintf(err, errlen,
		 "%s x509.certificate and x509.private_key go together; only %s is set",
		 tlshd_creds_section(server),
		 x->certificate ? "x509.certificate" : "x509.private_key");
	return -EINVAL;
}

int tlshd_creds_load(struct tlshd_creds *creds,
		     const struct tlshd_config *cfg, char *err, size_t errlen)
{
	const struct tlshd_config_x509 *x = &cfg->client;
	int ret;

	memset(creds, 0, sizeof(*creds));
	creds->cfg = cfg;
	ret = tlshd_creds_check_pair(x, 0, err, errlen);
	if (!ret)
		ret = tlshd_creds_check_pair(&cfg->server, 1, err, errlen);
	if (ret)
		return ret;
	ret = tlshd_creds_new(&creds->client_anon, x, 0, 0, err, errlen);
	if (ret)
		return ret;
	if (x->certificate) {
		ret = tlshd_creds_new(&creds->client_x509, x, 0, 1, err,
				      errlen);
		if (ret)
			goto fail;
	}
	if (cfg->server.certificate) {
		ret = tlshd_creds_new(&creds->server_x509, &cfg->server, 1, 1,
				      err, errlen);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	tlshd_creds_free(creds);
	return ret;
}

void tlshd_creds_free(struct tlshd_creds *creds)
{
	ktls_config_put(creds->client_anon);
	ktls_config_put(creds->client_x509);
	ktls_config_put(creds->server_x509);
	creds->client_anon = NULL;
	creds->client_x509 = NULL;
	creds->server_x509 = NULL;
}

int tlshd_creds_from_keys(const struct tlshd_creds *creds, int server,
			  uint32_t cert_serial, uint32_t key_serial,
			  struct ktls_config **out, char *err, size_t errlen)
{
	void *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	struct ktls_config *kc = NULL;
	const void *certs[1];
	int ret;

	ret = tlshd_keyring_read(cert_serial, &cert, &cert_len);
	if (ret) {
		snprintf(err, errlen, "cannot read certificate key %u: %s",
			 cert_serial, strerror(-ret));
		return -ENOKEY;
	}
	ret = tlshd_keyring_read(key_serial, &key, &key_len);
	if (ret) {
		snprintf(err, errlen, "cannot read private key %u: %s",
			 key_serial, strerror(-ret));
		ret = -ENOKEY;
		goto out;
	}
	ret = tlshd_creds_new(&kc, server ? &creds->cfg->server :
					    &creds->cfg->client,
			      server, 0, err, errlen);
	if (ret)
		goto out;
	certs[0] = cert;
	ret = ktls_config_set_cert_der(kc, certs, &cert_len, 1, key, key_len);
	if (ret) {
		snprintf(err, errlen,
			 "keys %u/%u are not a DER certificate and private key: %s",
			 cert_serial, key_serial, strerror(-ret));
		ret = -EKEYREJECTED;
		goto out;
	}
	*out = kc;
	kc = NULL;
out:
	ktls_config_put(kc);
	tlshd_keyring_free(cert, cert_len);
	tlshd_keyring_free(key, key_len);
	return ret;
}
