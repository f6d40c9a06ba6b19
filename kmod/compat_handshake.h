/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TLS handshake consumer API of net/handshake (Linux 6.4+), for kernels
 * that lack it. The compat_handshake module (kmod/compat/) exports these
 * functions under the upstream names, with the upstream behaviour, so a
 * consumer written against <net/handshake.h> builds and runs unchanged.
 *
 * A request that submits with 0 gets exactly one ta_done callback, unless
 * tls_handshake_cancel() returns true first. The callback's status is 0 on
 * success or a negative errno: the agent's DONE status negated, -EIO when
 * DONE carried none or the agent's ACCEPT failed, -ETIMEDOUT when the
 * socket's network namespace went away first. peerid is the first remote
 * identity the agent reported, or TLS_NO_PEERID.
 *
 * Submit errors: -EINVAL (bad arguments, no file behind the socket),
 * -ENOMEM, -EAGAIN (too many requests wait for an agent in this network
 * namespace), -EBUSY (the socket already had a request: it keeps it until
 * the socket is closed), -ESRCH (no agent listens), -EOPNOTSUPP (the
 * namespace is being dismantled).
 *
 * The caller holds a reference on ta_sock->file across the submit; the
 * request takes its own until it completes or is cancelled.
 */
#ifndef KTLS_COMPAT_HANDSHAKE_H
#define KTLS_COMPAT_HANDSHAKE_H

#include <linux/gfp.h>
#include <linux/key.h>
#include <linux/types.h>

struct sock;
struct socket;

enum {
	TLS_NO_KEYRING = 0,
	TLS_NO_PEERID = 0,
	TLS_NO_CERT = 0,
	TLS_NO_PRIVKEY = 0,
};

/* How many local PSK identities a client request may offer. */
#define TLS_HANDSHAKE_MAX_PEERIDS	5

typedef void (*tls_done_func_t)(void *data, int status, key_serial_t peerid);

struct tls_handshake_args {
	struct socket		*ta_sock;
	tls_done_func_t		ta_done;
	void			*ta_data;
	const char		*ta_peername;	/* copied at submit */
	unsigned int		ta_timeout_ms;	/* 0: none */
	key_serial_t		ta_keyring;
	key_serial_t		ta_my_cert;
	key_serial_t		ta_my_privkey;
	unsigned int		ta_num_peerids;
	key_serial_t		ta_my_peerids[TLS_HANDSHAKE_MAX_PEERIDS];
};

int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags);

/*
 * True if the request was withdrawn before it completed: no callback will
 * come. False if there was none or its callback has run or is running.
 * Safe in process and softirq context.
 */
bool tls_handshake_cancel(struct sock *sk);

/*
 * After a successful handshake, send a close_notify alert on the socket's
 * kTLS transmit side, once. Does nothing otherwise.
 */
void tls_handshake_close(struct socket *sock);

#endif /* KTLS_COMPAT_HANDSHAKE_H */
