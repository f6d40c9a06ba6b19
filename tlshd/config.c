// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small parser for tlshd's configuration file, compatible with the
 * GKeyFile dialect ktls-utils reads: "[group]" lines, "key=value" lines,
 * '#' comments, escapes \s \n \t \r \\ in values, ';'-separated lists.
 * Own parser rather than GLib's, to report file, line and key precisely
 * and to take a plain buffer (fuzzing).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ktls.h>

#include "config.h"

/* Larger than any sane configuration; guards against reading a device. */
#define TLSHD_CONFIG_MAX_SIZE (1024 * 1024)

enum tlshd_config_kind {
	KIND_INT,	/* decimal, from min to max */
	KIND_BOOL,	/* true/false, yes/no, 1/0 */
	KIND_PATH,
	KIND_LIST,
	KIND_VERSION,	/* 1.2 or 1.3 */
	KIND_CIPHERS,	/* ';'-list of kTLS cipher names */
	KIND_GROUPS,	/* key-exchange group names, preferred first */
	KIND_TICKET_KEY,	/* absolute path or keyring:SERIAL */
};

enum tlshd_config_section {
	SECTION_NONE = -1,	/* before the first group */
	SECTION_UNKNOWN = -2,	/* inside a group we don't know */
	SECTION_DEBUG = 0,
	SECTION_AUTH,
	SECTION_AUTH_CLIENT,
	SECTION_AUTH_SERVER,
	SECTION_TLSHD,
	SECTION_RESUMPTION,
	SECTION_COUNT,
};

static const char *const tlshd_config_sections[SECTION_COUNT] = {
	[SECTION_DEBUG] = "debug",
	[SECTION_AUTH] = "authenticate",
	[SECTION_AUTH_CLIENT] = "authenticate.client",
	[SECTION_AUTH_SERVER] = "authenticate.server",
	[SECTION_TLSHD] = "tlshd",
	[SECTION_RESUMPTION] = "resumption",
};

struct tlshd_config_key {
	enum tlshd_config_section section;
	const char *name;
	enum tlshd_config_kind kind;
	size_t offset;
	int min, max;		/* KIND_INT */
	/*
	 * A key ktls-utils' tlshd reads. What it tolerates in one (a bad
	 * number, an empty or badly escaped value) is a warning here, so
	 * that every configuration it starts with, tlshd starts with.
	 */
	int compat;
};

#define OFF(field) offsetof(struct tlshd_config, field)

#define X509_KEYS(sec, side)						\
	{ sec, "x509.truststore", KIND_PATH, OFF(side.truststore), 0, 0, 1 }, \
	{ sec, "x509.crl", KIND_PATH, OFF(side.crl), 0, 0, 1 },		\
	{ sec, "x509.certificate", KIND_PATH, OFF(side.certificate), 0, 0, 1 }, \
	{ sec, "x509.private_key", KIND_PATH, OFF(side.private_key), 0, 0, 1 }, \
	{ sec, "x509.pq.certificate", KIND_PATH,			\
	  OFF(side##_pq_certificate), 0, 0, 1 },			\
	{ sec, "x509.pq.private_key", KIND_PATH,			\
	  OFF(side##_pq_private_key), 0, 0, 1 }

static const struct tlshd_config_key tlshd_config_keys[] = {
	{ SECTION_DEBUG, "loglevel", KIND_INT, OFF(loglevel), 0, INT_MAX, 1 },
	{ SECTION_DEBUG, "tls", KIND_INT, OFF(tls_debug), 0, INT_MAX, 1 },
	{ SECTION_DEBUG, "nl", KIND_INT, OFF(nl_debug), 0, INT_MAX, 1 },
	{ SECTION_AUTH, "keyrings", KIND_LIST, OFF(keyrings), 0, 0, 1 },
	X509_KEYS(SECTION_AUTH_CLIENT, client),
	X509_KEYS(SECTION_AUTH_SERVER, server),
	{ SECTION_AUTH_SERVER, "require_client_cert", KIND_BOOL,
	  OFF(require_client_cert), 0, 0, 0 },
	{ SECTION_TLSHD, "workers", KIND_INT, OFF(workers),
	  1, TLSHD_CONFIG_MAX_WORKERS, 0 },
	{ SECTION_TLSHD, "max_inflight", KIND_INT, OFF(max_inflight),
	  1, TLSHD_CONFIG_MAX_INFLIGHT, 0 },
	{ SECTION_TLSHD, "min_version", KIND_VERSION, OFF(min_version), 0, 0, 0 },
	{ SECTION_TLSHD, "ciphers", KIND_CIPHERS, OFF(ciphers), 0, 0, 0 },
	{ SECTION_TLSHD, "groups", KIND_GROUPS, OFF(groups), 0, 0, 0 },
	{ SECTION_TLSHD, "allow_rsa_kx", KIND_BOOL, OFF(allow_rsa_kx), 0, 0, 0 },
	{ SECTION_RESUMPTION, "tickets", KIND_BOOL, OFF(tickets), 0, 0, 0 },
	{ SECTION_RESUMPTION, "ticket_key", KIND_TICKET_KEY, OFF(ticket_key),
	  0, 0, 0 },
	{ SECTION_RESUMPTION, "ticket_rotation", KIND_INT, OFF(ticket_rotation),
	  TLSHD_CONFIG_MIN_ROTATION, TLSHD_CONFIG_MAX_ROTATION, 0 },
	{ SECTION_RESUMPTION, "cache", KIND_BOOL, OFF(cache), 0, 0, 0 },
	{ SECTION_RESUMPTION, "cache_size", KIND_INT, OFF(cache_size),
	  1, TLSHD_CONFIG_MAX_CACHE_SIZE, 0 },
	{ SECTION_RESUMPTION, "ticket_wait_ms", KIND_INT, OFF(ticket_wait_ms),
	  0, TLSHD_CONFIG_MAX_TICKET_WAIT_MS, 0 },
	{ SECTION_RESUMPTION, "psk_ke", KIND_BOOL, OFF(psk_ke), 0, 0, 0 },
};

#define NKEYS (sizeof(tlshd_config_keys) / sizeof(tlshd_config_keys[0]))
_Static_assert(NKEYS <= TLSHD_CONFIG_MAX_KEYS, "raise TLSHD_CONFIG_MAX_KEYS");

struct tlshd_config_parser {
	struct tlshd_config *cfg;
	const char *name;
	unsigned int line;
	tlshd_config_report_fn report;
	void *ctx;
	int errors;
	int lenient;	/* setting a compat key: errors are warnings */
	enum tlshd_config_section section;
	/* Line of each key's last setting in this parse, for repeats. */
	unsigned int seen[NKEYS];
};

__attribute__((format(printf, 3, 4)))
static void tlshd_config_report(struct tlshd_config_parser *p,
				enum tlshd_config_severity sev,
				const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (sev == TLSHD_CONFIG_ERROR && p->lenient)
		sev = TLSHD_CONFIG_WARNING;
	if (sev == TLSHD_CONFIG_ERROR)
		p->errors++;
	if (!p->report)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u: ", p->name, p->line);
	if (n < 0 || n >= (int)sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	p->report(sev, msg, p->ctx);
}

void tlshd_config_init(struct tlshd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tickets = -1;
	cfg->cache = -1;
	cfg->ticket_wait_ms = -1;
}

static void tlshd_config_free_list(char **list)
{
	char **s;

	if (!list)
		return;
	for (s = list; *s; s++)
		free(*s);
	free(list);
}

static void tlshd_config_free_x509(struct tlshd_config_x509 *x)
{
	free(x->truststore);
	free(x->crl);
	free(x->certificate);
	free(x->private_key);
}

void tlshd_config_free(struct tlshd_config *cfg)
{
	tlshd_config_free_list(cfg->keyrings);
	tlshd_config_free_x509(&cfg->client);
	tlshd_config_free_x509(&cfg->server);
	free(cfg->client_pq_certificate);
	free(cfg->client_pq_private_key);
	free(cfg->server_pq_certificate);
	free(cfg->server_pq_private_key);
	free(cfg->ticket_key);
	free(cfg->groups);
	free(cfg->source);
	tlshd_config_init(cfg);
}

static int tlshd_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Trim [*s, *e) of blanks on both ends. */
static void tlshd_config_trim(const char **s, const char **e)
{
	while (*s < *e && tlshd_is_space(**s))
		(*s)++;
	while (*e > *s && tlshd_is_space((*e)[-1]))
		(*e)--;
}

/*
 * Undo GKeyFile escapes in [s, e). With list set, stop at an unescaped
 * ';' and report where through *stop. Returns a new string or NULL
 * (error already reported, or out of memory: *oom set).
 */
static char *tlshd_config_unescape(struct tlshd_config_parser *p,
				   const char *key, const char *s,
				   const char *e, int list, const char **stop,
				   int *oom)
{
	char *out, *o;

	out = malloc(e - s + 1);
	if (!out) {
		*oom = 1;
		return NULL;
	}
	o = out;
	while (s < e) {
		if (list && *s == ';')
			break;
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s + 1 == e) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "key '%s': value ends with a lone backslash",
					    key);
			free(out);
			return NULL;
		}
		switch (s[1]) {
		case 's': *o++ = ' '; break;
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case '\\': *o++ = '\\'; break;
		case ';': *o++ = ';'; break;
		default:
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "key '%s': invalid escape sequence '\\%c' in value",
					    key, (unsigned char)s[1] >= 0x20 &&
					    (unsigned char)s[1] < 0x7f ? s[1] : '?');
			free(out);
			return NULL;
		}
		s += 2;
	}
	*o = '\0';
	if (stop)
		*stop = s;
	return out;
}

static int tlshd_config_set_int(struct tlshd_config_parser *p,
				const struct tlshd_config_key *k,
				const char *s, const char *e)
{
	int *dst = (int *)((char *)p->cfg + k->offset);
	char buf[24];
	long v = 0;
	size_t n = e - s;
	char *end;

	if (n == 0 || n >= sizeof(buf)) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': expected a number from %d to %d, got '%.*s'%s",
				    k->name, k->min, k->max,
				    (int)(n < 40 ? n : 40), s,
				    p->lenient ? "; taken as 0, as ktls-utils does" : "");
		if (p->lenient)
			*dst = 0;
		return 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || end == buf || v < k->min || v > k->max) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': expected a number from %d to %d, got '%s'%s",
				    k->name, k->min, k->max, buf,
				    p->lenient ? "; taken as 0, as ktls-utils does" : "");
		if (p->lenient)
			*dst = 0;
		return 0;
	}
	*dst = (int)v;
	return 0;
}

/* Value [s, e) equals word, ignoring ASCII case. */
static int tlshd_config_is(const char *s, const char *e, const char *word)
{
	return strlen(word) == (size_t)(e - s) && !strncasecmp(s, word, e - s);
}

static int tlshd_config_set_bool(struct tlshd_config_parser *p,
				 const struct tlshd_config_key *k,
				 const char *s, const char *e)
{
	int *dst = (int *)((char *)p->cfg + k->offset);

	if (tlshd_config_is(s, e, "true") || tlshd_config_is(s, e, "yes") ||
	    tlshd_config_is(s, e, "1"))
		*dst = 1;
	else if (tlshd_config_is(s, e, "false") ||
		 tlshd_config_is(s, e, "no") || tlshd_config_is(s, e, "0"))
		*dst = 0;
	else
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': expected true or false (yes/no, 1/0), got '%.*s'",
				    k->name, (int)(e - s > 40 ? 40 : e - s), s);
	return 0;
}

static int tlshd_config_set_version(struct tlshd_config_parser *p,
				    const struct tlshd_config_key *k,
				    const char *s, const char *e)
{
	int *dst = (int *)((char *)p->cfg + k->offset);

	if (tlshd_config_is(s, e, "1.2"))
		*dst = KTLS_VERSION_1_2;
	else if (tlshd_config_is(s, e, "1.3"))
		*dst = KTLS_VERSION_1_3;
	else
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': expected 1.2 or 1.3 (older versions are not offered), got '%.*s'",
				    k->name, (int)(e - s > 40 ? 40 : e - s), s);
	return 0;
}

static int tlshd_config_set_ciphers(struct tlshd_config_parser *p,
				    const struct tlshd_config_key *k,
				    const char *s, const char *e)
{
	int *dst = (int *)((char *)p->cfg + k->offset);
	unsigned int mask = 0, bit;
	const char *is, *ie;

	while (s < e) {
		is = s;
		ie = memchr(s, ';', e - s);
		if (!ie)
			ie = e;
		s = ie < e ? ie + 1 : e;
		tlshd_config_trim(&is, &ie);
		if (is == ie)
			continue;
		bit = ktls_cipher_parse(is, ie - is);
		if (!bit) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "key '%s': unknown cipher '%.*s' (known: AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CCM)",
					    k->name,
					    (int)(ie - is > 40 ? 40 : ie - is), is);
			return 0;
		}
		mask |= bit;
	}
	if (!mask) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': names no cipher (comment the line out to allow all)",
				    k->name);
		return 0;
	}
	*dst = (int)mask;
	return 0;
}

/* The same separators as ktls_config_set_groups(). */
static int tlshd_config_group_sep(char c)
{
	return tlshd_is_space(c) || c == ',' || c == ';' || c == ':';
}

static int tlshd_config_set_groups(struct tlshd_config_parser *p,
				   const struct tlshd_config_key *k,
				   const char *s, const char *e)
{
	char **dst = (char **)((char *)p->cfg + k->offset);
	const char *vs = s, *is;
	unsigned int n = 0;
	char *v;

	while (s < e) {
		while (s < e && tlshd_config_group_sep(*s))
			s++;
		for (is = s; s < e && !tlshd_config_group_sep(*s); s++)
			;
		if (is == s)
			break;
		if (!ktls_group_parse(is, s - is)) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "key '%s': unknown group '%.*s' (known: X25519, P-256, P-384, P-521, X448, FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192)",
					    k->name, (int)(s - is > 40 ? 40 : s - is),
					    is);
			return 0;
		}
		n++;
	}
	if (!n) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': names no group (comment the line out for the default order)",
				    k->name);
		return 0;
	}
	v = strndup(vs, e - vs);
	if (!v)
		return -ENOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

static int tlshd_config_set_ticket_key(struct tlshd_config_parser *p,
				       const struct tlshd_config_key *k,
				       const char *s, const char *e)
{
	char **dst = (char **)((char *)p->cfg + k->offset);
	unsigned long serial;
	int oom = 0;
	char *v, *end;

	if (s == e) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': empty value (comment the line out for a random key)",
				    k->name);
		return 0;
	}
	v = tlshd_config_unescape(p, k->name, s, e, 0, NULL, &oom);
	if (!v)
		return oom ? -ENOMEM : 0;
	if (!strncmp(v, "keyring:", 8)) {
		errno = 0;
		serial = strtoul(v + 8, &end, 10);
		if (errno || *end || end == v + 8 || v[8] < '0' ||
		    v[8] > '9' || serial == 0 || serial > INT32_MAX) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "key '%s': expected keyring:SERIAL with a key serial from 1 to %d, got '%.40s'",
					    k->name, INT32_MAX, v);
			free(v);
			return 0;
		}
	} else if (v[0] != '/') {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': expected an absolute path or keyring:SERIAL, got '%.40s'",
				    k->name, v);
		free(v);
		return 0;
	}
	free(*dst);
	*dst = v;
	return 0;
}

static int tlshd_config_set_path(struct tlshd_config_parser *p,
				 const struct tlshd_config_key *k,
				 const char *s, const char *e)
{
	char **dst = (char **)((char *)p->cfg + k->offset);
	int oom = 0;
	char *v;

	if (s == e) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%s': empty value%s",
				    k->name, p->lenient ? "; ignored" :
				    " (comment the line out to use the default)");
		return 0;
	}
	v = tlshd_config_unescape(p, k->name, s, e, 0, NULL, &oom);
	if (!v)
		return oom ? -ENOMEM : 0;
	free(*dst);
	*dst = v;
	return 0;
}

static int tlshd_config_set_list(struct tlshd_config_parser *p,
				 const struct tlshd_config_key *k,
				 const char *s, const char *e)
{
	char ***dst = (char ***)((char *)p->cfg + k->offset);
	char **list = NULL, **grown;
	unsigned int n = 0;
	int oom = 0;

	while (s < e) {
		const char *stop, *ts, *te;
		char *item;

		item = tlshd_config_unescape(p, k->name, s, e, 1, &stop, &oom);
		if (!item)
			goto fail;
		s = stop < e ? stop + 1 : e;
		/* Blanks around items are ignored; empty items skipped. */
		ts = item;
		te = item + strlen(item);
		tlshd_config_trim(&ts, &te);
		memmove(item, ts, te - ts);
		item[te - ts] = '\0';
		if (!item[0]) {
			free(item);
			continue;
		}
		grown = realloc(list, (n + 2) * sizeof(*list));
		if (!grown) {
			free(item);
			oom = 1;
			goto fail;
		}
		list = grown;
		list[n++] = item;
		list[n] = NULL;
	}
	tlshd_config_free_list(*dst);
	*dst = list;
	if (k->offset == offsetof(struct tlshd_config, keyrings))
		p->cfg->nkeyrings = n;
	return 0;
fail:
	tlshd_config_free_list(list);
	return oom ? -ENOMEM : 0;
}

static int tlshd_config_group(struct tlshd_config_parser *p, const char *s,
			      const char *e)
{
	const char *close, *c;
	int i;

	close = memchr(s, ']', e - s);
	if (!close) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "section header has no closing ']'");
		p->section = SECTION_UNKNOWN;
		return 0;
	}
	if (close + 1 != e) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "unexpected text after section header ']'");
		p->section = SECTION_UNKNOWN;
		return 0;
	}
	s++;
	if (s == close) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "empty section name");
		p->section = SECTION_UNKNOWN;
		return 0;
	}
	for (c = s; c < close; c++) {
		if (*c == '[' || (unsigned char)*c < 0x20 || *c == 0x7f) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "invalid character in section name");
			p->section = SECTION_UNKNOWN;
			return 0;
		}
	}
	for (i = 0; i < SECTION_COUNT; i++) {
		const char *n = tlshd_config_sections[i];

		if (strlen(n) == (size_t)(close - s) &&
		    !memcmp(n, s, close - s)) {
			p->section = i;
			return 0;
		}
	}
	tlshd_config_report(p, TLSHD_CONFIG_WARNING,
			    "unknown section [%.*s] ignored",
			    (int)(close - s > 64 ? 64 : close - s), s);
	p->section = SECTION_UNKNOWN;
	return 0;
}

/*
 * "loglevel=1 # more" : a '#' at the start of a value or after a blank
 * starts a comment. GKeyFile (ktls-utils) keeps such text in the value,
 * which then fails as a number or a path; we drop it, and say so.
 */
static void tlshd_config_cut_comment(struct tlshd_config_parser *p,
				     const char *key, const char *vs,
				     const char **ve)
{
	const char *c;

	for (c = vs; c < *ve; c++) {
		if (*c != '#' || (c > vs && !tlshd_is_space(c[-1])))
			continue;
		tlshd_config_report(p, TLSHD_CONFIG_WARNING,
				    "key '%s': text from '#' on taken as a comment (ktls-utils would read it as part of the value)",
				    key);
		*ve = c;
		while (*ve > vs && tlshd_is_space((*ve)[-1]))
			(*ve)--;
		return;
	}
}

static int tlshd_config_keyval(struct tlshd_config_parser *p, const char *s,
			       const char *e)
{
	const char *eq, *ks, *ke, *vs, *ve, *c;
	unsigned int i;

	eq = memchr(s, '=', e - s);
	if (!eq) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "not a section header, a key=value pair, or a comment");
		return 0;
	}
	ks = s;
	ke = eq;
	vs = eq + 1;
	ve = e;
	tlshd_config_trim(&ks, &ke);
	tlshd_config_trim(&vs, &ve);
	if (ks == ke) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "empty key name before '='");
		return 0;
	}
	for (c = ks; c < ke; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			tlshd_config_report(p, TLSHD_CONFIG_ERROR,
					    "invalid character in key name");
			return 0;
		}
	}
	if (p->section == SECTION_NONE) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%.*s' appears before any [section]",
				    (int)(ke - ks > 64 ? 64 : ke - ks), ks);
		return 0;
	}
	if (p->section == SECTION_UNKNOWN)
		return 0;	/* the section was reported already */
	if (memchr(vs, '\0', ve - vs)) {
		tlshd_config_report(p, TLSHD_CONFIG_ERROR,
				    "key '%.*s': NUL byte in value",
				    (int)(ke - ks > 64 ? 64 : ke - ks), ks);
		return 0;
	}

	for (i = 0; i < NKEYS; i++) {
		const struct tlshd_config_key *k = &tlshd_config_keys[i];
		int ret;

		if (k->section != p->section || strlen(k->name) != (size_t)(ke - ks) ||
		    memcmp(k->name, ks, ke - ks))
			continue;
		tlshd_config_cut_comment(p, k->name, vs, &ve);
		if (p->seen[i])
			tlshd_config_report(p, TLSHD_CONFIG_WARNING,
					    "key '%s' repeats line %u; the last one counts",
					    k->name, p->seen[i]);
		p->seen[i] = p->line;
		p->cfg->key_line[i] = p->line;
		p->lenient = k->compat;
		switch (k->kind) {
		case KIND_INT:
			ret = tlshd_config_set_int(p, k, vs, ve);
			break;
		case KIND_BOOL:
			ret = tlshd_config_set_bool(p, k, vs, ve);
			break;
		case KIND_VERSION:
			ret = tlshd_config_set_version(p, k, vs, ve);
			break;
		case KIND_CIPHERS:
			ret = tlshd_config_set_ciphers(p, k, vs, ve);
			break;
		case KIND_GROUPS:
			ret = tlshd_config_set_groups(p, k, vs, ve);
			break;
		case KIND_TICKET_KEY:
			ret = tlshd_config_set_ticket_key(p, k, vs, ve);
			break;
		case KIND_PATH:
			ret = tlshd_config_set_path(p, k, vs, ve);
			break;
		case KIND_LIST:
		default:
			ret = tlshd_config_set_list(p, k, vs, ve);
			break;
		}
		p->lenient = 0;
		return ret;
	}
	tlshd_config_report(p, TLSHD_CONFIG_WARNING,
			    "unknown key '%.*s' in [%s] ignored",
			    (int)(ke - ks > 64 ? 64 : ke - ks), ks,
			    tlshd_config_sections[p->section]);
	return 0;
}

int tlshd_config_parse(struct tlshd_config *cfg, const char *name,
		       const char *buf, size_t len,
		       tlshd_config_report_fn report, void *ctx)
{
	struct tlshd_config_parser p = {
		.cfg = cfg,
		.name = name ? name : "<config>",
		.report = report,
		.ctx = ctx,
		.section = SECTION_NONE,
	};
	const char *s = buf, *end = buf + len;
	int ret;

	free(cfg->source);
	cfg->source = strdup(p.name);
	if (!cfg->source) {
		tlshd_config_report(&p, TLSHD_CONFIG_ERROR, "out of memory");
		return -ENOMEM;
	}

	/* A UTF-8 byte order mark, as some editors write. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		const char *e = nl ? nl : end, *ls = s;

		p.line++;
		s = nl ? nl + 1 : end;
		tlshd_config_trim(&ls, &e);
		if (ls == e || *ls == '#')
			continue;
		if (*ls == '[')
			ret = tlshd_config_group(&p, ls, e);
		else
			ret = tlshd_config_keyval(&p, ls, e);
		if (ret) {
			tlshd_config_report(&p, TLSHD_CONFIG_ERROR,
					    "out of memory");
			return ret;
		}
	}
	return p.errors ? -EINVAL : 0;
}

static int tlshd_config_read(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out_close;
	}
	if (st.st_size > TLSHD_CONFIG_MAX_SIZE) {
		ret = -EFBIG;
		goto out_close;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		len += n;
	}
	*bufp = buf;
	*lenp = len;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

int tlshd_config_load(struct tlshd_config *cfg, const char *path,
		      int missing_ok, tlshd_config_report_fn report,
		      void *ctx)
{
	char msg[PATH_MAX + 64];
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = tlshd_config_read(path, &buf, &len);
	if (ret == -ENOENT && missing_ok)
		return 0;
	if (ret) {
		snprintf(msg, sizeof(msg), "%s: %s", path,
			 ret == -EINVAL ? "not a regular file" : strerror(-ret));
		if (report)
			report(TLSHD_CONFIG_ERROR, msg, ctx);
		return ret;
	}
	ret = tlshd_config_parse(cfg, path, buf, len, report, ctx);
	free(buf);
	return ret;
}

const char *tlshd_config_pick(const char *primary, const char *legacy)
{
	if (legacy && (access(legacy, F_OK) == 0 || errno != ENOENT))
		return legacy;
	if (access(primary, F_OK) == 0 || errno != ENOENT)
		return primary;
	return NULL;
}

int tlshd_config_key_at(unsigned int i, const char **section,
			const char **name)
{
	if (i >= NKEYS)
		return -1;
	*section = tlshd_config_sections[tlshd_config_keys[i].section];
	*name = tlshd_config_keys[i].name;
	return 0;
}

void tlshd_config_where(const struct tlshd_config *cfg, const char *section,
			const char *key, char *buf, size_t len)
{
	unsigned int i;

	if (!cfg->source) {
		snprintf(buf, len, "built-in defaults");
		return;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(tlshd_config_sections[tlshd_config_keys[i].section],
			   section) || strcmp(tlshd_config_keys[i].name, key))
			continue;
		if (cfg->key_line[i]) {
			snprintf(buf, len, "%s:%u", cfg->source,
				 cfg->key_line[i]);
			return;
		}
		break;
	}
	snprintf(buf, len, "%s", cfg->source);
}
