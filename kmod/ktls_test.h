/* SPDX-License-Identifier: GPL-2.0-only */
/* ktls_test_consumer: what the device half asks of the request half. */
#ifndef KTLS_TEST_H
#define KTLS_TEST_H

#include <linux/ktls_test_consumer.h>

int ktls_test_handshake(struct ktls_test_handshake *hs);
void ktls_test_req_exit(void);

#endif /* KTLS_TEST_H */
