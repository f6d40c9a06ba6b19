// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crypto ceiling: how fast one thread seals 16 KiB TLS records with
 * GnuTLS's AEAD API, same cipher, no I/O. No TLS path can carry data
 * faster than its sender seals it, so every throughput is also given as a
 * fraction of this.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>

#include "bench.h"

#define CEIL_RECORD 16384
#define CEIL_TAG 16

int ceiling_run(struct bench_ctx *ctx, struct bench_item *it,
		struct sample *out, char *err, size_t errlen)
{
	gnutls_cipher_algorithm_t algo = ktls_cipher_gnutls(it->cipher);
	gnutls_aead_cipher_hd_t hd = NULL;
	unsigned char keybuf[32], nonce[12], aad[5] = { 23, 3, 3, 0x40, 0x11 };
	gnutls_datum_t key = { keybuf, 0 };
	unsigned char *ptext = NULL, *ctext = NULL;
	double t0, t1, p0, p1, g0, g1, deadline;
	uint64_t seq = 0, bytes = 0;
	size_t clen;
	int ret;

	if (algo == GNUTLS_CIPHER_UNKNOWN) {
		snprintf(err, errlen, "no AEAD for this cipher");
		return -EINVAL;
	}
	key.size = gnutls_cipher_get_key_size(algo);
	ptext = malloc(CEIL_RECORD);
	ctext = malloc(CEIL_RECORD + CEIL_TAG);
	if (!ptext || !ctext) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(ptext, ctx->file_map, CEIL_RECORD < ctx->o->file_size ?
				     CEIL_RECORD : ctx->o->file_size);
	if (gnutls_rnd(GNUTLS_RND_RANDOM, keybuf, sizeof(keybuf)) < 0 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, nonce, sizeof(nonce)) < 0 ||
	    (ret = gnutls_aead_cipher_init(&hd, algo, &key)) < 0) {
		snprintf(err, errlen, "gnutls_aead_cipher_init(%s) failed",
			 gnutls_cipher_get_name(algo));
		ret = -EIO;
		goto out;
	}
	bench_cpu_mark(&p0, &g0);
	t0 = bench_now();
	deadline = t0 + ctx->o->duration;
	do {
		/* The per-record nonce, as TLS derives it: iv XOR seq. */
		seq++;
		nonce[11] ^= seq & 0xff;
		nonce[10] ^= (seq >> 8) & 0xff;
		clen = CEIL_RECORD + CEIL_TAG;
		ret = gnutls_aead_cipher_encrypt(hd, nonce, sizeof(nonce), aad,
						 sizeof(aad), CEIL_TAG, ptext,
						 CEIL_RECORD, ctext, &clen);
		if (ret < 0) {
			snprintf(err, errlen, "gnutls_aead_cipher_encrypt: %s",
				 gnutls_strerror(ret));
			ret = -EIO;
			goto out;
		}
		bytes += CEIL_RECORD;
	} while (bench_now() < deadline);
	t1 = bench_now();
	bench_cpu_mark(&p1, &g1);
	out->secs = t1 - t0;
	out->bytes_sent = out->bytes_rcvd = bytes;
	out->value = bytes / out->secs / (1 << 20);
	out->cpu_proc = (p1 - p0) * 1e9 / bytes;
	out->cpu_guest = (g1 - g0) * 1e9 / bytes;
	snprintf(out->kernel_cipher, sizeof(out->kernel_cipher), "%s",
		 gnutls_cipher_get_name(algo));
	ret = 0;
out:
	if (hd)
		gnutls_aead_cipher_deinit(hd);
	gnutls_memset(keybuf, 0, sizeof(keybuf));
	free(ptext);
	free(ctext);
	return ret;
}
