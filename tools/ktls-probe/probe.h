/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ktls-probe: what a TLS server negotiates, and whether kTLS could take it. */
#ifndef PROBE_H
#define PROBE_H

#include <time.h>
#include <gnutls/gnutls.h>

/* Exit codes (documented in ktls-probe.1). */
#define PROBE_EXIT_OK		0	/* handshake done, certificate trusted */
#define PROBE_EXIT_UNTRUSTED	1	/* handshake done, verification failed */
#define PROBE_EXIT_USAGE	2
#define PROBE_EXIT_CONNECT	3	/* no TCP connection */
#define PROBE_EXIT_HANDSHAKE	4	/* the modern offer was refused */
#define PROBE_EXIT_INTERNAL	5
#define PROBE_EXIT_TLSHD	6	/* trusted, but tlshd's default policy refuses it */

#define PROBE_MAX_CERTS 8

struct probe_opts {
	char host[256];
	char port[16];
	const char *sni;	/* NULL: host, unless it is an IP address */
	const char *ca;		/* NULL: the system trust store */
	int json;
	unsigned int timeout_ms;
};

/* One handshake's outcome. */
struct probe_hs {
	int tried;
	int ok;
	char error[256];
	char version[16];
	char cipher[32];
	char mac[16];
	char kx[32];
	char group[32];
	char sigalg[48];
	unsigned int ktls_cipher;	/* KTLS_CIPHER_* bit, 0: none */
	int tls_version;		/* KTLS_VERSION_* or 0 */
};

struct probe_cert {
	char subject[256];
	char issuer[256];
	time_t not_before, not_after;
	int expired, not_yet_valid;
};

struct probe_report {
	char address[64];		/* the address that answered */
	const char *verify_name;	/* name checked against the cert */
	const char *sni;		/* name sent, NULL: none */

	struct probe_hs modern;
	struct probe_cert certs[PROBE_MAX_CERTS];
	unsigned int ncerts, total_certs;
	int trusted;
	char verify_status[256];

	int ticket;			/* the server sent a session ticket */
	struct probe_hs resume;
	int resumed;

	unsigned int kernel_ciphers;	/* ktls_kernel_ciphers() */
	int offload_tried;
	int offloadable;
	char offload_reason[256];

	struct probe_hs legacy;		/* TLS 1.0/1.1-only offer */
	struct probe_hs rsa_kx;		/* TLS 1.2 RSA key exchange only */

	/* Would tlshd, with its default policy, accept this server? */
	int tlshd_accepts;
	char tlshd_reason[320];
};

/* net.c: a connected TCP socket (blocking) or -1 with *err set. */
int probe_connect(const struct probe_opts *o, char *addr, size_t addrlen,
		  char *err, size_t errlen);

/* offer.c */
int probe_modern(const struct probe_opts *o, struct probe_report *r);
void probe_offer(const struct probe_opts *o, const char *priority,
		 struct probe_hs *hs);
const char *probe_sni(const struct probe_opts *o);

/* chain.c */
void probe_chain(gnutls_session_t gs, const struct probe_opts *o,
		 struct probe_report *r);
int probe_creds(const struct probe_opts *o,
		gnutls_certificate_credentials_t *cred, int trust);

/* offload.c */
void probe_offload(const struct probe_opts *o, struct probe_report *r);

/* verdict.c */
void probe_tlshd_verdict(struct probe_report *r);

/* report.c */
void probe_print_text(const struct probe_opts *o, const struct probe_report *r);
void probe_print_json(const struct probe_opts *o, const struct probe_report *r);

#endif /* PROBE_H */
