/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The credentials one handshake request gets: chosen from the published
 * set (creds.h) by the request's role and authentication mode, or built
 * for it from the keys the kernel names.
 */
#ifndef TLSHD_CREDS_CHOICE_H
#define TLSHD_CREDS_CHOICE_H

#include <stddef.h>
#include <stdint.h>

struct ktls_config;
struct tlshd_creds;
struct tlshd_request;

struct tlshd_psk_ref {
	uint32_t serial;
	char *identity;
};

struct tlshd_creds_choice {
	struct ktls_config *kc;		/* what the session uses */
	struct ktls_config *owned;	/* built for this request, or NULL */
	/* Client PSK: the identity offered and its key (wiped on release). */
	char *psk_identity;
	void *psk_key;
	size_t psk_len;
	uint32_t psk_serial;
	/* Server PSK: every identity offered, to name the one chosen. */
	struct tlshd_psk_ref *psks;
	unsigned int npsks;
};

/*
 * Choose for req. Returns 0, or why not as a positive errno (ENOKEY: no
 * usable credential; EINVAL: a request that cannot be served; EIO,
 * ENOMEM...) with the cause in cause. Release the choice either way.
 */
int tlshd_creds_choose(const struct tlshd_creds *creds,
		       const struct tlshd_request *req,
		       struct tlshd_creds_choice *ch, char *cause,
		       size_t causelen);

/* Server PSK: the key serial of the identity the client proved, or 0. */
uint32_t tlshd_creds_choice_psk_serial(const struct tlshd_creds_choice *ch,
				       const char *identity);

/* The client PSK's copy may go once the session has its own. */
void tlshd_creds_choice_drop_psk(struct tlshd_creds_choice *ch);
void tlshd_creds_choice_release(struct tlshd_creds_choice *ch);

#endif /* TLSHD_CREDS_CHOICE_H */
