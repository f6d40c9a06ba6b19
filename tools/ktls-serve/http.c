// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP/1.1 request parsing (RFC 9112) and response heads. Everything here
 * works on caller-owned memory and never reads past len, whatever the
 * bytes: the input comes straight from the network.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

/* tchar from RFC 9110 section 5.6.2 */
static int http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int http_is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static int http_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum http_parse_result http_fail(struct http_request *req, int status,
					const char *why)
{
	req->status = status;
	req->error = why;
	return HTTP_PARSE_ERROR;
}

/* Length of the line at p (up to end), without its CRLF or LF; -1: none. */
static long http_line(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', end - p);
	long n;

	if (!nl)
		return -1;
	*next = nl + 1;
	n = nl - p;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* A decimal number of at most 18 digits (no overflow); -1 otherwise. */
static int http_number(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static void http_trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

static int http_token_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(p, word, n);
}

/* Range: bytes=a-b | bytes=a- | bytes=-n; anything else is ignored. */
static void http_parse_range(struct http_request *req, const char *v,
			     size_t n)
{
	struct http_range *r = &req->range;
	const char *dash;
	size_t left, right;

	if (r->kind != HTTP_RANGE_NONE || req->range_ignored) {
		r->kind = HTTP_RANGE_NONE;
		req->range_ignored = "more than one Range header";
		return;
	}
	if (n < 6 || strncasecmp(v, "bytes=", 6)) {
		req->range_ignored = "Range unit is not bytes";
		return;
	}
	v += 6;
	n -= 6;
	http_trim(&v, &n);
	if (memchr(v, ',', n)) {
		req->range_ignored = "multiple ranges are not supported";
		return;
	}
	dash = memchr(v, '-', n);
	if (!dash)
		goto bad;
	left = dash - v;
	right = n - left - 1;
	if (!left) {
		if (http_number(dash + 1, right, &r->first))
			goto bad;
		r->kind = HTTP_RANGE_SUFFIX;
		return;
	}
	if (http_number(v, left, &r->first))
		goto bad;
	if (!right) {
		r->kind = HTTP_RANGE_FROM;
		return;
	}
	if (http_number(dash + 1, right, &r->last) || r->last < r->first)
		goto bad;
	r->kind = HTTP_RANGE_FROM_TO;
	return;
bad:
	r->kind = HTTP_RANGE_NONE;
	req->range_ignored = "invalid Range header";
}

/* Connection: a comma-separated token list. */
static void http_parse_connection(const char *v, size_t n, int *close,
				  int *keep)
{
	const char *end = v + n, *comma;
	size_t len;

	while (v < end) {
		comma = memchr(v, ',', end - v);
		len = (comma ? comma : end) - v;
		http_trim(&v, &len);
		if (http_token_is(v, len, "close"))
			*close = 1;
		else if (http_token_is(v, len, "keep-alive"))
			*keep = 1;
		v = comma ? comma + 1 : end;
	}
}

/* Percent-decode the path part of the target into req->path. */
static enum http_parse_result http_decode_path(struct http_request *req,
					       const char *t, size_t n)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	if (n > HTTP_TARGET_MAX)
		return http_fail(req, 414, "target too long");
	for (i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
		c = t[i];
		if (c == '%') {
			if (i + 2 >= n)
				return http_fail(req, 400, "truncated %-escape in target");
			hi = http_hex(t[i + 1]);
			lo = http_hex(t[i + 2]);
			if (hi < 0 || lo < 0)
				return http_fail(req, 400, "bad %-escape in target");
			c = hi << 4 | lo;
			i += 2;
			if (c < 0x20 || c == 0x7f)
				return http_fail(req, 400, "control character in path");
		}
		if (o + 1 >= sizeof(req->path))
			return http_fail(req, 414, "target too long");
		req->path[o++] = c;
	}
	req->path[o] = 0;
	req->raw_path.v = t;
	req->raw_path.n = i;
	/* The query goes into a redirect's Location; a fragment never does. */
	req->query.v = t + i;
	req->query.n = 0;
	if (i < n && t[i] == '?')
		while (i + req->query.n < n && t[i + req->query.n] != '#')
			req->query.n++;
	return HTTP_PARSE_OK;
}

static enum http_parse_result http_parse_target(struct http_request *req,
						const char *t, size_t n)
{
	const char *slash;
	size_t skip;

	snprintf(req->target, sizeof(req->target), "%.*s", (int)n, t);
	if (n && t[0] == '/')
		return http_decode_path(req, t, n);
	/* absolute-form: scheme://authority/path */
	if (n > 8 && !strncasecmp(t, "https://", 8))
		skip = 8;
	else if (n > 7 && !strncasecmp(t, "http://", 7))
		skip = 7;
	else
		return http_fail(req, 400, "target is not an absolute path");
	slash = memchr(t + skip, '/', n - skip);
	if (!slash) {
		strcpy(req->path, "/");
		req->raw_path.v = "/";
		req->raw_path.n = 1;
		req->query.v = "";
		return HTTP_PARSE_OK;
	}
	return http_decode_path(req, slash, t + n - slash);
}

static enum http_parse_result http_parse_request_line(struct http_request *req,
						      const char *p, size_t n)
{
	size_t i = 0, m, tstart, tlen;

	while (i < n && http_is_tchar(p[i]))
		i++;
	m = i;
	if (!m || i >= n || p[i] != ' ')
		return http_fail(req, 400, "malformed request line");
	snprintf(req->method_name, sizeof(req->method_name), "%.*s", (int)m, p);
	if (m == 3 && !memcmp(p, "GET", 3))
		req->method = HTTP_GET;
	else if (m == 4 && !memcmp(p, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;

	tstart = ++i;
	while (i < n && http_is_vchar(p[i]))
		i++;
	tlen = i - tstart;
	if (!tlen || i >= n || p[i] != ' ')
		return http_fail(req, 400, "malformed request line");
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) || p[i + 6] != '.' ||
	    p[i + 5] < '0' || p[i + 5] > '9' || p[i + 7] < '0' || p[i + 7] > '9')
		return http_fail(req, 400, "malformed HTTP version");
	if (p[i + 5] != '1')
		return http_fail(req, 400, "unsupported HTTP version");
	req->minor = p[i + 7] - '0';

	if (tlen == 1 && p[tstart] == '*' && req->method == HTTP_OTHER) {
		snprintf(req->target, sizeof(req->target), "*");
		strcpy(req->path, "*");
		return HTTP_PARSE_OK;
	}
	return http_parse_target(req, p + tstart, tlen);
}

enum http_parse_result http_parse_request(const char *buf, size_t len,
					  size_t max, struct http_request *req)
{
	const char *p = buf, *end, *next, *colon, *v;
	int hosts = 0, conn_close = 0, conn_keep = 0, have_cl = 0, ims = 0;
	int too_large = 413;
	uint64_t cl = 0, n64;
	enum http_parse_result ret;
	size_t vn;
	long n;

	memset(req, 0, sizeof(*req));
	req->if_modified_since = -1;
	if (len > max)
		len = max;
	end = buf + len;
	if (memchr(buf, 0, len))
		return http_fail(req, 400, "NUL byte in request");

	/* Empty lines before a request are allowed (RFC 9112 section 2.2). */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
					   p[1] == '\n')))
		p += *p == '\n' ? 1 : 2;

	n = http_line(p, end, &next);
	if (n < 0) {
		too_large = 414;	/* the request line alone is too long */
		goto incomplete;
	}
	ret = http_parse_request_line(req, p, n);
	if (ret != HTTP_PARSE_OK)
		return ret;

	for (p = next;; p = next) {
		n = http_line(p, end, &next);
		if (n < 0)
			goto incomplete;
		if (!n)
			break;
		if (*p == ' ' || *p == '\t')
			return http_fail(req, 400, "obsolete header line folding");
		colon = memchr(p, ':', n);
		if (!colon || colon == p)
			return http_fail(req, 400, "malformed header line");
		for (v = p; v < colon; v++)
			if (!http_is_tchar(*v))
				return http_fail(req, 400, "bad header name");
		v = colon + 1;
		vn = p + n - v;
		http_trim(&v, &vn);
		for (size_t i = 0; i < vn; i++)
			if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
				return http_fail(req, 400, "control character in header value");

		if (http_token_is(p, colon - p, "host")) {
			hosts++;
		} else if (http_token_is(p, colon - p, "connection")) {
			http_parse_connection(v, vn, &conn_close, &conn_keep);
		} else if (http_token_is(p, colon - p, "content-length")) {
			if (http_number(v, vn, &n64) || (have_cl && n64 != cl))
				return http_fail(req, 400, "bad Content-Length");
			have_cl = 1;
			cl = n64;
		} else if (http_token_is(p, colon - p, "transfer-encoding")) {
			req->has_body = 1;
		} else if (http_token_is(p, colon - p, "range")) {
			http_parse_range(req, v, vn);
		} else if (http_token_is(p, colon - p, "if-none-match")) {
			/* A list may span lines; past the last kept: no 304. */
			if (req->n_if_none_match < HTTP_LIST_MAX) {
				req->if_none_match[req->n_if_none_match].v = v;
				req->if_none_match[req->n_if_none_match].n = vn;
			}
			req->n_if_none_match++;
		} else if (http_token_is(p, colon - p, "if-modified-since")) {
			/* An invalid date is ignored (RFC 9110 13.1.3). */
			req->if_modified_since = ims++ ? -1 :
						 http_parse_date(v, vn);
		} else if (http_token_is(p, colon - p, "if-range")) {
			req->if_range.v = v;
			req->if_range.n = vn;
		}
	}
	if (req->n_if_none_match > HTTP_LIST_MAX)
		req->n_if_none_match = 0;
	req->header_len = next - buf;

	if (req->minor >= 1 && hosts != 1)
		return http_fail(req, 400, hosts ? "more than one Host header" :
						   "HTTP/1.1 request without Host");
	if (hosts > 1)
		return http_fail(req, 400, "more than one Host header");
	if (cl)
		req->has_body = 1;
	/* We read no bodies, so the next request's start is unknown. */
	if (req->has_body && req->method != HTTP_OTHER)
		return http_fail(req, 413, "request bodies are not accepted");
	if (req->method != HTTP_GET && req->range.kind != HTTP_RANGE_NONE) {
		req->range.kind = HTTP_RANGE_NONE;
		req->range_ignored = "Range applies to GET only";
	}
	req->keep_alive = req->minor >= 1 ? !conn_close : conn_keep && !conn_close;
	if (req->has_body)
		req->keep_alive = 0;
	return HTTP_PARSE_OK;

incomplete:
	if (len >= max)
		return http_fail(req, too_large, too_large == 414 ?
				 "request line too long" :
				 "request head too large");
	return HTTP_PARSE_INCOMPLETE;
}

enum http_range_result http_range_resolve(const struct http_range *r,
					  uint64_t size, uint64_t *off,
					  uint64_t *len)
{
	uint64_t first, last;

	switch (r->kind) {
	case HTTP_RANGE_FROM_TO:
	case HTTP_RANGE_FROM:
		if (r->first >= size)
			return HTTP_RANGE_UNSATISFIABLE;
		first = r->first;
		last = r->kind == HTTP_RANGE_FROM || r->last >= size ?
			       size - 1 : r->last;
		break;
	case HTTP_RANGE_SUFFIX:
		if (!r->first || !size)
			return HTTP_RANGE_UNSATISFIABLE;
		first = r->first >= size ? 0 : size - r->first;
		last = size - 1;
		break;
	default:
		return HTTP_RANGE_FULL;
	}
	*off = first;
	*len = last - first + 1;
	return HTTP_RANGE_PARTIAL;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

const char *http_error_body(int status)
{
	switch (status) {
	case 400: return "400 Bad Request\n";
	case 404: return "404 Not Found\n";
	case 405: return "405 Method Not Allowed\n";
	case 301: return "301 Moved Permanently\n";
	case 413: return "413 Content Too Large\n";
	case 414: return "414 URI Too Long\n";
	case 416: return "416 Range Not Satisfiable\n";
	case 500: return "500 Internal Server Error\n";
	case 503: return "503 Service Unavailable\n";
	default: return "";
	}
}

size_t http_format_head(char *buf, size_t len, const struct http_response *r)
{
	size_t pos = 0;
	int n;

#define HTTP_PUT(...)							\
	do {								\
		n = snprintf(buf + pos, len - pos, __VA_ARGS__);	\
		if (n < 0 || (size_t)n >= len - pos)			\
			return 0;					\
		pos += n;						\
	} while (0)

	if (!len)
		return 0;
	HTTP_PUT("HTTP/1.1 %d %s\r\nServer: ktls-serve\r\n", r->status,
		 http_reason(r->status));
	if (r->date)
		HTTP_PUT("Date: %s\r\n", r->date);
	/* The type is the file's, by its name: browsers must not guess. */
	if (r->content_type)
		HTTP_PUT("Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n",
			 r->content_type);
	if (r->last_modified)
		HTTP_PUT("Last-Modified: %s\r\n", r->last_modified);
	if (r->etag)
		HTTP_PUT("ETag: %s\r\n", r->etag);
	if (r->status == 301)
		HTTP_PUT("Location: %.*s/%.*s\r\n", (int)r->location.n,
			 r->location.v, (int)r->location_query.n,
			 r->location_query.v);
	if (r->retry_after)
		HTTP_PUT("Retry-After: %u\r\n", r->retry_after);
	/* A 304 has no content, and its length would be the 200's. */
	if (r->status != 304)
		HTTP_PUT("Content-Length: %" PRIu64 "\r\n", r->content_length);
	if (r->status == 200 || r->status == 206 || r->status == 416)
		HTTP_PUT("Accept-Ranges: bytes\r\n");
	if (r->status == 206)
		HTTP_PUT("Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
			 r->range_first, r->range_last, r->size);
	if (r->status == 416)
		HTTP_PUT("Content-Range: bytes */%" PRIu64 "\r\n", r->size);
	if (r->status == 405)
		HTTP_PUT("Allow: GET, HEAD\r\n");
	HTTP_PUT("Connection: %s\r\n\r\n", r->keep_alive ? "keep-alive" : "close");
#undef HTTP_PUT
	return pos;
}

void http_format_date(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!len)
		return;
	buf[0] = 0;
	if (gmtime_r(&tt, &tm))
		strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int64_t http_parse_date(const char *v, size_t n)
{
	static const char *const forms[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* asctime */
	};
	char buf[64];
	const char *end;
	struct tm tm;
	size_t i;

	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n);
	buf[n] = 0;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(buf, forms[i], &tm);
		if (end && !*end)
			return (int64_t)timegm(&tm);
	}
	return -1;
}

/* The next entity-tag of a list at *p: its opaque part and weakness. */
static int http_next_etag(const char **p, const char *end, const char **tag,
			  size_t *tlen, int *weak)
{
	const char *q = *p, *close;

	while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
		q++;
	if (q == end)
		return 0;
	*weak = 0;
	if (end - q >= 2 && q[0] == 'W' && q[1] == '/') {
		*weak = 1;
		q += 2;
	}
	if (q == end || *q != '"')
		return -1;
	close = memchr(q + 1, '"', end - q - 1);
	if (!close)
		return -1;
	*tag = q;
	*tlen = close - q + 1;
	*p = close + 1;
	return 1;
}

int http_etag_match(const struct http_field *f, const char *etag, int weak)
{
	const char *p = f->v, *end = f->v + f->n, *tag;
	size_t tlen, elen;
	int tweak = 0, eweak = 0, ret;

	if (!etag)
		return 0;
	if (weak && f->n == 1 && p[0] == '*')
		return 1;
	if (etag[0] == 'W' && etag[1] == '/') {
		eweak = 1;
		etag += 2;
	}
	elen = strlen(etag);
	while ((ret = http_next_etag(&p, end, &tag, &tlen, &tweak)) > 0) {
		if (!weak && (tweak || eweak))
			continue;
		if (tlen == elen && !memcmp(tag, etag, elen))
			return 1;
	}
	return 0;
}
