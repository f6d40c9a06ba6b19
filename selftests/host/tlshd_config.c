// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * tlshd's configuration parser: a full good file, every key, and each kind
 * of error with its file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ktls.h>

#include "config.h"

#include "check.h"

struct reports {
	char text[8192];
	int warnings;
	int errors;
};

static void collect(enum tlshd_config_severity sev, const char *msg, void *ctx)
{
	struct reports *r = ctx;
	size_t n = strlen(r->text);

	if (sev == TLSHD_CONFIG_ERROR)
		r->errors++;
	else
		r->warnings++;
	snprintf(r->text + n, sizeof(r->text) - n, "%s: %s\n",
		 sev == TLSHD_CONFIG_ERROR ? "E" : "W", msg);
}

static int parse(struct tlshd_config *cfg, struct reports *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	tlshd_config_init(cfg);
	return tlshd_config_parse(cfg, "test.conf", text, strlen(text),
				  collect, r);
}

/* One error (or warning) expected, and its text must contain want. */
static void expect_one(const char *text, enum tlshd_config_severity sev,
		       const char *want)
{
	struct tlshd_config cfg;
	struct reports r;
	int ret;

	ret = parse(&cfg, &r, text);
	if (sev == TLSHD_CONFIG_ERROR) {
		CHECK(ret == -EINVAL);
		CHECK(r.errors == 1);
	} else {
		CHECK(ret == 0);
		CHECK(r.errors == 0);
		CHECK(r.warnings == 1);
	}
	if (!strstr(r.text, want)) {
		fprintf(stderr, "expected '%s' in reports:\n%s", want, r.text);
		failures++;
	}
	tlshd_config_free(&cfg);
}

static void test_good(void)
{
	static const char text[] =
		"\xef\xbb\xbf# tlshd configuration\n"
		"\n"
		"[debug]\n"
		"loglevel=3\n"
		"  tls = 7  \n"
		"nl=1\r\n"
		"\n"
		"[authenticate]\n"
		"keyrings= .nfs;.nvme ; ;my\\;ring\n"
		"\n"
		"[authenticate.client]\n"
		"x509.truststore= /etc/ssl/ca.pem\n"
		"x509.crl=/etc/ssl/crl.pem\n"
		"x509.certificate=/etc/tlshd/client\\scert.pem\n"
		"x509.private_key=/etc/tlshd/client.key\n"
		"   # indented comment\n"
		"[authenticate.server]\n"
		"x509.truststore=/srv/ca.pem\n"
		"x509.crl=/srv/crl.pem\n"
		"x509.certificate=/srv/cert.pem\n"
		"x509.private_key=/srv/key.pem";
	struct tlshd_config cfg;
	struct reports r;

	CHECK(parse(&cfg, &r, text) == 0);
	CHECK(r.errors == 0 && r.warnings == 0);
	CHECK(cfg.loglevel == 3);
	CHECK(cfg.tls_debug == 7);
	CHECK(cfg.nl_debug == 1);
	CHECK(cfg.nkeyrings == 3);
	CHECK(cfg.keyrings && !strcmp(cfg.keyrings[0], ".nfs") &&
	      !strcmp(cfg.keyrings[1], ".nvme") &&
	      !strcmp(cfg.keyrings[2], "my;ring") && !cfg.keyrings[3]);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/etc/ssl/ca.pem"));
	CHECK(cfg.client.crl && !strcmp(cfg.client.crl, "/etc/ssl/crl.pem"));
	CHECK(cfg.client.certificate &&
	      !strcmp(cfg.client.certificate, "/etc/tlshd/client cert.pem"));
	CHECK(cfg.client.private_key &&
	      !strcmp(cfg.client.private_key, "/etc/tlshd/client.key"));
	CHECK(cfg.server.truststore && !strcmp(cfg.server.truststore, "/srv/ca.pem"));
	CHECK(cfg.server.crl && !strcmp(cfg.server.crl, "/srv/crl.pem"));
	CHECK(cfg.server.certificate && !strcmp(cfg.server.certificate, "/srv/cert.pem"));
	CHECK(cfg.server.private_key && !strcmp(cfg.server.private_key, "/srv/key.pem"));
	if (r.errors || r.warnings)
		fprintf(stderr, "%s", r.text);
	tlshd_config_free(&cfg);
	CHECK(cfg.keyrings == NULL && cfg.client.truststore == NULL);
}

static void test_empty(void)
{
	struct tlshd_config cfg;
	struct reports r;

	CHECK(parse(&cfg, &r, "") == 0);
	CHECK(r.errors == 0 && r.warnings == 0);
	CHECK(cfg.nkeyrings == 0 && !cfg.keyrings && !cfg.client.truststore);
	tlshd_config_free(&cfg);

	/* An empty list is no keyrings at all, not an error. */
	CHECK(parse(&cfg, &r, "[authenticate]\nkeyrings=\n") == 0);
	CHECK(r.errors == 0 && cfg.nkeyrings == 0 && !cfg.keyrings);
	tlshd_config_free(&cfg);
}

static void test_repeats(void)
{
	struct tlshd_config cfg;
	struct reports r;

	/* GKeyFile semantics: the last setting wins, groups merge. */
	CHECK(parse(&cfg, &r,
		    "[authenticate.client]\n"
		    "x509.truststore=/a\n"
		    "[debug]\n"
		    "loglevel=1\n"
		    "[authenticate.client]\n"
		    "x509.truststore=/b\n") == 0);
	CHECK(r.errors == 0 && r.warnings == 1);
	CHECK(strstr(r.text, "test.conf:6: key 'x509.truststore' repeats line 2") != NULL);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/b"));
	CHECK(cfg.loglevel == 1);
	tlshd_config_free(&cfg);
}

static void test_errors(void)
{
	enum tlshd_config_severity E = TLSHD_CONFIG_ERROR;
	enum tlshd_config_severity W = TLSHD_CONFIG_WARNING;

	expect_one("[debug]\nloglevel=3\nthis line is junk\n", E,
		   "E: test.conf:3: not a section header, a key=value pair, or a comment");
	expect_one("loglevel=1\n[debug]\n", E,
		   "test.conf:1: key 'loglevel' appears before any [section]");
	expect_one("[debug\nloglevel=1\n", E,
		   "test.conf:1: section header has no closing ']'");
	expect_one("[debug] x\n", E,
		   "test.conf:1: unexpected text after section header ']'");
	expect_one("\n\n[]\n", E, "test.conf:3: empty section name");
	expect_one("[de\tbug]\n", E, "test.conf:1: invalid character in section name");
	expect_one("[debug]\n=3\n", E, "test.conf:2: empty key name before '='");
	expect_one("[debug]\nloglevel=abc\n", W,
		   "test.conf:2: key 'loglevel': expected a number from 0 to 2147483647, got 'abc'");
	expect_one("[debug]\ntls=-1\n", W, "test.conf:2: key 'tls': expected a number");
	expect_one("[debug]\nnl=3x\n", W, "test.conf:2: key 'nl': expected a number");
	expect_one("[debug]\nnl=99999999999999999999999\n", W,
		   "test.conf:2: key 'nl': expected a number");
	expect_one("[debug]\nnl=\n", W, "test.conf:2: key 'nl': expected a number");
	expect_one("[authenticate.client]\nx509.crl=\n", W,
		   "test.conf:2: key 'x509.crl': empty value");
	expect_one("[authenticate.server]\n\nx509.certificate=/a\\qb\n", W,
		   "test.conf:3: key 'x509.certificate': invalid escape sequence '\\q' in value");
	expect_one("[authenticate.client]\nx509.private_key=/a\\\n", W,
		   "test.conf:2: key 'x509.private_key': value ends with a lone backslash");
	expect_one("[authenticate]\nkeyrings=a;b\\x\n", W,
		   "test.conf:2: key 'keyrings': invalid escape sequence '\\x'");

	/* ktls-utils keys: what it tolerates, we warn about and accept. */
	expect_one("[debug]\nloglevel=2 # chatty\n", W,
		   "W: test.conf:2: key 'loglevel': text from '#' on taken as a comment");
	expect_one("[authenticate.client]\nx509.truststore=/ca.pem\t# ours\n", W,
		   "W: test.conf:2: key 'x509.truststore': text from '#' on taken as a comment");

	expect_one("[debug]\nloglevel=1\n[tls]\nfoo=1\nbar\n", E,
		   "test.conf:5: not a section header");
	expect_one("[nfs]\nfoo=1\n", W, "W: test.conf:1: unknown section [nfs] ignored");
	expect_one("[debug]\nverbose=1\n", W,
		   "W: test.conf:2: unknown key 'verbose' in [debug] ignored");
	/* Keys are per section: a client key under [debug] is unknown. */
	expect_one("[debug]\nx509.truststore=/a\n", W,
		   "test.conf:2: unknown key 'x509.truststore' in [debug] ignored");
}

static void test_nul_bytes(void)
{
	static const char text[] = "[debug]\nloglevel=1\0\n[auth\0enticate]\nk\0=1\n";
	struct tlshd_config cfg;
	struct reports r;
	int ret;

	memset(&r, 0, sizeof(r));
	tlshd_config_init(&cfg);
	ret = tlshd_config_parse(&cfg, "nul.conf", text, sizeof(text) - 1,
				 collect, &r);
	CHECK(ret == -EINVAL);
	CHECK(r.errors == 3);
	CHECK(strstr(r.text, "nul.conf:2: key 'loglevel': NUL byte in value") != NULL);
	CHECK(strstr(r.text, "nul.conf:3: invalid character in section name") != NULL);
	CHECK(strstr(r.text, "nul.conf:4: invalid character in key name") != NULL);
	tlshd_config_free(&cfg);
}

/* Every error is reported, not just the first, and good keys still parse. */
static void test_many_errors(void)
{
	struct tlshd_config cfg;
	struct reports r;

	CHECK(parse(&cfg, &r,
		    "[tlshd]\nworkers=x\n[debug]\ntls=2\n[resumption]\n"
		    "cache=\n[authenticate.client]\nx509.truststore=/ok\n") ==
	      -EINVAL);
	CHECK(r.errors == 2);
	CHECK(strstr(r.text, "test.conf:2:") && strstr(r.text, "test.conf:6:"));
	CHECK(cfg.tls_debug == 2);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/ok"));
	tlshd_config_free(&cfg);
}

static void test_load(void)
{
	char path[] = "/tmp/tlshd-config-test.XXXXXX";
	struct tlshd_config cfg;
	struct reports r;
	FILE *f;
	int fd;

	memset(&r, 0, sizeof(r));
	tlshd_config_init(&cfg);
	CHECK(tlshd_config_load(&cfg, "/nonexistent/tlshd/config", 1, collect, &r) == 0);
	CHECK(r.errors == 0);
	CHECK(tlshd_config_load(&cfg, "/nonexistent/tlshd/config", 0, collect, &r) == -ENOENT);
	CHECK(r.errors == 1 && strstr(r.text, "/nonexistent/tlshd/config: No such file"));
	CHECK(tlshd_config_load(&cfg, "/tmp", 0, collect, &r) == -EINVAL);
	CHECK(strstr(r.text, "/tmp: not a regular file") != NULL);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs("[authenticate.client]\nx509.truststore=/ca.pem\nbogus\n", f);
	fclose(f);
	memset(&r, 0, sizeof(r));
	CHECK(tlshd_config_load(&cfg, path, 0, collect, &r) == -EINVAL);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/ca.pem"));
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:3: not a section header", path);
		CHECK(strstr(r.text, want) != NULL);
	}
	unlink(path);
	tlshd_config_free(&cfg);
}

/* Our own keys: every value kind, defaults, and where each was set. */
static void test_own_keys(void)
{
	static const char text[] =
		"[tlshd]\n"
		"workers=4\n"
		"max_inflight = 65536\n"
		"min_version=1.3\n"
		"ciphers=AES-256-GCM; chacha20-poly1305 ;;\n"
		"groups = x25519, P-256 ffdhe3072\n"
		"allow_rsa_kx=Yes\n"
		"[resumption]\n"
		"tickets=false\n"
		"ticket_key=keyring:12345\n"
		"ticket_rotation=3600\n"
		"cache=0\n"
		"cache_size=1\n"
		"ticket_wait_ms=0\n"
		"psk_ke=true\n"
		"[authenticate.server]\n"
		"x509.pq.certificate=/pq.pem\n"
		"x509.pq.private_key=/pq.key\n"
		"[authenticate.client]\n"
		"x509.pq.certificate=/cpq.pem\n"
		"x509.pq.private_key=/cpq.key\n";
	struct tlshd_config cfg;
	struct reports r;
	char where[128];

	/* Unset: defaults, and tri-state booleans stay "not said". */
	CHECK(parse(&cfg, &r, "") == 0);
	CHECK(cfg.tickets == -1 && cfg.cache == -1 && cfg.psk_ke == 0);
	CHECK(cfg.workers == 0 && cfg.max_inflight == 0 &&
	      cfg.min_version == 0 && cfg.ciphers == 0 && !cfg.allow_rsa_kx);
	CHECK(!cfg.ticket_key && cfg.ticket_rotation == 0 && cfg.cache_size == 0);
	CHECK(cfg.ticket_wait_ms == -1);
	CHECK(!cfg.groups);
	tlshd_config_free(&cfg);

	CHECK(parse(&cfg, &r, text) == 0);
	if (r.errors || r.warnings)
		fprintf(stderr, "%s", r.text);
	CHECK(r.errors == 0 && r.warnings == 0);
	CHECK(cfg.workers == 4);
	CHECK(cfg.max_inflight == 65536);
	CHECK(cfg.min_version == KTLS_VERSION_1_3);
	CHECK(cfg.ciphers == (KTLS_CIPHER_AES_256_GCM |
			      KTLS_CIPHER_CHACHA20_POLY1305));
	CHECK(cfg.allow_rsa_kx == 1);
	CHECK(cfg.groups && !strcmp(cfg.groups, "x25519, P-256 ffdhe3072"));
	CHECK(cfg.tickets == 0 && cfg.cache == 0 && cfg.psk_ke == 1);
	CHECK(cfg.ticket_key && !strcmp(cfg.ticket_key, "keyring:12345"));
	CHECK(cfg.ticket_rotation == 3600 && cfg.cache_size == 1);
	CHECK(cfg.ticket_wait_ms == 0);
	CHECK(cfg.server_pq_certificate && !strcmp(cfg.server_pq_certificate, "/pq.pem"));
	CHECK(cfg.server_pq_private_key && !strcmp(cfg.server_pq_private_key, "/pq.key"));
	CHECK(cfg.client_pq_certificate && !strcmp(cfg.client_pq_certificate, "/cpq.pem"));
	CHECK(cfg.client_pq_private_key && !strcmp(cfg.client_pq_private_key, "/cpq.key"));
	tlshd_config_where(&cfg, "resumption", "ticket_key", where, sizeof(where));
	CHECK(!strcmp(where, "test.conf:10"));
	tlshd_config_where(&cfg, "tlshd", "groups", where, sizeof(where));
	CHECK(!strcmp(where, "test.conf:6"));
	tlshd_config_where(&cfg, "tlshd", "ciphers", where, sizeof(where));
	CHECK(!strcmp(where, "test.conf:5"));
	tlshd_config_where(&cfg, "authenticate.server", "x509.crl", where, sizeof(where));
	CHECK(!strcmp(where, "test.conf"));
	tlshd_config_free(&cfg);
	CHECK(!cfg.ticket_key && !cfg.server_pq_certificate && !cfg.source);
	tlshd_config_init(&cfg);
	tlshd_config_where(&cfg, "tlshd", "workers", where, sizeof(where));
	CHECK(!strcmp(where, "built-in defaults"));

	/* Booleans: every spelling, both ways. */
	{
		static const char *const yes[] = { "true", "TRUE", "yes", "1" };
		static const char *const no[] = { "false", "No", "no", "0" };
		char buf[64];
		unsigned int i;

		for (i = 0; i < 4; i++) {
			snprintf(buf, sizeof(buf), "[resumption]\ncache=%s\n", yes[i]);
			CHECK(parse(&cfg, &r, buf) == 0 && cfg.cache == 1);
			tlshd_config_free(&cfg);
			snprintf(buf, sizeof(buf), "[resumption]\ncache=%s\n", no[i]);
			CHECK(parse(&cfg, &r, buf) == 0 && cfg.cache == 0);
			tlshd_config_free(&cfg);
		}
	}
	CHECK(parse(&cfg, &r, "[tlshd]\nmin_version=1.2\nciphers=AES-128-CCM;AES-128-GCM\nworkers=64\nmax_inflight=1\n") == 0);
	CHECK(cfg.min_version == KTLS_VERSION_1_2 && cfg.workers == 64 &&
	      cfg.max_inflight == 1 &&
	      cfg.ciphers == (KTLS_CIPHER_AES_128_CCM | KTLS_CIPHER_AES_128_GCM));
	tlshd_config_free(&cfg);
	CHECK(parse(&cfg, &r, "[resumption]\nticket_key=/etc/tlshd/ticket\\skey\n") == 0);
	CHECK(cfg.ticket_key && !strcmp(cfg.ticket_key, "/etc/tlshd/ticket key"));
	tlshd_config_free(&cfg);
}

/* Each new key's bad values: one error naming file, line and key. */
static void test_own_errors(void)
{
	enum tlshd_config_severity E = TLSHD_CONFIG_ERROR;
	enum tlshd_config_severity W = TLSHD_CONFIG_WARNING;

	expect_one("[tlshd]\nworkers=0\n", E,
		   "test.conf:2: key 'workers': expected a number from 1 to 64, got '0'");
	expect_one("[tlshd]\nworkers=65\n", E,
		   "test.conf:2: key 'workers': expected a number from 1 to 64, got '65'");
	expect_one("[tlshd]\nworkers=two\n", E, "test.conf:2: key 'workers': expected a number");
	expect_one("[tlshd]\n\nmax_inflight=0\n", E,
		   "test.conf:3: key 'max_inflight': expected a number from 1 to 65536, got '0'");
	expect_one("[tlshd]\nmax_inflight=65537\n", E,
		   "test.conf:2: key 'max_inflight': expected a number from 1 to 65536");
	expect_one("[tlshd]\nmin_version=1.1\n", E,
		   "test.conf:2: key 'min_version': expected 1.2 or 1.3 (older versions are not offered), got '1.1'");
	expect_one("[tlshd]\nmin_version=TLS1.3\n", E,
		   "test.conf:2: key 'min_version': expected 1.2 or 1.3");
	expect_one("[tlshd]\nmin_version=\n", E,
		   "test.conf:2: key 'min_version': expected 1.2 or 1.3");
	expect_one("[tlshd]\nciphers=AES-128-GCM;AES-128-CBC\n", E,
		   "test.conf:2: key 'ciphers': unknown cipher 'AES-128-CBC'");
	expect_one("[tlshd]\nciphers= ; ;\n", E,
		   "test.conf:2: key 'ciphers': names no cipher");
	expect_one("[tlshd]\ngroups=X25519 P-257\n", E,
		   "test.conf:2: key 'groups': unknown group 'P-257' (known: X25519, P-256,");
	expect_one("[tlshd]\ngroups= , ;\n", E,
		   "test.conf:2: key 'groups': names no group");
	expect_one("[tlshd]\nallow_rsa_kx=on\n", E,
		   "test.conf:2: key 'allow_rsa_kx': expected true or false (yes/no, 1/0), got 'on'");
	expect_one("[resumption]\ntickets=2\n", E,
		   "test.conf:2: key 'tickets': expected true or false");
	expect_one("[resumption]\ncache=\n", E,
		   "test.conf:2: key 'cache': expected true or false");
	expect_one("[resumption]\npsk_ke=yess\n", E,
		   "test.conf:2: key 'psk_ke': expected true or false");
	expect_one("[resumption]\nticket_key=\n", E,
		   "test.conf:2: key 'ticket_key': empty value");
	expect_one("[resumption]\nticket_key=ticket.key\n", E,
		   "test.conf:2: key 'ticket_key': expected an absolute path or keyring:SERIAL, got 'ticket.key'");
	expect_one("[resumption]\nticket_key=keyring:\n", E,
		   "test.conf:2: key 'ticket_key': expected keyring:SERIAL with a key serial from 1 to 2147483647");
	expect_one("[resumption]\nticket_key=keyring:0\n", E,
		   "test.conf:2: key 'ticket_key': expected keyring:SERIAL");
	expect_one("[resumption]\nticket_key=keyring:-5\n", E,
		   "test.conf:2: key 'ticket_key': expected keyring:SERIAL");
	expect_one("[resumption]\nticket_key=keyring:12x\n", E,
		   "test.conf:2: key 'ticket_key': expected keyring:SERIAL");
	expect_one("[resumption]\nticket_key=keyring:4294967296\n", E,
		   "test.conf:2: key 'ticket_key': expected keyring:SERIAL");
	expect_one("[resumption]\nticket_rotation=59\n", E,
		   "test.conf:2: key 'ticket_rotation': expected a number from 60 to 604800, got '59'");
	expect_one("[resumption]\nticket_wait_ms=10001\n", E,
		   "test.conf:2: key 'ticket_wait_ms': expected a number from 0 to 10000, got '10001'");
	expect_one("[resumption]\nticket_rotation=604801\n", E,
		   "test.conf:2: key 'ticket_rotation': expected a number from 60 to 604800");
	expect_one("[resumption]\ncache_size=0\n", E,
		   "test.conf:2: key 'cache_size': expected a number from 1 to 1048576, got '0'");
	expect_one("[resumption]\ncache_size=1048577\n", E,
		   "test.conf:2: key 'cache_size': expected a number from 1 to 1048576");
	expect_one("[authenticate.client]\nx509.pq.certificate=\n", W,
		   "test.conf:2: key 'x509.pq.certificate': empty value");
	expect_one("[authenticate.server]\nx509.pq.private_key=\n", W,
		   "test.conf:2: key 'x509.pq.private_key': empty value");
	/* Our keys belong to their own sections. */
	expect_one("[debug]\nworkers=2\n", W,
		   "test.conf:2: unknown key 'workers' in [debug] ignored");
	expect_one("[tlshd]\ntickets=true\n", W,
		   "test.conf:2: unknown key 'tickets' in [tlshd] ignored");
}

/* No -c: /etc/tlshd/config, else the legacy /etc/tlshd.conf, else none. */
/* What ktls-utils turns into 0 is 0 here too; comments are cut. */
static void test_tolerance(void)
{
	struct tlshd_config cfg;
	struct reports r;

	CHECK(parse(&cfg, &r, "[debug]\nloglevel=1 # comment\ntls=abc\nnl=7\n"
		    "[authenticate.client]\nx509.truststore=/ca.pem # ours\n"
		    "x509.crl=\n") == 0);
	CHECK(r.errors == 0 && r.warnings == 4);
	CHECK(cfg.loglevel == 1 && cfg.tls_debug == 0 && cfg.nl_debug == 7);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/ca.pem"));
	CHECK(cfg.client.crl == NULL);
	tlshd_config_free(&cfg);
	/* A '#' inside a word is part of the value. */
	CHECK(parse(&cfg, &r, "[authenticate.client]\nx509.truststore=/a#b\n") == 0);
	CHECK(r.warnings == 0);
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/a#b"));
	tlshd_config_free(&cfg);
}

static void test_pick(void)
{
	char dir[] = "/tmp/tlshd-pick.XXXXXX";
	char primary[64], legacy[64];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(primary, sizeof(primary), "%s/config", dir);
	snprintf(legacy, sizeof(legacy), "%s/tlshd.conf", dir);
	CHECK(tlshd_config_pick(primary, legacy) == NULL);
	f = fopen(legacy, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK(tlshd_config_pick(primary, legacy) == legacy);
	f = fopen(primary, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	/* Both: the legacy file wins, as in ktls-utils. */
	CHECK(tlshd_config_pick(primary, legacy) == legacy);
	unlink(legacy);
	CHECK(tlshd_config_pick(primary, legacy) == primary);
	unlink(primary);
	rmdir(dir);
}

/* The key table as tools see it: every section known, no duplicates. */
static void test_key_table(void)
{
	const char *sec, *name, *sec2, *name2;
	unsigned int i, j, n = 0;

	for (i = 0; tlshd_config_key_at(i, &sec, &name) == 0; i++) {
		n++;
		for (j = 0; j < i; j++) {
			CHECK(tlshd_config_key_at(j, &sec2, &name2) == 0);
			CHECK(strcmp(sec, sec2) || strcmp(name, name2));
		}
	}
	CHECK(n == 30);
	CHECK(tlshd_config_key_at(n, &sec, &name) == -1);
}

int main(void)
{
	test_good();
	test_empty();
	test_repeats();
	test_errors();
	test_nul_bytes();
	test_many_errors();
	test_load();
	test_own_keys();
	test_own_errors();
	test_tolerance();
	test_pick();
	test_key_table();
	if (failures) {
		fprintf(stderr, "tlshd_config: %d checks failed\n", failures);
		return 1;
	}
	printf("tlshd_config: all checks passed\n");
	return 0;
}
