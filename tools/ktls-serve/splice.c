// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * File bodies without a copy through user space. io_uring has no sendfile,
 * so each chunk is two linked splices through the connection's own pipe:
 *
 *   SPLICE file@off -> pipe  (IOSQE_IO_LINK)
 *   SPLICE pipe -> socket
 *
 * A short first splice breaks the link (the second completes with
 * -ECANCELED); whatever did reach the pipe then goes out alone, as does the
 * rest of a short second splice. Splices run in io-wq workers, and a
 * LINK_TIMEOUT cannot stop one that sleeps there (it never fires: measured
 * on 6.12), so the socket stays non-blocking: a full socket makes the
 * splice return -EAGAIN, and the wait for room is a POLL_ADD with a linked
 * timeout, which does work. A client that takes nothing for --idle-timeout
 * is cut off, and no worker thread ever waits on a slow client.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <unistd.h>

#include "serve.h"

#define SPLICE_PIPE_SIZE (256 * 1024)
#define SPLICE_PAGE 4096

static int splice_pipe(struct conn *c)
{
	int sz;

	if (c->pipe[0] >= 0)
		return 0;
	if (pipe2(c->pipe, O_CLOEXEC) < 0) {
		int err = errno;

		conn_log(c, "pipe: %s", serve_errname(-err));
		c->pipe[0] = c->pipe[1] = -1;
		return -err;
	}
	/* A bigger pipe means fewer round trips; the default will do too. */
	fcntl(c->pipe[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
	sz = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_size = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

static enum conn_state splice_submit(struct conn *c)
{
	struct io_uring_sqe *sqe;
	unsigned int more;
	uint64_t chunk;

	/*
	 * --rekey-every: between chunks, with nothing in flight, the KeyUpdate
	 * and the next transmit key (the open record goes out first).
	 */
	if (!c->pipe_bytes && tls_rekey_due(c))
		return CONN_ABORT;
	if (c->pipe_bytes) {
		more = c->body_left ? SPLICE_F_MORE : 0;
		sqe = ring_conn_sqe(c, CONN_OP_SPLICE_OUT, 1);
		io_uring_prep_splice(sqe, c->pipe[0], -1, c->fd, -1,
				     c->pipe_bytes, more);
		return CONN_SEND_BODY;
	}
	/* End the chunk on a page boundary: each page takes a pipe slot. */
	chunk = c->pipe_size - c->body_off % SPLICE_PAGE;
	if (chunk > c->body_left)
		chunk = c->body_left;
	/* More to come: let kTLS fill whole records across chunks. */
	more = c->body_left > chunk ? SPLICE_F_MORE : 0;
	sqe = ring_conn_sqe(c, CONN_OP_SPLICE_IN, 2);
	io_uring_prep_splice(sqe, c->file_fd, c->body_off, c->pipe[1], -1,
			     chunk, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = ring_conn_sqe(c, CONN_OP_SPLICE_OUT, 1);
	io_uring_prep_splice(sqe, c->pipe[0], -1, c->fd, -1, chunk, more);
	return CONN_SEND_BODY;
}

enum conn_state splice_begin(struct conn *c)
{
	if (splice_pipe(c))
		return CONN_ABORT;
	c->pipe_bytes = 0;
	return splice_submit(c);
}

/* A batch of splices, or the wait for room in the socket, completed. */
enum conn_state splice_step(struct conn *c)
{
	int in = c->r_in, out = c->r_out;

	if (c->r_poll != CONN_NO_RESULT) {
		/* The wait for room in the socket ended. */
		if (c->timed_out) {
			conn_log(c, "client stopped reading: no room in the socket for %u s sending %s (%" PRIu64 " of %" PRIu64 " bytes sent)",
				 c->srv->opt.idle_timeout, c->req.target,
				 c->body_sent, c->body_len);
			return CONN_ABORT;
		}
		if (c->r_poll < 0) {
			conn_log(c, "poll for room in the socket failed: %s",
				 serve_errname(c->r_poll));
			return CONN_ABORT;
		}
		return splice_submit(c);
	}
	if (in != CONN_NO_RESULT) {
		if (in == 0) {
			conn_log(c, "%s shrank while being sent: %" PRIu64 " bytes missing",
				 c->req.target, c->body_left);
			return CONN_ABORT;
		}
		if (in < 0) {
			conn_log(c, "reading %s failed: %s", c->req.target,
				 serve_errname(in));
			return CONN_ABORT;
		}
		c->body_off += in;
		c->body_left -= in;
		c->pipe_bytes += in;
	}
	if (out > 0) {
		c->pipe_bytes -= out;
		c->body_sent += out;
		c->key_bytes += out;
		c->srv->stats.body_spliced += out;
	} else if (out == -EAGAIN) {
		/* The socket is full: wait for the client to take some. */
		ring_poll(c, POLLOUT, (int64_t)c->srv->opt.idle_timeout * 1000);
		return CONN_SEND_BODY;
	} else if (out == -ECANCELED && in > 0) {
		/* A short file->pipe splice broke the link: go on from here. */
	} else {
		conn_log(c, "client disconnected mid-body: %" PRIu64 " of %" PRIu64 " bytes of %s sent (%s)",
			 c->body_sent, c->body_len, c->req.target,
			 serve_errname(out ? out : -EPIPE));
		return CONN_ABORT;
	}
	if (!c->pipe_bytes && !c->body_left)
		return CONN_RESPONSE_DONE;
	return splice_submit(c);
}

void splice_release(struct conn *c)
{
	if (c->pipe[0] >= 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
		c->pipe[0] = c->pipe[1] = -1;
	}
}
