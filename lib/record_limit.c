// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Record size limits a peer asks for: max_fragment_length (RFC 6066, ext 1)
 * and record_size_limit (RFC 8449, ext 28). GnuTLS honours both, but only
 * for records it writes itself: after the handover the kernel writes up to
 * 16 KiB of plaintext per record, and a peer that negotiated 512 aborts
 * ("record overflow", "data length too long").
 *
 * Kernels that take TLS_TX_MAX_PAYLOAD_LEN (7.x) keep the limit: GnuTLS
 * negotiates both extensions as usual (and keeps the limit for its own
 * handshake records), the hook notes the value, and the offload hands it to
 * the kernel right after TLS_TX, before any record goes out.
 *
 * Kernels before it (6.1, 6.12) cannot limit what they send, so:
 *
 * - A server declines the limit: our handlers take the place of GnuTLS's
 *   for both extensions, note what the peer asked for and send nothing
 *   back. A server that does not echo the extension has not agreed to it
 *   (both RFCs), and the client keeps the default 16 KiB; gnutls-cli
 *   --recordsize and openssl s_client -maxfraglen accept that.
 * - A client cannot decline what a server imposes: GnuTLS offers
 *   record_size_limit (16 KiB, its own receive limit) and a server may
 *   answer with a smaller one, which binds what we send. GnuTLS still sends
 *   its own offer beside an overriding handler, so the answer is read in
 *   the handshake hook instead (ServerHello in TLS 1.2, EncryptedExtensions
 *   in TLS 1.3, where the value counts the content-type byte), and a limit
 *   under 16 KiB ends the handshake there: -EOPNOTSUPP, a cause naming the
 *   limit, and a handshake_failure alert. The kernel never gets a session
 *   whose peer would reject its records. A server that answers
 *   max_fragment_length, which we never offer, is refused by GnuTLS.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls-internal.h"

#define EXT_MAX_FRAGMENT_LENGTH	1
#define EXT_RECORD_SIZE_LIMIT	28
#define RECORD_MAX		16384

static int record_limit_mfl(gnutls_session_t gs, const unsigned char *data,
			    size_t len)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);

	/* 1..4 mean 2^9..2^12 */
	if (len == 1 && data[0] >= 1 && data[0] <= 4)
		s->peer_mfl = 256u << data[0];
	return 0;
}

static int record_limit_rsl(gnutls_session_t gs, const unsigned char *data,
			    size_t len)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);

	/* The version is not chosen yet: ktls_record_limit_asked() decides. */
	if (len == 2)
		s->peer_rsl = data[0] << 8 | data[1];
	return 0;
}

static int record_limit_send(gnutls_session_t gs, gnutls_buffer_t buf)
{
	(void)gs;
	(void)buf;
	return 0;			/* never on the wire */
}

unsigned int ktls_record_limit_asked(const struct ktls_session *s)
{
	unsigned int v = s->peer_rsl;

	if (s->cfg->role == KTLS_ROLE_CLIENT)
		return s->peer_record_limit;
	/* record_size_limit wins over max_fragment_length (RFC 8449 5) */
	if (v) {
		/* TLS 1.3 counts the inner content type: 16385 is no limit */
		if (gnutls_protocol_get_version(s->gs) == GNUTLS_TLS1_3)
			v--;
		return v < RECORD_MAX ? v : 0;
	}
	return s->peer_mfl;
}

int ktls_record_limit_setup(struct ktls_session *s)
{
	unsigned int flags = GNUTLS_EXT_FLAG_OVERRIDE_INTERNAL |
			     GNUTLS_EXT_FLAG_TLS | GNUTLS_EXT_FLAG_CLIENT_HELLO |
			     GNUTLS_EXT_FLAG_TLS12_SERVER_HELLO |
			     GNUTLS_EXT_FLAG_EE;

	if (s->cfg->user_records || s->cfg->role != KTLS_ROLE_SERVER ||
	    ktls_kernel_tx_limit())
		return 0;
	if (gnutls_session_ext_register(s->gs, "max_fragment_length(declined)",
					EXT_MAX_FRAGMENT_LENGTH, GNUTLS_EXT_TLS,
					record_limit_mfl, record_limit_send,
					NULL, NULL, NULL, flags) < 0 ||
	    gnutls_session_ext_register(s->gs, "record_size_limit(declined)",
					EXT_RECORD_SIZE_LIMIT, GNUTLS_EXT_TLS,
					record_limit_rsl, record_limit_send,
					NULL, NULL, NULL, flags) < 0)
		return -EIO;
	return 0;
}

struct record_limit_scan {
	struct ktls_session *s;
	int tls13;
};

/* Server on a kernel that keeps limits: what the ClientHello asks for. */
static int record_limit_hello_ext(void *ctx, unsigned int tls_id,
				  const unsigned char *data, unsigned int size)
{
	struct ktls_session *s = ctx;

	if (tls_id == EXT_MAX_FRAGMENT_LENGTH)
		record_limit_mfl(s->gs, data, size);
	else if (tls_id == EXT_RECORD_SIZE_LIMIT)
		record_limit_rsl(s->gs, data, size);
	return 0;
}

static int record_limit_ext(void *ctx, unsigned int tls_id,
			    const unsigned char *data, unsigned int size)
{
	struct record_limit_scan *scan = ctx;
	unsigned int v;

	if (tls_id != EXT_RECORD_SIZE_LIMIT || size != 2)
		return 0;
	v = data[0] << 8 | data[1];
	if (scan->tls13 && v)
		v--;			/* the inner content type */
	if (v < RECORD_MAX) {
		scan->s->peer_record_limit = v;
		scan->s->record_limit_refused = 1;
	}
	return 0;
}

int ktls_record_limit_check(struct ktls_session *s, unsigned int htype,
			    const gnutls_datum_t *m)
{
	struct record_limit_scan scan = { .s = s };
	gnutls_datum_t ext;
	size_t off;

	if (s->cfg->user_records)
		return 0;
	if (s->cfg->role == KTLS_ROLE_SERVER) {
		if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && ktls_kernel_tx_limit())
			gnutls_ext_raw_parse(s, record_limit_hello_ext, m,
					     GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
		return 0;
	}
	if (htype == GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS) {
		scan.tls13 = 1;
		off = 0;
	} else if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO) {
		/* version, random, session id, suite, compression */
		if (m->size < 35)
			return 0;
		off = 35 + m->data[34] + 3;
	} else {
		return 0;
	}
	if (off + 2 > m->size)
		return 0;
	ext.data = m->data + off;
	ext.size = m->size - off;
	gnutls_ext_raw_parse(&scan, record_limit_ext, &ext, 0);
	/* The kernel will keep it: nothing to refuse. */
	if (ktls_kernel_tx_limit())
		s->record_limit_refused = 0;
	/* GnuTLS then fails the handshake with this, and we say why. */
	return s->record_limit_refused ? GNUTLS_E_UNIMPLEMENTED_FEATURE : 0;
}

int ktls_record_limit_apply(struct ktls_session *s)
{
	unsigned int limit = ktls_record_limit_asked(s);
	uint16_t v;

	/* Older kernels: the limit was declined or refused, never agreed. */
	if (!limit || limit >= RECORD_MAX || !ktls_kernel_tx_limit())
		return 0;
	/* Asked, and neither declined nor refused: the kernel must keep it. */
	v = (uint16_t)limit;
	if (setsockopt(s->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, sizeof(v)) < 0)
		return ktls_session_fail(s, -EOPNOTSUPP,
					 "the peer limits records to %u bytes and the kernel refused TLS_TX_MAX_PAYLOAD_LEN: %s",
					 limit, strerror(errno));
	s->record_limit_kept = 1;
	return 0;
}

int ktls_record_limit_fail(struct ktls_session *s)
{
	gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
	return ktls_session_fail(s, -EOPNOTSUPP,
				 "peer limits records to %u bytes (record_size_limit), which this kernel's kTLS cannot keep",
				 s->peer_record_limit);
}
