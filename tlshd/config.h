/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlshd's configuration file, in the format existing ktls-utils users have
 * (/etc/tlshd/config, GKeyFile-style INI).
 */
#ifndef TLSHD_CONFIG_H
#define TLSHD_CONFIG_H

#include <stddef.h>

#define TLSHD_CONFIG_DEFAULT "/etc/tlshd/config"
/* Older ktls-utils' file; as in ktls-utils 1.x it wins when it exists. */
#define TLSHD_CONFIG_LEGACY "/etc/tlshd.conf"
/* ktls-utils session tags; accepted but not used yet. */
#define TLSHD_TAGS_DIR "/etc/tlshd/tags.d"

/* Limits of our own keys, shared with the command line. */
#define TLSHD_CONFIG_MAX_WORKERS 64
#define TLSHD_CONFIG_MAX_INFLIGHT 65536
#define TLSHD_CONFIG_MIN_ROTATION 60		/* seconds */
#define TLSHD_CONFIG_MAX_ROTATION (7 * 86400)
#define TLSHD_CONFIG_MAX_CACHE_SIZE (1 << 20)
#define TLSHD_CONFIG_MAX_TICKET_WAIT_MS 10000

struct tlshd_config_x509 {
	char *truststore;
	char *crl;
	char *certificate;
	char *private_key;
};

/* Room for every key of the parser's table (checked at build time). */
#define TLSHD_CONFIG_MAX_KEYS 48

struct tlshd_config {
	char *source;		/* file parsed (NULL: built-in defaults) */
	unsigned int key_line[TLSHD_CONFIG_MAX_KEYS];	/* 0: not set */
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
	int require_client_cert;	/* [authenticate.server]: refuse without one */

	/* Our own keys, [tlshd]; 0 means "default". */
	int workers;		/* worker threads; 0: one per CPU */
	int max_inflight;	/* per worker; excess requests wait */
	int min_version;	/* 0x0303 or 0x0304 (min_version=1.2|1.3) */
	int ciphers;		/* KTLS_CIPHER_* mask (ciphers=A;B;..) */
	char *groups;		/* key-exchange groups (groups=X25519 P-256); NULL: default */
	int allow_rsa_kx;	/* allow_rsa_kx=true: TLS 1.2 RSA key exchange */

	/* [resumption] */
	int tickets;		/* server issues tickets; -1 unset (default on) */
	char *ticket_key;	/* "PATH" or "keyring:SERIAL"; NULL: random */
	int ticket_rotation;	/* seconds between ticket key rotations; 0 unset */
	int cache;		/* client resumes from its cache; -1 unset (on) */
	int cache_size;		/* client cache entries; 0 unset */
	int ticket_wait_ms;	/* client: TLS 1.3 ticket wait; -1 unset (adaptive) */
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

/*
 * Where a key was set, for messages about its value: "FILE:LINE", the
 * file alone if the key was not set there, or "built-in defaults".
 */
void tlshd_config_where(const struct tlshd_config *cfg, const char *section,
			const char *key, char *buf, size_t len);

/*
 * Which file to read when no -c was given: legacy if it exists (it takes
 * precedence in ktls-utils too), else primary if that exists, else NULL
 * (built-in defaults).
 */
const char *tlshd_config_pick(const char *primary, const char *legacy);

/*
 * The keys the parser accepts, for documentation checks: fills section
 * and name of key i and returns 0, or -1 past the last one.
 */
int tlshd_config_key_at(unsigned int i, const char **section,
			const char **name);

#endif /* TLSHD_CONFIG_H */
