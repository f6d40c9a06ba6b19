/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two libktls sessions, client and server, on a loopback TCP pair: the
 * set-up ktls-selftest and ktls-rekey share (public API only).
 */
#ifndef SELFTESTS_KTLS_PAIR_H
#define SELFTESTS_KTLS_PAIR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ktls.h"

#define DIE(...)							\
	do {								\
		printf("FAIL: ");					\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		exit(1);						\
	} while (0)

struct side {
	struct ktls_config *cfg;
	struct ktls_session *s;
	int fd;
	int ret;
	char err[256];
};

/* The CA the client trusts and the server's chain and key, from argv. */
void pair_set_files(const char *ca, const char *cert, const char *key);
/* A connected loopback TCP pair: kTLS needs TCP, socketpair won't do. */
void pair_tcp(int *cli, int *srv);
/* VERSION and CIPHER 0: libktls's defaults; LIMIT 0: no key-usage limit. */
struct ktls_config *pair_config(enum ktls_role role, uint16_t version,
				unsigned int cipher, uint64_t limit);
/* Both sessions on a fresh TCP pair; the client checks "localhost". */
void pair_new(struct side *c, struct side *s, uint16_t version,
	      unsigned int cipher, uint64_t limit);
void pair_free(struct side *c, struct side *s);
/* Handshake and offload on one side (a thread's body). */
void *pair_side_handshake(void *arg);
/* Both sides at once, one thread each: how many failed, each printed. */
int pair_run(struct side *c, struct side *s);
/* Send one record of TYPE through the kernel (TLS_SET_RECORD_TYPE). */
int pair_send_record(int fd, unsigned char type, const void *buf, size_t len);
/* A /proc/net/tls_stat counter, -1 if absent. */
long pair_tls_stat(const char *name);

#endif /* SELFTESTS_KTLS_PAIR_H */
