// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * uapi/linux/handshake.h speaks the kernel's wire protocol, so every
 * number in it must be the kernel's. Checked two ways: against the
 * upstream numbers written out below, and, when a guest kernel's headers
 * are unpacked under $BUILD/kernels, against that kernel's own header
 * (every name the kernel defines must exist here with the same value).
 */
#include <ctype.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/handshake.h>

struct expect {
	const char *name;
	long ours;
	long upstream;
};

#define E(name, upstream) { #name, name, upstream }

static const struct expect expects[] = {
	E(HANDSHAKE_FAMILY_VERSION, 1),
	E(HANDSHAKE_HANDLER_CLASS_NONE, 0),
	E(HANDSHAKE_HANDLER_CLASS_TLSHD, 1),
	E(HANDSHAKE_HANDLER_CLASS_MAX, 2),
	E(HANDSHAKE_MSG_TYPE_UNSPEC, 0),
	E(HANDSHAKE_MSG_TYPE_CLIENTHELLO, 1),
	E(HANDSHAKE_MSG_TYPE_SERVERHELLO, 2),
	E(HANDSHAKE_AUTH_UNSPEC, 0),
	E(HANDSHAKE_AUTH_UNAUTH, 1),
	E(HANDSHAKE_AUTH_PSK, 2),
	E(HANDSHAKE_AUTH_X509, 3),
	E(HANDSHAKE_A_X509_CERT, 1),
	E(HANDSHAKE_A_X509_PRIVKEY, 2),
	E(__HANDSHAKE_A_X509_MAX, 3),
	E(HANDSHAKE_A_X509_MAX, 2),
	E(HANDSHAKE_A_ACCEPT_SOCKFD, 1),
	E(HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 2),
	E(HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, 3),
	E(HANDSHAKE_A_ACCEPT_TIMEOUT, 4),
	E(HANDSHAKE_A_ACCEPT_AUTH_MODE, 5),
	E(HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 6),
	E(HANDSHAKE_A_ACCEPT_CERTIFICATE, 7),
	E(HANDSHAKE_A_ACCEPT_PEERNAME, 8),
	E(HANDSHAKE_A_ACCEPT_KEYRING, 9),
	E(__HANDSHAKE_A_ACCEPT_MAX, 10),
	E(HANDSHAKE_A_ACCEPT_MAX, 9),
	E(HANDSHAKE_A_DONE_STATUS, 1),
	E(HANDSHAKE_A_DONE_SOCKFD, 2),
	E(HANDSHAKE_A_DONE_REMOTE_AUTH, 3),
	E(__HANDSHAKE_A_DONE_MAX, 4),
	E(HANDSHAKE_A_DONE_MAX, 3),
	E(HANDSHAKE_CMD_READY, 1),
	E(HANDSHAKE_CMD_ACCEPT, 2),
	E(HANDSHAKE_CMD_DONE, 3),
	E(__HANDSHAKE_CMD_MAX, 4),
	E(HANDSHAKE_CMD_MAX, 3),
};

/* Names an older kernel may lack, or the maxima they move (6.12: no KEYRING). */
static const char *const newer[] = {
	"HANDSHAKE_A_ACCEPT_KEYRING",
	"__HANDSHAKE_A_ACCEPT_MAX",
	"HANDSHAKE_A_ACCEPT_MAX",
};

static const struct {
	const char *name;
	const char *ours;
	const char *upstream;
} strings[] = {
	{ "HANDSHAKE_FAMILY_NAME", HANDSHAKE_FAMILY_NAME, "handshake" },
	{ "HANDSHAKE_MCGRP_NONE", HANDSHAKE_MCGRP_NONE, "none" },
	{ "HANDSHAKE_MCGRP_TLSHD", HANDSHAKE_MCGRP_TLSHD, "tlshd" },
};

static int failures;

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

static const struct expect *lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		if (!strcmp(expects[i].name, name))
			return &expects[i];
	return NULL;
}

static int is_newer(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
		if (!strcmp(newer[i], name))
			return 1;
	return 0;
}

/*
 * A tokenizer and enum evaluator just big enough for a YNL-generated
 * uapi header: enumerators with implicit or literal values, or
 * "(__NAME_MAX - 1)", and #define NAME "string" or number.
 */
struct tok {
	const char *p;
	char text[128];
};

static int next_token(struct tok *t)
{
	const char *p = t->p;
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '/' && p[1] == '*') {
			p = strstr(p + 2, "*/");
			if (!p)
				return 0;
			p += 2;
		} else if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
		} else {
			break;
		}
	}
	if (!*p)
		return 0;
	if (isalnum((unsigned char)*p) || *p == '_') {
		while ((isalnum((unsigned char)p[n]) || p[n] == '_') &&
		       n < sizeof(t->text) - 1)
			n++;
	} else if (*p == '"') {
		n = 1;
		while (p[n] && p[n] != '"' && n < sizeof(t->text) - 2)
			n++;
		if (p[n] == '"')
			n++;
	} else if (*p == '#') {
		n = 1;
		while (isalpha((unsigned char)p[n]) && n < sizeof(t->text) - 1)
			n++;
	} else {
		n = 1;
	}
	memcpy(t->text, p, n);
	t->text[n] = '\0';
	t->p = p + n;
	return 1;
}

struct sym {
	char name[128];
	long value;
};

static struct sym syms[256];
static size_t nsyms;
static int compared;

static int sym_value(const char *name, long *value)
{
	size_t i;

	for (i = 0; i < nsyms; i++) {
		if (!strcmp(syms[i].name, name)) {
			*value = syms[i].value;
			return 0;
		}
	}
	return -1;
}

static void check_kernel_value(const char *name, long value)
{
	const struct expect *e = lookup(name);

	if (nsyms < sizeof(syms) / sizeof(syms[0])) {
		snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%s", name);
		syms[nsyms++].value = value;
	}
	compared++;
	if (!e) {
		fail("%s is in the kernel's header (= %ld) but not in ours",
		     name, value);
		return;
	}
	if (e->ours == value)
		return;
	if (is_newer(name))
		printf("note: %s: ours %ld, this older kernel's %ld\n", name,
		       e->ours, value);
	else
		fail("%s: ours %ld, kernel's %ld", name, e->ours, value);
}

/* Evaluates "N", "NAME", "(NAME - N)", "(NAME + N)" up to ',' or '}'. */
static int eval_expr(struct tok *t, long *value)
{
	long acc = 0, v;
	int sign = 1;

	while (next_token(t)) {
		if (!strcmp(t->text, ",") || !strcmp(t->text, "}"))
			return 0;
		if (!strcmp(t->text, "(") || !strcmp(t->text, ")"))
			continue;
		if (!strcmp(t->text, "-")) {
			sign = -1;
			continue;
		}
		if (!strcmp(t->text, "+")) {
			sign = 1;
			continue;
		}
		if (isdigit((unsigned char)t->text[0]))
			v = strtol(t->text, NULL, 0);
		else if (sym_value(t->text, &v))
			return -1;
		acc += sign * v;
		*value = acc;
	}
	return -1;
}

static int parse_enum(struct tok *t)
{
	long next = 0, value;
	char name[128];

	while (next_token(t) && strcmp(t->text, "{"))
		;
	while (next_token(t)) {
		if (!strcmp(t->text, "}"))
			return 0;
		if (!strcmp(t->text, ","))
			continue;
		snprintf(name, sizeof(name), "%s", t->text);
		if (!next_token(t))
			return -1;
		value = next;
		if (!strcmp(t->text, "=")) {
			if (eval_expr(t, &value))
				return -1;
		}
		check_kernel_value(name, value);
		next = value + 1;
		if (!strcmp(t->text, "}"))
			return 0;
	}
	return -1;
}

static void check_kernel_string(const char *name, const char *quoted)
{
	size_t i, n = strlen(quoted);

	compared++;
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(strings[i].name, name))
			continue;
		if (n < 2 || strncmp(strings[i].ours, quoted + 1, n - 2) ||
		    strlen(strings[i].ours) != n - 2) {
			fail("%s: ours \"%s\", kernel's %s", name,
			     strings[i].ours, quoted);
		}
		return;
	}
	fail("%s is in the kernel's header but not in ours", name);
}

static int check_kernel_header(const char *path)
{
	char name[128], *text;
	struct tok t;
	long size;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, size + 1);
	if (!text || fread(text, 1, size, f) != (size_t)size) {
		printf("cannot read %s\n", path);
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);

	t.p = text;
	while (next_token(&t)) {
		if (!strcmp(t.text, "enum")) {
			if (parse_enum(&t)) {
				fail("cannot parse an enum in %s", path);
				break;
			}
		} else if (!strcmp(t.text, "#define")) {
			if (!next_token(&t))
				break;
			snprintf(name, sizeof(name), "%s", t.text);
			if (!strncmp(name, "_UAPI", 5))
				continue;
			if (!next_token(&t))
				break;
			if (t.text[0] == '"')
				check_kernel_string(name, t.text);
			else
				check_kernel_value(name, strtol(t.text, NULL, 0));
		}
	}
	free(text);
	return 0;
}

/* Every name we define beyond the kernel's must be a known newer one. */
static void check_kernel_coverage(const char *path)
{
	size_t i;
	long v;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		if (sym_value(expects[i].name, &v) && !is_newer(expects[i].name)) {
			fail("%s is ours but not in %s", expects[i].name,
			     path);
		}
	}
}

int main(void)
{
	const char *build = getenv("BUILD");
	char pattern[512];
	size_t i;
	glob_t g;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		if (expects[i].ours != expects[i].upstream)
			fail("%s: ours %ld, upstream %ld", expects[i].name,
			     expects[i].ours, expects[i].upstream);
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(strings[i].ours, strings[i].upstream)) {
			fail("%s: ours \"%s\", upstream \"%s\"",
			     strings[i].name, strings[i].ours,
			     strings[i].upstream);
		}
	}
	printf("upstream numbers: %zu checked\n",
	       sizeof(expects) / sizeof(expects[0]) +
	       sizeof(strings) / sizeof(strings[0]));

	snprintf(pattern, sizeof(pattern),
		 "%s/kernels/*/root/usr/src/linux-headers-*-common/include/uapi/linux/handshake.h",
		 build ? build : "build");
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			nsyms = 0;
			compared = 0;
			if (check_kernel_header(g.gl_pathv[i]))
				failures++;
			else
				check_kernel_coverage(g.gl_pathv[i]);
			if (compared < 10) {
				fail("only %d names found in %s", compared,
				     g.gl_pathv[i]);
			}
			printf("%s: %d names compared\n", g.gl_pathv[i],
			       compared);
		}
		globfree(&g);
	} else {
		printf("no guest kernel headers under %s/kernels: upstream numbers only\n",
		       build ? build : "build");
	}

	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	return 0;
}
