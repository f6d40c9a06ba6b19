// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TLS 1.3 KeyUpdate after the handover (RFC 8446, 4.6.3 and 7.2), on
 * kernels whose kTLS takes a second TLS_TX / TLS_RX (6.14 and later).
 *
 * GnuTLS cannot update keys it no longer drives, so the application
 * traffic secrets are taken from its secret callback during the handshake
 * and kept, per direction, for as long as the connection may rekey: wiped
 * at once when it cannot (TLS 1.2, a kernel without rekey), else at free.
 * Each update derives, with GnuTLS's HKDF:
 *   secret' = HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)
 *   key     = HKDF-Expand-Label(secret', "key", "", key length)
 *   iv      = HKDF-Expand-Label(secret', "iv", "", 12)
 * and the kernel gets key and iv with a record sequence number of 0.
 *
 * Order (4.6.3): our KeyUpdate goes out under the old key, and the next
 * TLS_TX follows before anything else is sent: ku_lock makes the two one
 * step for every sender that goes through the library. A received
 * KeyUpdate is followed by the next TLS_RX (the kernel holds later records
 * until then). One with update_requested is answered at once if the send
 * side is free and the socket takes it without waiting; otherwise the
 * answer is owed and goes out first at the next ktls_session_send() or
 * ktls_session_recv(), so a reader never blocks on the send side (two
 * peers doing so at once would deadlock). Several requests met while
 * silent get one answer, as 4.6.3 allows.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/crypto.h>

#include "ktls-internal.h"

#define KU_HS_TYPE 24			/* HandshakeType key_update */
#define KU_MSG_LEN 5			/* type, uint24 length 1, request */
#define KU_IV_LEN 12

/* A failure after the handover: named, the session's state kept. */
static int ku_fail(struct ktls_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ku_fail(struct ktls_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errbuf, sizeof(s->errbuf), fmt, ap);
	va_end(ap);
	s->error = err;
	return err;
}

int ktls_hkdf_expand_label(gnutls_mac_algorithm_t mac, const void *secret,
			   size_t secret_len, const char *label,
			   void *out, size_t out_len)
{
	/* HkdfLabel: uint16 length, opaque label<7..255>, context<0..255> */
	unsigned char info[2 + 1 + 255 + 1];
	size_t llen = strlen(label), n = 0;
	gnutls_datum_t key = { (void *)secret, secret_len };
	gnutls_datum_t in;
	int ret;

	if (llen + 6 > 255 || out_len > 0xffff)
		return -EINVAL;
	info[n++] = out_len >> 8;
	info[n++] = out_len & 0xff;
	info[n++] = llen + 6;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;			/* empty context */
	in.data = info;
	in.size = n;
	ret = gnutls_hkdf_expand(mac, &key, &in, out, out_len);
	return ret < 0 ? -EINVAL : 0;
}

static int ku_secret_func(gnutls_session_t gs,
			  gnutls_record_encryption_level_t level,
			  const void *secret_read, const void *secret_write,
			  size_t size)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);

	if (level != GNUTLS_ENCRYPTION_LEVEL_APPLICATION)
		return 0;
	if (size > sizeof(s->ku_tx))
		return 0;	/* no hash this long in TLS 1.3: never rekey */
	s->ku_len = size;
	if (secret_read)
		memcpy(s->ku_rx, secret_read, size);
	if (secret_write)
		memcpy(s->ku_tx, secret_write, size);
	return 0;
}

/*
 * Only where the kernel can rekey: elsewhere the secrets could never be
 * used, and a session without the callback is the handshake as it was
 * before KeyUpdate support (on 6.12 a 64 KiB server certificate failed to
 * decrypt with the callback installed: seen in tlshd-hostile, not yet
 * understood).
 */
void ktls_key_update_setup(struct ktls_session *s)
{
	/* User-space records never meet the kernel: don't even probe it. */
	if (!s->cfg->user_records && ktls_kernel_rekey())
		gnutls_handshake_set_secret_function(s->gs, ku_secret_func);
}

void ktls_key_update_wipe(struct ktls_session *s)
{
	gnutls_memset(s->ku_tx, 0, sizeof(s->ku_tx));
	gnutls_memset(s->ku_rx, 0, sizeof(s->ku_rx));
	s->ku_len = 0;
	s->ku_ready = 0;
}

/* After TLS_TX and TLS_RX: keep the secrets only if they can be used. */
void ktls_key_update_offloaded(struct ktls_session *s)
{
	const struct ktls_config *cfg = s->cfg;
	uint64_t limit = cfg->key_update_limit;

	if (gnutls_protocol_get_version(s->gs) != GNUTLS_TLS1_3 ||
	    !s->ku_len || !ktls_kernel_rekey()) {
		ktls_key_update_wipe(s);
		return;
	}
	s->ku_ready = 1;
	if (limit == KTLS_KEY_UPDATE_LIMIT_RFC)
		limit = ktls_key_update_rfc_limit(ktls_cipher_from_gnutls(
					gnutls_cipher_get(s->gs)));
	s->ku_limit = limit;
	s->ku_records = 0;
}

uint64_t ktls_key_update_rfc_limit(unsigned int cipher)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(cipher);

	return d ? d->rfc_limit : 0;
}

/* Why this session cannot update its keys, or NULL if it can. */
static const char *ku_why_not(const struct ktls_session *s)
{
	if (s->state != KTLS_ST_OFFLOADED)
		return "the session is not handed to kTLS";
	if (gnutls_protocol_get_version(s->gs) != GNUTLS_TLS1_3)
		return "KeyUpdate is TLS 1.3 only";
	if (!ktls_kernel_rekey())
		return "this kernel's kTLS cannot rekey (a second TLS_TX/TLS_RX is refused; Linux 6.14 and later can)";
	if (!s->ku_ready)
		return "no traffic secrets were kept for this session";
	return NULL;
}

/*
 * One direction's next secret (into next, s->ku_len bytes) and the
 * kernel's crypto info for the key and iv derived from it.
 */
int ktls_key_update_next(struct ktls_session *s, int tx, unsigned char *next,
			 union ktls_crypto_info *ci, socklen_t *cilen)
{
	gnutls_mac_algorithm_t mac = (gnutls_mac_algorithm_t)
				     gnutls_prf_hash_get(s->gs);
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s->gs);
	const unsigned char *cur = tx ? s->ku_tx : s->ku_rx;
	unsigned char key[32], iv[KU_IV_LEN];
	static const unsigned char seq[8];
	size_t klen = gnutls_cipher_get_key_size(cipher);
	gnutls_datum_t dkey = { key, klen }, div = { iv, sizeof(iv) };
	int ret;

	if (!s->ku_len || !klen || klen > sizeof(key))
		return -EINVAL;
	ret = ktls_hkdf_expand_label(mac, cur, s->ku_len, "traffic upd", next,
				     s->ku_len);
	if (!ret)
		ret = ktls_hkdf_expand_label(mac, next, s->ku_len, "key", key,
					     klen);
	if (!ret)
		ret = ktls_hkdf_expand_label(mac, next, s->ku_len, "iv", iv,
					     sizeof(iv));
	if (!ret)
		ret = ktls_crypto_info_set(ci, cipher, 1, &dkey, &div, seq,
					   cilen);
	gnutls_memset(key, 0, sizeof(key));
	gnutls_memset(iv, 0, sizeof(iv));
	if (ret)
		gnutls_memset(next, 0, s->ku_len);
	return ret;
}

/*
 * Step one direction's secret forward and hand the kernel its key. The
 * secret is stepped only once the kernel took the new key.
 */
static int ku_install(struct ktls_session *s, int tx)
{
	unsigned char next[sizeof(s->ku_tx)];
	union ktls_crypto_info ci;
	socklen_t cilen = 0;
	int ret;

	ret = ktls_key_update_next(s, tx, next, &ci, &cilen);
	if (ret)
		return ku_fail(s, ret, "deriving the next %s key failed",
			       tx ? "transmit" : "receive");
	if (setsockopt(s->fd, SOL_TLS, tx ? TLS_TX : TLS_RX, &ci, cilen) < 0) {
		ret = ku_fail(s, -errno, "the kernel refused the next %s key: %s",
			      tx ? "TLS_TX" : "TLS_RX", strerror(errno));
		goto wipe;
	}
	memcpy(tx ? s->ku_tx : s->ku_rx, next, s->ku_len);
	ret = 0;
wipe:
	gnutls_memset(next, 0, sizeof(next));
	gnutls_memset(&ci, 0, sizeof(ci));
	return ret;
}

/* One handshake record holding one KeyUpdate, under the current key. */
static int ku_send_record(struct ktls_session *s, int request, int wait)
{
	unsigned char body[KU_MSG_LEN] = { KU_HS_TYPE, 0, 0, 1, request };
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	ssize_t n;

	for (;;) {
		n = ktls_record_send(s->fd, KTLS_RECORD_HANDSHAKE, body,
				     sizeof(body),
				     MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
		if (n != -EAGAIN)
			break;
		if (!wait)
			return -EAGAIN;		/* nothing sent */
		/* Non-blocking socket: the update must go out as one. */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			n = -errno;
			break;
		}
	}
	if (n < 0)
		return ku_fail(s, n, "sending a KeyUpdate failed: %s",
			       strerror(-n));
	if (n != sizeof(body))
		return ku_fail(s, -EIO, "a KeyUpdate went out short");
	return 0;
}

/* With ku_lock held. wait 0: -EAGAIN, nothing sent, if it would block. */
static int ku_update_locked(struct ktls_session *s, int request, int wait)
{
	const char *why = ku_why_not(s);
	int ret;

	if (why)
		return ku_fail(s, -EOPNOTSUPP, "cannot update keys: %s", why);
	ret = ku_send_record(s, request ? 1 : 0, wait);
	if (ret)
		return ret;
	/*
	 * The peer now expects the next key only. Should the kernel refuse
	 * it, nothing more may be sent: the caller must close.
	 */
	ret = ku_install(s, 1);
	if (ret)
		return ret;
	/* Any update of ours answers the peer's requests so far. */
	__atomic_store_n(&s->ku_owed, 0, __ATOMIC_RELAXED);
	s->ku_records = 0;
	s->ku_sent++;
	return 0;
}

KTLS_EXPORT int ktls_key_update(struct ktls_session *s, int request_peer)
{
	int ret;

	pthread_mutex_lock(&s->ku_lock);
	ret = ku_update_locked(s, request_peer, 1);
	pthread_mutex_unlock(&s->ku_lock);
	return ret;
}

/* Receive side: answer an owed update if that can be done at once. */
int ktls_key_update_answer(struct ktls_session *s)
{
	int ret = 0;

	if (!__atomic_load_n(&s->ku_owed, __ATOMIC_RELAXED) ||
	    pthread_mutex_trylock(&s->ku_lock))
		return 0;	/* the sender answers before its next send */
	if (__atomic_load_n(&s->ku_owed, __ATOMIC_RELAXED)) {
		ret = ku_update_locked(s, 0, 0);
		if (ret == -EAGAIN)
			ret = 0;
	}
	pthread_mutex_unlock(&s->ku_lock);
	return ret;
}

int ktls_key_update_received(struct ktls_session *s, const unsigned char *m,
			     size_t n)
{
	const char *why;
	int ret;

	if (n < 4 || (m[1] << 16 | m[2] << 8 | m[3]) != 1 || n != KU_MSG_LEN) {
		ktls_send_alert(s->fd, GNUTLS_AL_FATAL, GNUTLS_A_DECODE_ERROR);
		return ku_fail(s, -EPROTO,
			       "peer sent a malformed KeyUpdate (%zu bytes in its record)",
			       n);
	}
	if (m[4] > 1) {
		ktls_send_alert(s->fd, GNUTLS_AL_FATAL,
				GNUTLS_A_ILLEGAL_PARAMETER);
		return ku_fail(s, -EPROTO,
			       "peer sent a KeyUpdate with request_update %u (0 or 1 allowed)",
			       m[4]);
	}
	if (gnutls_protocol_get_version(s->gs) != GNUTLS_TLS1_3) {
		ktls_send_alert(s->fd, GNUTLS_AL_FATAL,
				GNUTLS_A_UNEXPECTED_MESSAGE);
		return ku_fail(s, -EPROTO, "peer sent a KeyUpdate in TLS 1.2");
	}
	why = ku_why_not(s);
	if (why)
		return ku_fail(s, -EKEYEXPIRED,
			       "peer sent a TLS 1.3 KeyUpdate and it cannot be followed: %s",
			       why);
	ret = ku_install(s, 0);
	if (ret)
		return ret;
	s->ku_received++;
	if (m[4] == 1) {
		__atomic_store_n(&s->ku_owed, 1, __ATOMIC_RELAXED);
		return ktls_key_update_answer(s);
	}
	return 0;
}

/*
 * Before sending len bytes, with ku_lock held: an owed answer goes first,
 * then an update if the key-usage limit calls for one.
 */
int ktls_key_update_before_send(struct ktls_session *s, size_t len)
{
	uint64_t records = (len + 16383) / 16384;
	int ret;

	if (!s->ku_ready)
		return 0;
	if (__atomic_load_n(&s->ku_owed, __ATOMIC_RELAXED)) {
		ret = ku_update_locked(s, 0, 1);
		if (ret)
			return ret;
	}
	if (s->ku_limit && s->ku_records + records > s->ku_limit) {
		ret = ku_update_locked(s, 0, 1);
		if (ret)
			return ret;
	}
	s->ku_records += records;
	return 0;
}

KTLS_EXPORT int ktls_kernel_can_rekey(void)
{
	return ktls_kernel_rekey();
}
