/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libktls internals shared between the library's files (and its tests). */
#ifndef KTLS_INTERNAL_H
#define KTLS_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/tls.h>
/* Newer kernels' transmit record size limit (u16 plaintext bytes). */
#ifndef TLS_TX_MAX_PAYLOAD_LEN
#define TLS_TX_MAX_PAYLOAD_LEN 5
#endif
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "ktls.h"

/* The library is built with -fvisibility=hidden; only ktls_* API leaves it. */
#define KTLS_EXPORT __attribute__((visibility("default")))

struct ktls_psk {
	struct ktls_psk *next;
	char *identity;
	gnutls_datum_t key;
};

/* Key-exchange groups a config can name (groups.c). */
#define KTLS_GROUPS_MAX 16

struct ktls_config {
	int refs;			/* atomic */
	enum ktls_role role;
	pthread_mutex_t lock;		/* guards the lazy setup below */
	int frozen;			/* first session made: no more changes */

	gnutls_certificate_credentials_t x509;
	int have_trust, have_cert;
	gnutls_psk_server_credentials_t psk_server;
	struct ktls_psk *psks;

	uint16_t min_version, max_version;
	unsigned int ciphers;		/* KTLS_CIPHER_* bits asked for */
	enum ktls_verify verify;
	int allow_rsa_kx;
	uint64_t key_update_limit;	/* records per key, 0: no automatic update */
	const char *groups[KTLS_GROUPS_MAX];	/* GnuTLS names, preferred first */
	unsigned int ngroups;		/* 0: the default order (groups.c) */
	int user_records;		/* GnuTLS keeps the records: no kTLS */

	/* Built once at freeze time from the fields above + the kernel. */
	unsigned int offered;		/* ciphers & kernel */
	gnutls_priority_t prio_cert;
	gnutls_priority_t prio_psk;
	gnutls_datum_t ticket_key;	/* server: TLS session tickets */
	int ticket_key_set;		/* ... given, not generated */

	/* Client: our chains, handed out whatever CAs a server names. */
	struct ktls_client_chain *chains;
	unsigned int nchains;
};

struct ktls_client_chain {
	gnutls_pcert_st *pcerts;
	unsigned int npcerts;
	gnutls_privkey_t key;
};

enum ktls_state {
	KTLS_ST_NEW = 0,
	KTLS_ST_HANDSHAKE,
	KTLS_ST_DONE,
	KTLS_ST_OFFLOADED,
	KTLS_ST_FAILED,
};

struct ktls_session {
	struct ktls_config *cfg;
	gnutls_session_t gs;
	int fd;
	enum ktls_state state;
	int error;			/* negative errno of the failure */
	int64_t deadline_ms;		/* CLOCK_MONOTONIC, 0: none */
	unsigned int timeout_ms;
	char *peername;
	int no_name_check;
	/* Set by the optional-client-certificate check (session.c). */
	int have_verify_status;
	unsigned int verify_status;
	gnutls_psk_client_credentials_t psk_client;
	char *psk_identity;

	/*
	 * O_NONBLOCK on fd, read once per ktls_session_handshake() call
	 * rather than before every read; -1 outside one (transport.c).
	 */
	int nonblock;
	int dontwait;			/* opts.dontwait: MSG_DONTWAIT always */

	/* Record-bounded reader (see transport.c). */
	unsigned char hdr[5];
	unsigned int hdr_have;
	size_t body_left;
	size_t bytes_in;		/* all the handshake has read */
	int input_overrun;		/* ... and it passed the cap */
	/*
	 * Within ktls_session_handshake(): what one MSG_PEEK saw at the
	 * head of the socket, handed out record by record; the first
	 * peek_pos bytes went to GnuTLS and leave the socket at the latest
	 * when the call returns (ktls_transport_settle()).
	 */
	int peek_on;
	unsigned char *peek;		/* KTLS_PEEK_MAX bytes, or NULL */
	size_t peek_len, peek_pos;

	/* What the peer's hello offered, for precise failure causes. */
	uint16_t peer_max_version;	/* highest version in its hello */
	uint16_t peer_min_version;	/* lowest in supported_versions */
	unsigned int peer_suites;	/* KTLS_SUITE_* bits seen */
	unsigned int peer_ciphers;	/* KTLS_CIPHER_* in its FS suites */
	unsigned int peer_suite_auth;	/* KTLS_AUTH_*: TLS 1.2 FS suites' signers */
	unsigned int peer_sigs;		/* KTLS_AUTH_*: signature_algorithms */

	unsigned int client_hellos;	/* server: ClientHellos seen (2: after HRR) */
	unsigned int hello_dup_ext;	/* ... type + 1 of a repeated extension */

	char peer_psk[64];		/* server: identity the peer sent */
	int peer_psk_known;		/* ... and we have a key for it */

	int tickets_taken;		/* client: NewSessionTickets fed */
	unsigned int peer_record_limit;	/* client: limit a server imposed */
	int record_limit_refused;	/* ... and we end the handshake */
	int record_limit_kept;		/* TLS_TX_MAX_PAYLOAD_LEN set */
	/*
	 * What ktls_session_info() reports, worked out once when the
	 * handshake ends (the peer's certificate is parsed then, not on
	 * every call).
	 */
	struct ktls_info info;
	unsigned int peer_rsl;		/* server: record_size_limit asked */
	unsigned int peer_mfl;		/* ... max_fragment_length, bytes */
	int cert_requested;		/* client: server sent CertificateRequest */
	int cert_sent;			/* ... and we answered with a chain */
	int64_t hello_sent_us;		/* client: last ClientHello written */
	unsigned int hello_rtt_us;	/* ... until the server's answer */

	/* TLS 1.3 application traffic secrets, current (key_update.c). */
	unsigned char ku_tx[64], ku_rx[64];
	size_t ku_len;			/* secret size, 0: none kept */
	int ku_ready;			/* kept, and the kernel can rekey */
	uint64_t ku_limit;		/* records per key, 0: no limit */
	uint64_t ku_records;		/* sent under the current key */
	unsigned long ku_sent, ku_received;
	int ku_owed;			/* peer's update_requested unanswered */
	pthread_mutex_t ku_lock;	/* one sender: KeyUpdate + TLS_TX atomic */

	unsigned char *pending;		/* plaintext GnuTLS held at offload */
	size_t pending_len;
	char errbuf[256];
};

/* What a peer's cipher-suite list contained (handshake_hooks.c). */
#define KTLS_SUITE_AEAD_FS	(1u << 0)	/* (EC)DHE / TLS 1.3 AEAD */
#define KTLS_SUITE_AEAD_RSA	(1u << 1)	/* AEAD with RSA key exchange */
#define KTLS_SUITE_OTHER	(1u << 2)	/* CBC, SHA1, anything else */
#define KTLS_SUITE_PARSED	(1u << 3)

/* Certificate key kinds, for what a peer's suites and signatures accept. */
#define KTLS_AUTH_RSA		(1u << 0)
#define KTLS_AUTH_ECDSA		(1u << 1)
#define KTLS_AUTH_EDDSA		(1u << 2)
#define KTLS_AUTH_PARSED	(1u << 7)

/* config.c */
/* 0, or -EBUSY once a session has frozen the config. */
int ktls_config_mutable(struct ktls_config *cfg);

/*
 * keyring_desc.c: split "type;uid;gid;perm;description" (keyctl_describe)
 * in place; -EINVAL if it is not of that form or either part is empty.
 */
int ktls_keyring_split_description(char *described, char **type, char **desc);

/*
 * groups.c: a list of group names (ktls_config_set_groups) into GnuTLS's
 * names, repeats dropped; -EINVAL for an unknown name or none.
 */
int ktls_groups_parse_list(const char *list, const char **names,
			   unsigned int *n);
/* ":-GROUP-ALL:+GROUP-..." appended at buf + *pos. */
int ktls_groups_priority(const struct ktls_config *cfg, char *buf, size_t len,
			 size_t *pos);

/* priority.c */
int ktls_priority_build(const struct ktls_config *cfg, int psk, char *buf,
			size_t len);

/* resume.c */
/*
 * Extensible public structs (extensible.c), whose first field is their
 * size_t size. In: dst (ours, dst_size bytes) gets src's fields, zero for
 * those src is too old to have; NULL src gives all zero. Out: dst (the
 * caller's) gets as much of src as its size holds, zero past src_size.
 * -EINVAL for a size below sizeof(size_t), -E2BIG for a newer src that
 * sets fields we do not know.
 */
/* ktls_session_new() failed before there was a session: the cause for
 * ktls_session_error(NULL), in this thread. Returns err. */
int ktls_session_new_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ktls_struct_in(void *dst, size_t dst_size, const void *src);
int ktls_struct_out(void *dst, const void *src, size_t src_size);

int ktls_resume_setup_client(struct ktls_session *s,
			     const struct ktls_session_opts *opts);
int ktls_resume_setup_server(struct ktls_session *s,
			     const struct ktls_session_opts *opts);

/* transport.c */
/*
 * What a peer may send before its handshake is done. GnuTLS bounds each
 * message (128 KiB by default) but not the sum, nor the record headers
 * around it, and not always before it has read a message whole. Records
 * may carry a handshake message in pieces of one byte: a valid 100 KiB
 * ClientHello is then 600 KiB on the wire, and meets this cap.
 */
#define KTLS_HANDSHAKE_INPUT_MAX (512 * 1024)
/* A whole record of the largest kind (TLS 1.2 ciphertext) and its header. */
#define KTLS_PEEK_MAX (5 + 16384 + 2048)
void ktls_transport_setup(struct ktls_session *s);
/*
 * Take from the socket what GnuTLS was handed from the peek buffer, and
 * forget the rest. 0 or a negative errno.
 */
int ktls_transport_settle(struct ktls_session *s);
ssize_t ktls_transport_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len);
/* 1 if the socket is in non-blocking mode (s->nonblock, else asked). */
int ktls_transport_nonblocking(const struct ktls_session *s);
void ktls_transport_drain(int fd);

/* record_limit.c: decline record size limits kTLS can't keep. */
int ktls_record_limit_setup(struct ktls_session *s);
/* Client hook on a ServerHello/EncryptedExtensions: a GnuTLS error if
 * the server imposes a limit; ktls_record_limit_fail() then says why. */
int ktls_record_limit_check(struct ktls_session *s, unsigned int htype,
			    const gnutls_datum_t *m);
int ktls_record_limit_fail(struct ktls_session *s);
/* Plaintext bytes per record the peer asked for, 0 if none. */
unsigned int ktls_record_limit_asked(const struct ktls_session *s);
/* After TLS_TX: have the kernel keep the limit, where it can. */
int ktls_record_limit_apply(struct ktls_session *s);
/* kernel_ciphers.c: 1 if kTLS takes TLS_TX_MAX_PAYLOAD_LEN (probed once). */
int ktls_kernel_tx_limit(void);

/* handshake_hooks.c */
void ktls_hooks_install(struct ktls_session *s);

/* offload.c: the kernel's view of one direction of a GnuTLS session. */
union ktls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_aes_ccm_128 ccm128;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};
int ktls_crypto_info_set(union ktls_crypto_info *ci,
			 gnutls_cipher_algorithm_t cipher, int tls13,
			 const gnutls_datum_t *key, const gnutls_datum_t *iv,
			 const unsigned char seq[8], socklen_t *len);
int ktls_crypto_info_fill(gnutls_session_t gs, int read,
			  union ktls_crypto_info *ci, socklen_t *len);

/* cipher_table.c: all libktls knows of one cipher kTLS takes. */
struct ktls_cipher_desc {
	unsigned int bit;		/* KTLS_CIPHER_* */
	const char *name;		/* GnuTLS's and ours: "AES-128-GCM" */
	const char *short_name;		/* "aes128gcm" */
	gnutls_cipher_algorithm_t gnutls;
	uint16_t kernel;		/* TLS_CIPHER_* */
	socklen_t info_len;		/* sizeof its tls12_crypto_info_* */
	/* Offsets and sizes in that struct (salt_len 0: it has none). */
	uint8_t key_off, key_len;
	uint8_t salt_off, salt_len;
	uint8_t iv_off, iv_len;
	uint8_t rec_seq_off;		/* 8 bytes */
	uint64_t rfc_limit;		/* records per key, 0: none */
};
/* Row i (0 .. while not NULL), in a server's order of preference. */
const struct ktls_cipher_desc *ktls_cipher_desc_at(size_t i);
const struct ktls_cipher_desc *ktls_cipher_desc(unsigned int cipher);
const struct ktls_cipher_desc *
ktls_cipher_desc_gnutls(gnutls_cipher_algorithm_t algorithm);

/* kernel_ciphers.c: tests on kernels without kTLS pretend one. */
void ktls_kernel_ciphers_override(unsigned int mask);
/* Tests: take the kernel for one that can (1) or cannot (0) rekey. */
void ktls_kernel_rekey_override(int rekey);

/* errors.c */
int ktls_session_fail(struct ktls_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ktls_handshake_error(struct ktls_session *s, int gnutls_err);
int ktls_post_handshake_alert(struct ktls_session *s, int alert);
int ktls_errno_from_gnutls(int gnutls_err);

/* kernel_ciphers.c: 1 if kTLS takes a second TLS_TX (probed once). */
int ktls_kernel_rekey(void);

/* key_update.c */
/* RFC 8446 7.1 HKDF-Expand-Label with an empty context, on GnuTLS's HKDF. */
int ktls_hkdf_expand_label(gnutls_mac_algorithm_t mac, const void *secret,
			   size_t secret_len, const char *label,
			   void *out, size_t out_len);
void ktls_key_update_setup(struct ktls_session *s);
void ktls_key_update_offloaded(struct ktls_session *s);
void ktls_key_update_wipe(struct ktls_session *s);
uint64_t ktls_key_update_rfc_limit(unsigned int cipher);
/* One direction's next secret and the crypto info of its key and iv. */
int ktls_key_update_next(struct ktls_session *s, int tx, unsigned char *next,
			 union ktls_crypto_info *ci, socklen_t *cilen);
/* A KeyUpdate message (whole record m, n bytes) came: follow it. */
int ktls_key_update_received(struct ktls_session *s, const unsigned char *m,
			     size_t n);
/* With ku_lock held, before sending len bytes: owed answer, usage limit. */
int ktls_key_update_before_send(struct ktls_session *s, size_t len);
/* Answer an owed update now if that needs no waiting (receive side). */
int ktls_key_update_answer(struct ktls_session *s);

/* util */
int64_t ktls_now_ms(void);
int64_t ktls_now_us(void);

/*
 * One recvmsg on a kTLS socket with room for the record type: returns the
 * type (KTLS_RECORD_*) with the length in *n, or a negative errno.
 */
int ktls_record_read(int fd, void *buf, size_t len, int flags, ssize_t *n);
/* One record of this type on a kTLS socket: bytes sent, or -errno. */
ssize_t ktls_record_send(int fd, unsigned char type, const void *body,
			 size_t len, int flags);

#endif /* KTLS_INTERNAL_H */
