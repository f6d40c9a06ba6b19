/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The assertion the host unit tests share: count failures, go on. */
#ifndef SELFTESTS_CHECK_H
#define SELFTESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			failures++;					\
		}							\
	} while (0)

#endif /* SELFTESTS_CHECK_H */
