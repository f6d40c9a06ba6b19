// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Credentials for every handshake of a run: a server certificate and key,
 * and the anchor clients verify it against (name "localhost" or --peername).
 * Without --cert/--key, a self-signed certificate is made at start and
 * written to the temporary directory, so that libktls, plain GnuTLS and
 * tlshd all load the same files. Plain GnuTLS sessions get the priority
 * string libktls would build for the same cipher and version, so the
 * baselines negotiate exactly what the kTLS paths do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "bench.h"

static int creds_write(const char *path, const gnutls_datum_t *d)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(d->data, 1, d->size, f) == d->size;
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

static int creds_generate(struct bench_ctx *ctx, struct creds_set *cs,
			  const char *type, int idx, char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cpem = { 0 }, kpem = { 0 };
	unsigned char ip[4] = { 127, 0, 0, 1 }, serial[8];
	int rsa = !strcmp(type, "rsa");
	time_t now = time(NULL);
	const char *name = ctx->o->peername;
	int ret = -EIO;

	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(key, rsa ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
					 rsa ? 2048 : GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
					 0) < 0) {
		snprintf(err, errlen, "cannot generate a %s key", type);
		goto out;
	}
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		goto out;
	serial[0] &= 0x7f;
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 7 * 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  name, strlen(name)) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						 strlen(name), GNUTLS_FSAN_SET) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
						 sizeof(ip), GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
					  GNUTLS_KEY_KEY_CERT_SIGN |
					  (rsa ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0)) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0 ||
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem) < 0) {
		snprintf(err, errlen, "cannot make a self-signed certificate");
		goto out;
	}
	snprintf(cs->cert_file, sizeof(cs->cert_file), "%s/ktls-bench-%d-%d.crt",
		 ctx->o->tmpdir, (int)getpid(), idx);
	snprintf(cs->key_file, sizeof(cs->key_file), "%s/ktls-bench-%d-%d.key",
		 ctx->o->tmpdir, (int)getpid(), idx);
	memcpy(cs->ca_file, cs->cert_file, sizeof(cs->ca_file));
	cs->generated = 1;
	ret = creds_write(cs->cert_file, &cpem);
	if (!ret)
		ret = creds_write(cs->key_file, &kpem);
	if (ret)
		snprintf(err, errlen, "cannot write to %s: %s", ctx->o->tmpdir,
			 strerror(-ret));
out:
	if (kpem.data) {
		gnutls_memset(kpem.data, 0, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return ret;
}

/*
 * One set: the given files, or a self-signed certificate of that type.
 * Clients trust ca (else the certificate itself).
 */
static int creds_load_set(struct bench_ctx *ctx, int idx, const char *type,
			  const char *cert, const char *key, const char *ca)
{
	struct creds_set *cs = &ctx->sets[idx];
	char err[256] = "";
	int ret;

	if (cert) {
		snprintf(cs->cert_file, sizeof(cs->cert_file), "%s", cert);
		snprintf(cs->key_file, sizeof(cs->key_file), "%s", key);
		snprintf(cs->ca_file, sizeof(cs->ca_file), "%s", ca ? ca : cert);
	} else {
		ret = creds_generate(ctx, cs, type, idx, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "ktls-bench: %s\n", err);
			return ret;
		}
	}
	cs->loaded = 1;
	if (gnutls_certificate_allocate_credentials(&cs->srv_cred) < 0 ||
	    gnutls_certificate_allocate_credentials(&cs->cli_cred) < 0)
		return -ENOMEM;
	ret = gnutls_certificate_set_x509_key_file2(cs->srv_cred, cs->cert_file,
						    cs->key_file,
						    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret < 0) {
		fprintf(stderr, "ktls-bench: cannot load %s / %s: %s\n",
			cs->cert_file, cs->key_file, gnutls_strerror(ret));
		return -EINVAL;
	}
	gnutls_certificate_set_known_dh_params(cs->srv_cred,
					       GNUTLS_SEC_PARAM_MEDIUM);
	ret = gnutls_certificate_set_x509_trust_file(cs->cli_cred, cs->ca_file,
						     GNUTLS_X509_FMT_PEM);
	if (ret <= 0) {
		fprintf(stderr, "ktls-bench: no trust anchor in %s\n", cs->ca_file);
		return -EINVAL;
	}
	/*
	 * As tlshd with no x509.truststore: the whole system store, loaded
	 * once. Its size is what makes a per-handshake reload expensive.
	 */
	if (ctx->o->system_trust) {
		ret = gnutls_certificate_set_x509_system_trust(cs->cli_cred);
		if (ret <= 0) {
			fprintf(stderr, "ktls-bench: --system-trust: %s\n",
				ret < 0 ? gnutls_strerror(ret) :
				"the system trust store is empty");
			return -EINVAL;
		}
		ctx->o->system_cas = ret;
	}
	return 0;
}

int creds_load(struct bench_ctx *ctx)
{
	int ret;

	ret = creds_load_set(ctx, 0, ctx->o->key_type, ctx->o->cert,
			     ctx->o->key, ctx->o->ca);
	if (ret)
		return ret;
	creds_use(ctx, NULL);
	if (gnutls_session_ticket_key_generate(&ctx->ticket_key) < 0)
		return -ENOMEM;
	return 0;
}

int creds_load_keys(struct bench_ctx *ctx)
{
	int ret;

	if (ctx->sets[1].loaded)
		return 0;
	ret = creds_load_set(ctx, 1, "ecdsa", ctx->o->ecdsa_cert,
			     ctx->o->ecdsa_key, ctx->o->ca);
	if (!ret)
		ret = creds_load_set(ctx, 2, "rsa", ctx->o->rsa_cert,
				     ctx->o->rsa_key, ctx->o->ca);
	return ret;
}

int creds_use(struct bench_ctx *ctx, const char *key)
{
	const struct creds_set *cs = &ctx->sets[!key ? 0 :
						!strcmp(key, "rsa") ? 2 : 1];

	if (!cs->loaded)
		return -ENOENT;
	ctx->srv_cred = cs->srv_cred;
	ctx->cli_cred = cs->cli_cred;
	memcpy(ctx->cert_file, cs->cert_file, sizeof(ctx->cert_file));
	memcpy(ctx->key_file, cs->key_file, sizeof(ctx->key_file));
	memcpy(ctx->ca_file, cs->ca_file, sizeof(ctx->ca_file));
	return 0;
}

void creds_free(struct bench_ctx *ctx)
{
	struct creds_set *cs;
	unsigned int i;

	for (i = 0; i < sizeof(ctx->sets) / sizeof(ctx->sets[0]); i++) {
		cs = &ctx->sets[i];
		if (cs->srv_cred)
			gnutls_certificate_free_credentials(cs->srv_cred);
		if (cs->cli_cred)
			gnutls_certificate_free_credentials(cs->cli_cred);
		if (cs->generated) {
			unlink(cs->cert_file);
			unlink(cs->key_file);
		}
	}
	ctx->srv_cred = ctx->cli_cred = NULL;
	if (ctx->ticket_key.data) {
		gnutls_memset(ctx->ticket_key.data, 0, ctx->ticket_key.size);
		gnutls_free(ctx->ticket_key.data);
	}
}

int creds_ktls_config(struct bench_ctx *ctx, enum ktls_role role,
		      unsigned int cipher, uint16_t version,
		      struct ktls_config **out, char *err, size_t errlen)
{
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, role);
	if (ret) {
		snprintf(err, errlen, "ktls_config_new: %s", strerror(-ret));
		return ret;
	}
	if (role == KTLS_ROLE_SERVER)
		ret = ktls_config_set_cert_files(cfg, ctx->cert_file, ctx->key_file);
	else
		ret = ktls_config_set_trust_file(cfg, ctx->ca_file);
	if (!ret && role == KTLS_ROLE_CLIENT && ctx->o->system_trust)
		ret = ktls_config_set_trust_file(cfg, NULL);
	if (!ret)
		ret = ktls_config_set_ciphers(cfg, cipher ? cipher : KTLS_CIPHER_ALL);
	if (!ret)
		ret = ktls_config_set_versions(cfg, version, version);
	if (ret) {
		snprintf(err, errlen, "libktls config: %s", strerror(-ret));
		ktls_config_put(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

int creds_gnutls_session(struct bench_ctx *ctx, int server,
			 unsigned int cipher, uint16_t version,
			 gnutls_session_t *out, char *err, size_t errlen)
{
	gnutls_session_t gs;
	char prio[256];
	const char *errpos = NULL;
	int ret;

	/* libktls's cipher names are GnuTLS's; none given: AES-128-GCM */
	snprintf(prio, sizeof(prio),
		 "NORMAL:-VERS-ALL:+VERS-TLS%s:-CIPHER-ALL:+%s:-MAC-ALL:+AEAD:"
		 "-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA",
		 bench_version_name(version),
		 ktls_cipher_name(cipher ? cipher : KTLS_CIPHER_AES_128_GCM));
	ret = gnutls_init(&gs, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	if (ret < 0) {
		snprintf(err, errlen, "gnutls_init: %s", gnutls_strerror(ret));
		return -ENOMEM;
	}
	ret = gnutls_priority_set_direct(gs, prio, &errpos);
	if (ret >= 0)
		ret = gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE,
					     server ? ctx->srv_cred : ctx->cli_cred);
	if (ret >= 0 && server == CREDS_SERVER)
		ret = gnutls_session_ticket_enable_server(gs, &ctx->ticket_key);
	if (ret >= 0 && !server) {
		ret = gnutls_server_name_set(gs, GNUTLS_NAME_DNS, ctx->o->peername,
					     strlen(ctx->o->peername));
		gnutls_session_set_verify_cert(gs, ctx->o->peername, 0);
	}
	if (ret < 0) {
		snprintf(err, errlen, "GnuTLS session setup (%s): %s", prio,
			 gnutls_strerror(ret));
		gnutls_deinit(gs);
		return -EINVAL;
	}
	*out = gs;
	return 0;
}
