// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: ktls-serve's HTTP request parser on arbitrary bytes,
 * with the same head limit the server uses, then the range resolver on the
 * parsed range. Checks what the server relies on: an OK request lies within
 * the buffer and has a terminated path; an error carries a status and a
 * reason; a resolved range lies within the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HEAD_MAX 8192

static void fuzz_range(const struct http_range *r, uint64_t size)
{
	enum http_range_result res;
	uint64_t off = 0, len = 0;

	res = http_range_resolve(r, size, &off, &len);
	if (res == HTTP_RANGE_PARTIAL &&
	    (!len || off >= size || len > size - off))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	enum http_parse_result res;

	/* libFuzzer hands each input in a buffer of exactly size bytes. */
	res = http_parse_request((const char *)data, size, FUZZ_HEAD_MAX,
				 &req);
	switch (res) {
	case HTTP_PARSE_OK:
		if (!req.header_len || req.header_len > size ||
		    req.header_len > FUZZ_HEAD_MAX)
			abort();
		if (!memchr(req.path, '\0', sizeof(req.path)) ||
		    (req.path[0] != '/' && req.path[0] != '*'))
			abort();
		if (!memchr(req.target, '\0', sizeof(req.target)) ||
		    !memchr(req.method_name, '\0', sizeof(req.method_name)))
			abort();
		if (req.method < HTTP_GET || req.method > HTTP_OTHER)
			abort();
		fuzz_range(&req.range, 0);
		fuzz_range(&req.range, 1);
		fuzz_range(&req.range, 1000);
		fuzz_range(&req.range, UINT64_MAX);
		break;
	case HTTP_PARSE_ERROR:
		if (!req.error || (req.status != 400 && req.status != 405 &&
				   req.status != 413))
			abort();
		break;
	case HTTP_PARSE_INCOMPLETE:
		if (size >= FUZZ_HEAD_MAX)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
