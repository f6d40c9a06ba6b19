// SPDX-License-Identifier: GPL-2.0-or-later
/* tier: quick */
/*
 * Out of memory at every allocation: the config parser, the ACCEPT parser
 * and the DONE/ACCEPT builders, the session cache, the PSK identity parser
 * and libktls configs are run with the 1st, 2nd, ... allocation failing
 * (selftests/lib/failmalloc.so) until a run succeeds with none failed.
 * Each failed run must end in -ENOMEM (or NULL for the builders), each
 * successful one must have the right result, and nothing may leak: the
 * program re-runs itself under valgrind with the allocator preloaded.
 * Where the failed allocation was GnuTLS's own, GnuTLS picks the error
 * code (often not GNUTLS_E_MEMORY_ERROR): counted, not failed. libtasn1
 * and GMP are never failed (one crashes, the other aborts by design), and
 * three leaks of GnuTLS's own on its error paths are suppressed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <linux/handshake.h>

#include "config.h"
#include "ktls-internal.h"
#include "msg.h"
#include "session_cache.h"
#include "ktls_test.h"
#include "check.h"

static void (*fm_arm)(unsigned long n);
static int (*fm_failed)(void);
static const char *(*fm_failed_in)(void);

/*
 * Run op with allocation n failing for n = 1, 2, ... until a run has no
 * failure. op returns 0 or a negative errno, and checks its own result.
 */
static void drive(const char *name, int (*op)(void *), void *arg)
{
	unsigned long n;
	int ret, failed, survived = 0, gnutls = 0;
	char by[128];

	for (n = 1; n < 100000; n++) {
		fm_arm(n);
		ret = op(arg);
		failed = fm_failed();
		snprintf(by, sizeof(by), "%s", fm_failed_in());
		fm_arm(0);
		if (!failed) {
			CHECK_MSG(ret == 0, "%s: %s without failure", name,
			       strerror(-ret));
			break;
		}
		if (ret == 0)
			survived++;	/* the failure was recovered from */
		else if (ret != -ENOMEM &&
			 !strncmp(by, "libgnutls", 9))
			gnutls++;	/* GnuTLS's code, not ours */
		else
			CHECK_MSG(ret == -ENOMEM,
			       "%s: allocation %lu (by %s) failed: %s", name,
			       n, by, strerror(-ret));
	}
	printf("%s: %lu allocations; failures recovered from %d, misreported by GnuTLS %d\n",
	       name, n - 1, survived, gnutls);
}

/* --- tlshd config parser --- */

static const char config_text[] =
	"[debug]\n"
	"loglevel=2\n"
	"tls=1\n"
	"nl=0\n"
	"[authenticate]\n"
	"keyrings=.nfs;.nvme;  .nfsd ;\\;x\n"
	"[authenticate.client]\n"
	"x509.truststore=/etc/ssl/ca.pem\n"
	"x509.crl=/etc/ssl/crl\\spem\n"
	"x509.certificate=/etc/tlshd/c.pem\n"
	"x509.private_key=/etc/tlshd/c.key\n"
	"[authenticate.server]\n"
	"x509.truststore=/etc/ssl/ca2.pem\n"
	"x509.certificate=/etc/tlshd/s.pem\n"
	"x509.private_key=/etc/tlshd/s.key\n"
	"[tlshd]\n"
	"workers=3\n"
	"min_version=1.3\n"
	"ciphers=aes-256-gcm;chacha20-poly1305\n"
	"unknown_key=1\n"
	"[resumption]\n"
	"ticket_key=keyring:1234\n"
	"cache_size=10\n"
	"[nosuchsection]\n"
	"a=b\n";

static void quiet_report(enum tlshd_config_severity sev, const char *msg,
			 void *ctx)
{
	/* Formatting the message may itself have failed: any text goes. */
}

static int op_config_parse(void *arg)
{
	struct tlshd_config cfg;
	int ret;

	tlshd_config_init(&cfg);
	ret = tlshd_config_parse(&cfg, "alloc.conf", config_text,
				 sizeof(config_text) - 1, quiet_report, NULL);
	if (!ret) {
		CHECK_MSG(cfg.loglevel == 2 && cfg.workers == 3, "config values");
		CHECK_MSG(cfg.nkeyrings == 4 && cfg.keyrings &&
		       !strcmp(cfg.keyrings[2], ".nfsd") &&
		       !strcmp(cfg.keyrings[3], ";x") && !cfg.keyrings[4],
		       "keyrings");
		CHECK_MSG(cfg.client.crl && !strcmp(cfg.client.crl,
						 "/etc/ssl/crl pem"), "crl");
		CHECK_MSG(cfg.ticket_key && cfg.cache_size == 10, "resumption");
	}
	tlshd_config_free(&cfg);
	return ret;
}

static int op_config_load(void *arg)
{
	struct tlshd_config cfg;
	int ret;

	tlshd_config_init(&cfg);
	ret = tlshd_config_load(&cfg, arg, 0, quiet_report, NULL);
	if (!ret)
		CHECK_MSG(cfg.loglevel == 2 && cfg.source &&
		       !strcmp(cfg.source, arg), "loaded config");
	tlshd_config_free(&cfg);
	return ret;
}

/* --- handshake family messages --- */

static int op_msg_parse(void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(arg);
	char err[TLSHD_MSG_ERRLEN];
	struct tlshd_request req;
	int ret;

	ret = tlshd_msg_parse_accept(nlh, nlh->nlmsg_len, &req, err);
	if (!ret)
		CHECK_MSG(req.sockfd == 12 && req.npeerids == 2 &&
		       !strcmp(req.peername, "server.example.org"),
		       "parsed request");
	return ret;
}

static int op_msg_build(void *arg)
{
	const uint32_t peers[2] = { 7, 8 };
	struct nl_msg *a, *d;
	int ret = 0;

	a = tlshd_msg_accept_request(0x1d);
	d = tlshd_msg_done(0x1d, 12, 0, peers, 2);
	if (!a || !d)
		ret = -ENOMEM;
	else
		CHECK_MSG(nlmsg_hdr(d)->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN,
		       "DONE has attributes");
	nlmsg_free(a);
	nlmsg_free(d);
	return ret;
}

/* --- session cache --- */

static int op_session_cache(void *arg)
{
	struct tlshd_session_cache *c;
	char key[64];
	void *data;
	size_t len;
	int i, ret = 0;

	c = tlshd_session_cache_new(4);
	if (!c)
		return -ENOMEM;
	/* Six keys into four places: two evictions on the way. */
	for (i = 0; i < 6 && !ret; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		ret = tlshd_session_cache_put(c, key, "ticketdata", 10, 100,
					      3600, i & 1);
	}
	if (!ret)
		tlshd_session_cache_set_sends_tickets(c, "key5", 1);
	if (!ret) {
		ret = tlshd_session_cache_get(c, "key5", 101, &data, &len);
		if (!ret) {
			CHECK_MSG(len == 10 && !memcmp(data, "ticketdata", 10),
			       "cached data");
			free(data);
		}
	}
	if (!ret) {
		ret = tlshd_session_cache_get(c, "key0", 101, &data, &len);
		CHECK_MSG(ret == -ENOENT, "key0 evicted: %d", ret);
		ret = ret == -ENOENT ? 0 : ret;
	}
	tlshd_session_cache_free(c);
	return ret;
}

/* --- PSK identity (in place; allocates nothing, but must not fail) --- */

static int op_psk_identity(void *arg)
{
	char described[] = "psk;0;0;3f010000;nfs-client.example";
	char *type, *identity;
	int ret;

	ret = ktls_keyring_split_description(described, &type, &identity);
	if (!ret)
		CHECK_MSG(!strcmp(type, "psk") &&
		       !strcmp(identity, "nfs-client.example"), "identity");
	return ret;
}

/* --- libktls configs --- */

static int op_ktls_client(void *arg)
{
	const struct test_cert *tc = arg;
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, KTLS_ROLE_CLIENT);
	if (ret)
		return ret;
	ret = ktls_config_set_trust_file(cfg, tc->trust_path);
	if (!ret)
		ret = ktls_config_set_versions(cfg, KTLS_VERSION_1_2,
					       KTLS_VERSION_1_3);
	if (!ret)
		ret = ktls_config_set_ciphers(cfg, KTLS_CIPHER_AES_128_GCM |
					      KTLS_CIPHER_AES_256_GCM);
	if (!ret)
		ktls_config_set_verify(cfg, KTLS_VERIFY_REQUIRED);
	ktls_config_put(cfg);
	return ret;
}

static int op_ktls_server(void *arg)
{
	const struct test_cert *tc = arg;
	const void *certs[1] = { tc->cert_der.data };
	size_t lens[1] = { tc->cert_der.size };
	static const unsigned char psk[32] = { 1, 2, 3 };
	unsigned char tkey[KTLS_TICKET_KEY_SIZE] = { 9 };
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, KTLS_ROLE_SERVER);
	if (ret)
		return ret;
	ret = ktls_config_set_cert_der(cfg, certs, lens, 1, tc->key_der.data,
				       tc->key_der.size);
	if (!ret)
		ret = ktls_config_add_psk(cfg, "client1", psk, sizeof(psk));
	if (!ret)
		ret = ktls_config_add_psk(cfg, "client2", psk, sizeof(psk));
	if (!ret)
		ret = ktls_config_set_ticket_key(cfg, tkey, sizeof(tkey));
	if (!ret)
		ktls_config_allow_rsa_kx(cfg, 1);
	if (!ret)
		ret = ktls_config_freeze(cfg);
	ktls_config_put(cfg);
	return ret;
}

/*
 * Leaks that are GnuTLS's own (3.8): on a failed allocation inside these
 * calls it drops what it had made so far; nothing the caller holds.
 */
static const char gnutls_leaks[] =
	"{\n gnutls-trust-mem-oom\n Memcheck:Leak\n"
	" match-leak-kinds: definite,indirect\n ...\n"
	" fun:gnutls_x509_trust_list_add_trust_mem\n ...\n}\n"
	"{\n gnutls-set-key-oom\n Memcheck:Leak\n"
	" match-leak-kinds: definite,indirect\n ...\n"
	" fun:gnutls_certificate_set_key\n ...\n}\n"
	"{\n gnutls-key-mem-oom\n Memcheck:Leak\n"
	" match-leak-kinds: definite,indirect\n ...\n"
	" fun:gnutls_certificate_set_x509_key_mem2\n ...\n}\n";

/* Server credentials from PEM files (paths in arg: cert, key). */
static int op_ktls_cert_files(void *arg)
{
	char **files = arg;
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, KTLS_ROLE_SERVER);
	if (ret)
		return ret;
	ret = ktls_config_set_cert_files(cfg, files[0], files[1]);
	ktls_config_put(cfg);
	return ret;
}

/* The key of tc as a PEM file, for set_cert_files. */
static int write_key_pem(const struct test_cert *tc, char *path)
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t pem = { NULL, 0 };
	int fd, ret = -1;

	if (gnutls_x509_privkey_init(&key) < 0)
		return -1;
	if (gnutls_x509_privkey_import(key, &tc->key_der,
				       GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem) == 0) {
		fd = mkstemp(path);
		if (fd >= 0) {
			if (write(fd, pem.data, pem.size) == (ssize_t)pem.size)
				ret = 0;
			close(fd);
		}
	}
	gnutls_free(pem.data);
	gnutls_x509_privkey_deinit(key);
	return ret;
}

/* Not preloaded yet: run again with the allocator, under valgrind. */
static int reexec(char **argv)
{
	char exe[PATH_MAX], so[PATH_MAX + 32], pre[2 * PATH_MAX];
	const char *old = getenv("LD_PRELOAD");
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		perror("alloc_fail: /proc/self/exe");
		return 2;
	}
	exe[n] = '\0';
	strcpy(so, exe);
	slash = strrchr(so, '/');
	*slash = '\0';
	strcat(so, "/../lib/failmalloc.so");
	if (access(so, R_OK)) {
		printf("alloc_fail: %s missing (make builds it)\n", so);
		return 1;
	}
	snprintf(pre, sizeof(pre), "%s%s%s", so, old ? ":" : "",
		 old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	if (!getenv("FAILMALLOC_SKIP"))
		setenv("FAILMALLOC_SKIP", "libtasn1.so:libgmp.so:libnettle.so:libhogweed.so", 1);
	if (getenv("ALLOC_FAIL_NO_VALGRIND")) {
		execv(exe, argv);
	} else {
		/* nouserintercepts: valgrind must leave our malloc alone
		 * and replace only libc's, which ours calls. */
		char supp[] = "/tmp/alloc_fail.supp.XXXXXX";
		char suppopt[64];
		char *vg[] = {
			"valgrind", "-q",
			"--soname-synonyms=somalloc=nouserintercepts",
			"--leak-check=full",
			"--errors-for-leak-kinds=definite,indirect",
			"--error-exitcode=3", suppopt, exe, NULL
		};
		int fd = mkstemp(supp);

		if (fd < 0 || write(fd, gnutls_leaks, sizeof(gnutls_leaks) - 1) !=
			      (ssize_t)sizeof(gnutls_leaks) - 1) {
			perror("alloc_fail: suppressions");
			return 2;
		}
		close(fd);
		snprintf(suppopt, sizeof(suppopt), "--suppressions=%s", supp);
		/* The child removes it once valgrind has read it. */
		setenv("ALLOC_FAIL_SUPP", supp, 1);
		execvp("valgrind", vg);
		printf("alloc_fail: valgrind not found (scripts/deps.sh installs it)\n");
		return 1;
	}
	perror("alloc_fail: exec");
	return 2;
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/alloc_fail.XXXXXX";
	char keypath[] = "/tmp/alloc_fail.key.XXXXXX";
	char *files[2];
	struct tlshd_config warm;
	struct ktls_config *kc;
	struct test_cert tc;
	struct nl_msg *msg;
	struct nlattr *nest;
	FILE *f;
	int fd;

	fm_arm = (void (*)(unsigned long))dlsym(RTLD_DEFAULT, "failmalloc_arm");
	fm_failed = (int (*)(void))dlsym(RTLD_DEFAULT, "failmalloc_failed");
	fm_failed_in = (const char *(*)(void))dlsym(RTLD_DEFAULT,
						    "failmalloc_failed_in");
	if (!fm_arm || !fm_failed || !fm_failed_in)
		return reexec(argv);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (getenv("ALLOC_FAIL_SUPP"))
		unlink(getenv("ALLOC_FAIL_SUPP"));

	/* One-time set-up outside the armed region: GnuTLS, libnl. */
	test_cert_make(&tc);
	if (ktls_config_new(&kc, KTLS_ROLE_CLIENT) == 0)
		ktls_config_put(kc);
	tlshd_config_init(&warm);
	tlshd_config_free(&warm);

	fd = mkstemp(path);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f || fputs(config_text, f) < 0 || fclose(f)) {
		perror("alloc_fail: temporary config");
		return 2;
	}

	if (write_key_pem(&tc, keypath)) {
		printf("alloc_fail: cannot write the key file\n");
		return 2;
	}
	files[0] = tc.trust_path;	/* the self-signed certificate */
	files[1] = keypath;

	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, 0, 1, 0x1d, 0, 0, HANDSHAKE_CMD_ACCEPT,
				 HANDSHAKE_FAMILY_VERSION)) {
		printf("alloc_fail: out of memory\n");
		return 2;
	}
	nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, 12);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,
		    HANDSHAKE_MSG_TYPE_CLIENTHELLO);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, HANDSHAKE_AUTH_X509);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 101);
	nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 102);
	nest = nla_nest_start(msg, HANDSHAKE_A_ACCEPT_CERTIFICATE);
	nla_put_s32(msg, HANDSHAKE_A_X509_CERT, 555);
	nla_put_s32(msg, HANDSHAKE_A_X509_PRIVKEY, 556);
	nla_nest_end(msg, nest);
	nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, "server.example.org");

	drive("tlshd_config_parse", op_config_parse, NULL);
	drive("tlshd_config_load", op_config_load, path);
	drive("tlshd_msg_parse_accept", op_msg_parse, msg);
	drive("tlshd_msg_accept_request+done", op_msg_build, NULL);
	drive("tlshd_session_cache", op_session_cache, NULL);
	drive("ktls_keyring_split_description", op_psk_identity, NULL);
	drive("ktls_config client", op_ktls_client, &tc);
	drive("ktls_config server", op_ktls_server, &tc);
	drive("ktls_config_set_cert_files", op_ktls_cert_files, files);

	nlmsg_free(msg);
	unlink(path);
	unlink(keypath);
	test_cert_free(&tc);
	if (failures) {
		printf("alloc_fail: %d failures\n", failures);
		return 1;
	}
	printf("alloc_fail: all failure points handled\n");
	return 0;
}
