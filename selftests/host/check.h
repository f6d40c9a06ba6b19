/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The assertion the host unit tests share: count failures, go on. */
#ifndef SELFTESTS_CHECK_H
#define SELFTESTS_CHECK_H

#include <stdio.h>

static int failures;

/* (ktls_test.h has its own CHECK, which stops at the first failure.) */
#ifndef CHECK
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			failures++;					\
		}							\
	} while (0)
#endif

/* The same, with the cause in printf form, on stdout as "FAIL file:line: ". */
#define CHECK_MSG(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("FAIL %s:%d: ", __FILE__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			failures++;					\
		}							\
	} while (0)

#endif /* SELFTESTS_CHECK_H */
