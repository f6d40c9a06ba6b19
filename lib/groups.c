// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key-exchange groups: the names a configuration may use, and the order
 * a priority string offers them in. GnuTLS's NORMAL puts SECP256R1 first
 * and lets a PSK handshake settle on FFDHE2048, which costs tens of times
 * an ECDHE exchange; ours put X25519, then the NIST curves, then X448,
 * and finite-field groups last.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ktls-internal.h"

static const struct {
	const char *name;	/* GnuTLS's, for GROUP-<name> */
	const char *alias;	/* NIST / IANA */
} groups_known[] = {
	{ "X25519", "x25519" },
	{ "SECP256R1", "P-256" },
	{ "SECP384R1", "P-384" },
	{ "SECP521R1", "P-521" },
	{ "X448", "x448" },
	{ "FFDHE2048", "ffdhe2048" },
	{ "FFDHE3072", "ffdhe3072" },
	{ "FFDHE4096", "ffdhe4096" },
	{ "FFDHE6144", "ffdhe6144" },
	{ "FFDHE8192", "ffdhe8192" },
};

#define GROUPS_KNOWN (sizeof(groups_known) / sizeof(groups_known[0]))
_Static_assert(GROUPS_KNOWN <= KTLS_GROUPS_MAX, "raise KTLS_GROUPS_MAX");

static int groups_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && !strncasecmp(name, want, len);
}

KTLS_EXPORT const char *ktls_group_parse(const char *name, size_t len)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < GROUPS_KNOWN; i++)
		if (groups_is(name, len, groups_known[i].name) ||
		    groups_is(name, len, groups_known[i].alias))
			return gnutls_group_get_id(groups_known[i].name) ==
					       GNUTLS_GROUP_INVALID ?
				       NULL : groups_known[i].name;
	return NULL;
}

static int groups_separator(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == ';' || c == ':';
}

int ktls_groups_parse_list(const char *list, const char **names,
			   unsigned int *n)
{
	const char *s = list, *e, *name;
	unsigned int i;

	*n = 0;
	if (!list)
		return -EINVAL;
	while (*s) {
		while (*s && groups_separator(*s))
			s++;
		for (e = s; *e && !groups_separator(*e); e++)
			;
		if (e == s)
			break;
		name = ktls_group_parse(s, e - s);
		if (!name)
			return -EINVAL;
		for (i = 0; i < *n && names[i] != name; i++)
			;
		if (i == *n)
			names[(*n)++] = name;	/* a repeat keeps its first place */
		s = e;
	}
	return *n ? 0 : -EINVAL;
}

int ktls_groups_priority(const struct ktls_config *cfg, char *buf, size_t len,
			 size_t *pos)
{
	unsigned int i, n = cfg->ngroups ? cfg->ngroups : GROUPS_KNOWN;
	const char *name;
	int ret;

	ret = snprintf(buf + *pos, len - *pos, ":-GROUP-ALL");
	if (ret < 0 || (size_t)ret >= len - *pos)
		return -ENOSPC;
	*pos += ret;
	for (i = 0; i < n; i++) {
		name = cfg->ngroups ? cfg->groups[i] : groups_known[i].name;
		/* Defaults this GnuTLS lacks are left out, not an error. */
		if (!cfg->ngroups &&
		    gnutls_group_get_id(name) == GNUTLS_GROUP_INVALID)
			continue;
		ret = snprintf(buf + *pos, len - *pos, ":+GROUP-%s", name);
		if (ret < 0 || (size_t)ret >= len - *pos)
			return -ENOSPC;
		*pos += ret;
	}
	return 0;
}
