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
