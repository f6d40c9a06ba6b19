// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * ktls-serve's HTTP parser and response heads: good requests field by
 * field, every refusal with its status, ranges against file sizes, and a
 * mutation fuzz loop that must never read out of bounds (run it under
 * ASan to be sure) nor return something inconsistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parser is a pure function in the tool's tree: test that very code. */
#include "http.h"

#include "check.h"

#define MAX 8192

static enum http_parse_result parse(const char *s, struct http_request *r)
{
	return http_parse_request(s, strlen(s), MAX, r);
}

static void expect_error(const char *s, int status, const char *why)
{
	struct http_request r;
	enum http_parse_result ret = parse(s, &r);

	if (ret != HTTP_PARSE_ERROR || r.status != status ||
	    !strstr(r.error, why)) {
		fprintf(stderr, "request %.60s...: got %d/%d/%s, want %d \"%s\"\n",
			s, ret, r.status, r.error ? r.error : "-", status, why);
		failures++;
	}
}

static void test_good(void)
{
	struct http_request r;
	const char *s;

	s = "GET /index.html HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n";
	CHECK(parse(s, &r) == HTTP_PARSE_OK);
	CHECK(r.method == HTTP_GET);
	CHECK(!strcmp(r.method_name, "GET"));
	CHECK(!strcmp(r.path, "/index.html"));
	CHECK(!strcmp(r.target, "/index.html"));
	CHECK(r.minor == 1);
	CHECK(r.keep_alive == 1);
	CHECK(r.header_len == strlen(s));
	CHECK(r.range.kind == HTTP_RANGE_NONE);

	CHECK(parse("HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		    &r) == HTTP_PARSE_OK);
	CHECK(r.method == HTTP_HEAD && !r.keep_alive);
	CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n",
		    &r) == HTTP_PARSE_OK && !r.keep_alive);

	/* HTTP/1.0: closes unless asked, needs no Host. */
	CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r) == HTTP_PARSE_OK);
	CHECK(r.minor == 0 && !r.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) ==
	      HTTP_PARSE_OK && r.keep_alive);

	/* Other methods parse; the server answers 405. */
	CHECK(parse("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", &r) == HTTP_PARSE_OK);
	CHECK(r.method == HTTP_OTHER && !strcmp(r.method_name, "DELETE"));
	CHECK(r.keep_alive && !r.has_body);
	/* 405 for a POST; its body is unread, so the connection must close. */
	CHECK(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		    &r) == HTTP_PARSE_OK);
	CHECK(r.method == HTTP_OTHER && r.has_body && !r.keep_alive);
	CHECK(parse("PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		    &r) == HTTP_PARSE_OK && !r.keep_alive);
	CHECK(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == HTTP_PARSE_OK &&
	      r.method == HTTP_OTHER);
	CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r) == HTTP_PARSE_OK &&
	      r.method == HTTP_OTHER);

	/* Bare LF, leading empty lines, OWS around values. */
	CHECK(parse("\r\n\nGET /a HTTP/1.1\nHost:a\n\n", &r) == HTTP_PARSE_OK);
	CHECK(!strcmp(r.path, "/a"));
	CHECK(parse("GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n", &r) == HTTP_PARSE_OK);

	/* Targets: escapes decoded, query and fragment dropped, absolute-form. */
	CHECK(parse("GET /a%20b/%C3%A9?x=/../y HTTP/1.1\r\nHost: a\r\n\r\n",
		    &r) == HTTP_PARSE_OK);
	CHECK(!strcmp(r.path, "/a b/\xc3\xa9"));
	CHECK(!strcmp(r.target, "/a%20b/%C3%A9?x=/../y"));
	CHECK(parse("GET http://host:8/p/q HTTP/1.1\r\nHost: a\r\n\r\n", &r) ==
	      HTTP_PARSE_OK && !strcmp(r.path, "/p/q"));
	CHECK(parse("GET https://host HTTP/1.1\r\nHost: a\r\n\r\n", &r) ==
	      HTTP_PARSE_OK && !strcmp(r.path, "/"));
	/* The parser decodes; refusing ".." is files.c's job. */
	CHECK(parse("GET /%2e%2e/etc HTTP/1.1\r\nHost: a\r\n\r\n", &r) ==
	      HTTP_PARSE_OK && !strcmp(r.path, "/../etc"));

	CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		    &r) == HTTP_PARSE_OK);
	/* An unknown minor version is 1.x (RFC 9112 section 2.3). */
	CHECK(parse("GET / HTTP/1.7\r\nHost: a\r\n\r\n", &r) == HTTP_PARSE_OK &&
	      r.minor == 7 && r.keep_alive);
}

static void test_errors(void)
{
	char big[MAX + 100];
	size_t n;

	expect_error("GET / HTTP/1.1\r\n\r\n", 400, "without Host");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		     "more than one Host");
	expect_error("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		     "more than one Host");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400,
		     "folding");
	expect_error("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "header name");
	expect_error("GET / HTTP/1.1\r\nnocolon\r\n\r\n", 400, "malformed header");
	expect_error("GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "malformed header");
	expect_error("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, "control");
	expect_error("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400, "unsupported HTTP version");
	expect_error("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400, "HTTP version");
	expect_error("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "HTTP version");
	expect_error("GET /\r\n\r\n", 400, "malformed request line");
	expect_error("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line");
	expect_error(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line");
	expect_error("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line");
	expect_error("GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400, "not an absolute path");
	expect_error("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "not an absolute path");
	expect_error("GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "truncated");
	expect_error("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad %-escape");
	expect_error("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "control character in path");
	expect_error("GET /a%0a HTTP/1.1\r\nHost: a\r\n\r\n", 400, "control character in path");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
		     413, "bodies are not accepted");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
		     400, "Content-Length");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		     400, "Content-Length");
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		     413, "bodies are not accepted");
	expect_error("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n",
		     413, "bodies are not accepted");

	/* NUL anywhere, even before the request is complete. */
	{
		struct http_request r;
		static const char nul[] = "GET /\0 HTTP/1.1\r\n";

		CHECK(http_parse_request(nul, sizeof(nul) - 1, MAX, &r) ==
		      HTTP_PARSE_ERROR && r.status == 400);
	}

	/* A long path or target: 414; a head past the limit: 413. */
	n = snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', HTTP_PATH_MAX + 10);
	strcpy(big + n + HTTP_PATH_MAX + 10, " HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_error(big, 414, "target too long");
	n = snprintf(big, sizeof(big), "GET /a?");
	memset(big + n, 'q', HTTP_TARGET_MAX);
	strcpy(big + n + HTTP_TARGET_MAX, " HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_error(big, 414, "target too long");
	/* A request line that does not end within the limit: 414 too. */
	n = snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', sizeof(big) - n - 1);
	big[sizeof(big) - 1] = 0;
	expect_error(big, 414, "request line too long");

	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + n, 'x', sizeof(big) - n - 1);
	big[sizeof(big) - 1] = 0;
	expect_error(big, 413, "too large");
}

/* Every strict prefix of a good request is incomplete, not an error. */
static void test_incomplete(void)
{
	static const char s[] =
		"GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n\r\n";
	struct http_request r;
	size_t i;

	for (i = 0; i < sizeof(s) - 1; i++) {
		if (http_parse_request(s, i, MAX, &r) != HTTP_PARSE_INCOMPLETE) {
			fprintf(stderr, "prefix of %zu bytes: not incomplete\n", i);
			failures++;
		}
	}
	CHECK(http_parse_request(s, sizeof(s) - 1, MAX, &r) == HTTP_PARSE_OK);
	/* Limit: a head that ends exactly at max is fine, one byte less isn't. */
	CHECK(http_parse_request(s, sizeof(s) - 1, sizeof(s) - 1, &r) ==
	      HTTP_PARSE_OK);
	CHECK(http_parse_request(s, sizeof(s) - 1, sizeof(s) - 2, &r) ==
	      HTTP_PARSE_ERROR && r.status == 413);
}

static void test_pipelined(void)
{
	static const char s[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
				"HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3";
	struct http_request r;
	size_t off;

	CHECK(parse(s, &r) == HTTP_PARSE_OK && !strcmp(r.path, "/1"));
	off = r.header_len;
	CHECK(http_parse_request(s + off, strlen(s + off), MAX, &r) ==
	      HTTP_PARSE_OK && !strcmp(r.path, "/2") && r.method == HTTP_HEAD);
	off += r.header_len;
	CHECK(http_parse_request(s + off, strlen(s + off), MAX, &r) ==
	      HTTP_PARSE_INCOMPLETE);
}

static void range_of(const char *hdr, struct http_request *r)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n", hdr);
	if (parse(buf, r) != HTTP_PARSE_OK) {
		fprintf(stderr, "%s: did not parse\n", hdr);
		failures++;
	}
}

static void test_range_parse(void)
{
	struct http_request r;

	range_of("Range: bytes=0-99", &r);
	CHECK(r.range.kind == HTTP_RANGE_FROM_TO && r.range.first == 0 &&
	      r.range.last == 99);
	range_of("Range: bytes=100-", &r);
	CHECK(r.range.kind == HTTP_RANGE_FROM && r.range.first == 100);
	range_of("Range: bytes=-100", &r);
	CHECK(r.range.kind == HTTP_RANGE_SUFFIX && r.range.first == 100);
	range_of("Range: BYTES= 5-5 ", &r);
	CHECK(r.range.kind == HTTP_RANGE_FROM_TO && r.range.first == 5 &&
	      r.range.last == 5);

	/* Ignored (the whole file is served), each with a reason. */
	range_of("Range: bytes=5-1", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && strstr(r.range_ignored, "invalid"));
	range_of("Range: bytes=0-1,5-6", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && strstr(r.range_ignored, "multiple"));
	range_of("Range: items=0-1", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && strstr(r.range_ignored, "unit"));
	range_of("Range: bytes=a-b", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && r.range_ignored);
	range_of("Range: bytes=-", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && r.range_ignored);
	range_of("Range: bytes=99999999999999999999-", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && r.range_ignored);
	range_of("Range: bytes=1-2\r\nRange: bytes=3-4", &r);
	CHECK(r.range.kind == HTTP_RANGE_NONE && strstr(r.range_ignored, "more than one"));
	CHECK(parse("HEAD / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n", &r) ==
	      HTTP_PARSE_OK && r.range.kind == HTTP_RANGE_NONE &&
	      strstr(r.range_ignored, "GET only"));
}

static void test_range_resolve(void)
{
	static const struct {
		enum http_range_kind kind;
		uint64_t first, last, size;
		enum http_range_result want;
		uint64_t off, len;
	} t[] = {
		{ HTTP_RANGE_NONE, 0, 0, 100, HTTP_RANGE_FULL, 0, 0 },
		{ HTTP_RANGE_FROM_TO, 0, 99, 16385, HTTP_RANGE_PARTIAL, 0, 100 },
		{ HTTP_RANGE_FROM_TO, 16380, 20000, 16385, HTTP_RANGE_PARTIAL, 16380, 5 },
		{ HTTP_RANGE_FROM_TO, 16384, 16384, 16385, HTTP_RANGE_PARTIAL, 16384, 1 },
		{ HTTP_RANGE_FROM_TO, 16385, 16390, 16385, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ HTTP_RANGE_FROM, 1, 0, 16385, HTTP_RANGE_PARTIAL, 1, 16384 },
		{ HTTP_RANGE_FROM, 0, 0, 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ HTTP_RANGE_SUFFIX, 100, 0, 16385, HTTP_RANGE_PARTIAL, 16285, 100 },
		{ HTTP_RANGE_SUFFIX, 99999, 0, 16385, HTTP_RANGE_PARTIAL, 0, 16385 },
		{ HTTP_RANGE_SUFFIX, 0, 0, 16385, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ HTTP_RANGE_SUFFIX, 5, 0, 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ HTTP_RANGE_FROM_TO, 0, 0, 1, HTTP_RANGE_PARTIAL, 0, 1 },
	};
	struct http_range r;
	uint64_t off, len;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.kind = t[i].kind;
		r.first = t[i].first;
		r.last = t[i].last;
		off = len = 0;
		if (http_range_resolve(&r, t[i].size, &off, &len) != t[i].want ||
		    (t[i].want == HTTP_RANGE_PARTIAL &&
		     (off != t[i].off || len != t[i].len))) {
			fprintf(stderr, "range case %zu: wrong answer\n", i);
			failures++;
		}
	}
}

static void test_format(void)
{
	struct http_response r = { .status = 206, .keep_alive = 1,
				   .content_length = 100,
				   .content_type = "text/plain",
				   .range_first = 0, .range_last = 99,
				   .size = 16385,
				   .date = "Sun, 06 Nov 1994 08:49:37 GMT" };
	char buf[512];
	size_t n;

	n = http_format_head(buf, sizeof(buf), &r);
	CHECK(n == strlen(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 206 Partial Content\r\n", 30));
	CHECK(strstr(buf, "\r\nContent-Length: 100\r\n"));
	CHECK(strstr(buf, "\r\nContent-Range: bytes 0-99/16385\r\n"));
	CHECK(strstr(buf, "\r\nConnection: keep-alive\r\n\r\n"));
	CHECK(strstr(buf, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	/* testssl rates a server without any security header MEDIUM. */
	CHECK(strstr(buf, "\r\nContent-Type: text/plain\r\nX-Content-Type-Options: nosniff\r\n"));

	r.status = 416;
	r.keep_alive = 0;
	n = http_format_head(buf, sizeof(buf), &r);
	CHECK(n && strstr(buf, "\r\nContent-Range: bytes */16385\r\n"));
	CHECK(strstr(buf, "Connection: close\r\n\r\n"));
	r.status = 405;
	n = http_format_head(buf, sizeof(buf), &r);
	CHECK(n && strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	CHECK(!strstr(buf, "Content-Range"));

	/* Too small a buffer: 0, never a truncated head. */
	for (n = 0; n < 40; n++)
		CHECK(http_format_head(buf, n, &r) == 0);
	CHECK(!strcmp(http_error_body(404), "404 Not Found\n"));
	CHECK(!strcmp(http_reason(413), "Content Too Large"));
}

static void test_conditionals(void)
{
	static const char *etag = "\"a1-4001-15ef\"";
	struct http_field f;
	struct http_request r;
	char buf[512], date[40];
	size_t n;

#define FIELD(s) (f.v = (s), f.n = strlen(s), &f)
	CHECK(http_etag_match(FIELD("\"a1-4001-15ef\""), etag, 1));
	CHECK(http_etag_match(FIELD("\"a1-4001-15ef\""), etag, 0));
	CHECK(http_etag_match(FIELD("\"x\", W/\"a1-4001-15ef\""), etag, 1));
	CHECK(!http_etag_match(FIELD("W/\"a1-4001-15ef\""), etag, 0));
	CHECK(http_etag_match(FIELD("*"), etag, 1));
	CHECK(!http_etag_match(FIELD("*"), etag, 0));
	CHECK(!http_etag_match(FIELD("\"a1-4001-15e\""), etag, 1));
	CHECK(!http_etag_match(FIELD("\"a1-4001-15ef"), etag, 1));
	CHECK(!http_etag_match(FIELD("a1-4001-15ef"), etag, 1));
	CHECK(!http_etag_match(FIELD(""), etag, 1));
#undef FIELD

	CHECK(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29) == 784111777);
	CHECK(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30) == 784111777);
	CHECK(http_parse_date("Sun Nov  6 08:49:37 1994", 24) == 784111777);
	CHECK(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMTx", 30) == -1);
	CHECK(http_parse_date("yesterday", 9) == -1);
	CHECK(http_parse_date("", 0) == -1);
	http_format_date(date, sizeof(date), 784111777);
	CHECK(!strcmp(date, "Sun, 06 Nov 1994 08:49:37 GMT"));

	CHECK(parse("GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
		    "If-None-Match: \"y\", \"z\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		    "If-Range: \"q\"\r\n\r\n", &r) == HTTP_PARSE_OK);
	CHECK(r.n_if_none_match == 2 && r.if_none_match[1].n == 8);
	CHECK(r.if_modified_since == 784111777);
	CHECK(r.if_range.n == 3 && !memcmp(r.if_range.v, "\"q\"", 3));
	CHECK(parse("GET /f HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: nope\r\n\r\n",
		    &r) == HTTP_PARSE_OK && r.if_modified_since == -1 &&
	      !r.n_if_none_match && !r.if_range.n);
	CHECK(parse("GET /d%20x?a=1#f HTTP/1.1\r\nHost: a\r\n\r\n", &r) ==
	      HTTP_PARSE_OK);
	CHECK(r.raw_path.n == 6 && !memcmp(r.raw_path.v, "/d%20x", 6));
	CHECK(r.query.n == 4 && !memcmp(r.query.v, "?a=1", 4));

	{
		struct http_response h = { .status = 304, .keep_alive = 1,
					   .content_length = 99,
					   .etag = etag,
					   .last_modified = date };

		n = http_format_head(buf, sizeof(buf), &h);
		CHECK(n && !strncmp(buf, "HTTP/1.1 304 Not Modified\r\n", 27));
		CHECK(strstr(buf, "\r\nETag: \"a1-4001-15ef\"\r\n"));
		CHECK(strstr(buf, "\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
		CHECK(!strstr(buf, "Content-Length"));
		h.status = 301;
		h.etag = h.last_modified = NULL;
		h.location = r.raw_path;
		h.location_query = r.query;
		n = http_format_head(buf, sizeof(buf), &h);
		CHECK(n && strstr(buf, "\r\nLocation: /d%20x/?a=1\r\n"));
		h.status = 503;
		h.retry_after = 2;
		n = http_format_head(buf, sizeof(buf), &h);
		CHECK(n && strstr(buf, "\r\nRetry-After: 2\r\n"));
	}
	CHECK(!strcmp(http_reason(414), "URI Too Long"));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Mutations of good requests, and random bytes. Each input sits at the
 * end of a heap buffer of exactly its size, so ASan catches any read past
 * len; the checks catch inconsistent answers.
 */
static void test_fuzz(void)
{
	static const char *seeds[] = {
		"GET /a/b.txt?q=1 HTTP/1.1\r\nHost: x\r\nRange: bytes=10-20\r\nConnection: keep-alive\r\n\r\n",
		"HEAD / HTTP/1.0\r\nConnection: close\r\n\r\n",
		"GET http://h/%41%42 HTTP/1.1\r\nHost: h\r\nRange: bytes=-5\r\n\r\n",
	};
	static const char alphabet[] = "GET HTTP/1.0\r\n:%-=,/?*bytes0123456789 \t\x01\x7f\xff";
	char tmp[512];
	struct http_request r;
	enum http_parse_result ret;
	size_t len, i, k, max;
	unsigned int iter;
	char *buf;

	for (iter = 0; iter < 200000; iter++) {
		if (iter % 8 == 0) {
			len = rng() % 200;
			for (i = 0; i < len; i++)
				tmp[i] = rng() % 3 ? alphabet[rng() % (sizeof(alphabet) - 1)] :
						     (char)rng();
		} else {
			const char *s = seeds[rng() % 3];

			len = strlen(s);
			memcpy(tmp, s, len);
			for (k = rng() % 4 + 1; k; k--) {
				i = rng() % len;
				switch (rng() % 3) {
				case 0:	/* replace */
					tmp[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
					break;
				case 1:	/* delete */
					memmove(tmp + i, tmp + i + 1, len - i - 1);
					len--;
					break;
				default:	/* truncate */
					len = i;
					break;
				}
				if (!len)
					break;
			}
		}
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, tmp, len);
		max = rng() % 2 ? MAX : 32 + rng() % 200;
		ret = http_parse_request(buf, len, max, &r);
		if (ret == HTTP_PARSE_OK) {
			CHECK(r.header_len > 0 && r.header_len <= len &&
			      r.header_len <= max);
			CHECK(memchr(r.path, 0, sizeof(r.path)) != NULL);
			CHECK(r.path[0] == '/' || !strcmp(r.path, "*"));
			CHECK(r.method >= HTTP_GET && r.method <= HTTP_OTHER);
			CHECK(r.method != HTTP_OTHER || r.range.kind == HTTP_RANGE_NONE);
		} else if (ret == HTTP_PARSE_ERROR) {
			CHECK(r.status == 400 || r.status == 413 ||
			      r.status == 414);
			CHECK(r.error && *r.error);
		} else {
			CHECK(ret == HTTP_PARSE_INCOMPLETE && len < max);
		}
		free(buf);
		if (failures > 20)
			return;
	}
}

int main(void)
{
	test_good();
	test_errors();
	test_incomplete();
	test_pipelined();
	test_range_parse();
	test_range_resolve();
	test_format();
	test_conditionals();
	test_fuzz();
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("serve_http: all checks passed\n");
	return 0;
}
