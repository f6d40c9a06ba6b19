// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-rekey: TLS 1.3 KeyUpdate between two libktls sessions on kTLS, over
 * loopback TCP, through the public API only.
 *
 *   ktls-rekey CA CERT KEY pair MIB EVERY_KIB REQUEST CIPHER
 *       MIB each way at once, byte-exact; each side calls
 *       ktls_key_update(REQUEST: 0, 1, or 2 for every other one 1) every
 *       EVERY_KIB it sends; both read
 *       with ktls_session_recv. Library counts and the kernel's tls_stat
 *       rekey counters must agree.
 *   ktls-rekey CA CERT KEY auto MIB RECORDS CIPHER
 *       the same with no explicit call: a key-usage limit of RECORDS
 *       records per key (ktls_config_set_key_update_limit).
 *   ktls-rekey CA CERT KEY malformed
 *       KeyUpdates of a bad length or request value, sent raw: refused
 *       with decode_error / illegal_parameter, seen by the sender.
 *
 * Where the kernel cannot rekey (ktls_kernel_can_rekey() 0, before 6.14)
 * pair and auto check instead that ktls_key_update refuses with nothing
 * sent and that a peer's KeyUpdate ends ktls_session_recv with
 * EKEYEXPIRED and a named cause. Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tls.h>
#include <gnutls/gnutls.h>

#include "ktls.h"
#include "ktls-pair.h"
#include "../host/check.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define CHUNK (64 * 1024)
#define BLOCK 4096

struct flow {
	struct side *d;
	uint64_t seed;
	size_t total;
	size_t every;		/* explicit update every this many bytes */
	int request;
	int ret;
	char why[320];
};

/* Both sides handshaken and offloaded, TLS 1.3, or the test ends. */
static void make_pair(struct side *c, struct side *s, unsigned int cipher,
		      uint64_t limit)
{
	pair_new(c, s, KTLS_VERSION_1_3, cipher, limit);
	if (pair_run(c, s))
		DIE("handshake/offload (above)");
}

static const char *const rekey_stats[] = {
	"TlsTxRekeyOk", "TlsRxRekeyOk", "TlsRxRekeyReceived",
	"TlsTxRekeyError", "TlsRxRekeyError",
};
#define NSTATS (sizeof(rekey_stats) / sizeof(rekey_stats[0]))

static void stats_read(long *v)
{
	size_t i;

	for (i = 0; i < NSTATS; i++)
		v[i] = pair_tls_stat(rekey_stats[i]);
}

/* Block `index` of the stream of `seed`: both ends compute the same. */
static void gen_block(uint64_t seed, uint64_t index, unsigned char *out)
{
	uint64_t x = (seed ^ (index * 0x9e3779b97f4a7c15ULL)) | 1;
	size_t i;

	for (i = 0; i < BLOCK; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(out + i, &x, 8);
	}
}

static void *flow_send(void *arg)
{
	struct flow *f = arg;
	unsigned char *buf = malloc(CHUNK);
	size_t off = 0, next = f->every, n, i;
	unsigned long k = 0;
	ssize_t w;
	int ret;

	if (!buf) {
		f->ret = -ENOMEM;
		return NULL;
	}
	while (off < f->total) {
		if (f->every && off >= next) {
			/* REQUEST 2: every other update asks the peer's */
			ret = ktls_key_update(f->d->s, f->request == 2 ?
						      (int)(k++ & 1) :
						      f->request);
			if (ret) {
				f->ret = ret;
				snprintf(f->why, sizeof(f->why),
					 "ktls_key_update at %zu: %s", off,
					 ktls_session_error(f->d->s));
				break;
			}
			next += f->every;
		}
		n = f->total - off < CHUNK ? f->total - off : CHUNK;
		for (i = 0; i < n; i += BLOCK)
			gen_block(f->seed, (off + i) / BLOCK, buf + i);
		for (i = 0; i < n; i += w) {
			w = ktls_session_send(f->d->s, buf + i, n - i, 0);
			if (w <= 0) {
				f->ret = w ? (int)w : -EIO;
				snprintf(f->why, sizeof(f->why),
					 "ktls_session_send at %zu: %s (%s)",
					 off + i, strerror((int)-w),
					 ktls_session_error(f->d->s));
				goto out;
			}
		}
		off += n;
	}
out:
	free(buf);
	return NULL;
}

static void *flow_recv(void *arg)
{
	struct flow *f = arg;
	unsigned char *buf = malloc(CHUNK), want[BLOCK];
	uint64_t have_block = UINT64_MAX;
	size_t off = 0, i, at, seg;
	ssize_t n;
	int alert = -1;

	if (!buf) {
		f->ret = -ENOMEM;
		return NULL;
	}
	while (off < f->total) {
		n = ktls_session_recv(f->d->s, buf,
				      f->total - off < CHUNK ? f->total - off :
							       CHUNK, 0, &alert);
		if (n <= 0) {
			f->ret = n ? (int)n : -EPIPE;
			snprintf(f->why, sizeof(f->why),
				 "ktls_session_recv at %zu: %s (%s)", off,
				 n ? strerror((int)-n) : "end of stream",
				 ktls_session_error(f->d->s));
			break;
		}
		for (i = 0; i < (size_t)n; i += seg) {
			at = off + i;
			seg = BLOCK - at % BLOCK;
			if (seg > (size_t)n - i)
				seg = n - i;
			if (at / BLOCK != have_block) {
				have_block = at / BLOCK;
				gen_block(f->seed, have_block, want);
			}
			if (memcmp(buf + i, want + at % BLOCK, seg)) {
				f->ret = -EBADMSG;
				snprintf(f->why, sizeof(f->why),
					 "bytes %zu..%zu differ", at, at + seg);
				goto out;
			}
		}
		off += n;
	}
out:
	free(buf);
	return NULL;
}

/* A kernel that cannot rekey: refused, named, nothing sent or followed. */
static int test_no_rekey(unsigned int cipher)
{
	static const unsigned char ku[] = { 24, 0, 0, 1, 0 };
	struct side c, s;
	char buf[16];
	ssize_t n;
	int ret;

	make_pair(&c, &s, cipher, 0);
	ret = ktls_key_update(c.s, 1);
	CHECK_MSG(ret == -EOPNOTSUPP &&
		  strstr(ktls_session_error(c.s), "cannot rekey"),
		  "ktls_key_update on a kernel without rekey: %d (%s)", ret,
		  ktls_session_error(c.s));
	/* Nothing went out: the next data reads as it was sent. */
	CHECK_MSG(send(c.fd, "still", 5, 0) == 5, "send");
	n = ktls_session_recv(s.s, buf, sizeof(buf), 0, NULL);
	CHECK_MSG(n == 5 && !memcmp(buf, "still", 5),
		  "data after a refused update: %zd", n);
	/* A peer's KeyUpdate: EKEYEXPIRED and the cause, as ktls_recv. */
	CHECK_MSG(!pair_send_record(c.fd, 22, ku, sizeof(ku)), "send KeyUpdate");
	n = ktls_session_recv(s.s, buf, sizeof(buf), 0, NULL);
	CHECK_MSG(n == -EKEYEXPIRED &&
		  strstr(ktls_session_error(s.s), "cannot rekey"),
		  "ktls_session_recv on a KeyUpdate: %zd (%s)", n,
		  ktls_session_error(s.s));
	printf("ok: kernel cannot rekey: ktls_key_update refused (%s); a peer's KeyUpdate gives EKEYEXPIRED (%s)\n",
	       ktls_session_error(c.s), ktls_session_error(s.s));
	pair_free(&c, &s);
	return 0;
}

/* Owed answers out, trailing KeyUpdates in: no data may be left. */
static void quiesce(struct side *d[2])
{
	char buf[64];
	ssize_t n;
	int i;

	for (i = 0; i < 2; i++)
		CHECK_MSG(ktls_session_send(d[i]->s, "", 0, 0) == 0,
			  "flush: %s", ktls_session_error(d[i]->s));
	for (i = 0; i < 2; i++) {
		n = ktls_session_recv(d[i]->s, buf, sizeof(buf), MSG_DONTWAIT,
				      NULL);
		CHECK_MSG(n == -EAGAIN, "after the transfer, side %d read %zd (%s)",
			  i, n, ktls_session_error(d[i]->s));
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int test_transfer(size_t mib, size_t every, int request,
			 unsigned int cipher, uint64_t limit)
{
	struct side c, s;
	struct side *d[2] = { &c, &s };
	struct flow f[4];
	struct ktls_info ci[2] = { KTLS_INFO_INIT(), KTLS_INFO_INIT() };
	long before[NSTATS], after[NSTATS], delta[NSTATS];
	unsigned long sent = 0, recvd = 0;
	size_t total = mib << 20, i, expect;
	pthread_t t[4];
	double t0;

	if (!ktls_kernel_can_rekey())
		return test_no_rekey(cipher);
	make_pair(&c, &s, cipher, limit);
	memset(f, 0, sizeof(f));
	for (i = 0; i < 4; i++) {
		f[i].d = i == 0 || i == 3 ? &c : &s;	/* senders 0, 2 */
		f[i].seed = i < 2 ? 0x1111 : 0x2222;
		f[i].total = total;
		f[i].every = i % 2 ? 0 : every;
		f[i].request = request;
	}
	stats_read(before);
	t0 = now_s();
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, i % 2 ? flow_recv : flow_send,
				   &f[i]))
			DIE("pthread_create");
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		CHECK_MSG(!f[i].ret, "flow %zu: %s", i, f[i].why);
	if (failures)
		return 1;
	quiesce(d);
	stats_read(after);
	for (i = 0; i < 2; i++) {
		CHECK_MSG(!ktls_session_info(d[i]->s, &ci[i]), "info");
		CHECK_MSG(ci[i].key_update == 1, "info.key_update 0");
		sent += ci[i].key_updates_sent;
		recvd += ci[i].key_updates_received;
	}
	for (i = 0; i < NSTATS; i++)
		delta[i] = after[i] - before[i];
	/* Each side's updates reached the other, all of them. */
	CHECK_MSG(ci[0].key_updates_sent == ci[1].key_updates_received &&
		  ci[1].key_updates_sent == ci[0].key_updates_received,
		  "client sent %lu, server received %lu; server sent %lu, client received %lu",
		  ci[0].key_updates_sent, ci[1].key_updates_received,
		  ci[1].key_updates_sent, ci[0].key_updates_received);
	expect = every ? (total - 1) / every : 0;
	for (i = 0; i < 2; i++) {
		if (limit)
			/* a new key per limit records, the first one free */
			CHECK_MSG(ci[i].key_updates_sent ==
				  (total / 16384 - 1) / limit,
				  "side %zu: %lu automatic updates for %zu records at %llu per key",
				  i, ci[i].key_updates_sent, total / 16384,
				  (unsigned long long)limit);
		else if (request)
			/* its own, and at least one answer to the peer's */
			CHECK_MSG(ci[i].key_updates_sent > expect,
				  "side %zu: %lu updates sent, %zu asked for plus answers",
				  i, ci[i].key_updates_sent, expect);
		else
			CHECK_MSG(ci[i].key_updates_sent == expect,
				  "side %zu: %lu updates sent, expected %zu", i,
				  ci[i].key_updates_sent, expect);
	}
	/* The kernel counted exactly what the library did. */
	CHECK_MSG(delta[0] == (long)sent, "TlsTxRekeyOk +%ld, library sent %lu",
		  delta[0], sent);
	CHECK_MSG(delta[1] == (long)recvd, "TlsRxRekeyOk +%ld, library received %lu",
		  delta[1], recvd);
	CHECK_MSG(delta[2] == (long)recvd,
		  "TlsRxRekeyReceived +%ld, library received %lu", delta[2],
		  recvd);
	CHECK_MSG(delta[3] == 0 && delta[4] == 0,
		  "TlsTxRekeyError +%ld TlsRxRekeyError +%ld", delta[3], delta[4]);
	printf("ok: %s, %zu MiB each way byte-exact in %.1f s; updates sent client %lu server %lu (%s); tls_stat TlsTxRekeyOk +%ld TlsRxRekeyOk +%ld TlsRxRekeyReceived +%ld, errors 0\n",
	       ci[0].cipher_name, mib, now_s() - t0, ci[0].key_updates_sent,
	       ci[1].key_updates_sent,
	       limit ? "automatic" : request == 2 ?
		"update_requested every other time" :
		request ? "update_requested" : "update_not_requested",
	       delta[0], delta[1], delta[2]);
	pair_free(&c, &s);
	return failures ? 1 : 0;
}

/* One raw record from fd, its type from the cmsg. */
static ssize_t recv_record(int fd, unsigned char *type, void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(fd, &msg, 0);
	*type = 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS &&
		    cm->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cm);
	return n < 0 ? -errno : n;
}

static int test_malformed(void)
{
	static const struct {
		unsigned char msg[8];
		size_t len;
		int alert;
		const char *what;
	} cases[] = {
		{ { 24, 0, 0, 2, 0, 0 }, 6, GNUTLS_A_DECODE_ERROR,
		  "length 2" },
		{ { 24, 0, 0, 0 }, 4, GNUTLS_A_DECODE_ERROR, "length 0" },
		{ { 24, 0, 0, 1, 2 }, 5, GNUTLS_A_ILLEGAL_PARAMETER,
		  "request_update 2" },
		{ { 24, 0, 0, 1, 0xff }, 5, GNUTLS_A_ILLEGAL_PARAMETER,
		  "request_update 255" },
	};
	unsigned char buf[64], type;
	struct side c, s;
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_pair(&c, &s, 0, 0);
		CHECK_MSG(!pair_send_record(c.fd, 22, cases[i].msg, cases[i].len),
			  "send");
		n = ktls_session_recv(s.s, buf, sizeof(buf), 0, NULL);
		CHECK_MSG(n == -EPROTO, "%s: ktls_session_recv %zd (%s)",
			  cases[i].what, n, ktls_session_error(s.s));
		/* Tickets first, then the alert. */
		do {
			n = recv_record(c.fd, &type, buf, sizeof(buf));
		} while (n > 0 && type == 22);
		CHECK_MSG(n == 2 && type == 21 && buf[0] == 2 &&
			  buf[1] == cases[i].alert,
			  "%s: the peer got n %zd type %u alert %u, want %s",
			  cases[i].what, n, type, n == 2 ? buf[1] : 0,
			  ktls_alert_name(cases[i].alert));
		printf("ok: KeyUpdate with %s: EPROTO, peer told %s (%s)\n",
		       cases[i].what, ktls_alert_name(cases[i].alert),
		       ktls_session_error(s.s));
		pair_free(&c, &s);
	}
	return failures ? 1 : 0;
}

static unsigned int cipher_bit(const char *name)
{
	if (!strcmp(name, "aes128gcm"))
		return KTLS_CIPHER_AES_128_GCM;
	if (!strcmp(name, "aes256gcm"))
		return KTLS_CIPHER_AES_256_GCM;
	if (!strcmp(name, "chacha"))
		return KTLS_CIPHER_CHACHA20_POLY1305;
	if (!strcmp(name, "aes128ccm"))
		return KTLS_CIPHER_AES_128_CCM;
	DIE("unknown cipher %s", name);
}

int main(int argc, char **argv)
{
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5) {
		fprintf(stderr, "usage: ktls-rekey CA CERT KEY pair MIB EVERY_KIB REQUEST CIPHER | auto MIB RECORDS CIPHER | malformed\n");
		return 2;
	}
	pair_set_files(argv[1], argv[2], argv[3]);
	gnutls_global_init();
	if (!ktls_kernel_ciphers()) {
		printf("FAIL: no kTLS in this kernel\n");
		return 1;
	}
	printf("kernel can rekey: %s\n", ktls_kernel_can_rekey() ? "yes" : "no");
	if (!strcmp(argv[4], "pair") && argc == 9)
		ret = test_transfer(strtoul(argv[5], NULL, 0),
				    strtoul(argv[6], NULL, 0) << 10,
				    atoi(argv[7]), cipher_bit(argv[8]), 0);
	else if (!strcmp(argv[4], "auto") && argc == 8)
		ret = test_transfer(strtoul(argv[5], NULL, 0), 0, 0,
				    cipher_bit(argv[7]),
				    strtoull(argv[6], NULL, 0));
	else if (!strcmp(argv[4], "malformed"))
		ret = test_malformed();
	else
		return 2;
	if (ret || failures) {
		printf("%d checks failed\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
