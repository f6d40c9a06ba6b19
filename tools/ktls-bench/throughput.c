// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One sample of one TX or RX path over loopback TCP.
 *
 * The measured end is always the client and runs on the calling thread;
 * the other end runs on a second thread and is the fastest peer of its
 * kind, so that it is not the bottleneck: for TX a kTLS (or plain TCP)
 * receiver with large reads, for RX a kTLS (or plain TCP) sendfile sender.
 * The receiver decrypts and hashes every byte; the sample fails unless the
 * byte count and the hash match what the sender sent.
 *
 * The clock runs from just before the first byte until the receiver saw
 * the end of the stream, so that bytes still queued in socket buffers when
 * the sender stops are paid for. Handshakes happen before the clock starts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <linux/tls.h>

#include "bench.h"

typedef int64_t (*send_fn)(struct bench_ctx *ctx, struct endpoint *ep,
			   double deadline, uint64_t limit, struct sample *out,
			   char *err, size_t errlen);
typedef int64_t (*recv_fn)(struct bench_ctx *ctx, struct endpoint *ep,
			   size_t bufsize, struct stream_hash *h, char *err,
			   size_t errlen);

/* Next chunk of the cyclic file stream at stream position pos. */
static size_t tp_chunk(const struct bench_ctx *ctx, uint64_t pos,
		       uint64_t limit, off_t *off)
{
	size_t fsz = ctx->o->file_size, len = ctx->o->write_size;

	*off = pos % fsz;
	if (len > fsz - *off)
		len = fsz - *off;
	if (len > limit - pos)
		len = limit - pos;
	return len;
}

static int64_t tp_send_sendfile(struct bench_ctx *ctx, struct endpoint *ep,
				double deadline, uint64_t limit,
				struct sample *out, char *err, size_t errlen)
{
	uint64_t pos = 0;
	off_t off;
	size_t len;
	ssize_t n;

	/* Past the deadline still one chunk: a sample is never empty. */
	while (pos < limit && (!pos || bench_now() < deadline)) {
		len = tp_chunk(ctx, pos, limit, &off);
		n = sendfile(ep->fd, ctx->file_fd, &off, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "sendfile: %s",
				 n ? strerror(errno) : "no progress");
			return -EIO;
		}
		pos += n;
	}
	return pos;
}

/* All of buf through the endpoint's own write: GnuTLS records or send(2). */
static int tp_write(struct endpoint *ep, const unsigned char *buf,
		    size_t len, char *err, size_t errlen)
{
	size_t done;
	ssize_t n;

	for (done = 0; done < len; done += n) {
		if (ep->mode == EP_GNUTLS) {
			n = gnutls_record_send(ep->gs, buf + done, len - done);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				n = 0;
				continue;
			}
			if (n < 0) {
				snprintf(err, errlen, "gnutls_record_send: %s",
					 gnutls_strerror(n));
				return -EIO;
			}
		} else {
			n = send(ep->fd, buf + done, len - done, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				snprintf(err, errlen, "send: %s", strerror(errno));
				return -EIO;
			}
		}
	}
	return 0;
}

/* A TLS 1.3 KeyUpdate and the next transmit key, timed. */
static int tp_rekey(struct endpoint *ep, struct sample *out, char *err,
		    size_t errlen)
{
	double t0 = bench_now();
	int ret = ktls_key_update(ep->ks, 0);

	if (ret) {
		snprintf(err, errlen, "ktls_key_update: %s: %s", strerror(-ret),
			 ktls_session_error(ep->ks));
		return -EIO;
	}
	out->rekey_us += (bench_now() - t0) * 1e6;
	out->rekeys++;
	return 0;
}

/*
 * read(2) from the file, then the path's own write: what a server does.
 * With out->rekeys wanted (ktls-rekey), a KeyUpdate every rekey_every bytes.
 */
static int64_t tp_send_copy_rekey(struct bench_ctx *ctx, struct endpoint *ep,
				  double deadline, uint64_t limit,
				  uint64_t rekey_every, struct sample *out,
				  char *err, size_t errlen)
{
	unsigned char *buf = malloc(ctx->o->write_size);
	uint64_t pos = 0, next_rekey = rekey_every;
	size_t len;
	off_t off;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Past the deadline still one chunk: a sample is never empty. */
	while (pos < limit && (!pos || bench_now() < deadline)) {
		len = tp_chunk(ctx, pos, limit, &off);
		if (pread(ctx->file_fd, buf, len, off) != (ssize_t)len) {
			snprintf(err, errlen, "read of the data file failed");
			goto fail;
		}
		if (tp_write(ep, buf, len, err, errlen))
			goto fail;
		pos += len;
		if (rekey_every && pos >= next_rekey) {
			if (tp_rekey(ep, out, err, errlen))
				goto fail;
			next_rekey = pos + rekey_every;
		}
	}
	if (out->rekeys)
		out->rekey_us /= out->rekeys;
	free(buf);
	return pos;
fail:
	free(buf);
	return -EIO;
}

static int64_t tp_send_copy(struct bench_ctx *ctx, struct endpoint *ep,
			    double deadline, uint64_t limit,
			    struct sample *out, char *err, size_t errlen)
{
	return tp_send_copy_rekey(ctx, ep, deadline, limit, 0, out, err,
				  errlen);
}

static int64_t tp_send_rekey(struct bench_ctx *ctx, struct endpoint *ep,
			     double deadline, uint64_t limit,
			     struct sample *out, char *err, size_t errlen)
{
	return tp_send_copy_rekey(ctx, ep, deadline, limit,
				  ctx->o->rekey_every, out, err, errlen);
}

static int64_t tp_send_uring_splice(struct bench_ctx *ctx, struct endpoint *ep,
				    double deadline, uint64_t limit,
				    struct sample *out, char *err,
				    size_t errlen)
{
	return uring_send_splice(ctx, ep->fd, deadline, limit, err, errlen);
}

static int64_t tp_send_uring_buf(struct bench_ctx *ctx, struct endpoint *ep,
				 double deadline, uint64_t limit,
				 struct sample *out, char *err, size_t errlen)
{
	return uring_send_buf(ctx, ep->fd, deadline, limit, err, errlen);
}

/* The end of the stream, the way each mode says it. */
static void tp_send_end(struct endpoint *ep)
{
	if (ep->mode == EP_GNUTLS)
		gnutls_bye(ep->gs, GNUTLS_SHUT_WR);
	else if (ep->mode == EP_KTLS)
		ktls_close_notify(ep->fd);
	shutdown(ep->fd, SHUT_WR);
}

static int64_t tp_recv_plain(struct bench_ctx *ctx, struct endpoint *ep,
			     size_t bufsize, struct stream_hash *h, char *err,
			     size_t errlen)
{
	unsigned char *buf = malloc(bufsize);
	int64_t total = 0;
	ssize_t n;
	int alert = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		switch (ep->mode) {
		case EP_GNUTLS:
			n = gnutls_record_recv(ep->gs, buf, bufsize);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n < 0)
				snprintf(err, errlen, "gnutls_record_recv: %s",
					 gnutls_strerror(n));
			break;
		case EP_KTLS:
			/* The session's read follows the sender's KeyUpdates. */
			n = ktls_session_recv(ep->ks, buf, bufsize, 0, &alert);
			if (n < 0)
				snprintf(err, errlen, "ktls_session_recv: %s%s%s%s%s",
					 strerror(-n), alert ? ", alert " : "",
					 alert ? ktls_alert_name(alert) : "",
					 n == -EKEYEXPIRED ? ": " : "",
					 n == -EKEYEXPIRED ?
					 ktls_session_error(ep->ks) : "");
			break;
		default:
			n = recv(ep->fd, buf, bufsize, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				snprintf(err, errlen, "recv: %s", strerror(errno));
			break;
		}
		if (n < 0) {
			total = -EIO;
			break;
		}
		if (n == 0)
			break;
		stream_hash_update(h, buf, n);
		total += n;
	}
	free(buf);
	return total;
}

static int64_t tp_recv_uring(struct bench_ctx *ctx, struct endpoint *ep,
			     size_t bufsize, struct stream_hash *h, char *err,
			     size_t errlen)
{
	return uring_recv(ctx, ep->fd, h, err, errlen);
}

/*
 * The -zc and -nopad paths add one kTLS socket option that libktls does
 * not set, to tell whether it should: TLS_TX_ZEROCOPY_RO lets sendfile
 * encrypt straight from the page cache (the file must not change while in
 * flight), TLS_RX_EXPECT_NO_PAD lets TLS 1.3 records decrypt straight into
 * the reader's buffer (a padded record costs a retry).
 */
static const struct tp_path {
	enum bench_kind kind;
	const char *name;
	enum ep_mode measured, peer;
	send_fn send;		/* TX: the measured sender */
	recv_fn recv;		/* RX: the measured receiver */
	int sockopt;		/* SOL_TLS option set to 1 on the measured end */
} tp_paths[] = {
	{ BENCH_TX, "tcp", EP_TCP, EP_TCP, tp_send_sendfile, NULL, 0 },
	{ BENCH_TX, "tcp-write", EP_TCP, EP_TCP, tp_send_copy, NULL, 0 },
	{ BENCH_TX, "user", EP_GNUTLS, EP_KTLS, tp_send_copy, NULL, 0 },
	{ BENCH_TX, "ktls-write", EP_KTLS, EP_KTLS, tp_send_copy, NULL, 0 },
	{ BENCH_TX, "ktls-rekey", EP_KTLS, EP_KTLS, tp_send_rekey, NULL, 0 },
	{ BENCH_TX, "ktls-sendfile", EP_KTLS, EP_KTLS, tp_send_sendfile, NULL, 0 },
	{ BENCH_TX, "ktls-sendfile-zc", EP_KTLS, EP_KTLS, tp_send_sendfile, NULL,
	  TLS_TX_ZEROCOPY_RO },
	{ BENCH_TX, "ktls-uring", EP_KTLS, EP_KTLS, tp_send_uring_splice, NULL, 0 },
	{ BENCH_TX, "ktls-uring-send", EP_KTLS, EP_KTLS, tp_send_uring_buf, NULL, 0 },
	{ BENCH_RX, "tcp", EP_TCP, EP_TCP, NULL, tp_recv_plain, 0 },
	{ BENCH_RX, "user", EP_GNUTLS, EP_KTLS, NULL, tp_recv_plain, 0 },
	{ BENCH_RX, "ktls-read", EP_KTLS, EP_KTLS, NULL, tp_recv_plain, 0 },
	{ BENCH_RX, "ktls-read-nopad", EP_KTLS, EP_KTLS, NULL, tp_recv_plain,
	  TLS_RX_EXPECT_NO_PAD },
	{ BENCH_RX, "ktls-uring", EP_KTLS, EP_KTLS, NULL, tp_recv_uring, 0 },
};

static const struct tp_path *tp_find(enum bench_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tp_paths) / sizeof(tp_paths[0]); i++)
		if (tp_paths[i].kind == kind && !strcmp(tp_paths[i].name, name))
			return &tp_paths[i];
	return NULL;
}

int throughput_path_valid(enum bench_kind kind, const char *path)
{
	return tp_find(kind, path) != NULL;
}

/* The unmeasured end, on its own thread. */
struct tp_peer {
	struct bench_ctx *ctx;
	struct endpoint *ep;
	int sender;
	double deadline;
	uint64_t limit;
	int64_t bytes;
	struct stream_hash hash;
	char err[200];
};

static void *tp_peer_run(void *arg)
{
	struct tp_peer *p = arg;

	if (p->sender) {
		p->bytes = tp_send_sendfile(p->ctx, p->ep, p->deadline,
					    p->limit, NULL, p->err,
					    sizeof(p->err));
		tp_send_end(p->ep);
	} else {
		p->bytes = tp_recv_plain(p->ctx, p->ep, BENCH_RX_CHUNK,
					 &p->hash, p->err, sizeof(p->err));
	}
	/* A failed peer must not leave the measured end blocked. */
	if (p->bytes < 0)
		shutdown(p->ep->fd, SHUT_RDWR);
	return NULL;
}

int throughput_run(struct bench_ctx *ctx, struct bench_item *it,
		   struct sample *out, char *err, size_t errlen)
{
	const struct tp_path *tp = tp_find(it->kind, it->path);
	struct bench_opts *o = ctx->o;
	struct endpoint cli, srv;
	struct tp_peer peer = { .ctx = ctx, .ep = &srv };
	struct stream_hash mhash;
	double t0, t1, p0, p1, g0, g1, deadline;
	uint64_t limit = o->bytes ? o->bytes : UINT64_MAX;
	int64_t mbytes;
	char merr[200] = "";
	pthread_t t;
	int ret;

	if (!tp) {
		snprintf(err, errlen, "unknown path %s", it->path);
		return -EINVAL;
	}
	if (tp->sockopt == TLS_RX_EXPECT_NO_PAD &&
	    it->version != KTLS_VERSION_1_3) {
		snprintf(err, errlen, "skipped: TLS 1.3 only");
		return -EINVAL;
	}
	if (tp->send == tp_send_rekey &&
	    (it->version != KTLS_VERSION_1_3 || !ktls_kernel_can_rekey())) {
		snprintf(err, errlen, "skipped: %s",
			 it->version != KTLS_VERSION_1_3 ?
			 "KeyUpdate is TLS 1.3 only" :
			 "this kernel's kTLS cannot rekey (6.14 and later can)");
		return -EINVAL;
	}
	ret = conn_pair_open(ctx, it->cipher, it->version, tp->measured,
			     tp->peer, &cli, &srv, err, errlen);
	if (ret)
		return ret;
	if (tp->sockopt) {
		int one = 1;

		if (setsockopt(cli.fd, SOL_TLS, tp->sockopt, &one,
			       sizeof(one)) < 0) {
			snprintf(err, errlen, "skipped: setsockopt(SOL_TLS, %s): %s",
				 tp->sockopt == TLS_TX_ZEROCOPY_RO ?
				 "TLS_TX_ZEROCOPY_RO" : "TLS_RX_EXPECT_NO_PAD",
				 strerror(errno));
			ret = -EINVAL;
			goto out;
		}
	}
	if (cli.mode == EP_KTLS || srv.mode == EP_KTLS) {
		ret = conn_kernel_cipher(cli.mode == EP_KTLS ? cli.fd : srv.fd,
					 out->kernel_cipher,
					 sizeof(out->kernel_cipher),
					 &out->kernel_version);
		if (ret) {
			snprintf(err, errlen, "getsockopt(TLS_TX): %s",
				 strerror(-ret));
			goto out;
		}
	}

	stream_hash_init(&mhash);
	stream_hash_init(&peer.hash);
	peer.sender = it->kind == BENCH_RX;
	peer.limit = limit;
	bench_cpu_mark(&p0, &g0);
	t0 = bench_now();
	deadline = o->bytes ? t0 + 3600 : t0 + o->duration;
	peer.deadline = deadline;
	if (pthread_create(&t, NULL, tp_peer_run, &peer)) {
		snprintf(err, errlen, "pthread_create failed");
		ret = -EAGAIN;
		goto out;
	}
	if (it->kind == BENCH_TX) {
		mbytes = tp->send(ctx, &cli, deadline, limit, out, merr,
				  sizeof(merr));
		tp_send_end(&cli);
	} else {
		mbytes = tp->recv(ctx, &cli, o->write_size, &mhash, merr,
				  sizeof(merr));
	}
	/* A failed measured end must not leave the peer blocked. */
	if (mbytes < 0)
		shutdown(cli.fd, SHUT_RDWR);
	pthread_join(t, NULL);
	t1 = bench_now();
	bench_cpu_mark(&p1, &g1);

	if (mbytes < 0 || peer.bytes < 0) {
		snprintf(err, errlen, "%s", mbytes < 0 ? merr : peer.err);
		ret = -EIO;
		goto out;
	}
	if (it->kind == BENCH_TX) {
		out->bytes_sent = mbytes;
		out->bytes_rcvd = peer.bytes;
		out->hash_rcvd = stream_hash_final(&peer.hash);
	} else {
		out->bytes_sent = peer.bytes;
		out->bytes_rcvd = mbytes;
		out->hash_rcvd = stream_hash_final(&mhash);
	}
	out->hash_sent = stream_expected(ctx, out->bytes_sent);
	if (o->inject_mismatch)
		out->hash_rcvd ^= 1;
	out->secs = t1 - t0;
	out->value = out->bytes_rcvd / out->secs / (1 << 20);
	if (out->bytes_rcvd) {
		out->cpu_proc = (p1 - p0) * 1e9 / out->bytes_rcvd;
		out->cpu_guest = (g1 - g0) * 1e9 / out->bytes_rcvd;
	}
	if (out->bytes_sent != out->bytes_rcvd ||
	    out->hash_sent != out->hash_rcvd) {
		snprintf(err, errlen,
			 "stream check failed: sent %llu bytes (hash %016llx), received %llu (hash %016llx)",
			 (unsigned long long)out->bytes_sent,
			 (unsigned long long)out->hash_sent,
			 (unsigned long long)out->bytes_rcvd,
			 (unsigned long long)out->hash_rcvd);
		ret = -EBADMSG;
		goto out;
	}
	if (!out->bytes_rcvd) {
		snprintf(err, errlen, "no data went through");
		ret = -EIO;
	}
out:
	conn_endpoint_close(&cli);
	conn_endpoint_close(&srv);
	return ret;
}
