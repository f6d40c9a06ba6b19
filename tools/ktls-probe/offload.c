// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Could the session the server chose be handed to this kernel's kTLS?
 * First what rules it out on its face (old version, a cipher kTLS has no
 * form for); otherwise a real try: libktls redoes the handshake restricted
 * to the same version, cipher and key exchange, then ktls_session_offload()
 * installs the keys. Its error is the answer when it fails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ktls.h"
#include "probe.h"

/* A reason that needs no connection, or NULL. */
static int offload_ruled_out(const struct probe_report *r, char *buf,
			     size_t len)
{
	const struct probe_hs *hs = &r->modern;

	if (!hs->ok) {
		snprintf(buf, len, "no session to offload: the handshake failed");
		return 1;
	}
	if (!hs->tls_version) {
		snprintf(buf, len, "%s: kTLS takes only TLS 1.2 and 1.3",
			 hs->version);
		return 1;
	}
	if (!hs->ktls_cipher) {
		snprintf(buf, len,
			 "cipher %s has no kTLS form (AES-GCM, AES-128-CCM, ChaCha20-Poly1305 only)",
			 hs->cipher);
		return 1;
	}
	return 0;
}

static int offload_config(const struct probe_report *r, struct ktls_config **cfg)
{
	const struct probe_hs *hs = &r->modern;
	uint16_t v = hs->tls_version;
	int ret;

	ret = ktls_config_new(cfg, KTLS_ROLE_CLIENT);
	if (ret)
		return ret;
	/* The chain was judged already; here only the record layer matters. */
	ktls_config_set_verify(*cfg, KTLS_VERIFY_NONE);
	ktls_config_allow_rsa_kx(*cfg, !strcmp(hs->kx, "RSA"));
	ret = ktls_config_set_versions(*cfg, v, v);
	if (!ret)
		ret = ktls_config_set_ciphers(*cfg, hs->ktls_cipher);
	return ret;
}

static void offload_try(const struct probe_opts *o, struct probe_report *r,
			struct ktls_config *cfg)
{
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.peername = o->sni ? o->sni : o->host,
		.no_name_check = 1,
		.timeout_ms = o->timeout_ms);
	struct ktls_session *s = NULL;
	char addr[64];
	int fd, ret;

	fd = probe_connect(o, addr, sizeof(addr), r->offload_reason,
			   sizeof(r->offload_reason));
	if (fd < 0)
		return;
	r->offload_tried = 1;
	ret = ktls_session_new(&s, cfg, fd, &so);
	if (ret) {
		snprintf(r->offload_reason, sizeof(r->offload_reason),
			 "libktls: %s", strerror(-ret));
		goto out;
	}
	ret = ktls_session_handshake(s);
	if (!ret)
		ret = ktls_session_offload(s);
	if (ret) {
		snprintf(r->offload_reason, sizeof(r->offload_reason), "%s (%s)",
			 ktls_session_error(s), strerror(-ret));
		goto out;
	}
	r->offloadable = 1;
	ktls_close_notify(fd);
out:
	ktls_session_free(s);
	close(fd);
}

void probe_offload(const struct probe_opts *o, struct probe_report *r)
{
	struct ktls_config *cfg = NULL;
	int ret;

	r->kernel_ciphers = ktls_kernel_ciphers();
	if (offload_ruled_out(r, r->offload_reason, sizeof(r->offload_reason)))
		return;
	ret = offload_config(r, &cfg);
	if (ret)
		snprintf(r->offload_reason, sizeof(r->offload_reason),
			 "libktls configuration: %s", strerror(-ret));
	else
		offload_try(o, r, cfg);
	ktls_config_put(cfg);
}
