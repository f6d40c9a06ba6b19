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

static int record_type(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
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
	return record_type(&msg);
}

KTLS_EXPORT ssize_t ktls_recv(int fd, void *buf, size_t len, int flags,
			      int *alert)
{
	unsigned char *p = buf;
	int type, at_start = 1;
	ssize_t n;

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
			 * A NewSessionTicket has nothing for us here. After a
			 * KeyUpdate the peer encrypts under keys this kernel
			 * cannot be given: say so now rather than fail with
			 * EBADMSG on the next record. A record larger than
			 * buf comes in pieces; only a record's first piece
			 * starts with the message type, and a piece that
			 * fills buf may have more to come.
			 */
			if (at_start && p[0] == RECORD_HS_KEY_UPDATE)
				return -EKEYEXPIRED;
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

static void ktls_record_clear_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
}

KTLS_EXPORT int ktls_send_alert(int fd, int level, int description)
{
	union {
		char buf[RECORD_CMSG_SPACE];
		struct cmsghdr align;
	} ctrl;
	unsigned char body[2] = { level, description };
	struct iovec iov = { .iov_base = body, .iov_len = sizeof(body) };
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
	*CMSG_DATA(c) = KTLS_RECORD_ALERT;
	/*
	 * A record that failed to decrypt leaves its error (EBADMSG)
	 * pending on the socket, and sendmsg reports that instead of
	 * sending: reading SO_ERROR clears it, so the alert goes out.
	 */
	ktls_record_clear_error(fd);
	do {
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(body) ? 0 : -EIO;
}

KTLS_EXPORT int ktls_close_notify(int fd)
{
	return ktls_send_alert(fd, GNUTLS_AL_WARNING, GNUTLS_A_CLOSE_NOTIFY);
}
