// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * After handover: records on a kTLS socket. The record type travels in a
 * control message (TLS_GET_RECORD_TYPE / TLS_SET_RECORD_TYPE); a recvmsg
 * without room for it fails with EIO as soon as a non-data record comes.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ktls-internal.h"

#define RECORD_CMSG_SPACE CMSG_SPACE(sizeof(unsigned char))
/* Handshake message type (RFC 8446, 4), first byte of the record. */
#define RECORD_HS_CLIENT_HELLO 1
#define RECORD_HS_KEY_UPDATE 24

KTLS_EXPORT int ktls_record_type_from_msg(const struct msghdr *msg)
{
	/* CMSG_NXTHDR takes no const: it only reads. */
	struct msghdr *m = (struct msghdr *)msg;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_TLS &&
		    c->cmsg_type == TLS_GET_RECORD_TYPE)
			return *CMSG_DATA(c);
	return KTLS_RECORD_DATA;
}

int ktls_record_read(int fd, void *buf, size_t len, int flags, ssize_t *n)
{
	union {
		char buf[RECORD_CMSG_SPACE];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl.buf,
		.msg_controllen = sizeof(ctrl.buf),
	};

	do {
		*n = recvmsg(fd, &msg, flags);
	} while (*n < 0 && errno == EINTR);
	if (*n < 0)
		return -errno;
	return ktls_record_type_from_msg(&msg);
}

/*
 * The rest of a KeyUpdate whose first piece (have bytes in m, fewer than
 * a KeyUpdate's 5) filled the caller's buffer: it is in the same record.
 * Returns the length seen, or a negative errno.
 */
static ssize_t record_key_update_rest(int fd, unsigned char *m, size_t have,
				      size_t cap, int flags)
{
	ssize_t n;
	int type;

	type = ktls_record_read(fd, m + have, cap - have, flags, &n);
	if (type < 0)
		return type;
	if (type != KTLS_RECORD_HANDSHAKE)
		return have;	/* it had ended: short, malformed */
	return have + n;
}

/*
 * ktls_recv() and ktls_session_recv(): with a session, a KeyUpdate is
 * followed; without one, it ends the read with -EKEYEXPIRED.
 */
static ssize_t record_recv(struct ktls_session *s, int fd, void *buf,
			   size_t len, int flags, int *alert)
{
	unsigned char *p = buf, ku[8];
	int type, at_start = 1, ret;
	ssize_t n, kn;

	/* Skipping a non-data record means consuming it: no peeking. */
	if ((flags & MSG_PEEK) || !len)
		return -EINVAL;
	for (;;) {
		type = ktls_record_read(fd, buf, len, flags, &n);
		if (type < 0)
			return type;
		/*
		 * Only a data read of nothing is the end of the stream. An
		 * empty alert or handshake record is illegal (RFC 8446,
		 * 5.1): the peer is told so, and it is no EOF.
		 */
		if (n == 0 && type == KTLS_RECORD_DATA)
			return 0;
		if (n == 0) {
			ktls_send_alert(fd, GNUTLS_AL_FATAL,
					GNUTLS_A_UNEXPECTED_MESSAGE);
			return -EPROTO;
		}
		switch (type) {
		case KTLS_RECORD_DATA:
			return n;
		case KTLS_RECORD_HANDSHAKE:
			/*
			 * A NewSessionTicket has nothing for us here. A
			 * KeyUpdate changes the peer's key: followed with a
			 * session where the kernel can rekey, else said at
			 * once rather than failing with EBADMSG on the next
			 * record. A record larger than buf comes in pieces;
			 * only a record's first piece starts with the
			 * message type, and a piece that fills buf may have
			 * more to come. RFC 8446 (5.1) has a KeyUpdate end
			 * its record, and the kernel (like us) looks for it
			 * only at a record's start.
			 */
			if (at_start && p[0] == RECORD_HS_KEY_UPDATE) {
				if (!s)
					return -EKEYEXPIRED;
				kn = n < (ssize_t)sizeof(ku) ? n : (ssize_t)sizeof(ku);
				memcpy(ku, p, kn);
				if ((size_t)n == len && n < 5)
					kn = record_key_update_rest(fd, ku, kn,
								    sizeof(ku),
								    flags);
				if (kn < 0)
					return kn;
				if ((size_t)n > sizeof(ku))
					kn = n;	/* longer than any KeyUpdate */
				ret = ktls_key_update_received(s, ku, kn);
				gnutls_memset(ku, 0, sizeof(ku));
				if (ret)
					return ret;
				at_start = 1;
				continue;
			}
			/*
			 * A HelloRequest or ClientHello asks for a TLS 1.2
			 * renegotiation, which a kTLS socket cannot do:
			 * refuse it as RFC 5246 (7.2.2) says, so that the
			 * peer does not wait for an answer.
			 */
			if (at_start && p[0] <= RECORD_HS_CLIENT_HELLO)
				ktls_send_alert(fd, GNUTLS_AL_WARNING,
						GNUTLS_A_NO_RENEGOTIATION);
			at_start = (size_t)n < len;
			continue;
		case KTLS_RECORD_ALERT:
			if (n < 2)
				return -EPROTO;
			if (p[1] == GNUTLS_A_CLOSE_NOTIFY)
				return 0;
			if (p[0] == GNUTLS_AL_FATAL) {
				if (alert)
					*alert = p[1];
				return -ECONNABORTED;
			}
			continue;	/* a warning: carry on */
		default:
			return -EPROTO;
		}
	}
}

KTLS_EXPORT ssize_t ktls_recv(int fd, void *buf, size_t len, int flags,
			      int *alert)
{
	return record_recv(NULL, fd, buf, len, flags, alert);
}

KTLS_EXPORT ssize_t ktls_session_recv(struct ktls_session *s, void *buf,
				      size_t len, int flags, int *alert)
{
	int ret;

	if (!s || s->state != KTLS_ST_OFFLOADED)
		return -EINVAL;
	ret = ktls_key_update_answer(s);
	if (ret)
		return ret;
	return record_recv(s, s->fd, buf, len, flags, alert);
}

KTLS_EXPORT int ktls_session_handshake_record(struct ktls_session *s,
					     const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!s || s->state != KTLS_ST_OFFLOADED)
		return -EINVAL;
	if (len && p[0] == RECORD_HS_KEY_UPDATE)
		return ktls_key_update_received(s, p, len);
	return 0;	/* a NewSessionTicket, say: nothing to do */
}

KTLS_EXPORT ssize_t ktls_session_send(struct ktls_session *s, const void *buf,
				      size_t len, int flags)
{
	ssize_t n;
	int ret;

	if (!s || s->state != KTLS_ST_OFFLOADED)
		return -EINVAL;
	pthread_mutex_lock(&s->ku_lock);
	ret = ktls_key_update_before_send(s, len);
	if (ret || !len) {
		pthread_mutex_unlock(&s->ku_lock);
		return ret;
	}
	do {
		n = send(s->fd, buf, len, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	pthread_mutex_unlock(&s->ku_lock);
	return n;
}

static void ktls_record_clear_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
}

ssize_t ktls_record_send(int fd, unsigned char type, const void *body,
			 size_t len, int flags)
{
	union {
		char buf[RECORD_CMSG_SPACE];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = (void *)body, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl.buf,
		.msg_controllen = sizeof(ctrl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctrl, 0, sizeof(ctrl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(c) = type;
	do {
		n = sendmsg(fd, &msg, flags);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

KTLS_EXPORT int ktls_send_alert(int fd, int level, int description)
{
	unsigned char body[2] = { level, description };
	ssize_t n;

	/*
	 * A record that failed to decrypt leaves its error (EBADMSG)
	 * pending on the socket, and sendmsg reports that instead of
	 * sending: reading SO_ERROR clears it, so the alert goes out.
	 */
	ktls_record_clear_error(fd);
	n = ktls_record_send(fd, KTLS_RECORD_ALERT, body, sizeof(body),
			     MSG_NOSIGNAL);
	if (n < 0)
		return n;
	return n == sizeof(body) ? 0 : -EIO;
}

KTLS_EXPORT int ktls_close_notify(int fd)
{
	return ktls_send_alert(fd, GNUTLS_AL_WARNING, GNUTLS_A_CLOSE_NOTIFY);
}
