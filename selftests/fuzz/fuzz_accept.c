// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the handshake family parsers (ACCEPT reply, READY
 * notification, command peek) on arbitrary bytes. Besides the sanitizers,
 * it checks what the callers rely on: a terminated error text on failure,
 * and on success a bounded, terminated request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	uint32_t hclass;
	int ret;

	memset(err, 'x', sizeof(err));
	ret = tlshd_msg_parse_accept(data, size, &req, err);
	if (ret != 0 && ret != -EINVAL)
		abort();
	if (!memchr(err, '\0', sizeof(err)))
		abort();
	if (ret == -EINVAL && !err[0])
		abort();	/* every failure names its cause */
	if (ret == 0 && (req.npeerids > TLSHD_MAX_PEERIDS || req.sockfd < 0 ||
			 !memchr(req.peername, '\0', sizeof(req.peername))))
		abort();

	memset(err, 'x', sizeof(err));
	ret = tlshd_msg_parse_ready(data, size, &hclass, err);
	if (ret != 0 && (ret != -EINVAL || !memchr(err, '\0', sizeof(err))))
		abort();

	ret = tlshd_msg_cmd(data, size);
	if (ret != -EINVAL && (ret < 0 || ret > 255))
		abort();
	return 0;
}
