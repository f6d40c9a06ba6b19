/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libktls: run a TLS handshake with GnuTLS on a connected socket, then hand
 * the record layer to the kernel (kTLS) so plain send/recv/splice/io_uring
 * carry encrypted records.
 *
 * Conventions: functions returning int give 0 on success or a negative errno.
 * A failed session keeps a human-readable cause in ktls_session_error().
 */
#ifndef KTLS_H
#define KTLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct msghdr;

#ifdef __cplusplus
extern "C" {
#endif

enum ktls_role {
	KTLS_ROLE_CLIENT = 1,
	KTLS_ROLE_SERVER = 2,
};

/* TLS protocol versions, as on the wire. */
#define KTLS_VERSION_1_2 0x0303
#define KTLS_VERSION_1_3 0x0304

/* Cipher selection bits (ktls_config_set_ciphers). */
enum ktls_cipher {
	KTLS_CIPHER_AES_128_GCM = 1u << 0,
	KTLS_CIPHER_AES_256_GCM = 1u << 1,
	KTLS_CIPHER_CHACHA20_POLY1305 = 1u << 2,
	KTLS_CIPHER_AES_128_CCM = 1u << 3,
};
#define KTLS_CIPHER_ALL 0x0fu

/* Peer certificate verification (client: server cert; server: client cert). */
enum ktls_verify {
	KTLS_VERIFY_REQUIRED = 0,	/* default for clients */
	KTLS_VERIFY_NONE = 1,		/* default for servers: no cert requested */
	KTLS_VERIFY_OPTIONAL = 2,	/* server: request, verify if sent */
};

/*
 * A configuration holds credentials and policy. Load it once, share it
 * between any number of sessions (and threads); it is reference counted.
 */
struct ktls_config;

int ktls_config_new(struct ktls_config **cfg, enum ktls_role role);
struct ktls_config *ktls_config_get(struct ktls_config *cfg);
void ktls_config_put(struct ktls_config *cfg);
/*
 * Do now what the first session would: load the system trust store if no
 * other is set, compile the priorities, make a server's ticket key. A
 * long-lived program calls it at load, so that no handshake pays for it.
 */
int ktls_config_freeze(struct ktls_config *cfg);

/* Trust anchors, PEM file. NULL path: the system trust store. */
int ktls_config_set_trust_file(struct ktls_config *cfg, const char *path);
int ktls_config_set_crl_file(struct ktls_config *cfg, const char *path);
/* Our certificate chain and key (PEM files, or DER blobs leaf first). */
int ktls_config_set_cert_files(struct ktls_config *cfg, const char *cert,
			       const char *key);
int ktls_config_set_cert_der(struct ktls_config *cfg,
			     const void *const *certs, const size_t *cert_lens,
			     unsigned int ncerts, const void *key,
			     size_t key_len);
/*
 * The same from kernel keys (keyctl serials the caller may read): a
 * certificate key holding one DER certificate or several concatenated,
 * leaf first; a DER private key; a trust key holding one or more
 * concatenated DER CA certificates. Errors of the key lookup as they come
 * (-ENOKEY, -EKEYREVOKED, -EKEYEXPIRED, -EACCES), -ENODATA for an empty
 * payload, -EKEYREJECTED for a payload that is not what it should be.
 */
int ktls_config_set_cert_keyring(struct ktls_config *cfg, int32_t cert_serial,
				 int32_t key_serial);
int ktls_config_set_trust_keyring(struct ktls_config *cfg, int32_t serial);
/* Versions on the wire; defaults 1.2 .. 1.3. */
int ktls_config_set_versions(struct ktls_config *cfg, uint16_t min,
			     uint16_t max);
/* Allowed ciphers (KTLS_CIPHER_* bits); the kernel's support is ANDed in. */
int ktls_config_set_ciphers(struct ktls_config *cfg, unsigned int mask);
/*
 * Key-exchange groups, most preferred first: names separated by blanks,
 * ',', ';' or ':', GnuTLS's ("SECP256R1") or the NIST/IANA ones ("P-256",
 * "x25519"), any case. Default: X25519, P-256, P-384, P-521, X448, then
 * FFDHE2048 to FFDHE8192. -EINVAL for an unknown name or none, -EBUSY
 * once frozen.
 */
int ktls_config_set_groups(struct ktls_config *cfg, const char *groups);
/* GnuTLS's name for one group name (len bytes), NULL if unknown. */
const char *ktls_group_parse(const char *name, size_t len);
void ktls_config_set_verify(struct ktls_config *cfg, enum ktls_verify mode);
/* Opt in to non-forward-secret TLS 1.2 RSA key exchange (logged). */
void ktls_config_allow_rsa_kx(struct ktls_config *cfg, int allow);
/*
 * Keep the records in user space (gnutls_record_send/recv on
 * ktls_session_gnutls()): the kernel's kTLS is neither needed nor asked,
 * and ktls_session_offload() fails with -EOPNOTSUPP.
 */
void ktls_config_set_user_records(struct ktls_config *cfg, int user);
/* Server: accept these PSKs (identity -> key); client: see session opts. */
int ktls_config_add_psk(struct ktls_config *cfg, const char *identity,
			const void *key, size_t key_len);
/* Server: a PSK from a kernel key: identity its description, key its
 * payload. Errors as ktls_config_set_cert_keyring. */
int ktls_config_add_psk_keyring(struct ktls_config *cfg, int32_t serial);

/*
 * Kernel keys (libkeyutils) as the consumers of the handshake upcall use
 * them: a key's payload, and PSKs (type "psk": identity its description).
 * Payloads are malloc'd; ktls_keyring_free and ktls_keyring_psk_free wipe
 * them. Errors: -ENOKEY, -EKEYREVOKED, -EKEYEXPIRED, -EACCES, -ENODATA
 * (empty payload), -ENOMEM.
 */
int ktls_keyring_read(int32_t serial, void **data, size_t *len);
void ktls_keyring_free(void *data, size_t len);
int ktls_keyring_psk(int32_t serial, char **identity, void **key,
		     size_t *len);
void ktls_keyring_psk_free(char *identity, void *key, size_t len);
/*
 * Call fn for every "psk" key in keyring ring (a serial or KEY_SPEC_* id)
 * and in the keyrings it holds, one level down, with its identity and
 * payload (wiped after the call). Keys and keyrings that are not ours to
 * read are skipped. fn returns 0 to go on, or a negative errno to stop
 * with it. Returns the number of keys passed to fn, or a negative errno.
 */
typedef int (*ktls_keyring_psk_fn)(int32_t serial, const char *identity,
				   const void *key, size_t len, void *arg);
int ktls_keyring_for_each_psk(int32_t ring, ktls_keyring_psk_fn fn, void *arg);

/*
 * Server session tickets. GnuTLS takes a master key and derives the key
 * that seals tickets from it and the time (one derived key per period of
 * 3 x the ticket lifetime); a ticket sealed under the previous period's key
 * is still accepted. Servers sharing a master key resume each other's
 * tickets. Without a call, a random key is made at the first session.
 */
#define KTLS_TICKET_KEY_SIZE 64
int ktls_config_set_ticket_key(struct ktls_config *cfg, const void *key,
			       size_t len);

/*
 * Automatic TLS 1.3 key update (ktls_session_send): before a send would
 * take the current transmit key past this many records, a KeyUpdate goes
 * out first. 0 (the default): never. KTLS_KEY_UPDATE_LIMIT_RFC: the
 * per-cipher limits of RFC 8446 5.5 (AES-GCM 2^24.5 records; AES-CCM
 * 2^23.5; ChaCha20-Poly1305 none). Only on kernels that can rekey.
 */
#define KTLS_KEY_UPDATE_LIMIT_RFC UINT64_MAX
int ktls_config_set_key_update_limit(struct ktls_config *cfg,
				     uint64_t records);

/*
 * Extensible structs (ktls_session_opts in, ktls_info out): size is the
 * caller's sizeof, set by KTLS_SESSION_OPTS_INIT() / KTLS_INFO_INIT().
 * Fields are only appended, so a program built with an older, smaller
 * struct keeps working: the library reads what its size covers and takes
 * 0 (the default) for the rest, and writes no further than its size. A
 * size larger than the library's is accepted if the bytes it does not
 * know are zero (else -E2BIG). A size not covering the size field
 * itself: -EINVAL.
 */
#define KTLS_SESSION_OPTS_INIT(...) \
	{ .size = sizeof(struct ktls_session_opts), __VA_ARGS__ }
#define KTLS_INFO_INIT(...) { .size = sizeof(struct ktls_info), __VA_ARGS__ }

/* Per-session options: KTLS_SESSION_OPTS_INIT(.field = ..., ...). */
struct ktls_session_opts {
	size_t size;		/* sizeof(struct ktls_session_opts) */
	const char *peername;	/* client: SNI and name check; NULL: none */
	int no_name_check;	/* client: skip the hostname check */
	const char *psk_identity;	/* client PSK */
	const void *psk_key;
	size_t psk_key_len;
	unsigned int timeout_ms;	/* 0: none; checked by ktls_session_expired */
	int no_tickets;		/* server: send no session ticket */
	/* Client: resume from this (ktls_session_get_resume_data); a server
	 * that refuses it gets a full handshake, not an error. */
	const void *resume_data;
	size_t resume_len;
	/* Server: ticket master key for this session (overrides the
	 * config's); KTLS_TICKET_KEY_SIZE bytes. */
	const void *ticket_key;
	size_t ticket_key_len;
	unsigned int ticket_lifetime;	/* server: seconds; 0: GnuTLS's */
	/* Client PSK from a kernel key instead of psk_identity/psk_key:
	 * identity its description, key its payload (wiped once used). */
	int32_t psk_key_serial;
	/* The handshake's reads and writes (and its alerts) are
	 * non-blocking (MSG_DONTWAIT) whatever the fd's mode, which is left
	 * alone: as with a non-blocking fd, ktls_session_handshake() then
	 * returns -EAGAIN when it needs I/O. */
	int dontwait;
};

struct ktls_session;

int ktls_session_new(struct ktls_session **s, struct ktls_config *cfg, int fd,
		     const struct ktls_session_opts *opts);
void ktls_session_free(struct ktls_session *s);
/* Sessions of this process between ktls_session_new() and _free(). */
unsigned long ktls_session_count(void);

/*
 * Drive the handshake. On a blocking fd it runs to the end. On a
 * non-blocking fd it returns -EAGAIN when it needs I/O; wait for
 * ktls_session_poll_events() on the fd and call again.
 * Errors: -EACCES (verification/policy), -ETIMEDOUT, -ECONNRESET,
 * -EPROTO (peer broke the protocol), -EOPNOTSUPP, -EIO...
 */
int ktls_session_handshake(struct ktls_session *s);
short ktls_session_poll_events(const struct ktls_session *s);
/* Milliseconds left before the session's timeout, -1 without one. */
int ktls_session_time_left(const struct ktls_session *s);

/*
 * Switch the socket to kTLS, TX and RX. Either both directions are
 * installed or the call fails with the socket untouched by TLS_TX/TLS_RX
 * (-EOPNOTSUPP: kernel lacks the cipher; -ENOPROTOOPT: no tls module).
 * Key material is wiped afterwards. Any plaintext GnuTLS already holds is
 * returned by ktls_session_pending() and must be consumed by the caller.
 */
int ktls_session_offload(struct ktls_session *s);
size_t ktls_session_pending(struct ktls_session *s, const void **data);

/*
 * Client resumption. After the handshake (TLS 1.2) or after taking the
 * tickets a TLS 1.3 server sends post-handshake (ktls_session_recv_tickets),
 * the data to resume this session later: malloc'd, free() it. -ENOENT when
 * the server issued no ticket. *lifetime_s (if non-NULL) gets the ticket's
 * lifetime, 0 if unknown. A TLS 1.3 ticket is for one use.
 */
int ktls_session_get_resume_data(struct ktls_session *s, void **data,
				 size_t *len, unsigned int *lifetime_s);

/*
 * Client, TLS 1.3, after offload: take the server's NewSessionTicket
 * records off the kTLS socket, waiting up to timeout_ms for the first.
 * It peeks before it reads: it consumes handshake records only and stops
 * at the first application data or alert record, which stay in the socket
 * for the caller. Returns the number of tickets taken (0 if none came in
 * time) or a negative errno.
 */
int ktls_session_recv_tickets(struct ktls_session *s, int timeout_ms);

/* Send a fatal alert through GnuTLS (before offload). */
void ktls_session_alert(struct ktls_session *s, int gnutls_alert);

/* Why the last call failed, for a log line; never NULL. */
const char *ktls_session_error(const struct ktls_session *s);

/* Filled by ktls_session_info(): pass it KTLS_INFO_INIT(). */
struct ktls_info {
	size_t size;		/* sizeof(struct ktls_info), set by the caller */
	uint16_t version;	/* KTLS_VERSION_* */
	unsigned int cipher;	/* one KTLS_CIPHER_* bit */
	char cipher_name[32];
	char group_name[32];	/* key exchange group, "" if none */
	char kx_name[32];
	int resumed;
	int peer_verified;	/* a peer certificate was verified */
	char peer_name[256];	/* peer cert subject CN/SAN, or PSK identity */
	/* Plaintext bytes per record the peer asked for (max_fragment_length,
	 * record_size_limit); 0 if it asked for none. */
	unsigned int peer_record_limit;
	/* 1: the kernel keeps that limit (TLS_TX_MAX_PAYLOAD_LEN, 6.18+ era
	 * kernels); 0: it was declined (server) or refused (client). */
	int record_limit_kept;
	/* 1: TLS 1.3 KeyUpdate can be followed and sent (kernel rekey). */
	int key_update;
	unsigned long key_updates_sent;	/* by us, answers included */
	unsigned long key_updates_received;
	/* Client: microseconds from our last ClientHello to the server's
	 * answer (its round trip, its hello work included); 0 if unknown. */
	unsigned int hello_rtt_us;
	/* Client: 1 if we answered a CertificateRequest with a chain. */
	int cert_sent;
};
int ktls_session_info(const struct ktls_session *s, struct ktls_info *info);
/* The peer's certificate (DER, leaf), if any; valid while s lives. */
int ktls_session_peer_cert(const struct ktls_session *s, const void **der,
			   size_t *len);
/*
 * A client: 1 if the server asked for our certificate. A server: 1 if we
 * asked the client for one (a verifying x509 server). Else 0.
 */
int ktls_session_cert_requested(const struct ktls_session *s);
/* The underlying gnutls_session_t, for callers that need more. */
void *ktls_session_gnutls(struct ktls_session *s);

/* After offload: records on a kTLS socket. */
enum ktls_record_type {
	KTLS_RECORD_ALERT = 21,
	KTLS_RECORD_HANDSHAKE = 22,
	KTLS_RECORD_DATA = 23,
};

/*
 * Receive application data from a kTLS socket. Handshake records (tickets)
 * are skipped; close_notify gives 0 (end of stream); a fatal alert gives
 * -ECONNABORTED with its description in *alert (if non-NULL). An empty
 * alert or handshake record gives -EPROTO (the peer is sent
 * unexpected_message), never 0. A TLS 1.3
 * KeyUpdate gives -EKEYEXPIRED: the peer changed its keys and this
 * kernel's kTLS cannot follow; the connection is over (close it).
 * Returns bytes read or a negative errno.
 */
ssize_t ktls_recv(int fd, void *buf, size_t len, int flags, int *alert);
/*
 * The same on the session's socket, following a TLS 1.3 KeyUpdate where
 * the kernel can rekey (Linux 6.14 and later): the peer's next key is
 * installed (TLS_RX), and if the peer asked for an update, our own
 * KeyUpdate goes out and our next key is installed (TLS_TX) before this
 * returns. Where the kernel cannot, -EKEYEXPIRED as ktls_recv, with the
 * cause in ktls_session_error(). A malformed KeyUpdate gives -EPROTO (the
 * peer is sent decode_error or illegal_parameter). Nothing may be sent on
 * the socket from another thread meanwhile.
 */
ssize_t ktls_session_recv(struct ktls_session *s, void *buf, size_t len,
			  int flags, int *alert);
/*
 * send(2) on the session's socket, after an update the peer asked for and
 * ktls_session_recv could not send at once, and any automatic update. A
 * len of 0 sends only those.
 */
ssize_t ktls_session_send(struct ktls_session *s, const void *buf, size_t len,
			  int flags);
/*
 * For callers that read the kTLS socket themselves (io_uring RECVMSG): a
 * handshake record (type 22) they read whole. A KeyUpdate is followed as
 * in ktls_session_recv (an answer that could not go out at once is sent
 * by the next ktls_session_send, len 0 will do); anything else is
 * ignored. 0 or a negative errno, as ktls_session_recv.
 */
int ktls_session_handshake_record(struct ktls_session *s, const void *buf,
				  size_t len);
/*
 * The type of the record a recvmsg(2) on a kTLS socket returned, from its
 * TLS_GET_RECORD_TYPE control message: for callers that receive through
 * io_uring (RECVMSG) and hold the struct msghdr when it completes. Give it
 * msg_control room for CMSG_SPACE(1) bytes, or a record other than data
 * fails the receive with EIO. KTLS_RECORD_DATA when no such message came.
 */
int ktls_record_type_from_msg(const struct msghdr *msg);
/*
 * TLS 1.3, after offload: send a KeyUpdate and switch to our next transmit
 * key; request_peer asks the peer to update its own (it answers with a
 * KeyUpdate that ktls_session_recv follows). -EOPNOTSUPP, with nothing
 * sent, where the kernel cannot rekey or the session is TLS 1.2. Nothing
 * may be sent on the socket from another thread meanwhile. Any other
 * error leaves the connection unusable: close it.
 */
int ktls_key_update(struct ktls_session *s, int request_peer);
/* 1 if this kernel's kTLS can rekey (probed once, cached). */
int ktls_kernel_can_rekey(void);

/* Send an alert record (level 1 warning, 2 fatal). */
int ktls_send_alert(int fd, int level, int description);
/* Send close_notify. */
int ktls_close_notify(int fd);

/* Which ciphers this kernel's kTLS accepts (probed once, cached). */
unsigned int ktls_kernel_ciphers(void);

/*
 * The cipher table (ktls_cipher_parse(3)). A cipher is one KTLS_CIPHER_*
 * bit; what is not in the table gives 0 (GNUTLS_CIPHER_UNKNOWN for
 * ktls_cipher_gnutls), "unknown cipher" (ktls_cipher_name) or NULL.
 */
/* GnuTLS's name, "AES-128-GCM"; the short one, "aes128gcm". */
const char *ktls_cipher_name(unsigned int cipher);
const char *ktls_cipher_short_name(unsigned int cipher);
/* Either name, any case, len bytes (no NUL needed). */
unsigned int ktls_cipher_parse(const char *name, size_t len);
/* GnuTLS's gnutls_cipher_algorithm_t, both ways. */
unsigned int ktls_cipher_from_gnutls(int algorithm);
int ktls_cipher_gnutls(unsigned int cipher);
/* The kernel's TLS_CIPHER_* number (struct tls_crypto_info's cipher_type). */
unsigned int ktls_cipher_from_kernel(int type);
/* "TLS 1.3" .. "SSL 3.0" for a version on the wire, or NULL. */
const char *ktls_version_name(uint16_t version);
const char *ktls_alert_name(int description);

#ifdef __cplusplus
}
#endif
#endif /* KTLS_H */
