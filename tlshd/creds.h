/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Credentials and policy built from the configuration and shared by every
 * handshake on every worker (ktls_config is refcounted, thread-safe).
 * A reload builds a new set and publishes it; handshakes that started
 * with the old set keep its ktls_configs until they end.
 */
#ifndef TLSHD_CREDS_H
#define TLSHD_CREDS_H

#include <stddef.h>
#include <stdint.h>

struct ktls_config;
struct tlshd_config;

#define TLSHD_CREDS_MAX_KEYRINGS 16

struct tlshd_creds {
	const struct tlshd_config *cfg;
	/* Client hello, anonymous: trust anchors only, no certificate. */
	struct ktls_config *client_anon;
	/* Client hello, x509: the configured certificate too (NULL if none). */
	struct ktls_config *client_x509;
	/* Server hello, x509: [authenticate.server] (NULL if no certificate). */
	struct ktls_config *server_x509;
	/*
	 * Why a credential above is NULL when the configuration names one
	 * (a file that cannot be read, say): handshakes that need it fail
	 * with ENOKEY and this cause; a reload tries again. "" if none.
	 */
	char client_anon_err[1024];
	char client_x509_err[1024];
	char server_x509_err[1024];
	/* [authenticate] keyrings that could be linked: where PSKs are found. */
	uint32_t keyrings[TLSHD_CREDS_MAX_KEYRINGS];
	unsigned int nkeyrings;
	/* Published sets only (daemon.c): the configuration, owned. */
	struct tlshd_config *owned_cfg;
};

/*
 * Load every credential cfg names (files opened and parsed now, so a bad
 * one is caught before use) and apply its [tlshd] policy. A credential
 * that cannot be loaded is logged as a warning and left NULL with its
 * cause in *_err: only the handshakes that need it fail. Returns 0, or a
 * negative errno (nothing usable at all) with the cause in err.
 */
int tlshd_creds_load(struct tlshd_creds *creds,
		     const struct tlshd_config *cfg, char *err, size_t errlen);
void tlshd_creds_free(struct tlshd_creds *creds);

/*
 * Log every own certificate and configured CA that is expired, not yet
 * valid, or expires within TLSHD_CREDS_EXPIRY_DAYS: file, subject, date.
 * Expired and not-yet-valid ones at LOG_ERR when invalid_is_error is
 * set (--check-config), else LOG_WARNING; expiring ones as warnings.
 */
#define TLSHD_CREDS_EXPIRY_DAYS 30
void tlshd_creds_check_lifetimes(const struct tlshd_config *cfg,
				 int invalid_is_error);

/*
 * Do now what the first handshake would (the system trust store, the
 * priorities), so that none pays for it: at load and at each reload.
 */
void tlshd_creds_freeze(struct tlshd_creds *creds);

/*
 * An empty configuration for one handshake (server: 1), with the policy
 * of creds ([tlshd] min_version, ciphers, allow_rsa_kx) applied.
 */
int tlshd_creds_config_new(const struct tlshd_creds *creds, int server,
			   struct ktls_config **out, char *err, size_t errlen);

/*
 * A config presenting a certificate and key the kernel passed as key
 * serials (DER payloads), trusting what the configuration trusts for that
 * side. server: 0 client, 1 server.
 */
int tlshd_creds_from_keys(const struct tlshd_creds *creds, int server,
			  uint32_t cert_serial, uint32_t key_serial,
			  struct ktls_config **out, char *err, size_t errlen);

#endif /* TLSHD_CREDS_H */
