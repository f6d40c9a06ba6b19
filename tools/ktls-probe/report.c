// SPDX-License-Identifier: GPL-2.0-or-later
/* The report, for people (aligned text) or for programs (--json). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ktls.h"
#include "probe.h"

static void report_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "unknown");
}

static void report_kernel_ciphers(unsigned int mask, char *buf, size_t len)
{
	unsigned int bit;
	size_t pos = 0;

	buf[0] = 0;
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1)
		if ((mask & bit) && pos < len)
			pos += snprintf(buf + pos, len - pos, "%s%s",
					pos ? " " : "", ktls_cipher_name(bit));
}

/* ---- text ---- */

static void text_offer(const char *what, const struct probe_hs *hs)
{
	if (!hs->tried)
		printf("%-17s not tried\n", what);
	else if (hs->ok)
		printf("%-17s ACCEPTED (%s, %s, %s)\n", what, hs->version,
		       hs->kx, hs->cipher);
	else
		printf("%-17s refused (%s)\n", what, hs->error);
}

static void text_certs(const struct probe_report *r)
{
	char nb[32], na[32];
	unsigned int i;

	for (i = 0; i < r->ncerts; i++) {
		const struct probe_cert *c = &r->certs[i];

		report_time(c->not_before, nb, sizeof(nb));
		report_time(c->not_after, na, sizeof(na));
		printf("certificate %-5u subject %s\n", i, c->subject);
		printf("%-17s issuer  %s\n", "", c->issuer);
		printf("%-17s valid   %s .. %s%s%s\n", "", nb, na,
		       c->expired ? "  EXPIRED" : "",
		       c->not_yet_valid ? "  not yet valid" : "");
	}
	if (r->total_certs > r->ncerts)
		printf("%-17s (%u more not shown)\n", "",
		       r->total_certs - r->ncerts);
	printf("%-17s %s for %s: %s\n", "verification",
	       r->trusted ? "trusted" : "NOT trusted", r->verify_name,
	       r->verify_status);
}

static void text_session(const struct probe_report *r)
{
	const struct probe_hs *hs = &r->modern;

	printf("%-17s %s\n", "version", hs->version);
	printf("%-17s %s (MAC %s)\n", "cipher", hs->cipher, hs->mac);
	printf("%-17s %s\n", "key exchange", hs->kx);
	printf("%-17s %s\n", "group", hs->group[0] ? hs->group : "none");
	printf("%-17s %s\n", "signature", hs->sigalg[0] ? hs->sigalg : "none");
	text_certs(r);
	printf("%-17s %s\n", "session ticket", r->ticket ? "yes" : "no");
	if (r->resume.ok)
		printf("%-17s %s\n", "resumption", r->resumed ? "yes" : "no");
	else
		printf("%-17s failed (%s)\n", "resumption", r->resume.error);
}

void probe_print_text(const struct probe_opts *o, const struct probe_report *r)
{
	char kc[96];

	printf("%-17s %s port %s (%s), SNI %s\n", "target", o->host, o->port,
	       r->address[0] ? r->address : "not connected",
	       r->sni ? r->sni : "none");
	if (r->modern.ok)
		text_session(r);
	else
		printf("%-17s FAILED (%s)\n", "handshake", r->modern.error);
	report_kernel_ciphers(r->kernel_ciphers, kc, sizeof(kc));
	printf("%-17s %s\n", "kernel kTLS", kc[0] ? kc : "none");
	if (r->offloadable)
		printf("%-17s yes\n", "kTLS offload");
	else
		printf("%-17s no (%s)\n", "kTLS offload", r->offload_reason);
	text_offer("TLS 1.0/1.1 offer", &r->legacy);
	text_offer("RSA kx offer", &r->rsa_kx);
	if (r->tlshd_accepts)
		printf("%-17s yes\n", "tlshd accepts");
	else
		printf("%-17s no (%s)\n", "tlshd accepts", r->tlshd_reason);
}

/* ---- JSON ---- */

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_field(const char *key, const char *val, int last)
{
	printf("\"%s\":", key);
	if (val && *val)
		json_str(val);
	else
		printf("null");
	printf(last ? "" : ",");
}

static void json_bool(const char *key, int val, int last)
{
	printf("\"%s\":%s%s", key, val ? "true" : "false", last ? "" : ",");
}

static void json_hs(const char *key, const struct probe_hs *hs, int last)
{
	printf("\"%s\":{", key);
	json_bool("tried", hs->tried, 0);
	json_bool("accepted", hs->ok, 0);
	json_field("error", hs->ok ? NULL : hs->error, 0);
	json_field("version", hs->version, 0);
	json_field("cipher", hs->cipher, 0);
	json_field("mac", hs->mac, 0);
	json_field("kx", hs->kx, 0);
	json_field("group", hs->group, 0);
	json_field("signature", hs->sigalg, 1);
	printf("}%s", last ? "" : ",");
}

static void json_certs(const struct probe_report *r)
{
	char nb[32], na[32];
	unsigned int i;

	printf("\"certificates\":[");
	for (i = 0; i < r->ncerts; i++) {
		const struct probe_cert *c = &r->certs[i];

		report_time(c->not_before, nb, sizeof(nb));
		report_time(c->not_after, na, sizeof(na));
		printf("%s{", i ? "," : "");
		json_field("subject", c->subject, 0);
		json_field("issuer", c->issuer, 0);
		json_field("not_before", nb, 0);
		json_field("not_after", na, 0);
		json_bool("expired", c->expired, 0);
		json_bool("not_yet_valid", c->not_yet_valid, 1);
		printf("}");
	}
	printf("],\"chain_length\":%u,", r->total_certs);
	printf("\"verification\":{");
	json_bool("trusted", r->trusted, 0);
	json_field("name", r->verify_name, 0);
	json_field("status", r->verify_status, 1);
	printf("},");
}

static void json_ktls(const struct probe_report *r)
{
	unsigned int bit;
	int first = 1;

	printf("\"ktls\":{\"kernel_ciphers\":[");
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1) {
		if (!(r->kernel_ciphers & bit))
			continue;
		printf("%s", first ? "" : ",");
		json_str(ktls_cipher_name(bit));
		first = 0;
	}
	printf("],");
	json_bool("tried", r->offload_tried, 0);
	json_bool("offloadable", r->offloadable, 0);
	json_field("reason", r->offloadable ? NULL : r->offload_reason, 1);
	printf("},");
}

void probe_print_json(const struct probe_opts *o, const struct probe_report *r)
{
	printf("{\"target\":{");
	json_field("host", o->host, 0);
	json_field("port", o->port, 0);
	json_field("address", r->address, 0);
	json_field("sni", r->sni, 1);
	printf("},");
	json_hs("handshake", &r->modern, 0);
	json_certs(r);
	json_bool("session_ticket", r->ticket, 0);
	printf("\"resumption\":{");
	json_bool("tried", r->resume.tried, 0);
	json_bool("resumed", r->resumed, 0);
	json_field("error", r->resume.ok ? NULL : r->resume.error, 1);
	printf("},");
	json_ktls(r);
	printf("\"old_protocols\":{");
	json_hs("tls1_0_1_1", &r->legacy, 0);
	json_hs("rsa_kx_tls1_2", &r->rsa_kx, 1);
	printf("},\"tlshd\":{");
	json_bool("accepts", r->tlshd_accepts, 0);
	json_field("reason", r->tlshd_accepts ? NULL : r->tlshd_reason, 1);
	printf("}}\n");
}
