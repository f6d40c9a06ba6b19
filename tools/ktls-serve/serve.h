/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ktls-serve: the server, its connections and the ring they share. */
#ifndef SERVE_H
#define SERVE_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <liburing.h>

#include "ktls.h"
#include "http.h"

enum serve_tls {
	SERVE_TLS_KTLS = 0,	/* libktls handshake, then kTLS: splice */
	SERVE_TLS_USER,		/* GnuTLS record layer: read + record_send */
	SERVE_TLS_OFF,		/* plain HTTP: splice */
};

struct serve_opts {
	enum serve_tls tls;
	unsigned int port;
	const char *bind;		/* NULL: every address */
	const char *root;
	const char *cert, *key;
	unsigned int max_conns;		/* 0: sized for the machine */
	unsigned int max_per_client;	/* per peer address, 0: default */
	unsigned int idle_timeout;	/* seconds */
	unsigned int handshake_timeout;	/* seconds */
	unsigned int handshake_workers;	/* threads; 0: on the data ring */
	unsigned int handshake_nice;	/* the workers' nice above the data thread's */
	unsigned int max_header;	/* bytes */
	unsigned int rekey_every;	/* MiB sent per TLS 1.3 key, 0: no limit */
	unsigned int small_body;	/* bytes: bodies sent with the head */
	const char *access_log;		/* file, "-": stdout, NULL: none */
	const char *priority;		/* --priority, NULL: libktls's defaults */
	int quiet;
	int debug;			/* log every completion */
};

struct serve_stats {
	uint64_t conns;
	uint64_t handshakes;	/* completed, wherever they ran */
	uint64_t handshakes_inline;	/* of those, on the data ring */
	uint64_t requests;
	uint64_t head_bytes;	/* status lines + headers, IORING_OP_SEND */
	uint64_t body_spliced;	/* file bytes moved by IORING_OP_SPLICE */
	uint64_t body_copied;	/* file bytes read into user space (user TLS) */
	uint64_t body_small;	/* file bytes read behind the head, one SEND */
	uint64_t evicted;	/* idle connections closed to make room */
	uint64_t rejected;	/* clients turned away at a limit */
};

/* A log line that may come often: one a second, and a count of the rest. */
struct serve_ratelimit {
	int64_t next_ms;
	unsigned long suppressed;
};

struct conn;
struct server;

/*
 * A handshake worker (handshake.c): a thread with its own ring that runs
 * handshakes handed to it, so that they never hold up the data ring.
 * Connections travel between the rings by IORING_OP_MSG_RING; whoever
 * holds a connection is the only one to touch it (see struct conn).
 */
struct hs_worker {
	struct server *srv;
	unsigned int index;
	struct io_uring ring;
	int ring_up;
	pthread_t thread;
	int started;
	/* Owned by the worker thread. */
	struct conn *conns;		/* handshakes it runs */
	unsigned int nconns;
	int stopping;			/* abandon handshakes, take no more */
	int exiting;
	/* Owned by the data thread. */
	unsigned int assigned;		/* handed over and not yet back */
};

struct server {
	struct serve_opts opt;
	struct io_uring ring;
	int listen_fd;
	int sig_fd;
	int root_fd;
	struct ktls_config *cfg;
	struct hs_worker *workers;	/* --handshake-workers of them */
	unsigned int nworkers;
	unsigned int next_worker;
	int workers_left;		/* not joined: conns may be theirs */
	struct serve_ratelimit rl_handoff;

	struct conn *conns;		/* every live connection */
	unsigned int nconns;
	uint64_t next_id;

	int accept_armed;		/* an ACCEPT is in flight */
	/* limits.c's log lines: making room, turning away; global, per client */
	struct serve_ratelimit rl_evict, rl_evict_client, rl_full, rl_client;
	struct sockaddr_storage peer;
	socklen_t peer_len;

	int sig_armed;
	struct signalfd_siginfo siginfo;
	int stopping;			/* SIGTERM seen: drain, then exit */
	int force;			/* a second signal: exit now */
	int accept_retry;		/* a backoff TIMEOUT is in flight */
	struct __kernel_timespec retry_ts;

	struct serve_stats stats;
	char date[40];			/* cached IMF-fixdate */
	int64_t date_sec;

	int access_fd;			/* --access-log, -1: none */
	int access_failed;		/* a write failed: said once */
	char access_date[40];		/* cached common log format date */
	int64_t access_date_sec;
};

/* user_data of the server's own ops; connections use their address. */
enum ring_global {
	RING_IGNORE = 0,	/* cancels: their results don't matter */
	RING_ACCEPT,
	RING_SIGNAL,
	RING_ACCEPT_RETRY,
	RING_WORKER_STOP,	/* to a worker: abandon handshakes */
	RING_WORKER_EXIT,	/* to a worker: leave its loop */
	RING_WORKER_SENT,	/* a STOP or EXIT message went out */
	RING_GLOBAL_MAX = 4096,	/* below any heap pointer */
};

/* Ops a connection has in flight; tagged into the low bits of user_data. */
enum conn_op {
	CONN_OP_POLL = 1,
	CONN_OP_RECV,
	CONN_OP_SEND,
	CONN_OP_SPLICE_IN,
	CONN_OP_SPLICE_OUT,
	CONN_OP_TIMEOUT,
	CONN_OP_READ,
	/* Handing a connection between the data ring and a worker's. */
	CONN_OP_HANDOFF,	/* worker: a connection arrives */
	CONN_OP_HANDOFF_SENT,	/* data ring: MSG_RING to the worker done */
	CONN_OP_HANDBACK,	/* data ring: a connection comes back */
	CONN_OP_HANDBACK_SENT,	/* worker: MSG_RING to the data ring done */
	CONN_OP_HANDBACK_RETRY,	/* worker: try handing back again */
};
/* Connections are 16-byte aligned (conn_new): four bits for the op. */
#define CONN_OP_MASK 15u
#define CONN_ALIGN 16

/*
 * A connection's state. In the waiting states a batch of ops is in flight
 * and its completion moves the connection on. The phases (tls.c,
 * tls_user.c, splice.c and the request handling in conn.c) return the
 * next state: a waiting one once they have submitted ops, else a verdict
 * that conn.c acts on at once. Only conn.c sets c->state (and
 * handshake.c, for a connection away at a handshake worker).
 */
enum conn_state {
	/* Waiting: ops in flight. */
	CONN_HANDSHAKE = 1,	/* POLL for the handshake, or at a worker */
	CONN_RECV,		/* reading a request */
	CONN_SEND_HEAD,		/* SEND of the head (small body: READ, SEND) */
	CONN_SEND_BODY,		/* splices, or user-space TLS sends */
	CONN_CLOSE_NOTIFY,	/* waiting for room to send close_notify */
	CONN_LINGER,		/* after an error response: drain, then close */
	/* Verdicts: acted on before the phase's caller returns. */
	CONN_WAIT_REQUEST,	/* ready for the next request */
	CONN_PARSE,		/* request bytes are in rx: answer, or read on */
	CONN_HEAD_SENT,		/* the body, or the next request */
	CONN_RESPONSE_DONE,	/* log it; keep alive or close */
	CONN_PEER_CLOSE_NOTIFY,	/* the client sent close_notify */
	CONN_PEER_EOF,		/* the client closed TCP without it */
	CONN_PEER_ALERT,	/* an alert: peer_alert_level, _desc */
	CONN_RECV_ERROR,	/* receiving failed: recv_err, recv_detail */
	CONN_RECV_TIMEOUT,	/* no (complete) request in time */
	CONN_RECV_STOPPED,	/* server shutdown ended the wait */
	CONN_RECV_EVICTED,	/* closed to make room for a new client */
	CONN_CLOSE,		/* close_notify if TLS is up, then finish */
	CONN_CLOSE_FINISH,	/* linger or free */
	CONN_ABORT,		/* free now */
	CONN_FREED,		/* the connection is gone */
};

#define CONN_NO_RESULT INT_MIN	/* op not part of the batch */

#define CONN_HEAD_MAX 4096	/* a 301 repeats a target of up to 2 KiB */

/*
 * Ownership: the data thread owns every connection, except while one is
 * away at a handshake worker (c->away): then the worker alone touches it,
 * but for the fields marked "data thread" and the ones fixed at conn_new
 * (id, peer, addr, srv). The MSG_RING that hands it over or back orders
 * the two threads' accesses.
 */
struct conn {
	struct server *srv;
	struct io_uring *ring;		/* the holder's: ops go there */
	struct conn *prev, *next;	/* data thread: s->conns */
	uint64_t id;
	char peer[64];
	struct in6_addr addr;		/* the peer's, for the per-client limit */
	int fd;
	enum conn_state state;
	unsigned int inflight;		/* ops not yet completed */
	int64_t t_accept;		/* ms, CLOCK_MONOTONIC */
	int64_t t_idle;			/* ms: began waiting for a request */
	int evicted;			/* closed to make room (limits.c) */
	int stopped;			/* shutdown: abandon the handshake */
	int hs_counted;			/* in stats.handshakes */

	/* Data thread: a hand-off to a worker. */
	struct hs_worker *worker;	/* where it is, or NULL */
	int away;			/* at the worker: hands off */
	int handoff_pending;		/* the MSG_RING's own CQE not seen */
	int returned;			/* back, before that CQE came */
	/* The worker's, while away; read by the data thread on return. */
	struct conn *wprev, *wnext;	/* worker thread: w->conns */
	enum conn_state handback;	/* the handshake's verdict */
	struct __kernel_timespec retry_ts;

	struct ktls_session *tls;	/* handshake; kept in user mode */
	int tls_up;			/* handshake done: close_notify at the end */
	int offloaded;			/* kTLS carries the records */
	int notify_tried;
	int alert_sent;		/* a fatal alert went out: no second one */
	int peer_alert_level, peer_alert_desc;	/* CONN_PEER_ALERT */
	int recv_err;			/* CONN_RECV_ERROR: negative errno */
	const char *recv_detail;	/* and its cause, or NULL */
	char recv_why[160];		/* room for a cause that is formatted */
	int linger;			/* drain what the client still sends */
	size_t linger_bytes;

	/* One batch of ops: their results, read when inflight drops to 0. */
	int r_poll, r_recv, r_send, r_in, r_out, r_read;
	int timed_out;
	struct __kernel_timespec ts;

	/* Request bytes. */
	char *rx;
	size_t rx_len, rx_cap;
	int64_t rx_deadline;		/* ms: the request must be in by then */
	int64_t t_request;		/* ms: first byte of this request */
	struct msghdr msg;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} cmsg;

	/* The request being answered. */
	unsigned int nreq;
	struct http_request req;
	int status;
	int keep_alive;
	const char *why;		/* a note for the request's log line */
	uint64_t file_size, range_first;
	char head[CONN_HEAD_MAX];	/* head, and an error body behind it */
	size_t head_len, head_sent;
	size_t extra_len, extra_sent;	/* error body bytes in head[] */

	/* Body: [body_off, body_off + body_left) of file_fd. */
	int file_fd;
	uint64_t body_off, body_left, body_len, body_sent;
	uint64_t key_bytes;		/* body bytes sent under the current key */
	int pipe[2];
	size_t pipe_size, pipe_bytes;
	char *small;			/* --small-body: head, body behind it */
	size_t small_head;		/* the head's bytes in small[] */
	uint64_t small_got;		/* body bytes read into small[] */
	char *ubuf;			/* user TLS: one read() of the file */
	size_t ubuf_len, ubuf_pos;
};

/*
 * Who calls whom (no cycle): main -> {priority, server, handshake};
 * server -> {limits, handshake} -> conn -> {tls, tls_user, splice, small,
 * access_log} -> ring -> log; handshake -> tls. Only conn.c changes a
 * connection's state, but for the handshake states a worker sets.
 */

/* log.c: log lines and clocks */
void serve_log_init(int quiet, int debug);
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serve_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void conn_log(const struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void conn_info(const struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void conn_debug(const struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void serve_log_limited(struct serve_ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int64_t serve_now_ms(void);
const char *serve_date(struct server *s);
const char *serve_errname(int err);

/* ring.c */
int ring_init(struct io_uring *ring, unsigned int entries);
struct io_uring_sqe *ring_sqe_on(struct io_uring *ring, unsigned int need);
struct io_uring_sqe *ring_sqe(struct server *s, unsigned int need);
struct io_uring_sqe *ring_conn_sqe(struct conn *c, enum conn_op op,
				   unsigned int need);
void ring_link_timeout(struct conn *c, int64_t ms);
void ring_poll(struct conn *c, short events, int64_t ms);
void ring_cancel_conn(struct conn *c);
int ring_wait(struct io_uring *ring);
int ring_next(struct io_uring *ring, uint64_t *ud, int *res);
struct conn *ring_conn(uint64_t ud, enum conn_op *op);

/* server.c */
int server_listen(struct server *s);
void server_arm_accept(struct server *s);
void server_arm_signal(struct server *s);
int server_run(struct server *s);

/* access_log.c: --access-log, the common log format */
int access_log_open(struct server *s, const char *path);
void access_log_write(const struct conn *c);

/* priority.c: --priority, narrowing libktls's versions and ciphers */
int priority_apply(struct ktls_config *cfg, const char *str, int ktls,
		   char *err, size_t errlen);

/* limits.c: who gets in at --max-conns and --max-conns-per-client */
void limits_init(struct serve_opts *o);
void limits_peer_addr(const struct sockaddr_storage *ss, struct in6_addr *a);
int limits_admit(struct server *s, int fd, const struct in6_addr *addr);

/* conn.c */
struct conn *conn_new(struct server *s, int fd, const char *peer,
		      const struct in6_addr *addr);
int conn_is_idle(const struct conn *c);
int conn_waiting(enum conn_state state);
int conn_complete(struct conn *c, enum conn_op op, int res);
void conn_resume(struct conn *c, enum conn_state next);
void conn_evict(struct conn *c);
void conn_start(struct conn *c);
void conn_on_cqe(struct conn *c, enum conn_op op, int res);
void conn_stop(struct conn *c);
void conn_free(struct conn *c);

/* handshake.c: --handshake-workers, handshakes off the data ring */
int handshake_workers_start(struct server *s);
void handshake_workers_stop(struct server *s);
void handshake_workers_exit(struct server *s);
void handshake_handoff(struct conn *c);
void handshake_on_cqe(struct server *s, struct conn *c, enum conn_op op,
		      int res);

/* tls.c: the handshake through libktls, alerts and close_notify */
enum conn_state tls_start(struct conn *c);
enum conn_state tls_step(struct conn *c);
void tls_alert(struct conn *c, int description);
int tls_rekey_due(struct conn *c);
enum conn_state tls_close_notify(struct conn *c);
enum conn_state tls_close_notify_step(struct conn *c);

/* splice.c: file bodies by splice */
enum conn_state splice_begin(struct conn *c);
enum conn_state splice_step(struct conn *c);
void splice_release(struct conn *c);

/* small.c: small bodies read behind the head, one SEND */
int small_prepare(struct conn *c);
void small_queue_read(struct conn *c);
int small_read_done(struct conn *c);
void small_count(struct conn *c, size_t before, size_t n);
void small_release(struct conn *c);

/* tls_user.c: --tls=user, GnuTLS's record layer */
enum conn_state user_wait_recv(struct conn *c);
enum conn_state user_read(struct conn *c);
enum conn_state user_send_head(struct conn *c);
enum conn_state user_send_body(struct conn *c);
enum conn_state user_step(struct conn *c);

#endif /* SERVE_H */
