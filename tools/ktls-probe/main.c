// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-probe HOST:PORT: what a TLS server negotiates with a modern client
 * (version, cipher, group, signature, certificate chain, tickets and
 * resumption), whether this kernel's kTLS could carry that session, and
 * whether the server still accepts TLS 1.0/1.1 or RSA key exchange.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "../version.h"

/* Old offers: what a server switching old protocols off must refuse. */
#define PROBE_LEGACY "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:" \
		     "+SHA1:+AES-128-CBC:+AES-256-CBC:+RSA:+DHE-RSA:" \
		     "%VERIFY_ALLOW_SIGN_WITH_SHA1"
#define PROBE_RSA_KX "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktls-probe [options] HOST[:PORT]\n"
		"  --sni NAME     server name to send and verify (default: HOST)\n"
		"  --ca FILE      PEM trust anchors (default: the system store)\n"
		"  --json         one JSON object instead of text\n"
		"  --timeout S    per connection and handshake (default 10)\n"
		"  --help, --version\n"
		"PORT defaults to 443; write [ADDR]:PORT for IPv6.\n");
}

/* HOST:PORT, [V6]:PORT, HOST (port 443). */
static int parse_target(const char *arg, struct probe_opts *o)
{
	const char *host = arg, *port = "443", *colon;
	size_t hlen;

	if (arg[0] == '[') {
		colon = strchr(arg, ']');
		if (!colon || (colon[1] && colon[1] != ':'))
			return -1;
		host = arg + 1;
		hlen = colon - host;
		if (colon[1])
			port = colon + 2;
	} else {
		colon = strrchr(arg, ':');
		if (colon && strchr(arg, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - arg) : strlen(arg);
		if (colon)
			port = colon + 1;
	}
	if (!hlen || hlen >= sizeof(o->host) || !*port ||
	    strlen(port) >= sizeof(o->port) ||
	    strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535)
		return -1;
	memcpy(o->host, host, hlen);
	o->host[hlen] = 0;
	strcpy(o->port, port);
	return 0;
}

static int parse_timeout(const char *s, unsigned int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 3600)
		return -1;
	*ms = (unsigned int)(v * 1000);
	return *ms ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct probe_opts *o)
{
	enum { O_SNI = 256, O_CA, O_JSON, O_TIMEOUT, O_HELP, O_VERSION };
	static const struct option longopts[] = {
		{ "sni", required_argument, NULL, O_SNI },
		{ "ca", required_argument, NULL, O_CA },
		{ "json", no_argument, NULL, O_JSON },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	o->timeout_ms = 10000;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_SNI: o->sni = optarg; break;
		case O_CA: o->ca = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_TIMEOUT:
			if (parse_timeout(optarg, &o->timeout_ms)) {
				fprintf(stderr, "ktls-probe: bad --timeout %s\n",
					optarg);
				return -1;
			}
			break;
		case O_HELP: usage(stdout); exit(0);
		case O_VERSION: ktls_tools_print_version("ktls-probe"); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	if (parse_target(argv[optind], o)) {
		fprintf(stderr, "ktls-probe: bad target \"%s\" (HOST:PORT)\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

static int probe_exit_code(int ret, const struct probe_report *r)
{
	if (ret)
		return ret;
	if (!r->trusted)
		return PROBE_EXIT_UNTRUSTED;
	return r->tlshd_accepts ? PROBE_EXIT_OK : PROBE_EXIT_TLSHD;
}

int main(int argc, char **argv)
{
	static struct probe_report r;
	struct probe_opts o = { 0 };
	int ret;

	if (parse_opts(argc, argv, &o))
		return PROBE_EXIT_USAGE;
	if (gnutls_global_init() < 0) {
		fprintf(stderr, "ktls-probe: GnuTLS initialisation failed\n");
		return PROBE_EXIT_INTERNAL;
	}
	ret = probe_modern(&o, &r);
	if (ret == PROBE_EXIT_CONNECT || ret == PROBE_EXIT_INTERNAL) {
		fprintf(stderr, "ktls-probe: %s\n", r.modern.error);
		goto out;
	}
	probe_offload(&o, &r);
	probe_offer(&o, PROBE_LEGACY, &r.legacy);
	probe_offer(&o, PROBE_RSA_KX, &r.rsa_kx);
	probe_tlshd_verdict(&r);
	if (o.json)
		probe_print_json(&o, &r);
	else
		probe_print_text(&o, &r);
out:
	gnutls_global_deinit();
	return probe_exit_code(ret, &r);
}
