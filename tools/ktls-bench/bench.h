/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktls-bench: side-by-side measurements of kTLS against user-space GnuTLS,
 * the plain TCP transport and the raw AEAD rate, interleaved in rounds.
 */
#ifndef KTLS_BENCH_H
#define KTLS_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <gnutls/gnutls.h>

#include <ktls.h>

#define BENCH_MAX_SAMPLES 64
#define BENCH_MAX_ITEMS 256
#define BENCH_RX_CHUNK (256 * 1024)

enum bench_kind {
	BENCH_TX = 1,		/* measured side sends */
	BENCH_RX,		/* measured side receives */
	BENCH_CEILING,		/* raw AEAD seal rate */
	BENCH_HS,		/* handshakes, in process */
	BENCH_UPCALL,		/* handshakes through the kernel upcall */
};

/* What a command measures. */
enum bench_what {
	WHAT_TX = 1 << 0,
	WHAT_RX = 1 << 1,
	WHAT_CEILING = 1 << 2,
	WHAT_HS = 1 << 3,
	WHAT_UPCALL = 1 << 4,
	WHAT_UPCALL_IF = 1 << 5,	/* upcall if the device is there */
	WHAT_RESUME = 1 << 6,	/* resumed against full, ECDSA and RSA */
};

/* How one end of a loopback connection talks. */
enum ep_mode {
	EP_TCP = 1,		/* no TLS */
	EP_GNUTLS,		/* plain GnuTLS session, records in user space */
	EP_KTLS,		/* libktls handshake, then kTLS */
};

struct endpoint {
	int fd;
	enum ep_mode mode;
	gnutls_session_t gs;		/* EP_GNUTLS */
	struct ktls_session *ks;	/* EP_KTLS */
};

/* What one round of one item gives. */
struct sample {
	unsigned int round;	/* interleaving round it came from */
	double value;		/* MiB/s, or handshakes/s */
	double cpu_proc;	/* process CPU (both sides): ns per byte / us per hs */
	double cpu_guest;	/* whole-machine CPU from /proc/stat, same unit */
	double secs;
	uint64_t bytes_sent, bytes_rcvd;
	uint64_t hash_sent, hash_rcvd;
	unsigned int count, resumed, errors;
	unsigned int resubmits;	/* upcall: submits refused with EAGAIN */
	unsigned int rekeys;	/* ktls-rekey: KeyUpdates the sender sent */
	double rekey_us;	/* ktls-rekey: mean time in ktls_key_update */
	double first_ms;	/* upcall, own daemon: its first handshake */
	double daemon_cpu_us;	/* upcall, own daemon: its cgroup's CPU / hs */
	double *lat_ms;		/* handshakes: one per handshake (malloc) */
	unsigned int nlat;
	char kernel_cipher[64];	/* getsockopt(TLS_TX), or the AEAD driver */
	uint16_t kernel_version;
};

struct bench_item {
	enum bench_kind kind;
	const char *path;	/* "ktls-sendfile", "aead-seal", "libktls"... */
	unsigned int cipher;	/* KTLS_CIPHER_* bit; 0 for handshakes */
	uint16_t version;
	int resumed;		/* handshakes: resume a ticket */
	int conc;		/* handshakes: concurrent clients */
	const char *key;	/* resumption rows: "ecdsa" or "rsa" server
				 * key; NULL: the run's own credentials */
	const char *daemon;	/* upcall: the daemon this item starts for
				 * each sample; NULL: one already runs */

	struct sample s[BENCH_MAX_SAMPLES];
	unsigned int n;
	int failed;		/* a sample failed: error[] says why */
	int mismatch;		/* a stream check failed */
	char error[256];
	char note[160];
};

struct bench_opts {
	unsigned int ciphers;	/* KTLS_CIPHER_* bits */
	uint16_t versions[2];
	unsigned int nversions;
	const char *tx_paths, *rx_paths, *hs_impls;
	size_t write_size;
	size_t file_size;
	double duration;	/* seconds per throughput sample */
	uint64_t bytes;		/* or a byte count per sample */
	unsigned int rounds;
	int warmup;
	double hs_duration;
	unsigned int hs_max;	/* handshakes per sample at most */
	int concurrency[4];
	unsigned int nconc;
	const char *cert, *key, *ca, *peername;
	unsigned int system_cas;	/* anchors the system store gave */
	const char *key_type;
	const char *ecdsa_cert, *ecdsa_key, *rsa_cert, *rsa_key;
	const char *device;
	const char *daemon;	/* --daemon: another handshake daemon */
	const char *ours;	/* --ours: tlshd, started like it */
	const char *tmpdir;
	int queue_depth;	/* io_uring chain length */
	uint64_t rekey_every;	/* ktls-rekey: bytes per transmit key */
	double time_limit;	/* seconds for the whole run, 0: none */
	int kernel_aead;	/* measure the kernel's AEAD too (AF_ALG) */
	int system_trust;	/* clients also trust the system store */
	int inject_mismatch;	/* test the checker: corrupt one hash */
	int quiet;
	const char *json, *csv, *plot, *table;
	int json_stdout, csv_stdout;
	int want_versions;	/* --tls given */
};

/* One server certificate and key, and what clients trust it by. */
struct creds_set {
	gnutls_certificate_credentials_t srv_cred, cli_cred;
	char cert_file[256], key_file[256], ca_file[256];
	int generated;		/* cert and key files are ours */
	int loaded;
};

/* Shared state of one run. */
struct bench_ctx {
	struct bench_opts *o;
	/* The set in use (creds_use), copied from sets[]. */
	gnutls_certificate_credentials_t srv_cred, cli_cred;
	char cert_file[256], key_file[256], ca_file[256];
	/* 0: the run's own (--cert or --key-type); 1: ECDSA; 2: RSA */
	struct creds_set sets[3];
	gnutls_datum_t ticket_key;	/* plain GnuTLS servers' tickets */
	int file_fd;		/* the data source: o->file_size random bytes */
	const unsigned char *file_map;
	char file_path[256];
	char kernel[128];
	char gnutls_version[32];
	double started;
};

/* options.c: -1 to go on, else the exit status (help, errors). */
int bench_options_parse(int argc, char **argv, struct bench_opts *o,
			const char **cmd, unsigned int *what);

/* util.c */
double bench_now(void);
void bench_cpu_mark(double *proc_s, double *guest_s);
uint64_t bench_parse_size(const char *s, int *ok);
const char *bench_cipher_short(unsigned int cipher);
unsigned int bench_cipher_parse(const char *s);
const char *bench_version_name(uint16_t v);
int bench_cmp_double(const void *a, const void *b);
double bench_quantile(const double *sorted, unsigned int n, double q);

/* stream.c: the byte stream every sender sends, and its check. */
struct stream_hash {
	uint64_t a, b;
	unsigned char carry[8];
	unsigned int ncarry;
	uint64_t len;
};
void stream_hash_init(struct stream_hash *h);
void stream_hash_update(struct stream_hash *h, const void *buf, size_t len);
uint64_t stream_hash_final(struct stream_hash *h);
uint64_t stream_expected(const struct bench_ctx *ctx, uint64_t total);
int stream_file_open(struct bench_ctx *ctx);
void stream_file_close(struct bench_ctx *ctx);

/* creds.c: one certificate for every server, trusted by every client. */
int creds_load(struct bench_ctx *ctx);
/* Load the ECDSA P-256 and RSA-2048 sets of the resumption rows. */
int creds_load_keys(struct bench_ctx *ctx);
/* Make key's set ("ecdsa", "rsa"; NULL: the run's own) the one in use. */
int creds_use(struct bench_ctx *ctx, const char *key);
void creds_free(struct bench_ctx *ctx);
int creds_ktls_config(struct bench_ctx *ctx, enum ktls_role role,
		      unsigned int cipher, uint16_t version,
		      struct ktls_config **out, char *err, size_t errlen);
/* server: 0 a client, CREDS_SERVER, or a server that issues no tickets. */
#define CREDS_SERVER		1
#define CREDS_SERVER_NO_TICKETS	2
int creds_gnutls_session(struct bench_ctx *ctx, int server,
			 unsigned int cipher, uint16_t version,
			 gnutls_session_t *out, char *err, size_t errlen);

/* conn.c: loopback connections whose two ends handshake in parallel. */
int conn_listen(int backlog);
/* On another address of 127/8 (host order), e.g. one per TLS version. */
int conn_listen_at(uint32_t addr, int backlog);
int conn_connect(int lfd);
int conn_pair_open(struct bench_ctx *ctx, unsigned int cipher,
		   uint16_t version, enum ep_mode cli, enum ep_mode srv,
		   struct endpoint *c, struct endpoint *s, char *err,
		   size_t errlen);
void conn_endpoint_close(struct endpoint *e);
int conn_kernel_cipher(int fd, char *name, size_t len, uint16_t *version);

/* throughput.c and uring.c: one sample of one TX or RX path. */
int throughput_run(struct bench_ctx *ctx, struct bench_item *it,
		   struct sample *out, char *err, size_t errlen);
int throughput_path_valid(enum bench_kind kind, const char *path);
ssize_t uring_send_splice(struct bench_ctx *ctx, int sock, double deadline,
			  uint64_t limit, char *err, size_t errlen);
ssize_t uring_send_buf(struct bench_ctx *ctx, int sock, double deadline,
		       uint64_t limit, char *err, size_t errlen);
ssize_t uring_recv(struct bench_ctx *ctx, int sock, struct stream_hash *h,
		   char *err, size_t errlen);

/* ceiling.c */
int ceiling_run(struct bench_ctx *ctx, struct bench_item *it,
		struct sample *out, char *err, size_t errlen);

/* kcrypto.c: the kernel's AEAD through AF_ALG */
int kcrypto_run(struct bench_ctx *ctx, struct bench_item *it,
		struct sample *out, char *err, size_t errlen);

/* handshake.c and upcall.c */
int handshake_run(struct bench_ctx *ctx, struct bench_item *it,
		  struct sample *out, char *err, size_t errlen);
int upcall_available(const struct bench_ctx *ctx, char *why, size_t len);

/* daemon.c: a handshake daemon started for one sample, in its cgroup. */
struct bench_daemon {
	pid_t pid;
	char cgroup[256];	/* "" when CPU cannot be accounted */
};
int daemon_start(struct bench_ctx *ctx, const char *path,
		 struct bench_daemon *d, char *err, size_t errlen);
uint64_t daemon_cpu_usec(const struct bench_daemon *d);
void daemon_stop(struct bench_daemon *d);
int upcall_run(struct bench_ctx *ctx, struct bench_item *it,
	       struct sample *out, char *err, size_t errlen);

/*
 * Client threads shared by handshake.c and upcall.c: it->conc threads,
 * each running fn on fresh connections to srv until the sample's time or
 * count is used up. fn returns 0 or a negative errno and sets *resumed.
 */
struct hs_server;
void hs_nodelay(int fd);	/* TCP_NODELAY on a client socket */
typedef int (*hs_client_fn)(void *arg, int fd, int *resumed, char *err,
			    size_t errlen);
int hs_drive(struct bench_ctx *ctx, struct bench_item *it,
	     struct hs_server *srv, hs_client_fn fn, void *arg,
	     struct sample *out, char *err, size_t errlen);

/*
 * Servers shared by handshake.c and upcall.c (hs_server.c). tickets: the
 * plain GnuTLS server issues session tickets (EP_KTLS servers always do).
 */
struct hs_server;
struct hs_server *hs_server_start(struct bench_ctx *ctx, enum ep_mode mode,
				  uint16_t version, int threads, int tickets,
				  char *err, size_t errlen);
int hs_server_fd(const struct hs_server *srv);
/* Client i's listener: per_client servers have one port per client. */
int hs_server_fd_at(const struct hs_server *srv, int i);
/* A server whose thread i accepts on its own port (hs_server_fd_at(i)). */
struct hs_server *hs_server_start_ports(struct bench_ctx *ctx,
					enum ep_mode mode, uint16_t version,
					int threads, int tickets, char *err,
					size_t errlen);
/* Handshakes ended so far (done or failed) and resumed among them. */
void hs_server_counts(struct hs_server *srv, unsigned int *ended,
		      unsigned int *resumed);
unsigned int hs_server_stop(struct hs_server *srv, unsigned int *resumed,
			    unsigned int *errors);

/* report.c and plot.c */
struct bench_result {
	struct bench_item *items;
	unsigned int nitems;
	unsigned int rounds;
};
void report_table(FILE *f, const struct bench_ctx *ctx,
		  const struct bench_result *r);
void report_json(FILE *f, const struct bench_ctx *ctx,
		 const struct bench_result *r);
void report_csv(FILE *f, const struct bench_ctx *ctx,
		const struct bench_result *r);
int report_plot(const char *png, const struct bench_ctx *ctx,
		const struct bench_result *r);
/* Per-round ratio of two items (median, min, max); -1 if unknown. */
int report_ratio(const struct bench_item *num, const struct bench_item *den,
		 double *med, double *lo, double *hi);
/* Resumption rows: resumed handshakes' share, fails the item if wrong. */
void report_check_resumed(struct bench_result *r);
struct bench_item *report_find(const struct bench_result *r,
			       enum bench_kind kind, const char *path,
			       unsigned int cipher, uint16_t version,
			       int resumed, int conc);

#endif /* KTLS_BENCH_H */
