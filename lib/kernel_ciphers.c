// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which ciphers the running kernel's kTLS takes. The only reliable answer
 * is to ask it: on a loopback TCP connection per cipher, set the tls ULP
 * and install an all-zero TLS 1.3 TX key. ENOENT means the kernel lacks the
 * AEAD (TX and RX use the same one). Only TX is probed, so TlsRxSw in
 * /proc/net/tls_stat counts real handovers alone. On the first socket that
 * takes a key, TLS_TX_MAX_PAYLOAD_LEN is tried too: newer kernels can keep
 * a peer's record size limit, and a second TLS_TX with the same key:
 * kernels since 6.14 take it (a TLS 1.3 rekey, counted once per process
 * in TlsTxRekeyOk), older ones refuse it with EBUSY. Probed once; the
 * answer is cached for the life of the process.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ktls-internal.h"

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probe_done;
static unsigned int probe_mask;
static int probe_tx_limit;
static int probe_rekey;

/* A connected loopback socket; the listener's backlog completes it. */
static int probe_connect(const struct sockaddr_in *addr)
{
	struct pollfd pfd;
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	/* Loopback that is down never answers: don't hang on it. */
	if (poll(&pfd, 1, 1000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* 1: the kernel takes this cipher, 0: not, -1: can't tell, -2: no kTLS. */
static int probe_one(const struct sockaddr_in *addr,
		     const struct ktls_cipher_desc *d)
{
	union ktls_crypto_info ci;
	int fd, ret = 0;

	fd = probe_connect(addr);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		ret = -2;	/* no kTLS at all */
		goto out;
	}
	memset(&ci, 0, sizeof(ci));
	ci.info.version = TLS_1_3_VERSION;
	ci.info.cipher_type = d->kernel;
	if (setsockopt(fd, SOL_TLS, TLS_TX, &ci, d->info_len) == 0) {
		uint16_t limit = 4096;

		ret = 1;
		if (!probe_tx_limit &&
		    setsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &limit,
			       sizeof(limit)) == 0)
			probe_tx_limit = 1;
		if (!probe_rekey &&
		    setsockopt(fd, SOL_TLS, TLS_TX, &ci, d->info_len) == 0)
			probe_rekey = 1;
	}
out:
	close(fd);
	return ret;
}

static unsigned int probe_run(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	const struct ktls_cipher_desc *d;
	unsigned int mask = 0;
	int lfd, r;
	size_t i;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return 0;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 4) < 0 ||	/* one per cipher */
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0)
		goto out;
	for (i = 0; (d = ktls_cipher_desc_at(i)); i++) {
		r = probe_one(&addr, d);
		if (r == -2)
			break;
		/* r == -1: no working loopback; let TLS_TX itself decide. */
		if (r)
			mask |= d->bit;
	}
out:
	close(lfd);
	return mask;
}

KTLS_EXPORT unsigned int ktls_kernel_ciphers(void)
{
	unsigned int mask;

	pthread_mutex_lock(&probe_lock);
	if (!probe_done) {
		probe_mask = probe_run();
		probe_done = 1;
	}
	mask = probe_mask;
	pthread_mutex_unlock(&probe_lock);
	return mask;
}

int ktls_kernel_tx_limit(void)
{
	int ret;

	ktls_kernel_ciphers();
	pthread_mutex_lock(&probe_lock);
	ret = probe_tx_limit;
	pthread_mutex_unlock(&probe_lock);
	return ret;
}

int ktls_kernel_rekey(void)
{
	int ret;

	ktls_kernel_ciphers();
	pthread_mutex_lock(&probe_lock);
	ret = probe_rekey;
	pthread_mutex_unlock(&probe_lock);
	return ret;
}

void ktls_kernel_rekey_override(int rekey)
{
	ktls_kernel_ciphers();
	pthread_mutex_lock(&probe_lock);
	probe_rekey = rekey;
	pthread_mutex_unlock(&probe_lock);
}

void ktls_kernel_ciphers_override(unsigned int mask)
{
	pthread_mutex_lock(&probe_lock);
	probe_mask = mask & KTLS_CIPHER_ALL;
	probe_done = 1;
	pthread_mutex_unlock(&probe_lock);
}
