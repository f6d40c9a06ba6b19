// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: ktls-serve's HTTP request parser on arbitrary bytes,
 * with the same head limit the server uses, then the range resolver on the
 * parsed range, the entity-tag and date matchers on the conditional
 * headers, and a 301 head. Checks what the server relies on: an OK request
 * lies within the buffer and has a terminated path; the fields it points
 * to lie within the buffer; a redirect head fits the server's 4 KiB head
 * buffer; an error carries a status and a reason; a resolved range lies
 * within the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HEAD_MAX 8192
#define FUZZ_RESPONSE_HEAD 4096	/* CONN_HEAD_MAX */

static void fuzz_within(const struct http_field *f, const uint8_t *data,
			size_t size)
{
	if (f->n && ((const uint8_t *)f->v < data ||
		     (const uint8_t *)f->v + f->n > data + size))
		abort();
}

/* The conditionals: any bytes, never out of the field. */
static void fuzz_conditionals(const struct http_request *req,
			      const uint8_t *data, size_t size)
{
	static const char *etags[] = { "\"1-2-3\"", "W/\"1-2-3\"", "\"\"" };
	struct http_response r = { .status = 301 };
	char head[FUZZ_RESPONSE_HEAD];
	unsigned int i, j;

	for (i = 0; i < req->n_if_none_match && i < HTTP_LIST_MAX; i++) {
		fuzz_within(&req->if_none_match[i], data, size);
		for (j = 0; j < 3; j++) {
			http_etag_match(&req->if_none_match[i], etags[j], 1);
			http_etag_match(&req->if_none_match[i], etags[j], 0);
		}
	}
	if (req->if_range.n) {
		fuzz_within(&req->if_range, data, size);
		http_etag_match(&req->if_range, etags[0], 0);
		http_parse_date(req->if_range.v, req->if_range.n);
	}
	if (req->path[0] != '/')
		return;
	if (req->raw_path.v != NULL && req->raw_path.n != 1)
		fuzz_within(&req->raw_path, data, size);
	fuzz_within(&req->query, data, size);
	r.location = req->raw_path;
	r.location_query = req->query;
	if (!http_format_head(head, sizeof(head), &r))
		abort();
}

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
		fuzz_conditionals(&req, data, size);
		break;
	case HTTP_PARSE_ERROR:
		if (!req.error || (req.status != 400 && req.status != 405 &&
				   req.status != 413 && req.status != 414))
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
