/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTP/1.1 requests and response heads, as pure functions over buffers:
 * no I/O and no allocation, so they can be unit-tested and fuzzed alone.
 */
#ifndef SERVE_HTTP_H
#define SERVE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_PATH_MAX 1024	/* decoded path, NUL included */
#define HTTP_TARGET_MAX 2048	/* raw target; longer: 414 */
#define HTTP_TARGET_LOG 128	/* what a log line shows of the target */
#define HTTP_LIST_MAX 4		/* If-None-Match lines kept; more are ignored */

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD,
	HTTP_OTHER,		/* a valid token we don't serve: 405 */
};

enum http_range_kind {
	HTTP_RANGE_NONE = 0,
	HTTP_RANGE_FROM_TO,	/* bytes=a-b */
	HTTP_RANGE_FROM,	/* bytes=a- */
	HTTP_RANGE_SUFFIX,	/* bytes=-n */
};

struct http_range {
	enum http_range_kind kind;
	uint64_t first;		/* a, or n for a suffix */
	uint64_t last;		/* b */
};

/* A header value inside the caller's buffer (not NUL-terminated). */
struct http_field {
	const char *v;
	size_t n;
};

struct http_request {
	enum http_method method;
	char method_name[16];		/* for the log; truncated */
	char target[HTTP_TARGET_LOG];	/* raw target for the log; truncated */
	char path[HTTP_PATH_MAX];	/* percent-decoded, query removed */
	int minor;			/* HTTP/1.<minor> */
	int keep_alive;
	int has_body;			/* Content-Length > 0 or Transfer-Encoding */
	struct http_range range;
	const char *range_ignored;	/* why a Range header was ignored */
	struct http_field raw_path;	/* target's path part, undecoded */
	struct http_field query;	/* "?..." or empty */
	/* Conditionals (RFC 9110 section 13), pointing into the buffer. */
	struct http_field if_none_match[HTTP_LIST_MAX];
	unsigned int n_if_none_match;
	int64_t if_modified_since;	/* seconds since the epoch, -1: none */
	struct http_field if_range;	/* n == 0: none */
	size_t header_len;		/* bytes of the request, CRLFCRLF included */
	int status;			/* on HTTP_PARSE_ERROR: 400, 413, 414 */
	const char *error;		/* on HTTP_PARSE_ERROR: for the log */
};

enum http_parse_result {
	HTTP_PARSE_ERROR = -1,
	HTTP_PARSE_INCOMPLETE = 0,
	HTTP_PARSE_OK = 1,
};

/*
 * Parse one request at the start of buf[0..len). A request whose head
 * does not end within max bytes is an error (413). On HTTP_PARSE_OK the
 * request occupies req->header_len bytes; anything after it is the next
 * (pipelined) request. A request with a method we don't serve parses OK
 * as HTTP_OTHER: the caller answers 405, and keeps the connection unless
 * the request has a body (keep_alive is then 0). GET and HEAD with a body
 * are refused (413).
 */
enum http_parse_result http_parse_request(const char *buf, size_t len,
					  size_t max,
					  struct http_request *req);

enum http_range_result {
	HTTP_RANGE_FULL = 0,		/* no usable range: the whole file */
	HTTP_RANGE_PARTIAL,		/* 206 with *off, *len */
	HTTP_RANGE_UNSATISFIABLE,	/* 416 */
};

/* Resolve a parsed range against a file size (RFC 9110 section 14.1.2). */
enum http_range_result http_range_resolve(const struct http_range *r,
					  uint64_t size, uint64_t *off,
					  uint64_t *len);

struct http_response {
	int status;
	int keep_alive;
	uint64_t content_length;
	const char *content_type;	/* NULL: none */
	uint64_t range_first;		/* 206: Content-Range bytes a-b/size */
	uint64_t range_last;
	uint64_t size;			/* 206 and 416: the file's size */
	const char *date;		/* IMF-fixdate, NULL: none */
	const char *last_modified;	/* IMF-fixdate, NULL: none */
	const char *etag;		/* quoted, NULL: none */
	struct http_field location;	/* 301: path, then "/" and query */
	struct http_field location_query;
	unsigned int retry_after;	/* 503: seconds, 0: none */
};

const char *http_reason(int status);

/* "Sun, 06 Nov 1994 08:49:37 GMT" into buf (at least 30 bytes). */
void http_format_date(char *buf, size_t len, int64_t t);

/*
 * An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms a
 * recipient must accept) as seconds since the epoch; -1 if it is none.
 */
int64_t http_parse_date(const char *v, size_t n);

/*
 * Whether an entity-tag list (a field value: "*", or comma-separated
 * tags, W/ for weak ones) names etag. Weak comparison ignores W/, as
 * If-None-Match wants; strong comparison (If-Range) never matches a weak
 * tag.
 */
int http_etag_match(const struct http_field *f, const char *etag, int weak);

/*
 * Format the status line and headers, CRLFCRLF included. Returns the
 * length, or 0 if buf is too small.
 */
size_t http_format_head(char *buf, size_t len, const struct http_response *r);

/* A short text body for an error status; "" for success statuses. */
const char *http_error_body(int status);

#endif /* SERVE_HTTP_H */
