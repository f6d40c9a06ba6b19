// SPDX-License-Identifier: GPL-2.0-or-later
/* Building libktls configurations from tlshd's configuration file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ktls.h>

#include "config.h"
#include "creds.h"
#include "log.h"

static const char *tlshd_creds_section(int server)
{
	return server ? "authenticate.server" : "authenticate.client";
}

/*
 * "FILE:LINE: [section] key VALUE: cause". A file that can't be read is
 * the likeliest cause, so check that first; GnuTLS only says "file error".
 */
static void tlshd_creds_err(char *err, size_t errlen,
			    const struct tlshd_config *cfg, int server,
			    const char *key, const char *value, int ret,
			    const char *bad)
{
	char where[512];
	const char *why;

	if (value && access(value, R_OK) < 0)
		why = strerror(errno);
	else if (ret == -ENOENT)
		why = "no certificate found in it";
	else if (ret == -EINVAL)
		why = bad;
	else
		why = strerror(-ret);
	tlshd_config_where(cfg, tlshd_creds_section(server), key, where,
			   sizeof(where));
	snprintf(err, errlen, "%s: [%s] %s %s: %s", where,
		 tlshd_creds_section(server), key,
		 value ? value : "(system trust store)", why);
}

/* A certificate and key: blame the one that can't be read, if any. */
static void tlshd_creds_pair_err(char *err, size_t errlen,
				 const struct tlshd_config *cfg, int server,
				 int pq, const char *cert, const char *key,
				 int ret)
{
	const char *cert_key = pq ? "x509.pq.certificate" : "x509.certificate";
	const char *key_key = pq ? "x509.pq.private_key" : "x509.private_key";

	if (access(cert, R_OK) == 0 && access(key, R_OK) < 0)
		tlshd_creds_err(err, errlen, cfg, server, key_key, key, ret,
				"");
	else
		tlshd_creds_err(err, errlen, cfg, server, cert_key, cert, ret,
				"not a PEM certificate with the matching private key in the private key file");
}

/*
 * Trust anchors and CRL. A client always verifies the server: with the
 * configured anchors or the system's. A server asks for a client
 * certificate only when it has anchors to check one against.
 */
static int tlshd_creds_trust(struct ktls_config *kc,
			     const struct tlshd_config *cfg, int server,
			     char *err, size_t errlen)
{
	const struct tlshd_config_x509 *x = server ? &cfg->server :
						     &cfg->client;
	int ret;

	if (server && !x->truststore) {
		if (cfg->require_client_cert > 0) {
			char where[512];

			tlshd_config_where(cfg, "authenticate.server",
					   "require_client_cert", where,
					   sizeof(where));
			snprintf(err, errlen,
				 "%s: [authenticate.server] require_client_cert needs x509.truststore to check certificates against",
				 where);
			return -EINVAL;
		}
		ktls_config_set_verify(kc, KTLS_VERIFY_NONE);
		return 0;
	}
	ret = ktls_config_set_trust_file(kc, x->truststore);
	if (ret) {
		tlshd_creds_err(err, errlen, cfg, server, "x509.truststore",
				x->truststore, ret, "not PEM certificates");
		return ret;
	}
	if (x->crl) {
		ret = ktls_config_set_crl_file(kc, x->crl);
		if (ret) {
			tlshd_creds_err(err, errlen, cfg, server, "x509.crl",
					x->crl, ret, "not a PEM CRL");
			return ret;
		}
	}
	if (server)
		ktls_config_set_verify(kc, cfg->require_client_cert > 0 ?
					   KTLS_VERIFY_REQUIRED :
					   KTLS_VERIFY_OPTIONAL);
	return 0;
}

/* [tlshd] min_version, ciphers, groups, allow_rsa_kx; the parser checked them. */
static int tlshd_creds_policy_new(const struct tlshd_config *cfg, int server,
				  struct ktls_config **out, char *err,
				  size_t errlen)
{
	struct ktls_config *kc;
	int ret;

	ret = ktls_config_new(&kc, server ? KTLS_ROLE_SERVER : KTLS_ROLE_CLIENT);
	if (ret) {
		snprintf(err, errlen, "cannot create a TLS configuration: %s",
			 strerror(-ret));
		return ret;
	}
	if (cfg->min_version) {
		ret = ktls_config_set_versions(kc, cfg->min_version,
					       KTLS_VERSION_1_3);
		if (ret) {
			snprintf(err, errlen, "[tlshd] min_version: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	if (cfg->ciphers) {
		ret = ktls_config_set_ciphers(kc, cfg->ciphers);
		if (ret) {
			snprintf(err, errlen, "[tlshd] ciphers: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	if (cfg->groups) {
		ret = ktls_config_set_groups(kc, cfg->groups);
		if (ret) {
			snprintf(err, errlen, "[tlshd] groups: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	ktls_config_allow_rsa_kx(kc, cfg->allow_rsa_kx > 0);
	*out = kc;
	return 0;
fail:
	ktls_config_put(kc);
	return ret;
}

/* GnuTLS 3.8.9 and later know ML-DSA; Debian 12's 3.7.9 does not. */
static int tlshd_creds_have_pq(void)
{
	return gnutls_pk_get_id("ML-DSA-65") != GNUTLS_PK_UNKNOWN;
}

static const char *tlshd_creds_pq(const struct tlshd_config *cfg, int server,
				  int key)
{
	if (server)
		return key ? cfg->server_pq_private_key :
			     cfg->server_pq_certificate;
	return key ? cfg->client_pq_private_key : cfg->client_pq_certificate;
}

static int tlshd_creds_new(struct ktls_config **out,
			   const struct tlshd_config *cfg, int server,
			   int with_cert, char *err, size_t errlen)
{
	const struct tlshd_config_x509 *x = server ? &cfg->server :
						     &cfg->client;
	const char *pq_cert = tlshd_creds_pq(cfg, server, 0);
	const char *pq_key = tlshd_creds_pq(cfg, server, 1);
	struct ktls_config *kc;
	int ret;

	ret = tlshd_creds_policy_new(cfg, server, &kc, err, errlen);
	if (ret)
		return ret;
	ret = tlshd_creds_trust(kc, cfg, server, err, errlen);
	if (ret)
		goto fail;
	if (with_cert && x->certificate) {
		ret = ktls_config_set_cert_files(kc, x->certificate,
						 x->private_key);
		if (ret) {
			tlshd_creds_pair_err(err, errlen, cfg, server, 0,
					     x->certificate, x->private_key,
					     ret);
			goto fail;
		}
	}
	/* A second key pair: GnuTLS picks by what the peer can verify. */
	if (with_cert && pq_cert && tlshd_creds_have_pq()) {
		ret = ktls_config_set_cert_files(kc, pq_cert, pq_key);
		if (ret) {
			tlshd_creds_pair_err(err, errlen, cfg, server, 1,
					     pq_cert, pq_key, ret);
			goto fail;
		}
	}
	*out = kc;
	return 0;
fail:
	ktls_config_put(kc);
	return ret;
}

static int tlshd_creds_check_pair(const struct tlshd_config *cfg,
				  int server, char *err, size_t errlen)
{
	const struct tlshd_config_x509 *x = server ? &cfg->server :
						     &cfg->client;
	const char *pq_cert = tlshd_creds_pq(cfg, server, 0);
	const char *pq_key = tlshd_creds_pq(cfg, server, 1);

	char where[512];
	const char *set;

	if (!!x->certificate != !!x->private_key) {
		set = x->certificate ? "x509.certificate" : "x509.private_key";
		tlshd_config_where(cfg, tlshd_creds_section(server), set,
				   where, sizeof(where));
		snprintf(err, errlen,
			 "%s: [%s] x509.certificate and x509.private_key go together; only %s is set",
			 where, tlshd_creds_section(server), set);
		return -EINVAL;
	}
	if (!!pq_cert != !!pq_key) {
		set = pq_cert ? "x509.pq.certificate" : "x509.pq.private_key";
		tlshd_config_where(cfg, tlshd_creds_section(server), set,
				   where, sizeof(where));
		snprintf(err, errlen,
			 "%s: [%s] x509.pq.certificate and x509.pq.private_key go together; only %s is set",
			 where, tlshd_creds_section(server), set);
		return -EINVAL;
	}
	if (pq_cert && !tlshd_creds_have_pq()) {
		tlshd_config_where(cfg, tlshd_creds_section(server),
				   "x509.pq.certificate", where, sizeof(where));
		tlshd_notice("%s: [%s] x509.pq.certificate and x509.pq.private_key ignored: GnuTLS %s has no ML-DSA (post-quantum) signatures",
			     where, tlshd_creds_section(server),
			     gnutls_check_version(NULL));
	}
	return 0;
}

/* A certificate to present: the classical one, or a usable PQ one. */
static int tlshd_creds_has_cert(const struct tlshd_config *cfg, int server)
{
	const struct tlshd_config_x509 *x = server ? &cfg->server :
						     &cfg->client;

	return x->certificate ||
	       (tlshd_creds_pq(cfg, server, 0) && tlshd_creds_have_pq());
}

/* A credential that cannot be loaded: say why, and go on without it. */
static void tlshd_creds_unavailable(char *slot, size_t len, const char *what,
				    const char *err)
{
	snprintf(slot, len, "%s", err);
	tlshd_warn("%s; %s fail with ENOKEY until a reload (SIGHUP or SIGUSR1) loads it",
		   err, what);
}

int tlshd_creds_load(struct tlshd_creds *creds,
		     const struct tlshd_config *cfg, char *err, size_t errlen)
{
	char why[1024];
	int ret, side;

	memset(creds, 0, sizeof(*creds));
	creds->cfg = cfg;
	/* The policy alone must build: it does not depend on any file. */
	ret = tlshd_creds_policy_new(cfg, 0, &creds->client_anon, err, errlen);
	if (ret)
		return ret;
	ktls_config_put(creds->client_anon);
	creds->client_anon = NULL;

	ret = tlshd_creds_new(&creds->client_anon, cfg, 0, 0, why,
			      sizeof(why));
	if (ret)
		tlshd_creds_unavailable(creds->client_anon_err,
					sizeof(creds->client_anon_err),
					"client handshakes", why);
	for (side = 0; side < 2; side++) {
		struct ktls_config **kc = side ? &creds->server_x509 :
						 &creds->client_x509;
		char *slot = side ? creds->server_x509_err :
				    creds->client_x509_err;
		const char *what = side ? "server handshakes" :
				   "client handshakes with x509 authentication";

		if (tlshd_creds_check_pair(cfg, side, why, sizeof(why))) {
			tlshd_creds_unavailable(slot, sizeof(creds->client_x509_err),
						what, why);
			continue;
		}
		if (!tlshd_creds_has_cert(cfg, side))
			continue;
		if (tlshd_creds_new(kc, cfg, side, 1, why, sizeof(why)))
			tlshd_creds_unavailable(slot, sizeof(creds->client_x509_err),
						what, why);
	}
	if (cfg->allow_rsa_kx > 0)
		tlshd_notice("[tlshd] allow_rsa_kx=true: TLS 1.2 RSA key exchange (no forward secrecy) is allowed; each use is logged");
	/* Failing safe: the weaker mode is simply never offered. */
	if (cfg->psk_ke > 0)
		tlshd_notice("[resumption] psk_ke=true: not supported yet; resumed TLS 1.3 sessions always run a new (EC)DHE exchange (psk_dhe_ke)");
	return 0;
}

void tlshd_creds_freeze(struct tlshd_creds *creds)
{
	struct ktls_config *kc[] = {
		creds->client_anon, creds->client_x509, creds->server_x509,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(kc) / sizeof(kc[0]); i++) {
		if (!kc[i])
			continue;
		ret = ktls_config_freeze(kc[i]);
		if (ret)
			tlshd_warn("preparing credentials: %s; the handshakes that need them will fail",
				   strerror(-ret));
	}
}

static void tlshd_creds_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Each certificate in one file (PEM, several, or one DER). */
static void tlshd_creds_check_file(const struct tlshd_config *cfg, int server,
				   const char *key, const char *path,
				   int invalid_is_error)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0, i;
	gnutls_datum_t data = { NULL, 0 };
	time_t now = time(NULL);
	char where[512];

	if (!path || gnutls_load_file(path, &data) < 0)
		return;	/* tlshd_creds_load says why */
	if (gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM,
					 0) < 0 &&
	    gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_DER,
					 0) < 0)
		goto out;
	tlshd_config_where(cfg, tlshd_creds_section(server), key, where,
			   sizeof(where));
	for (i = 0; i < n; i++) {
		gnutls_datum_t dn = { NULL, 0 };
		time_t act = gnutls_x509_crt_get_activation_time(crts[i]);
		time_t exp = gnutls_x509_crt_get_expiration_time(crts[i]);
		const char *subject = "?";
		char date[40];

		if (gnutls_x509_crt_get_dn3(crts[i], &dn, 0) == 0)
			subject = (const char *)dn.data;
		if (exp != (time_t)-1 && exp < now) {
			tlshd_creds_date(exp, date, sizeof(date));
			tlshd_log(invalid_is_error ? LOG_ERR : LOG_WARNING,
				  "%s: [%s] %s %s: certificate \"%s\" expired on %s",
				  where, tlshd_creds_section(server), key, path,
				  subject, date);
		} else if (act != (time_t)-1 && act > now) {
			tlshd_creds_date(act, date, sizeof(date));
			tlshd_log(invalid_is_error ? LOG_ERR : LOG_WARNING,
				  "%s: [%s] %s %s: certificate \"%s\" is not valid before %s",
				  where, tlshd_creds_section(server), key, path,
				  subject, date);
		} else if (exp != (time_t)-1 &&
			   exp - now < TLSHD_CREDS_EXPIRY_DAYS * 86400L) {
			tlshd_creds_date(exp, date, sizeof(date));
			tlshd_warn("%s: [%s] %s %s: certificate \"%s\" expires on %s, in %ld days",
				   where, tlshd_creds_section(server), key,
				   path, subject, date,
				   (long)((exp - now) / 86400));
		}
		gnutls_free(dn.data);
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
out:
	gnutls_free(data.data);
}

void tlshd_creds_check_lifetimes(const struct tlshd_config *cfg,
				 int invalid_is_error)
{
	int side;

	for (side = 0; side < 2; side++) {
		const struct tlshd_config_x509 *x = side ? &cfg->server :
							   &cfg->client;

		tlshd_creds_check_file(cfg, side, "x509.truststore",
				       x->truststore, invalid_is_error);
		tlshd_creds_check_file(cfg, side, "x509.certificate",
				       x->certificate, invalid_is_error);
		tlshd_creds_check_file(cfg, side, "x509.pq.certificate",
				       tlshd_creds_pq(cfg, side, 0),
				       invalid_is_error);
	}
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

int tlshd_creds_config_new(const struct tlshd_creds *creds, int server,
			   struct ktls_config **out, char *err, size_t errlen)
{
	return tlshd_creds_policy_new(creds->cfg, server, out, err, errlen);
}

int tlshd_creds_from_keys(const struct tlshd_creds *creds, int server,
			  uint32_t cert_serial, uint32_t key_serial,
			  struct ktls_config **out, char *err, size_t errlen)
{
	struct ktls_config *kc = NULL;
	int ret;

	/* A trust store that cannot be loaded: a missing credential. */
	ret = tlshd_creds_new(&kc, creds->cfg, server, 0, err, errlen);
	if (ret)
		return ret == -ENOMEM ? ret : -ENOKEY;
	/* libktls reads both keys, wipes them, and checks the pair. */
	ret = ktls_config_set_cert_keyring(kc, (int32_t)cert_serial,
					   (int32_t)key_serial);
	if (ret == -EKEYREJECTED) {
		snprintf(err, errlen,
			 "keys %u/%u are not a DER certificate and private key: %s",
			 cert_serial, key_serial, strerror(-ret));
	} else if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory loading keys %u/%u",
			 cert_serial, key_serial);
	} else if (ret) {
		snprintf(err, errlen,
			 "cannot read certificate key %u or private key %u: %s",
			 cert_serial, key_serial, strerror(-ret));
		ret = -ENOKEY;
	}
	if (ret) {
		ktls_config_put(kc);
		return ret;
	}
	*out = kc;
	return 0;
}
