// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Handover to the kernel: GnuTLS's record state per direction becomes a
 * tls12_crypto_info_* for setsockopt(SOL_TLS, TLS_TX/TLS_RX).
 *
 * Layouts (the kernel builds the nonce from salt || iv):
 *   TLS 1.2 AES-GCM/CCM: salt = 4-byte implicit IV, iv = 8-byte explicit
 *     nonce, which GnuTLS (and the kernel) keep equal to the sequence number.
 *   TLS 1.3 AES-GCM/CCM: salt = iv[0..3], iv = iv[4..11].
 *   ChaCha20-Poly1305, both versions: the whole 12-byte iv, no salt.
 * rec_seq is GnuTLS's sequence number for that direction, which is not 0
 * when records (a TLS 1.3 server's tickets) went out under the new keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ktls-internal.h"

/* GnuTLS's iv for this cipher and version has the size the layout needs. */
static int offload_iv_fits(const struct ktls_cipher_desc *d,
			   const gnutls_datum_t *iv, int tls13)
{
	if (!d->salt_len || tls13)
		return iv->size == (unsigned int)d->salt_len + d->iv_len;
	return iv->size >= d->salt_len;
}

int ktls_crypto_info_set(union ktls_crypto_info *ci,
			 gnutls_cipher_algorithm_t cipher, int tls13,
			 const gnutls_datum_t *key, const gnutls_datum_t *iv,
			 const unsigned char seq[8], socklen_t *len)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc_gnutls(cipher);
	unsigned char *p = (unsigned char *)ci;

	memset(ci, 0, sizeof(*ci));
	ci->info.version = tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	if (!d)
		return -EOPNOTSUPP;
	if (key->size != d->key_len || !offload_iv_fits(d, iv, tls13))
		return -EINVAL;
	ci->info.cipher_type = d->kernel;
	memcpy(p + d->key_off, key->data, d->key_len);
	memcpy(p + d->rec_seq_off, seq, 8);
	if (d->salt_len)
		memcpy(p + d->salt_off, iv->data, d->salt_len);
	if (d->salt_len && !tls13)
		/* TLS 1.2's explicit nonce: the sequence number */
		memcpy(p + d->iv_off, seq, d->iv_len);
	else
		memcpy(p + d->iv_off, iv->data + d->salt_len, d->iv_len);
	*len = d->info_len;
	return 0;
}

int ktls_crypto_info_fill(gnutls_session_t gs, int read,
			  union ktls_crypto_info *ci, socklen_t *len)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	int tls13, ret;

	memset(ci, 0, sizeof(*ci));
	ret = gnutls_record_get_state(gs, read, &mac, &iv, &key, seq);
	if (ret < 0)
		return -EINVAL;
	switch (gnutls_protocol_get_version(gs)) {
	case GNUTLS_TLS1_2:
		tls13 = 0;
		break;
	case GNUTLS_TLS1_3:
		tls13 = 1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	ret = ktls_crypto_info_set(ci, gnutls_cipher_get(gs), tls13, &key, &iv,
				   seq, len);
	gnutls_memset(seq, 0, sizeof(seq));
	return ret;
}

/* Decrypted application data GnuTLS holds must not vanish at handover. */
static int offload_take_pending(struct ktls_session *s)
{
	size_t n;
	unsigned char *p;
	ssize_t got;

	while ((n = gnutls_record_check_pending(s->gs)) > 0) {
		p = realloc(s->pending, s->pending_len + n);
		if (!p)
			return -ENOMEM;
		s->pending = p;
		got = gnutls_record_recv(s->gs, p + s->pending_len, n);
		if (got <= 0)
			return -EIO;
		s->pending_len += got;
	}
	return 0;
}

/*
 * The ULP refused with ENOTCONN: the peer closed before the handover. A
 * TLS 1.3 server that refused our certificate sends its alert first; read
 * it with GnuTLS, while it is whole in the socket, so that the cause is
 * the alert (EACCES, named) rather than a closed socket.
 */
static int offload_peer_verdict(struct ktls_session *s)
{
	unsigned char rec[5 + 256];
	char buf[256];
	ssize_t n;
	int i;

	for (i = 0; i < 4; i++) {
		n = recv(s->fd, rec, sizeof(rec), MSG_PEEK | MSG_DONTWAIT);
		if (n < 5 || n < 5 + (rec[3] << 8 | rec[4]))
			return 0;	/* nothing, or not a whole small record */
		n = gnutls_record_recv(s->gs, buf, sizeof(buf));
		if (n == GNUTLS_E_FATAL_ALERT_RECEIVED)
			return ktls_post_handshake_alert(s,
						gnutls_alert_get(s->gs));
		if (n >= 0 || gnutls_error_is_fatal(n))
			return 0;
	}
	return 0;
}

KTLS_EXPORT int ktls_session_offload(struct ktls_session *s)
{
	union ktls_crypto_info tx, rx;
	socklen_t txlen = 0, rxlen = 0;
	unsigned int cipher;
	const char *name;
	int ret;

	if (s->state == KTLS_ST_OFFLOADED)
		return 0;
	if (s->state == KTLS_ST_FAILED)
		return s->error;
	if (s->state != KTLS_ST_DONE)
		return -EINVAL;
	if (s->cfg->user_records)
		return ktls_session_fail(s, -EOPNOTSUPP,
					 "the configuration keeps records in user space");

	cipher = ktls_cipher_from_gnutls(gnutls_cipher_get(s->gs));
	name = gnutls_cipher_get_name(gnutls_cipher_get(s->gs));
	if (!cipher)
		return ktls_session_fail(s, -EOPNOTSUPP,
					 "negotiated cipher %s has no kTLS form",
					 name ? name : "?");
	if (!(ktls_kernel_ciphers() & cipher))
		return ktls_session_fail(s, -EOPNOTSUPP,
					 "this kernel's kTLS lacks %s",
					 ktls_cipher_name(cipher));
	ret = offload_take_pending(s);
	if (ret)
		return ktls_session_fail(s, ret,
					 "could not take data GnuTLS buffered");

	ret = ktls_crypto_info_fill(s->gs, 0, &tx, &txlen);
	if (!ret)
		ret = ktls_crypto_info_fill(s->gs, 1, &rx, &rxlen);
	if (ret) {
		ret = ktls_session_fail(s, ret, "no usable record state for %s",
					ktls_cipher_name(cipher));
		goto wipe;
	}

	if (setsockopt(s->fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		int err = errno;

		ret = err == ENOTCONN ? offload_peer_verdict(s) : 0;
		if (ret)
			goto wipe;
		ret = ktls_session_fail(s, err == ENOENT ? -ENOPROTOOPT : -err,
					"setting the tls ULP failed: %s%s",
					strerror(err),
					err == ENOENT ? " (no tls module?)" : "");
		goto wipe;
	}
	if (setsockopt(s->fd, SOL_TLS, TLS_TX, &tx, txlen) < 0) {
		ret = errno == ENOENT ? -EOPNOTSUPP : -errno;
		ret = ktls_session_fail(s, ret, "TLS_TX with %s refused: %s",
					ktls_cipher_name(cipher),
					strerror(errno));
		goto wipe;
	}
	/* Before any record goes out under the new key. */
	ret = ktls_record_limit_apply(s);
	if (ret)
		goto wipe;
	if (setsockopt(s->fd, SOL_TLS, TLS_RX, &rx, rxlen) < 0) {
		/* TX can't be taken back: the socket is unusable now. */
		ret = ktls_session_fail(s, -EIO,
					"TLS_RX with %s refused after TLS_TX: %s",
					ktls_cipher_name(cipher),
					strerror(errno));
		goto wipe;
	}
	s->state = KTLS_ST_OFFLOADED;
	ktls_key_update_offloaded(s);
	ret = 0;
wipe:
	gnutls_memset(&tx, 0, sizeof(tx));
	gnutls_memset(&rx, 0, sizeof(rx));
	return ret;
}

KTLS_EXPORT size_t ktls_session_pending(struct ktls_session *s,
					const void **data)
{
	size_t n;

	if (s->state == KTLS_ST_DONE && !s->pending_len)
		offload_take_pending(s);
	n = s->pending_len;
	if (data)
		*data = s->pending;
	return n;
}
