// SPDX-License-Identifier: GPL-2.0-or-later
/* Choosing one request's credentials (see creds_choice.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>
#include <ktls.h>
#include <linux/handshake.h>

#include "config.h"
#include "creds.h"
#include "creds_choice.h"
#include "log.h"
#include "msg.h"

/* Server PSK: cap on the keys one request gathers from its keyrings. */
#define TLSHD_MAX_SERVER_PSKS 64

__attribute__((format(printf, 4, 5)))
static int tlshd_creds_refuse(int status, char *cause, size_t causelen,
			      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, causelen, fmt, ap);
	va_end(ap);
	return status;
}

/*
 * A PSK client offers the first of the kernel's peer identities whose key
 * we can read: the key's description is the PSK identity, its payload the
 * PSK. GnuTLS offers one identity per ClientHello.
 */
static int tlshd_creds_client_psk(const struct tlshd_request *req,
				  struct tlshd_creds_choice *ch, char *cause,
				  size_t causelen)
{
	char causes[160] = "";
	size_t pos = 0;
	unsigned int i;
	int ret;

	if (!req->npeerids)
		return tlshd_creds_refuse(ENOKEY, cause, causelen,
					  "PSK handshake requested without a peer identity");
	for (i = 0; i < req->npeerids; i++) {
		uint32_t id = req->peerids[i];

		ret = ktls_keyring_psk(id, &ch->psk_identity, &ch->psk_key,
				       &ch->psk_len);
		if (!ret) {
			ch->psk_serial = id;
			return 0;
		}
		if (pos < sizeof(causes))
			pos += snprintf(causes + pos, sizeof(causes) - pos,
					"%skey %u: %s", pos ? ", " : "", id,
					strerror(-ret));
	}
	return tlshd_creds_refuse(ENOKEY, cause, causelen,
				  "no usable PSK: %s", causes);
}

static int tlshd_creds_add_psk(int32_t serial, const char *identity,
			       const void *key, size_t len, void *arg)
{
	struct tlshd_creds_choice *ch = arg;
	struct tlshd_psk_ref *ref;
	unsigned int i;
	int ret;

	for (i = 0; i < ch->npsks; i++)
		if (ch->psks[i].serial == (uint32_t)serial ||
		    !strcmp(ch->psks[i].identity, identity))
			return 0;	/* reachable twice, or shadowed */
	if (ch->npsks == TLSHD_MAX_SERVER_PSKS)
		return 0;
	ref = realloc(ch->psks, (ch->npsks + 1) * sizeof(*ref));
	if (!ref)
		return -ENOMEM;
	ch->psks = ref;
	ref[ch->npsks].identity = strdup(identity);
	if (!ref[ch->npsks].identity)
		return -ENOMEM;
	ret = ktls_config_add_psk(ch->owned, identity, key, len);
	if (ret) {
		free(ref[ch->npsks].identity);
		if (ret == -ENOMEM)
			return ret;
		tlshd_debug("PSK key %u ('%s') skipped: %s", serial, identity,
			    strerror(-ret));
		return 0;
	}
	ref[ch->npsks++].serial = serial;
	return 0;
}

/* The keys the request names by serial. */
static int tlshd_creds_add_named_psks(const struct tlshd_request *req,
				      struct tlshd_creds_choice *ch)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < req->npeerids && !ret; i++) {
		char *identity;
		void *key;
		size_t len;

		if (ktls_keyring_psk(req->peerids[i], &identity, &key, &len))
			continue;
		ret = tlshd_creds_add_psk(req->peerids[i], identity, key, len,
					  ch);
		ktls_keyring_psk_free(identity, key, len);
	}
	return ret;
}

/*
 * A PSK server can't know the client's identity before its hello, so it
 * offers every "psk" key of the request's keyring and the configured
 * keyrings, plus the keys the request names (as ktls-utils does, the
 * description is the identity).
 */
static int tlshd_creds_server_psk(const struct tlshd_creds *creds,
				  const struct tlshd_request *req,
				  struct tlshd_creds_choice *ch, char *cause,
				  size_t causelen)
{
	unsigned int i;
	int ret;

	/* With the [tlshd] policy (versions, ciphers) of the other configs. */
	ret = tlshd_creds_config_new(creds, 1, &ch->owned, cause, causelen);
	if (ret)
		return EIO;
	ret = tlshd_creds_add_named_psks(req, ch);
	/*
	 * Newer kernels name the request's keyring in ACCEPT; 6.12 links it
	 * into our process keyring instead.
	 */
	if (!ret && req->keyring)
		ret = ktls_keyring_for_each_psk(req->keyring,
						tlshd_creds_add_psk, ch);
	if (ret != -ENOMEM)
		ret = ktls_keyring_for_each_psk(KEY_SPEC_PROCESS_KEYRING,
						tlshd_creds_add_psk, ch);
	for (i = 0; i < creds->nkeyrings && ret != -ENOMEM; i++)
		ret = ktls_keyring_for_each_psk(creds->keyrings[i],
						tlshd_creds_add_psk, ch);
	if (ret == -ENOMEM)
		return tlshd_creds_refuse(EIO, cause, causelen,
					  "gathering PSKs: %s", strerror(-ret));
	tlshd_debug("fd %d: offering %u PSK identities", req->sockfd, ch->npsks);
	if (!ch->npsks)
		return tlshd_creds_refuse(ENOKEY, cause, causelen,
					  "no PSK for a server handshake: no readable \"psk\" key in the request's keyring%s, our process keyring or [authenticate] keyrings",
					  req->npeerids ? ", its peer identities" : "");
	ch->kc = ch->owned;
	return 0;
}

static int tlshd_creds_x509(const struct tlshd_creds *creds,
			    const struct tlshd_request *req, int server,
			    struct tlshd_creds_choice *ch, char *cause,
			    size_t causelen)
{
	const char *side = server ? "server" : "client";
	const char *err = server ? creds->server_x509_err :
				   creds->client_x509_err;
	int ret;

	if (req->cert_serial && req->privkey_serial) {
		ret = tlshd_creds_from_keys(creds, server, req->cert_serial,
					    req->privkey_serial, &ch->owned,
					    cause, causelen);
		if (ret)
			return -ret;
		ch->kc = ch->owned;
		return 0;
	}
	ch->kc = server ? creds->server_x509 : creds->client_x509;
	if (ch->kc)
		return 0;
	if (err[0])
		return tlshd_creds_refuse(ENOKEY, cause, causelen, "%s", err);
	return tlshd_creds_refuse(ENOKEY, cause, causelen,
				  "x509 authentication requested, but no %s certificate is configured ([authenticate.%s] x509.certificate)",
				  side, side);
}

int tlshd_creds_choose(const struct tlshd_creds *creds,
		       const struct tlshd_request *req,
		       struct tlshd_creds_choice *ch, char *cause,
		       size_t causelen)
{
	int server = req->message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO;
	int ret;

	memset(ch, 0, sizeof(*ch));
	switch (req->auth_mode) {
	case HANDSHAKE_AUTH_UNAUTH:
		if (server)
			return tlshd_creds_refuse(EINVAL, cause, causelen,
						  "a server handshake needs x509 or PSK authentication");
		ch->kc = creds->client_anon;
		if (!ch->kc)
			return tlshd_creds_refuse(ENOKEY, cause, causelen,
						  "%s", creds->client_anon_err);
		return 0;
	case HANDSHAKE_AUTH_X509:
		return tlshd_creds_x509(creds, req, server, ch, cause, causelen);
	case HANDSHAKE_AUTH_PSK:
		if (server)
			return tlshd_creds_server_psk(creds, req, ch, cause,
						      causelen);
		ret = tlshd_creds_client_psk(req, ch, cause, causelen);
		if (ret)
			return ret;
		ch->kc = creds->client_anon;
		if (ch->kc)
			return 0;
		/* A PSK needs no trust store: the policy alone will do. */
		ret = tlshd_creds_config_new(creds, 0, &ch->owned, cause,
					     causelen);
		if (ret)
			return -ret;
		ch->kc = ch->owned;
		return 0;
	default:
		return tlshd_creds_refuse(EINVAL, cause, causelen,
					  "unknown authentication mode %u",
					  req->auth_mode);
	}
}

uint32_t tlshd_creds_choice_psk_serial(const struct tlshd_creds_choice *ch,
				       const char *identity)
{
	unsigned int i;

	for (i = 0; i < ch->npsks; i++)
		if (!strcmp(ch->psks[i].identity, identity))
			return ch->psks[i].serial;
	return 0;
}

void tlshd_creds_choice_drop_psk(struct tlshd_creds_choice *ch)
{
	ktls_keyring_psk_free(ch->psk_identity, ch->psk_key, ch->psk_len);
	ch->psk_identity = NULL;
	ch->psk_key = NULL;
	ch->psk_len = 0;
}

void tlshd_creds_choice_release(struct tlshd_creds_choice *ch)
{
	tlshd_creds_choice_drop_psk(ch);
	ktls_config_put(ch->owned);
	ch->owned = NULL;
	ch->kc = NULL;
	while (ch->npsks)
		free(ch->psks[--ch->npsks].identity);
	free(ch->psks);
	ch->psks = NULL;
}
