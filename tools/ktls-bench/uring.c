// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The io_uring paths. io_uring has no sendfile: the file reaches the kTLS
 * socket through a pipe, SPLICE file->pipe linked to SPLICE pipe->socket.
 * Requests on one socket are linked in a chain so that the kernel runs them
 * in order; a short or failed request cancels the rest of its chain, the
 * pipe is drained and the next chain starts where the stream stopped.
 * RX uses RECVMSG, since kTLS tells record types only in a control message
 * (a TLS 1.3 ticket arrives before the data; close_notify ends the stream).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <liburing.h>

#include "bench.h"

#define URING_MAX_DEPTH 32

static int uring_setup(struct bench_ctx *ctx, struct io_uring *ring,
		       unsigned int *depth, char *err, size_t errlen)
{
	int ret;

	*depth = ctx->o->queue_depth;
	if (*depth < 1)
		*depth = 1;
	if (*depth > URING_MAX_DEPTH)
		*depth = URING_MAX_DEPTH;
	ret = io_uring_queue_init(2 * *depth, ring, 0);
	if (ret < 0)
		snprintf(err, errlen, "io_uring_queue_init: %s", strerror(-ret));
	return ret;
}

/* Submit what is queued and collect n completions by user_data index. */
static int uring_wait(struct io_uring *ring, unsigned int n, int *res,
		      char *err, size_t errlen)
{
	struct io_uring_cqe *cqe;
	unsigned int i;
	int ret;

	ret = io_uring_submit_and_wait(ring, n);
	if (ret < 0) {
		snprintf(err, errlen, "io_uring_submit: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0) {
			snprintf(err, errlen, "io_uring_wait_cqe: %s",
				 strerror(-ret));
			return ret;
		}
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

static size_t uring_chunk(const struct bench_ctx *ctx, uint64_t pos,
			  uint64_t limit, size_t cap, off_t *off)
{
	size_t fsz = ctx->o->file_size, len = ctx->o->write_size;

	if (len > cap)
		len = cap;
	*off = pos % fsz;
	if (len > fsz - *off)
		len = fsz - *off;
	if (len > limit - pos)
		len = limit - pos;
	return len;
}

ssize_t uring_send_splice(struct bench_ctx *ctx, int sock, double deadline,
			  uint64_t limit, char *err, size_t errlen)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int res[2 * URING_MAX_DEPTH], pfd[2] = { -1, -1 };
	size_t lens[URING_MAX_DEPTH], cap;
	unsigned int depth, n, i;
	uint64_t pos = 0, queued;
	int64_t in_pipe;
	ssize_t ret, r;
	off_t off;

	if (uring_setup(ctx, &ring, &depth, err, errlen) < 0)
		return -EIO;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		ret = -EIO;
		goto out;
	}
	/* One chunk must fit in the pipe, or the file splice would block. */
	fcntl(pfd[1], F_SETPIPE_SZ, (int)ctx->o->write_size);
	r = fcntl(pfd[1], F_GETPIPE_SZ);
	cap = r > 0 ? (size_t)r : 65536;

	/* Past the deadline still one chunk: a sample is never empty. */
	while (pos < limit && (!pos || bench_now() < deadline)) {
		queued = 0;
		for (n = 0; n < depth; n++) {
			lens[n] = uring_chunk(ctx, pos + queued, limit, cap, &off);
			if (!lens[n])
				break;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_splice(sqe, ctx->file_fd, off, pfd[1], -1,
					     lens[n], 0);
			sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = 2 * n;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_splice(sqe, pfd[0], -1, sock, -1, lens[n], 0);
			sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = 2 * n + 1;
			queued += lens[n];
		}
		if (!n)
			break;
		sqe->flags &= ~IOSQE_IO_LINK;	/* the chain ends here */
		if (uring_wait(&ring, 2 * n, res, err, errlen) < 0) {
			ret = -EIO;
			goto out;
		}
		/* Walk the chain in order; the pipe keeps what was not sent. */
		in_pipe = 0;
		for (i = 0; i < n; i++) {
			if (res[2 * i] == -ECANCELED)
				break;
			if (res[2 * i] != (int)lens[i]) {
				snprintf(err, errlen, "splice file->pipe: %s",
					 res[2 * i] < 0 ? strerror(-res[2 * i]) :
							  "short read");
				ret = -EIO;
				goto out;
			}
			in_pipe += res[2 * i];
			if (res[2 * i + 1] > 0) {
				in_pipe -= res[2 * i + 1];
				pos += res[2 * i + 1];
			} else if (res[2 * i + 1] != -ECANCELED &&
				   res[2 * i + 1] != -EAGAIN) {
				snprintf(err, errlen, "splice pipe->socket: %s",
					 res[2 * i + 1] ? strerror(-res[2 * i + 1]) :
							  "no progress");
				ret = -EIO;
				goto out;
			}
		}
		while (in_pipe > 0) {
			r = splice(pfd[0], NULL, sock, NULL, in_pipe, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				snprintf(err, errlen, "splice pipe->socket: %s",
					 r ? strerror(errno) : "no progress");
				ret = -EIO;
				goto out;
			}
			in_pipe -= r;
			pos += r;
		}
	}
	ret = pos;
out:
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

/*
 * SEND from a buffer: the file is read into one buffer while the other is
 * being sent. kTLS refuses MSG_WAITALL, so a send may come back short;
 * only one send is in flight, and a short one is resubmitted for the rest.
 */
ssize_t uring_send_buf(struct bench_ctx *ctx, int sock, double deadline,
		       uint64_t limit, char *err, size_t errlen)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int res[2];
	size_t w = ctx->o->write_size, len[2], done = 0;
	unsigned int depth, cur = 0, nwait;
	unsigned char *bufs;
	uint64_t pos = 0;
	ssize_t ret;
	off_t off;

	if (uring_setup(ctx, &ring, &depth, err, errlen) < 0)
		return -EIO;
	bufs = malloc(2 * w);
	if (!bufs) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	len[0] = uring_chunk(ctx, 0, limit, w, &off);
	if (len[0] && pread(ctx->file_fd, bufs, len[0], off) != (ssize_t)len[0]) {
		snprintf(err, errlen, "read of the data file failed");
		ret = -EIO;
		goto out;
	}
	len[1] = 0;
	/* Past the deadline still one chunk: a sample is never empty. */
	while (len[cur] && (!pos || bench_now() < deadline)) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, sock, bufs + cur * w + done,
				   len[cur] - done, MSG_NOSIGNAL);
		sqe->user_data = 0;
		nwait = 1;
		/* Read ahead into the other buffer while this one goes out. */
		if (!done && pos + len[cur] < limit) {
			len[!cur] = uring_chunk(ctx, pos + len[cur], limit, w, &off);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, ctx->file_fd, bufs + !cur * w,
					   len[!cur], off);
			sqe->user_data = 1;
			nwait = 2;
		}
		if (uring_wait(&ring, nwait, res, err, errlen) < 0) {
			ret = -EIO;
			goto out;
		}
		if (nwait == 2 && res[1] != (int)len[!cur]) {
			snprintf(err, errlen, "read of the data file: %s",
				 res[1] < 0 ? strerror(-res[1]) : "short read");
			ret = -EIO;
			goto out;
		}
		if (res[0] <= 0) {
			snprintf(err, errlen, "send: %s",
				 res[0] ? strerror(-res[0]) : "no progress");
			ret = -EIO;
			goto out;
		}
		done += res[0];
		if (done < len[cur])
			continue;	/* short: send the rest */
		pos += len[cur];
		done = 0;
		len[cur] = 0;
		cur = !cur;
	}
	/* Time can run out after a short send: its bytes went out too. */
	ret = pos + done;
out:
	free(bufs);
	io_uring_queue_exit(&ring);
	return ret;
}

struct uring_rx {
	struct msghdr msg;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} ctrl;
};

ssize_t uring_recv(struct bench_ctx *ctx, int sock, struct stream_hash *h,
		   char *err, size_t errlen)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct uring_rx rx[URING_MAX_DEPTH];
	int res[URING_MAX_DEPTH];
	size_t w = ctx->o->write_size;
	unsigned int depth, i;
	unsigned char *bufs, *p;
	ssize_t ret, total = 0;
	int eof = 0;

	if (uring_setup(ctx, &ring, &depth, err, errlen) < 0)
		return -EIO;
	bufs = malloc(w * depth);
	if (!bufs) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	while (!eof) {
		for (i = 0; i < depth; i++) {
			memset(&rx[i], 0, sizeof(rx[i]));
			rx[i].iov.iov_base = bufs + i * w;
			rx[i].iov.iov_len = w;
			rx[i].msg.msg_iov = &rx[i].iov;
			rx[i].msg.msg_iovlen = 1;
			rx[i].msg.msg_control = rx[i].ctrl.buf;
			rx[i].msg.msg_controllen = sizeof(rx[i].ctrl.buf);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_recvmsg(sqe, sock, &rx[i].msg, 0);
			if (i + 1 < depth)
				sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = i;
		}
		if (uring_wait(&ring, depth, res, err, errlen) < 0) {
			ret = -EIO;
			goto out;
		}
		for (i = 0; i < depth && !eof; i++) {
			if (res[i] == -ECANCELED || res[i] == -EAGAIN)
				break;
			if (res[i] < 0) {
				snprintf(err, errlen, "recvmsg: %s",
					 strerror(-res[i]));
				ret = -EIO;
				goto out;
			}
			if (res[i] == 0) {
				eof = 1;
				break;
			}
			p = bufs + i * w;
			switch (ktls_record_type_from_msg(&rx[i].msg)) {
			case KTLS_RECORD_DATA:
				stream_hash_update(h, p, res[i]);
				total += res[i];
				break;
			case KTLS_RECORD_HANDSHAKE:
				break;	/* a TLS 1.3 ticket */
			case KTLS_RECORD_ALERT:
				if (res[i] >= 2 && p[1] == 0) {	/* close_notify */
					eof = 1;
					break;
				}
				if (res[i] >= 2 && p[0] == 2) {
					snprintf(err, errlen, "fatal alert %s",
						 ktls_alert_name(p[1]));
					ret = -EIO;
					goto out;
				}
				break;
			default:
				snprintf(err, errlen, "unexpected record type");
				ret = -EIO;
				goto out;
			}
		}
	}
	ret = total;
out:
	free(bufs);
	io_uring_queue_exit(&ring);
	return ret;
}
