/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlshd's configuration file, in the format existing ktls-utils users have
 * (/etc/tlshd/config, GKeyFile-style INI).
 */
#ifndef TLSHD_CONFIG_H
#define TLSHD_CONFIG_H

#include <stddef.h>

#define TLSHD_CONFIG_DEFAULT "/etc/tlshd/config"

struct tlshd_config_x509 {
	char *truststore;
	char *crl;
	char *certificate;
	char *private_key;
};

struct tlshd_config {
	int loglevel;		/* [debug] loglevel: 0 quiet .. 3+ chatty */
	int tls_debug;		/* [debug] tls: GnuTLS log level */
	int nl_debug;		/* [debug] nl: libnl debug level */
	char **keyrings;	/* [authenticate] keyrings, NULL-terminated */
	unsigned int nkeyrings;
	struct tlshd_config_x509 client;	/* [authenticate.client] */
	struct tlshd_config_x509 server;	/* [authenticate.server] */
	/* x509.pq.certificate / x509.pq.private_key (ktls-utils 1.x) */
	char *client_pq_certificate, *client_pq_private_key;
	char *server_pq_certificate, *server_pq_private_key;

	/* Our own keys, [tlshd]; 0 / NULL means "default". */
	int workers;		/* worker threads; 0: one per CPU */
	int max_inflight;	/* per worker; excess requests wait */
	int min_version;	/* 0x0303 or 0x0304 (min_version=1.2|1.3) */
	unsigned int ciphers;	/* KTLS_CIPHER_* mask (ciphers=A;B;..) */
	int allow_rsa_kx;	/* allow_rsa_kx=true: TLS 1.2 RSA key exchange */

	/* [resumption] */
	int tickets;		/* server issues tickets; -1 unset (default on) */
	char *ticket_key;	/* "PATH" or "keyring:SERIAL"; NULL: random */
	int ticket_rotation;	/* seconds between ticket key rotations */
	int cache;		/* client resumes from its cache; -1 unset (on) */
	int cache_size;		/* client cache entries */
	int psk_ke;		/* TLS 1.3 psk_ke (no DHE) allowed; default 0 */
};

enum tlshd_config_severity {
	TLSHD_CONFIG_WARNING,
	TLSHD_CONFIG_ERROR,
};

/* Receives each diagnostic, already formatted as "FILE:LINE: text". */
typedef void (*tlshd_config_report_fn)(enum tlshd_config_severity sev,
				       const char *msg, void *ctx);

void tlshd_config_init(struct tlshd_config *cfg);
void tlshd_config_free(struct tlshd_config *cfg);

/*
 * Parse a configuration held in memory (any bytes; need not be
 * NUL-terminated). Warnings (unknown sections and keys, repeated keys) and
 * errors both go to report. Returns 0, or -EINVAL after at least one error;
 * cfg then holds whatever parsed cleanly and must still be freed.
 */
int tlshd_config_parse(struct tlshd_config *cfg, const char *name,
		       const char *buf, size_t len,
		       tlshd_config_report_fn report, void *ctx);

/*
 * Read and parse a file. A missing file is fine when missing_ok is set
 * (the default path need not exist). Returns 0 or a negative errno.
 */
int tlshd_config_load(struct tlshd_config *cfg, const char *path,
		      int missing_ok, tlshd_config_report_fn report,
		      void *ctx);

#endif /* TLSHD_CONFIG_H */
