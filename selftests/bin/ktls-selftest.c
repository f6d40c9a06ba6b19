// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-selftest: libktls against itself over loopback TCP, through nothing
 * but its public API (ktls.h) and the kernel's own socket options.
 *
 *   ktls-selftest CA CERT KEY matrix     every version x cipher, both sides
 *                                        offloaded, the kernel's state read
 *                                        back, data checked both ways
 *   ktls-selftest CA CERT KEY control    alerts and handshake records after
 *                                        offload, close_notify, KeyUpdate
 *   ktls-selftest CA CERT KEY keyring    credentials from kernel keys: a
 *                                        chain and key, a CA, a PSK; and
 *                                        the errors of bad keys
 *   ktls-selftest CA CERT KEY nonblock   both handshakes in one poll loop
 *   ktls-selftest CA CERT KEY no-module  tls removed before the first use
 *   ktls-selftest CA CERT KEY lost-module  tls removed between handshake
 *                                        and offload
 *
 * The no-module cases run `rmmod tls` / `modprobe tls` themselves and must
 * run without CAP_NET_ADMIN, so the kernel can't load tls back on its own
 * (TCP_ULP autoloads only for CAP_NET_ADMIN). Exit 0 pass, 77 skip (last
 * line: why), 1 fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <keyutils.h>

#include "ktls.h"
#include "ktls-pair.h"
#include "../host/check.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static const char *ca_file, *cert_file, *key_file;

static void *side_handshake_only(void *arg)
{
	struct side *d = arg;

	d->ret = ktls_session_handshake(d->s);
	return NULL;
}

/* Blocking handshake and offload on both sides, each failure counted. */
static int run_pair(struct side *c, struct side *s)
{
	int n = pair_run(c, s);

	failures += n;
	return n ? -1 : 0;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* A deterministic byte stream per seed (xorshift), so both ends agree. */
static void fill(unsigned char *buf, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x >> 24;
	}
}

struct flow {
	int fd;
	size_t len;
	uint64_t seed;
	int ret;
	uint64_t sum;
};

static void *flow_send(void *arg)
{
	struct flow *f = arg;
	unsigned char *buf = malloc(f->len);
	size_t off = 0;
	ssize_t n;

	if (!buf)
		DIE("malloc");
	fill(buf, f->len, f->seed);
	f->sum = fnv1a(FNV_INIT, buf, f->len);
	f->ret = 0;
	while (off < f->len) {
		n = send(f->fd, buf + off, f->len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			f->ret = -errno;
			break;
		}
		off += n;
	}
	free(buf);
	return NULL;
}

static void *flow_recv(void *arg)
{
	struct flow *f = arg;
	unsigned char buf[16384];
	size_t got = 0;
	ssize_t n;

	f->sum = FNV_INIT;
	f->ret = 0;
	while (got < f->len) {
		n = ktls_recv(f->fd, buf, sizeof(buf), 0, NULL);
		if (n <= 0) {
			f->ret = n ? (int)n : -ENODATA;
			break;
		}
		f->sum = fnv1a(f->sum, buf, n);
		got += n;
	}
	return NULL;
}

/* LEN bytes each way at once; both checksums must match. */
static void exchange(int cfd, int sfd, size_t len, const char *what)
{
	struct flow f[4] = {
		{ .fd = cfd, .len = len, .seed = 0x1234 },	/* c -> s */
		{ .fd = sfd, .len = len },
		{ .fd = sfd, .len = len, .seed = 0x5678 },	/* s -> c */
		{ .fd = cfd, .len = len },
	};
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, i % 2 ? flow_recv : flow_send,
				   &f[i]))
			DIE("pthread_create");
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		CHECK_MSG(!f[i].ret, "%s: flow %d: %s", what, i,
		      strerror(-f[i].ret));
	CHECK_MSG(f[0].sum == f[1].sum, "%s: client->server checksum differs",
	      what);
	CHECK_MSG(f[2].sum == f[3].sum, "%s: server->client checksum differs",
	      what);
}

static const struct {
	unsigned int bit;
	uint16_t kernel;
	size_t len, key, salt, iv;
} cipher_tab[] = {
	{ KTLS_CIPHER_AES_128_GCM, TLS_CIPHER_AES_GCM_128,
	  sizeof(struct tls12_crypto_info_aes_gcm_128),
	  offsetof(struct tls12_crypto_info_aes_gcm_128, key),
	  offsetof(struct tls12_crypto_info_aes_gcm_128, salt),
	  offsetof(struct tls12_crypto_info_aes_gcm_128, iv) },
	{ KTLS_CIPHER_AES_256_GCM, TLS_CIPHER_AES_GCM_256,
	  sizeof(struct tls12_crypto_info_aes_gcm_256),
	  offsetof(struct tls12_crypto_info_aes_gcm_256, key),
	  offsetof(struct tls12_crypto_info_aes_gcm_256, salt),
	  offsetof(struct tls12_crypto_info_aes_gcm_256, iv) },
	{ KTLS_CIPHER_CHACHA20_POLY1305, TLS_CIPHER_CHACHA20_POLY1305,
	  sizeof(struct tls12_crypto_info_chacha20_poly1305),
	  offsetof(struct tls12_crypto_info_chacha20_poly1305, key),
	  offsetof(struct tls12_crypto_info_chacha20_poly1305, salt),
	  offsetof(struct tls12_crypto_info_chacha20_poly1305, iv) },
	{ KTLS_CIPHER_AES_128_CCM, TLS_CIPHER_AES_CCM_128,
	  sizeof(struct tls12_crypto_info_aes_ccm_128),
	  offsetof(struct tls12_crypto_info_aes_ccm_128, key),
	  offsetof(struct tls12_crypto_info_aes_ccm_128, salt),
	  offsetof(struct tls12_crypto_info_aes_ccm_128, iv) },
};

/*
 * What the kernel holds: TX on both sides names the negotiated version and
 * cipher; where the kernel reads RX back (6.0+), one side's TX key, salt
 * and iv are the other's RX ones. Read right after offload, before data.
 */
static void check_kernel_state(const struct side *c, const struct side *s,
			       uint16_t version, size_t ci)
{
	unsigned char tx[2][64], rx[2][64];
	const struct tls_crypto_info *info;
	int fds[2] = { c->fd, s->fd }, i, have_rx = 1;
	size_t off = cipher_tab[ci].key, n = cipher_tab[ci].len - off;
	socklen_t len;

	for (i = 0; i < 2; i++) {
		/* The kernel wants the exact size of the cipher's struct. */
		len = cipher_tab[ci].len;
		if (getsockopt(fds[i], SOL_TLS, TLS_TX, tx[i], &len)) {
			CHECK_MSG(0, "getsockopt TLS_TX: %s", strerror(errno));
			return;
		}
		info = (const void *)tx[i];
		CHECK_MSG(len == cipher_tab[ci].len, "TLS_TX length %u, want %zu",
		      len, cipher_tab[ci].len);
		CHECK_MSG(info->version == (version == KTLS_VERSION_1_2 ?
					TLS_1_2_VERSION : TLS_1_3_VERSION),
		      "TLS_TX version 0x%04x", info->version);
		CHECK_MSG(info->cipher_type == cipher_tab[ci].kernel,
		      "TLS_TX cipher %u, want %u", info->cipher_type,
		      cipher_tab[ci].kernel);
		len = cipher_tab[ci].len;
		if (getsockopt(fds[i], SOL_TLS, TLS_RX, rx[i], &len))
			have_rx = 0;
	}
	if (!have_rx)
		printf("note: this kernel does not read TLS_RX back\n");
	if (have_rx) {
		/* Key, salt, iv and rec_seq: all but the record sequence. */
		n -= TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE;
		CHECK_MSG(!memcmp(tx[0] + off, rx[1] + off, n),
		      "client TX keys are not the server's RX keys");
		CHECK_MSG(!memcmp(tx[1] + off, rx[0] + off, n),
		      "server TX keys are not the client's RX keys");
	}
	memset(tx, 0, sizeof(tx));
	memset(rx, 0, sizeof(rx));
}

static int test_matrix(void)
{
	static const uint16_t versions[] = { KTLS_VERSION_1_2,
					     KTLS_VERSION_1_3 };
	unsigned int kernel = ktls_kernel_ciphers();
	struct ktls_info ci = KTLS_INFO_INIT(), si = KTLS_INFO_INIT();
	struct side c, s;
	size_t v, i;
	long tx0;
	int runs = 0;

	if (!kernel) {
		printf("kernel has no kTLS\n");
		return 77;
	}
	tx0 = pair_tls_stat("TlsTxSw");
	for (v = 0; v < 2; v++) {
		for (i = 0; i < sizeof(cipher_tab) / sizeof(cipher_tab[0]); i++) {
			char what[96];

			snprintf(what, sizeof(what), "TLS %s %s",
				 versions[v] == KTLS_VERSION_1_2 ? "1.2" : "1.3",
				 ktls_cipher_name(cipher_tab[i].bit));
			if (!(kernel & cipher_tab[i].bit)) {
				/* GCM is in every kTLS kernel; the rest is optional. */
				CHECK_MSG(cipher_tab[i].bit != KTLS_CIPHER_AES_128_GCM,
				      "kernel kTLS lacks AES-128-GCM");
				printf("note: %s: this kernel's kTLS lacks the cipher\n",
				       what);
				continue;
			}
			pair_new(&c, &s, versions[v], cipher_tab[i].bit, 0);
			if (!run_pair(&c, &s)) {
				CHECK_MSG(!ktls_session_info(c.s, &ci) &&
				      !ktls_session_info(s.s, &si), "info");
				CHECK_MSG(ci.version == versions[v] &&
				      si.version == versions[v] &&
				      ci.cipher == cipher_tab[i].bit &&
				      si.cipher == cipher_tab[i].bit,
				      "%s: negotiated 0x%04x %s", what,
				      ci.version, ci.cipher_name);
				CHECK_MSG(ci.peer_verified, "%s: server not verified",
				      what);
				CHECK_MSG(!ktls_session_pending(c.s, NULL) &&
				      !ktls_session_pending(s.s, NULL),
				      "%s: plaintext left in GnuTLS", what);
				check_kernel_state(&c, &s, versions[v], i);
				exchange(c.fd, s.fd, 256 * 1024, what);
				runs++;
				printf("ok: %s: both sides offloaded, 256 KiB each way\n",
				       what);
			}
			pair_free(&c, &s);
		}
	}
	/* Two sockets per run, each with a software TX context. */
	if (tx0 >= 0)
		CHECK_MSG(pair_tls_stat("TlsTxSw") - tx0 == 2 * runs,
		      "TlsTxSw went up by %ld for %d runs",
		      pair_tls_stat("TlsTxSw") - tx0, runs);
	return 0;
}

/* One raw record: its type from the cmsg, its body in buf. */
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
	ssize_t n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return -errno;
	*type = KTLS_RECORD_DATA;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS &&
		    cm->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cm);
	return n;
}

static void drain_tickets(struct side *c)
{
	/* TLS 1.3 tickets reach the client through kTLS: skip them first. */
	char ping[5];
	ssize_t n;

	n = ktls_recv(c->fd, ping, sizeof(ping), 0, NULL);
	CHECK_MSG(n == 5 && !memcmp(ping, "ping!", 5), "ping: %zd", n);
}

static int test_control(void)
{
	static const uint16_t versions[] = { KTLS_VERSION_1_2,
					     KTLS_VERSION_1_3 };
	/* A NewSessionTicket-typed message; the receiver only skips it. */
	static const unsigned char hs[] = { 4, 0, 0, 4, 0, 0, 0, 0 };
	/* KeyUpdate, update_not_requested. */
	static const unsigned char key_update[] = { 24, 0, 0, 1, 0 };
	unsigned char buf[64], type = 0;
	struct side c, s;
	int alert, v;
	long rekey0;
	ssize_t n;

	for (v = 0; v < 2; v++) {
		const char *ver = v ? "1.3" : "1.2";

		pair_new(&c, &s, versions[v], 0, 0);
		if (run_pair(&c, &s)) {
			pair_free(&c, &s);
			continue;
		}
		CHECK_MSG(send(s.fd, "ping!", 5, 0) == 5, "send");
		drain_tickets(&c);

		/* A warning alert is a record of type 21 with level 1. */
		CHECK_MSG(!ktls_send_alert(c.fd, GNUTLS_AL_WARNING,
				       GNUTLS_A_USER_CANCELED), "send_alert");
		n = recv_record(s.fd, &type, buf, sizeof(buf));
		CHECK_MSG(n == 2 && type == KTLS_RECORD_ALERT && buf[0] == 1 &&
		      buf[1] == GNUTLS_A_USER_CANCELED,
		      "TLS %s: raw alert record: n %zd type %u", ver, n, type);

		/* ktls_recv skips a warning alert and a handshake record. */
		CHECK_MSG(!ktls_send_alert(c.fd, GNUTLS_AL_WARNING,
				       GNUTLS_A_USER_CANCELED), "send_alert");
		CHECK_MSG(!pair_send_record(c.fd, KTLS_RECORD_HANDSHAKE, hs, sizeof(hs)),
		      "send handshake record");
		CHECK_MSG(send(c.fd, "after", 5, 0) == 5, "send");
		n = ktls_recv(s.fd, buf, sizeof(buf), 0, NULL);
		CHECK_MSG(n == 5 && !memcmp(buf, "after", 5),
		      "TLS %s: ktls_recv after control records: %zd", ver, n);

		/* The handshake record itself arrives typed 22, intact. */
		CHECK_MSG(!pair_send_record(s.fd, KTLS_RECORD_HANDSHAKE, hs, sizeof(hs)),
		      "send handshake record");
		n = recv_record(c.fd, &type, buf, sizeof(buf));
		CHECK_MSG(n == sizeof(hs) && type == KTLS_RECORD_HANDSHAKE &&
		      !memcmp(buf, hs, sizeof(hs)),
		      "TLS %s: raw handshake record: n %zd type %u", ver, n, type);

		/* close_notify: the peer's ktls_recv sees end of stream. */
		CHECK_MSG(!ktls_close_notify(c.fd), "close_notify");
		n = ktls_recv(s.fd, buf, sizeof(buf), 0, NULL);
		CHECK_MSG(n == 0, "TLS %s: ktls_recv after close_notify: %zd", ver,
		      n);
		/* And a fatal alert the other way: -ECONNABORTED, named. */
		alert = -1;
		CHECK_MSG(!ktls_send_alert(s.fd, GNUTLS_AL_FATAL,
				       GNUTLS_A_INTERNAL_ERROR), "send_alert");
		n = ktls_recv(c.fd, buf, sizeof(buf), 0, &alert);
		CHECK_MSG(n == -ECONNABORTED && alert == GNUTLS_A_INTERNAL_ERROR,
		      "TLS %s: fatal alert: %zd alert %d", ver, n, alert);
		/*
		 * A KeyUpdate (type 24) is not skipped: ktls_recv says so with
		 * EKEYEXPIRED. A kernel without rekey (before 6.14) has
		 * consumed it and reads on under the old key; one with rekey
		 * (it counts TlsRxRekeyReceived) holds every later record until
		 * the next receive key is installed, and so keeps failing.
		 */
		rekey0 = pair_tls_stat("TlsRxRekeyReceived");
		CHECK_MSG(!pair_send_record(c.fd, KTLS_RECORD_HANDSHAKE, key_update,
				   sizeof(key_update)), "send KeyUpdate");
		CHECK_MSG(send(c.fd, "later", 5, 0) == 5, "send");
		n = ktls_recv(s.fd, buf, sizeof(buf), 0, NULL);
		CHECK_MSG(n == -EKEYEXPIRED, "TLS %s: ktls_recv on KeyUpdate: %zd",
		      ver, n);
		n = ktls_recv(s.fd, buf, sizeof(buf), 0, NULL);
		if (rekey0 < 0) {
			CHECK_MSG(n == 5 && !memcmp(buf, "later", 5),
			      "TLS %s: record after the KeyUpdate: %zd", ver, n);
		} else {
			CHECK_MSG(n == -EKEYEXPIRED,
			      "TLS %s: rekey kernel, record after the KeyUpdate without a new key: %zd",
			      ver, n);
			CHECK_MSG(pair_tls_stat("TlsRxRekeyReceived") == rekey0 + 1,
			      "TLS %s: TlsRxRekeyReceived %ld -> %ld", ver, rekey0,
			      pair_tls_stat("TlsRxRekeyReceived"));
		}
		printf("ok: TLS %s: alert and NewSessionTicket records typed, skipped by ktls_recv; close_notify gives 0; fatal alert gives ECONNABORTED (%s); KeyUpdate gives EKEYEXPIRED%s\n",
		       ver, ktls_alert_name(alert),
		       rekey0 < 0 ? ", then the old key reads on" :
		       ", and the rekey kernel holds later records for the next key");
		pair_free(&c, &s);
	}
	return 0;
}

/* A file's PEM object as DER, malloc'd (gnutls_free). */
static gnutls_datum_t pem_to_der(const char *path, int is_key)
{
	gnutls_datum_t pem = { 0 }, der = { 0 };
	gnutls_x509_privkey_t k;

	if (gnutls_load_file(path, &pem) < 0)
		DIE("cannot read %s", path);
	if (is_key) {
		if (gnutls_x509_privkey_init(&k) < 0 ||
		    gnutls_x509_privkey_import(k, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
		    gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_DER,
						      NULL, GNUTLS_PKCS_PLAIN,
						      &der) < 0)
			DIE("%s: not a PEM private key", path);
		gnutls_x509_privkey_deinit(k);
	} else if (gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der) < 0) {
		DIE("%s: not a PEM certificate", path);
	}
	gnutls_free(pem.data);
	return der;
}

/* A user key in our process keyring: possessed, so readable. */
static key_serial_t add_user_key(const char *desc, const void *data,
				 size_t len)
{
	key_serial_t k = add_key("user", desc, data, len,
				 KEY_SPEC_PROCESS_KEYRING);

	if (k < 0)
		DIE("add_key %s: %s", desc, strerror(errno));
	return k;
}

static void keyring_pair(struct side *c, struct side *s,
			 struct ktls_session_opts *co, const char *what)
{
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.timeout_ms = 60000);
	struct ktls_info info = KTLS_INFO_INIT();
	int ret;

	pair_tcp(&c->fd, &s->fd);
	ret = ktls_session_new(&c->s, c->cfg, c->fd, co);
	if (!ret)
		ret = ktls_session_new(&s->s, s->cfg, s->fd, &so);
	CHECK_MSG(!ret, "%s: ktls_session_new: %s", what, strerror(-ret));
	if (ret || run_pair(c, s))
		return;
	exchange(c->fd, s->fd, 64 << 10, what);
	if (!ktls_session_info(s->s, &info))
		printf("ok: %s: handshake, 64 KiB each way (server sees peer \"%s\", %s)\n",
		       what, info.peer_name, info.cipher_name);
}

static int test_keyring(void)
{
	static const unsigned char psk[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	gnutls_datum_t cert, ca, key;
	key_serial_t kchain, kkey, kca, kpsk, kbad, krev, kpriv;
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 60000);
	unsigned char *chain;
	struct ktls_config *cfg;
	struct side c, s;
	int ret;

	if (keyctl_join_session_keyring(NULL) < 0 &&
	    (errno == ENOSYS || errno == EOPNOTSUPP)) {
		printf("kernel without keyrings\n");
		return 77;
	}
	cert = pem_to_der(cert_file, 0);
	ca = pem_to_der(ca_file, 0);
	key = pem_to_der(key_file, 1);
	/* A chain: leaf then CA, concatenated in one payload. */
	chain = malloc(cert.size + ca.size);
	if (!chain)
		DIE("malloc");
	memcpy(chain, cert.data, cert.size);
	memcpy(chain + cert.size, ca.data, ca.size);
	kchain = add_user_key("ktls-selftest chain", chain, cert.size + ca.size);
	kkey = add_user_key("ktls-selftest key", key.data, key.size);
	kca = add_user_key("ktls-selftest ca", ca.data, ca.size);
	kpsk = add_user_key("ktls-selftest;psk id", psk, sizeof(psk));
	kbad = add_user_key("ktls-selftest bad", "not DER", 7);
	krev = add_user_key("ktls-selftest revoked", ca.data, ca.size);
	/*
	 * In the user keyring, away from our fresh session keyring: not
	 * possessed, and a user key's user (not possessor) may only view it.
	 */
	kpriv = add_key("user", "ktls-selftest private", ca.data, ca.size,
			KEY_SPEC_USER_KEYRING);
	if (kpriv < 0)
		DIE("add_key to the user keyring: %s", strerror(errno));
	free(chain);

	/* Certificates: server chain and key, client CA, all from keys. */
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	if (ktls_config_new(&c.cfg, KTLS_ROLE_CLIENT) ||
	    ktls_config_new(&s.cfg, KTLS_ROLE_SERVER))
		DIE("ktls_config_new");
	ret = ktls_config_set_trust_keyring(c.cfg, kca);
	CHECK_MSG(!ret, "set_trust_keyring: %s", strerror(-ret));
	ret = ktls_config_set_cert_keyring(s.cfg, kchain, kkey);
	CHECK_MSG(!ret, "set_cert_keyring: %s", strerror(-ret));
	keyring_pair(&c, &s, &co, "certificate chain and CA from keys");
	/* A session froze the config: nothing is read into it any more. */
	ret = ktls_config_set_cert_keyring(s.cfg, kchain, kkey);
	CHECK_MSG(ret == -EBUSY, "set_cert_keyring on a frozen config: %d", ret);
	pair_free(&c, &s);

	/* PSK: the server's from a key, the client's by serial too. */
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	if (ktls_config_new(&c.cfg, KTLS_ROLE_CLIENT) ||
	    ktls_config_new(&s.cfg, KTLS_ROLE_SERVER))
		DIE("ktls_config_new");
	ret = ktls_config_add_psk_keyring(s.cfg, kpsk);
	CHECK_MSG(!ret, "add_psk_keyring: %s", strerror(-ret));
	co = (struct ktls_session_opts)KTLS_SESSION_OPTS_INIT();
	co.timeout_ms = 60000;
	co.psk_key_serial = kpsk;
	keyring_pair(&c, &s, &co, "PSK from a key");
	if (s.s) {
		struct ktls_info info = KTLS_INFO_INIT();

		CHECK_MSG(!ktls_session_info(s.s, &info) &&
		      !strcmp(info.peer_name, "ktls-selftest;psk id"),
		      "PSK identity seen by the server: %s", info.peer_name);
	}
	pair_free(&c, &s);

	/* Bad keys: each error precise, nothing loaded. */
	if (ktls_config_new(&cfg, KTLS_ROLE_SERVER))
		DIE("ktls_config_new");
	if (keyctl_revoke(krev) < 0)
		DIE("keyctl_revoke: %s", strerror(errno));
	ret = ktls_config_set_cert_keyring(cfg, 0, kkey);
	CHECK_MSG(ret == -ENOKEY, "serial 0: %d", ret);
	ret = ktls_config_set_cert_keyring(cfg, 0x7ffffff0, kkey);
	CHECK_MSG(ret == -ENOKEY, "no such key: %d", ret);
	ret = ktls_config_set_cert_keyring(cfg, kbad, kkey);
	CHECK_MSG(ret == -EKEYREJECTED, "garbage certificate: %d", ret);
	ret = ktls_config_set_cert_keyring(cfg, kchain, kbad);
	CHECK_MSG(ret == -EKEYREJECTED, "garbage private key: %d", ret);
	ret = ktls_config_set_cert_keyring(cfg, kca, kkey);
	CHECK_MSG(ret == -EKEYREJECTED, "key of another certificate: %d", ret);
	ret = ktls_config_set_trust_keyring(cfg, krev);
	CHECK_MSG(ret == -EKEYREVOKED, "revoked key: %d", ret);
	ret = ktls_config_set_trust_keyring(cfg, kpriv);
	CHECK_MSG(ret == -EACCES, "unreadable key: %d", ret);
	keyctl_unlink(kpriv, KEY_SPEC_USER_KEYRING);
	ret = ktls_config_add_psk_keyring(cfg, krev);
	CHECK_MSG(ret == -EKEYREVOKED, "revoked PSK: %d", ret);
	ktls_config_put(cfg);

	/* A client PSK that can't be read fails ktls_session_new. */
	if (ktls_config_new(&cfg, KTLS_ROLE_CLIENT))
		DIE("ktls_config_new");
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	pair_tcp(&c.fd, &s.fd);
	co = (struct ktls_session_opts)KTLS_SESSION_OPTS_INIT();
	co.psk_key_serial = krev;
	ret = ktls_session_new(&c.s, cfg, c.fd, &co);
	CHECK_MSG(ret == -EKEYREVOKED, "client PSK revoked: %d", ret);
	ktls_config_put(cfg);
	pair_free(&c, &s);
	printf("ok: bad keys: ENOKEY, EKEYREJECTED (certificate, key, mismatch), EKEYREVOKED, EACCES\n");

	gnutls_free(cert.data);
	gnutls_free(ca.data);
	gnutls_free(key.data);
	return 0;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int test_nonblock(void)
{
	struct side c, s;
	struct side *d[2] = { &c, &s };
	struct pollfd pfd[2];
	int done[2] = { 0, 0 }, again = 0, rounds = 0, i, n;

	pair_new(&c, &s, 0, 0, 0);
	nonblock(c.fd);
	nonblock(s.fd);
	while (!(done[0] && done[1]) && rounds++ < 1000) {
		n = 0;
		for (i = 0; i < 2; i++) {
			if (done[i])
				continue;
			d[i]->ret = ktls_session_handshake(d[i]->s);
			if (d[i]->ret == -EAGAIN) {
				again++;
				pfd[n].fd = d[i]->fd;
				pfd[n].events = ktls_session_poll_events(d[i]->s);
				n++;
				continue;
			}
			if (d[i]->ret)
				DIE("%s handshake: %s (%s)", i ? "server" : "client",
				    strerror(-d[i]->ret),
				    ktls_session_error(d[i]->s));
			done[i] = 1;
		}
		if (n && poll(pfd, n, 10000) <= 0)
			DIE("poll: nothing to do within 10 s");
	}
	CHECK_MSG(done[0] && done[1], "handshakes unfinished after %d rounds",
	      rounds);
	CHECK_MSG(again > 0, "a non-blocking handshake never returned EAGAIN");
	for (i = 0; i < 2; i++)
		CHECK_MSG(!ktls_session_offload(d[i]->s), "offload: %s",
		      ktls_session_error(d[i]->s));
	/* Data through the kernel on the (blocking again) sockets. */
	for (i = 0; i < 2; i++)
		fcntl(d[i]->fd, F_SETFL, fcntl(d[i]->fd, F_GETFL) & ~O_NONBLOCK);
	exchange(c.fd, s.fd, 64 * 1024, "non-blocking");
	printf("ok: non-blocking handshake in one poll loop (%d EAGAINs), offloaded, 64 KiB each way\n",
	       again);
	pair_free(&c, &s);
	return 0;
}

/* The tls module must go; skip if it can't (built in, or in use). */
static int tls_module_remove(void)
{
	int i;

	if (access("/sys/module/tls", F_OK))
		return 0;	/* not loaded */
	if (access("/sys/module/tls/initstate", F_OK)) {
		printf("tls is built into this kernel: it can't be removed\n");
		return 77;
	}
	/* Closing kTLS sockets of earlier tests may hold it a while. */
	for (i = 0; i < 150; i++) {
		if (!system("rmmod tls 2>/dev/null"))
			return 0;
		usleep(100000);
	}
	printf("the tls module is in use (refcnt in /sys/module/tls/refcnt): can't remove it\n");
	return 77;
}

static void tls_module_restore(void)
{
	if (system("modprobe tls"))
		printf("FAIL: modprobe tls: the module is not back\n"), failures++;
}

/* tls gone before the first use: the handshake refuses to start. */
static int test_no_module(void)
{
	struct side c, s;
	int ret;

	ret = tls_module_remove();
	if (ret)
		return ret;
	CHECK_MSG(ktls_kernel_ciphers() == 0, "kTLS ciphers 0x%x without tls",
	      ktls_kernel_ciphers());
	pair_new(&c, &s, 0, 0, 0);
	ret = ktls_session_handshake(c.s);
	CHECK_MSG(ret == -ENOPROTOOPT, "handshake: %d, want -ENOPROTOOPT", ret);
	CHECK_MSG(strstr(ktls_session_error(c.s), "tls module") != NULL,
	      "error does not name the tls module: %s",
	      ktls_session_error(c.s));
	printf("ok: no tls module: handshake gives ENOPROTOOPT: %s\n",
	       ktls_session_error(c.s));
	pair_free(&c, &s);
	tls_module_restore();
	return 0;
}

/* MSG from one session to the other through GnuTLS, not the kernel. */
static void gnutls_io(struct ktls_session *from, struct ktls_session *to,
		      const char *msg)
{
	size_t len = strlen(msg);
	char buf[64];
	ssize_t n;

	n = gnutls_record_send(ktls_session_gnutls(from), msg, len);
	CHECK_MSG(n == (ssize_t)len, "gnutls send: %zd (%s)", n,
	      n < 0 ? gnutls_strerror(n) : "short");
	do {
		n = gnutls_record_recv(ktls_session_gnutls(to), buf, sizeof(buf));
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	CHECK_MSG(n == (ssize_t)len && !memcmp(buf, msg, len),
	      "gnutls recv of '%s': %zd (%s)", msg, n,
	      n < 0 ? gnutls_strerror(n) : "wrong bytes");
}

/*
 * tls gone between handshake and offload: offload fails with ENOPROTOOPT
 * and names the module, and the sockets are untouched, so the sessions go
 * on in user space through GnuTLS.
 */
static int test_lost_module(void)
{
	struct side c, s;
	struct side *d[2] = { &c, &s };
	pthread_t t;
	int i, ret;

	if (!ktls_kernel_ciphers()) {
		printf("kernel has no kTLS\n");
		return 77;
	}
	pair_new(&c, &s, 0, 0, 0);
	if (pthread_create(&t, NULL, side_handshake_only, &s))
		DIE("pthread_create");
	ret = ktls_session_handshake(c.s);
	pthread_join(t, NULL);
	if (ret)
		DIE("handshake: %s", ktls_session_error(c.s));
	ret = tls_module_remove();
	if (ret) {
		pair_free(&c, &s);
		return ret;
	}
	for (i = 0; i < 2; i++) {
		ret = ktls_session_offload(d[i]->s);
		CHECK_MSG(ret == -ENOPROTOOPT, "offload: %d, want -ENOPROTOOPT",
		      ret);
		CHECK_MSG(strstr(ktls_session_error(d[i]->s), "tls module") != NULL,
		      "error does not name the tls module: %s",
		      ktls_session_error(d[i]->s));
	}
	printf("ok: tls module removed after the handshake: offload gives ENOPROTOOPT: %s\n",
	       ktls_session_error(c.s));
	/* User-space TLS still works on both sockets, both ways. */
	gnutls_io(c.s, s.s, "over gnutls");
	gnutls_io(s.s, c.s, "and back");
	printf("ok: the sockets still carry TLS through GnuTLS both ways\n");
	pair_free(&c, &s);
	tls_module_restore();
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 5) {
		fprintf(stderr, "usage: ktls-selftest CA CERT KEY matrix|control|keyring|nonblock|no-module|lost-module\n");
		return 2;
	}
	ca_file = argv[1];
	cert_file = argv[2];
	key_file = argv[3];
	pair_set_files(ca_file, cert_file, key_file);
	if (!strcmp(argv[4], "matrix"))
		ret = test_matrix();
	else if (!strcmp(argv[4], "control"))
		ret = test_control();
	else if (!strcmp(argv[4], "keyring"))
		ret = test_keyring();
	else if (!strcmp(argv[4], "nonblock"))
		ret = test_nonblock();
	else if (!strcmp(argv[4], "no-module"))
		ret = test_no_module();
	else if (!strcmp(argv[4], "lost-module"))
		ret = test_lost_module();
	else
		return 2;
	if (ret)
		return ret;
	if (failures) {
		printf("%d checks failed\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
