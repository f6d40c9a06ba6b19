// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * The test consumer's ioctl struct is shared by 32- and 64-bit callers
 * with no compat translation: its layout must stay fixed, with no padding.
 * A changed field is an ABI break between hs-consumer and the module.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/ktls_test_consumer.h>

#define S struct ktls_test_handshake

static const struct {
	const char *name;
	size_t got, want;
} checks[] = {
	{ "fd", offsetof(S, fd), 0 },
	{ "type", offsetof(S, type), 4 },
	{ "auth", offsetof(S, auth), 8 },
	{ "timeout_ms", offsetof(S, timeout_ms), 12 },
	{ "keyring", offsetof(S, keyring), 16 },
	{ "cert", offsetof(S, cert), 20 },
	{ "privkey", offsetof(S, privkey), 24 },
	{ "num_peerids", offsetof(S, num_peerids), 28 },
	{ "peerids", offsetof(S, peerids), 32 },
	{ "flags", offsetof(S, flags), 52 },
	{ "peername", offsetof(S, peername), 56 },
	{ "status", offsetof(S, status), 312 },
	{ "peerid", offsetof(S, peerid), 316 },
	{ "submits", offsetof(S, submits), 320 },
	{ "wait_ms", offsetof(S, wait_ms), 324 },
	{ "sizeof", sizeof(S), 328 },
	{ "ioctl size", _IOC_SIZE(KTLS_TEST_IOC_HANDSHAKE), 328 },
	{ "ioctl dir", _IOC_DIR(KTLS_TEST_IOC_HANDSHAKE), _IOC_READ | _IOC_WRITE },
	{ "ioctl type", _IOC_TYPE(KTLS_TEST_IOC_HANDSHAKE), 0xe5 },
	{ "ioctl nr", _IOC_NR(KTLS_TEST_IOC_HANDSHAKE), 1 },
	{ "peerids[]", sizeof(((S *)0)->peerids) / sizeof(__s32), 5 },
};

int main(void)
{
	int failures = 0;
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (checks[i].got == checks[i].want)
			continue;
		printf("FAIL: %s is %zu, the ABI says %zu\n", checks[i].name,
		       checks[i].got, checks[i].want);
		failures++;
	}
	printf("%zu layout checks, %d failures\n",
	       sizeof(checks) / sizeof(checks[0]), failures);
	return failures ? 1 : 0;
}
