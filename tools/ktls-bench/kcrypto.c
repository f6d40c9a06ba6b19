// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's own AEAD rate, through AF_ALG: the same 16 KiB records
 * sealed by the implementation kTLS uses (the highest-priority driver for
 * the algorithm, named from /proc/crypto). It tells whether a kTLS path
 * is bound by the kernel's cipher code rather than by anything around
 * it: under emulation the kernel's and GnuTLS's AEAD code can differ by
 * a large factor. Needs algif_aead; without it the item is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_alg.h>

#include "bench.h"

#define KC_RECORD 16384
#define KC_TAG 16
#define KC_AAD 5

static const char *kcrypto_alg(unsigned int cipher, unsigned int *keylen,
			       unsigned int *ivlen)
{
	*ivlen = 12;
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM: *keylen = 16; return "gcm(aes)";
	case KTLS_CIPHER_AES_256_GCM: *keylen = 32; return "gcm(aes)";
	case KTLS_CIPHER_CHACHA20_POLY1305:
		*keylen = 32;
		return "rfc7539(chacha20,poly1305)";
	case KTLS_CIPHER_AES_128_CCM:
		*keylen = 16;
		*ivlen = 16;	/* B0 flags byte, 12-byte nonce, counter */
		return "ccm(aes)";
	}
	return NULL;
}

/* The driver the kernel picks for alg: highest priority in /proc/crypto. */
static void kcrypto_driver(const char *alg, char *out, size_t len)
{
	char line[256], name[128] = "", driver[128] = "";
	int prio = -1, best = -1;
	FILE *f = fopen("/proc/crypto", "re");

	snprintf(out, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "name : %127s", name) == 1)
			continue;
		if (sscanf(line, "driver : %127s", driver) == 1)
			continue;
		if (sscanf(line, "priority : %d", &prio) == 1 &&
		    !strcmp(name, alg) && prio > best) {
			best = prio;
			snprintf(out, len, "%s", driver);
		}
	}
	fclose(f);
}

int kcrypto_run(struct bench_ctx *ctx, struct bench_item *it,
		struct sample *out, char *err, size_t errlen)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
	unsigned int keylen, ivlen;
	const char *alg = kcrypto_alg(it->cipher, &keylen, &ivlen);
	unsigned char key[32], *in = NULL, *outbuf = NULL;
	char cbuf[CMSG_SPACE(sizeof(int)) +
		  CMSG_SPACE(sizeof(struct af_alg_iv) + 16) +
		  CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
	struct af_alg_iv *iv;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	double t0, t1, p0, p1, g0, g1, deadline;
	uint64_t bytes = 0, seq = 0;
	int tfm = -1, op = -1, ret = -EIO;
	ssize_t n;

	if (!alg) {
		snprintf(err, errlen, "no kernel AEAD for this cipher");
		return -EINVAL;
	}
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", alg);
	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0 || bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "skipped: AF_ALG aead %s: %s (modprobe algif_aead)",
			 alg, strerror(errno));
		ret = -ENOENT;
		goto out;
	}
	memset(key, 0x5a, sizeof(key));
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen) < 0 ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, KC_TAG) < 0 ||
	    (op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		snprintf(err, errlen, "AF_ALG %s setup: %s", alg, strerror(errno));
		goto out;
	}
	in = malloc(KC_AAD + KC_RECORD);
	outbuf = malloc(KC_AAD + KC_RECORD + KC_TAG);
	if (!in || !outbuf) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	memcpy(in, "\x17\x03\x03\x40\x11", KC_AAD);
	memcpy(in + KC_AAD, ctx->file_map,
	       KC_RECORD < ctx->o->file_size ? KC_RECORD : ctx->o->file_size);

	bench_cpu_mark(&p0, &g0);
	t0 = bench_now();
	deadline = t0 + ctx->o->duration;
	do {
		memset(cbuf, 0, sizeof(cbuf));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = in;
		iov.iov_len = KC_AAD + KC_RECORD;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_OP;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		*(int *)CMSG_DATA(c) = ALG_OP_ENCRYPT;
		c = CMSG_NXTHDR(&msg, c);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_IV;
		c->cmsg_len = CMSG_LEN(sizeof(*iv) + ivlen);
		iv = (struct af_alg_iv *)CMSG_DATA(c);
		iv->ivlen = ivlen;
		seq++;
		memcpy(iv->iv + ivlen - 8, &seq, 8);
		if (ivlen == 16) {
			/* CCM: L' = 2 as kTLS builds it, nonce after it */
			iv->iv[0] = 2;
			memset(iv->iv + 13, 0, 3);
		}
		c = CMSG_NXTHDR(&msg, c);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		*(int *)CMSG_DATA(c) = KC_AAD;
		if (sendmsg(op, &msg, 0) != KC_AAD + KC_RECORD) {
			snprintf(err, errlen, "AF_ALG sendmsg: %s", strerror(errno));
			goto out;
		}
		n = read(op, outbuf, KC_AAD + KC_RECORD + KC_TAG);
		if (n != KC_AAD + KC_RECORD + KC_TAG) {
			snprintf(err, errlen, "AF_ALG read: %s",
				 n < 0 ? strerror(errno) : "short");
			goto out;
		}
		bytes += KC_RECORD;
	} while (bench_now() < deadline);
	t1 = bench_now();
	bench_cpu_mark(&p1, &g1);
	out->secs = t1 - t0;
	out->bytes_sent = out->bytes_rcvd = bytes;
	out->value = bytes / out->secs / (1 << 20);
	out->cpu_proc = (p1 - p0) * 1e9 / bytes;
	out->cpu_guest = (g1 - g0) * 1e9 / bytes;
	kcrypto_driver(alg, out->kernel_cipher, sizeof(out->kernel_cipher));
	ret = 0;
out:
	free(in);
	free(outbuf);
	if (op >= 0)
		close(op);
	if (tfm >= 0)
		close(tfm);
	return ret;
}
