// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GnuTLS transport over the socket, bounded by TLS records: the reader
 * never takes from the socket a byte past the end of the record it is in.
 * Whatever the peer sent after its last handshake record therefore stays
 * in the socket and reaches the kernel's kTLS after handover, instead of
 * being swallowed into GnuTLS's read-ahead buffer and lost.
 *
 * Within a handshake call the reader does not read a record in two
 * recv()s (header, then body): one MSG_PEEK copies what the socket holds,
 * GnuTLS is handed it record by record from that copy, and one recv()
 * takes from the socket exactly the bytes handed over, once the copy is
 * used up or the call returns. A server's whole flight then costs two
 * syscalls instead of two a record, and what follows the last handshake
 * record is still only peeked at, never taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ktls-internal.h"

int ktls_transport_settle(struct ktls_session *s)
{
	size_t done = 0;
	ssize_t n;
	int ret = 0;

	/* Bytes we saw there: the recv() finds them, and writes them again. */
	while (done < s->peek_pos) {
		n = recv(s->fd, s->peek + done, s->peek_pos - done,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += n;
	}
	s->peek_pos = 0;
	s->peek_len = 0;
	return ret;
}

/* Up to want bytes from the peek buffer, peeking anew once it is used up. */
static ssize_t transport_peek_read(struct ktls_session *s, void *buf,
				   size_t want)
{
	ssize_t n;
	int ret;

	if (s->peek_pos == s->peek_len) {
		do {
			n = recv(s->fd, s->peek, KTLS_PEEK_MAX,
				 MSG_PEEK | (s->dontwait ? MSG_DONTWAIT : 0));
		} while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n;
		s->peek_len = n;
		s->peek_pos = 0;
	}
	if (want > s->peek_len - s->peek_pos)
		want = s->peek_len - s->peek_pos;
	memcpy(buf, s->peek + s->peek_pos, want);
	s->peek_pos += want;
	/* Used up: the socket's head is again the first byte not seen. */
	if (s->peek_pos == s->peek_len) {
		ret = ktls_transport_settle(s);
		if (ret) {
			errno = -ret;
			return -1;
		}
	}
	return want;
}

ssize_t ktls_transport_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct ktls_session *s = ptr;
	size_t want;
	ssize_t n;

	if (s->hdr_have < sizeof(s->hdr))
		want = sizeof(s->hdr) - s->hdr_have;
	else
		want = s->body_left;
	if (want > len)
		want = len;
	if (s->bytes_in >= KTLS_HANDSHAKE_INPUT_MAX) {
		s->input_overrun = 1;
		gnutls_transport_set_errno(s->gs, EMSGSIZE);
		errno = EMSGSIZE;
		return -1;
	}
	if (s->peek_on && !s->peek)
		s->peek = malloc(KTLS_PEEK_MAX);
	if (s->peek_on && s->peek) {
		n = transport_peek_read(s, buf, want);
	} else {
		do {
			n = recv(s->fd, buf, want,
				 s->dontwait ? MSG_DONTWAIT : 0);
		} while (n < 0 && errno == EINTR);
	}
	if (n < 0) {
		gnutls_transport_set_errno(s->gs, errno);
		return -1;
	}
	if (n == 0)
		return 0;

	s->bytes_in += n;
	if (s->hdr_have < sizeof(s->hdr)) {
		memcpy(s->hdr + s->hdr_have, buf, n);
		s->hdr_have += n;
		if (s->hdr_have == sizeof(s->hdr)) {
			s->body_left = (size_t)s->hdr[3] << 8 | s->hdr[4];
			if (!s->body_left)
				s->hdr_have = 0;	/* empty record */
		}
	} else {
		s->body_left -= n;
		if (!s->body_left)
			s->hdr_have = 0;
	}
	return n;
}

int ktls_transport_nonblocking(const struct ktls_session *s)
{
	int fl;

	if (s->dontwait)
		return 1;
	if (s->nonblock >= 0)
		return s->nonblock;
	fl = fcntl(s->fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK);
}

/*
 * GnuTLS asks this before reading when a handshake timeout is set. A
 * non-blocking socket must not block here, and needs no poll either: the
 * read that follows says "not yet" (EAGAIN) by itself, and the caller's
 * event loop does the waiting (ktls_session_time_left()).
 */
static int transport_pull_timeout(gnutls_transport_ptr_t ptr,
				  unsigned int ms)
{
	struct ktls_session *s = ptr;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int ret;

	/* Peeked bytes not handed out yet are there without waiting. */
	if (s->peek_on && s->peek_pos < s->peek_len)
		return 1;
	if (ktls_transport_nonblocking(s))
		return 1;
	do {
		ret = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 :
				    (int)ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		gnutls_transport_set_errno(s->gs, errno);
	return ret;
}

static ssize_t transport_push(gnutls_transport_ptr_t ptr,
			      const giovec_t *iov, int iovcnt)
{
	struct ktls_session *s = ptr;
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};
	ssize_t n;

	do {
		/* A peer gone away is an error to report, not a SIGPIPE. */
		n = sendmsg(s->fd, &msg, MSG_NOSIGNAL |
			    (s->dontwait ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		gnutls_transport_set_errno(s->gs, errno);
	return n;
}

void ktls_transport_setup(struct ktls_session *s)
{
	gnutls_transport_set_ptr(s->gs, s);
	gnutls_transport_set_pull_function(s->gs, ktls_transport_pull);
	gnutls_transport_set_pull_timeout_function(s->gs,
						   transport_pull_timeout);
	gnutls_transport_set_vec_push_function(s->gs, transport_push);
}

/*
 * After a failed handshake: discard what the peer already sent. Closing a
 * socket with unread input makes TCP send a reset, which can reach the
 * peer before it has read our alert; an empty queue closes with a FIN.
 */
void ktls_transport_drain(int fd)
{
	char buf[4096];
	int budget = 64;
	ssize_t n;

	while (budget-- > 0) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
	}
}
