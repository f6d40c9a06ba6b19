// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One handshake on one connected socket: set up a GnuTLS session from a
 * config, drive it (blocking or not), and describe the result.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <gnutls/x509.h>

#include "ktls-internal.h"

static int session_is_ip(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

static int session_setup_client(struct ktls_session *s,
				const struct ktls_session_opts *opts)
{
	struct ktls_config *cfg = s->cfg;
	gnutls_datum_t id, key;
	void *kdata = NULL;
	size_t klen = 0;
	int ret = 0;

	if (opts->psk_identity) {
		if (!opts->psk_key || !opts->psk_key_len)
			return -EINVAL;
		s->psk_identity = strdup(opts->psk_identity);
		if (!s->psk_identity)
			return -ENOMEM;
		key.data = (void *)opts->psk_key;
		key.size = opts->psk_key_len;
	} else if (opts->psk_key_serial) {
		ret = ktls_keyring_psk(opts->psk_key_serial, &s->psk_identity,
				       &kdata, &klen);
		if (ret)
			return ret;
		key.data = kdata;
		key.size = klen;
	}
	if (s->psk_identity) {
		id.data = (void *)s->psk_identity;
		id.size = strlen(s->psk_identity);
		if (gnutls_psk_allocate_client_credentials(&s->psk_client) < 0)
			ret = -ENOMEM;
		else
			ret = gnutls_psk_set_client_credentials2(s->psk_client,
								 &id, &key,
							 GNUTLS_PSK_KEY_RAW);
		/* GnuTLS keeps its own copy. */
		ktls_keyring_psk_free(NULL, kdata, klen);
		if (!s->psk_client)
			return -ENOMEM;
		if (ret < 0)
			return ktls_errno_from_gnutls(ret);
		if (gnutls_credentials_set(s->gs, GNUTLS_CRD_PSK,
					   s->psk_client) < 0 ||
		    gnutls_priority_set(s->gs, cfg->prio_psk) < 0)
			return -EIO;
		return ktls_resume_setup_client(s, opts);
	}

	if (gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, cfg->x509) < 0 ||
	    gnutls_priority_set(s->gs, cfg->prio_cert) < 0)
		return -EIO;
	ktls_resume_setup_client(s, opts);
	if (s->peername && !session_is_ip(s->peername) &&
	    gnutls_server_name_set(s->gs, GNUTLS_NAME_DNS, s->peername,
				   strlen(s->peername)) < 0)
		return -EINVAL;
	if (cfg->verify != KTLS_VERIFY_NONE)
		gnutls_session_set_verify_cert(s->gs,
					       s->no_name_check ? NULL :
								  s->peername,
					       0);
	return 0;
}

/*
 * GnuTLS's built-in check fails a client that sends no certificate even
 * when one was only requested (a kernel NFS client with xprtsec=tls does
 * exactly that), so an optional certificate is verified only if present.
 */
static int session_verify_optional(gnutls_session_t gs)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);
	unsigned int n = 0, status = 0;

	if (!gnutls_certificate_get_peers(gs, &n) || !n)
		return 0;
	if (gnutls_certificate_verify_peers2(gs, &status) < 0)
		return GNUTLS_E_CERTIFICATE_ERROR;
	s->have_verify_status = 1;
	s->verify_status = status;
	return status ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

static int session_setup_server(struct ktls_session *s,
				const struct ktls_session_opts *opts)
{
	struct ktls_config *cfg = s->cfg;

	if (!cfg->have_cert && !cfg->psks)
		return -ENOKEY;
	if (cfg->have_cert &&
	    gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, cfg->x509) < 0)
		return -EIO;
	if (cfg->psks &&
	    gnutls_credentials_set(s->gs, GNUTLS_CRD_PSK, cfg->psk_server) < 0)
		return -EIO;
	if (gnutls_priority_set(s->gs, cfg->have_cert ? cfg->prio_cert :
							 cfg->prio_psk) < 0)
		return -EIO;
	if (cfg->verify != KTLS_VERIFY_NONE) {
		gnutls_certificate_server_set_request(
			s->gs, cfg->verify == KTLS_VERIFY_REQUIRED ?
				       GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
		if (cfg->verify == KTLS_VERIFY_REQUIRED)
			gnutls_session_set_verify_cert(s->gs, NULL, 0);
		else
			gnutls_session_set_verify_function(
				s->gs, session_verify_optional);
	}
	return ktls_resume_setup_server(s, opts);
}

/* GnuTLS sessions made by ktls_session_new() and not yet freed. */
static unsigned long session_count;

KTLS_EXPORT unsigned long ktls_session_count(void)
{
	return __atomic_load_n(&session_count, __ATOMIC_RELAXED);
}

KTLS_EXPORT int ktls_session_new(struct ktls_session **out,
				 struct ktls_config *cfg, int fd,
				 const struct ktls_session_opts *opts)
{
	struct ktls_session_opts known;
	struct ktls_session *s;
	int ret;

	*out = NULL;
	ktls_session_new_fail(0, "%s", "");	/* no stale cause */
	if (!cfg || fd < 0)
		return -EINVAL;
	/* NULL opts: all defaults. A caller's older struct: zero-extended. */
	ret = ktls_struct_in(&known, sizeof(known), opts);
	if (ret)
		return ktls_session_new_fail(ret, ret == -E2BIG ?
			"ktls_session_opts.size %zu: this libktls knows %zu bytes and the rest is not zero" :
			"ktls_session_opts.size %zu is below %zu: set it with KTLS_SESSION_OPTS_INIT()",
			opts->size, ret == -E2BIG ? sizeof(known) : sizeof(size_t));
	opts = &known;
	ret = ktls_config_freeze(cfg);
	if (ret)
		return ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = ktls_config_get(cfg);
	s->fd = fd;
	s->nonblock = -1;
	s->dontwait = opts->dontwait != 0;
	pthread_mutex_init(&s->ku_lock, NULL);
	s->timeout_ms = opts->timeout_ms;
	if (opts->timeout_ms)
		s->deadline_ms = ktls_now_ms() + opts->timeout_ms;
	s->no_name_check = opts->no_name_check;
	if (opts->peername) {
		s->peername = strdup(opts->peername);
		if (!s->peername) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	ret = gnutls_init(&s->gs, cfg->role == KTLS_ROLE_CLIENT ? GNUTLS_CLIENT :
				  GNUTLS_SERVER | (opts->no_tickets ?
						   GNUTLS_NO_TICKETS : 0));
	if (ret < 0) {
		s->gs = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	__atomic_add_fetch(&session_count, 1, __ATOMIC_RELAXED);
	gnutls_session_set_ptr(s->gs, s);
	ret = cfg->role == KTLS_ROLE_CLIENT ? session_setup_client(s, opts) :
					      session_setup_server(s, opts);
	if (ret)
		goto fail;
	gnutls_handshake_set_timeout(s->gs, opts->timeout_ms ?
						    opts->timeout_ms :
						    GNUTLS_INDEFINITE_TIMEOUT);
	ret = ktls_record_limit_setup(s);
	if (ret)
		goto fail;
	ktls_transport_setup(s);
	ktls_hooks_install(s);
	ktls_key_update_setup(s);
	*out = s;
	return 0;
fail:
	ktls_session_free(s);
	return ret;
}

KTLS_EXPORT void ktls_session_free(struct ktls_session *s)
{
	if (!s)
		return;
	if (s->gs) {
		gnutls_deinit(s->gs);	/* wipes GnuTLS's own key copies */
		__atomic_sub_fetch(&session_count, 1, __ATOMIC_RELAXED);
	}
	ktls_key_update_wipe(s);
	if (s->psk_client)
		gnutls_psk_free_client_credentials(s->psk_client);
	if (s->pending) {
		gnutls_memset(s->pending, 0, s->pending_len);
		free(s->pending);
	}
	free(s->peek);
	free(s->psk_identity);
	free(s->peername);
	pthread_mutex_destroy(&s->ku_lock);
	ktls_config_put(s->cfg);
	free(s);
}

static int session_check_ciphers(struct ktls_session *s)
{
	struct ktls_config *cfg = s->cfg;
	unsigned int bit;
	char names[96] = "";
	size_t pos = 0;

	if (cfg->offered)
		return 0;
	if (!ktls_kernel_ciphers())
		return ktls_session_fail(s, -ENOPROTOOPT,
					 "kernel has no kTLS (is the tls module loaded?)");
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1)
		if ((cfg->ciphers & bit) && pos < sizeof(names))
			pos += snprintf(names + pos, sizeof(names) - pos,
					"%s%s", pos ? ", " : "",
					ktls_cipher_name(bit));
	return ktls_session_fail(s, -EOPNOTSUPP,
				 "this kernel's kTLS lacks %s, the only cipher%s allowed",
				 names, strchr(names, ',') ? "s" : "");
}

/* Record the cause, alert the peer, and leave the socket ready to close. */
static int session_failed(struct ktls_session *s, int gnutls_err)
{
	int err = ktls_handshake_error(s, gnutls_err);

	ktls_transport_settle(s);
	ktls_transport_drain(s->fd);
	return err;
}

static void session_info_fill(const struct ktls_session *s,
			      struct ktls_info *info);

static int session_handshake(struct ktls_session *s)
{
	int ret, loops = 0;

	switch (s->state) {
	case KTLS_ST_NEW:
		ret = session_check_ciphers(s);
		if (ret)
			return ret;
		s->state = KTLS_ST_HANDSHAKE;
		break;
	case KTLS_ST_HANDSHAKE:
		break;
	case KTLS_ST_FAILED:
		return s->error;
	default:
		return 0;
	}

	for (;;) {
		if (s->deadline_ms && ktls_now_ms() >= s->deadline_ms)
			return session_failed(s, GNUTLS_E_TIMEDOUT);
		ret = gnutls_handshake(s->gs);
		if (ret == 0)
			break;
		if (gnutls_error_is_fatal(ret))
			return session_failed(s, ret);
		if ((ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) &&
		    s->nonblock)
			return -EAGAIN;
		/* A warning alert or a retry: go on, but not forever. */
		if (++loops > 64)
			return session_failed(s, ret);
	}
	s->state = KTLS_ST_DONE;
	session_info_fill(s, &s->info);
	return 0;
}

KTLS_EXPORT int ktls_session_handshake(struct ktls_session *s)
{
	int ret, err;

	/* The mode can't change within one call: one fcntl, not one a read
	 * (none with opts.dontwait). */
	s->nonblock = -1;
	s->nonblock = ktls_transport_nonblocking(s);
	s->peek_on = 1;
	ret = session_handshake(s);
	s->peek_on = 0;
	s->nonblock = -1;
	/* Nothing GnuTLS took stays in the socket: no false readiness, and
	 * kTLS starts at the first record after the handshake. */
	err = ktls_transport_settle(s);
	if (err && s->state != KTLS_ST_FAILED)
		ret = ktls_session_fail(s, err, "reading the handshake: %s",
					strerror(-err));
	if (s->state != KTLS_ST_HANDSHAKE) {
		free(s->peek);
		s->peek = NULL;
	}
	return ret;
}

KTLS_EXPORT short ktls_session_poll_events(const struct ktls_session *s)
{
	return gnutls_record_get_direction(s->gs) ? POLLOUT : POLLIN;
}

KTLS_EXPORT int ktls_session_time_left(const struct ktls_session *s)
{
	int64_t left;

	if (!s->deadline_ms)
		return -1;
	left = s->deadline_ms - ktls_now_ms();
	return left > 0 ? (int)left : 0;
}

KTLS_EXPORT void ktls_session_alert(struct ktls_session *s, int gnutls_alert)
{
	if (s->state == KTLS_ST_OFFLOADED)
		ktls_send_alert(s->fd, GNUTLS_AL_FATAL, gnutls_alert);
	else
		gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, gnutls_alert);
}

KTLS_EXPORT void *ktls_session_gnutls(struct ktls_session *s)
{
	return s->gs;
}

KTLS_EXPORT int ktls_session_peer_cert(const struct ktls_session *s,
				       const void **der, size_t *len)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;

	certs = gnutls_certificate_get_peers(s->gs, &n);
	if (!certs || !n)
		return -ENOENT;
	*der = certs[0].data;
	*len = certs[0].size;
	return 0;
}

/* The peer's name: first DNS SAN, else the CN, else the whole DN. */
static void session_peer_name(const struct ktls_session *s, char *buf,
			      size_t len)
{
	gnutls_x509_crt_t crt;
	const void *der;
	gnutls_datum_t d, user = { 0 };
	size_t sz;
	unsigned int i;
	int type;

	buf[0] = 0;
	if (gnutls_auth_get_type(s->gs) == GNUTLS_CRD_PSK) {
		if (s->psk_identity) {
			snprintf(buf, len, "%s", s->psk_identity);
		} else if (gnutls_psk_server_get_username2(s->gs, &user) == 0 &&
			   user.data) {
			snprintf(buf, len, "%.*s", (int)user.size, user.data);
		}
		return;
	}
	if (ktls_session_peer_cert(s, &der, &sz) || gnutls_x509_crt_init(&crt))
		return;
	d.data = (void *)der;
	d.size = sz;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0) {
		for (i = 0;; i++) {
			sz = len;
			type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf,
								    &sz, NULL);
			if (type < 0)
				break;
			if (type == GNUTLS_SAN_DNSNAME)
				goto out;
		}
		buf[0] = 0;
		sz = len;
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
						  0, 0, buf, &sz) < 0) {
			sz = len;
			if (gnutls_x509_crt_get_dn(crt, buf, &sz) < 0)
				buf[0] = 0;
		}
	}
out:
	gnutls_x509_crt_deinit(crt);
}

/* TLS 1.3 has no cipher-suite key exchange: name it after the group. */
static void session_kx_name(const struct ktls_session *s, gnutls_protocol_t v,
			    char *buf, size_t len)
{
	gnutls_group_t g = gnutls_group_get(s->gs);
	int psk = gnutls_auth_get_type(s->gs) == GNUTLS_CRD_PSK;
	const char *n;

	if (v != GNUTLS_TLS1_3) {
		n = gnutls_kx_get_name(gnutls_kx_get(s->gs));
		snprintf(buf, len, "%s", n ? n : "");
		return;
	}
	if (g == GNUTLS_GROUP_INVALID)
		n = psk ? "PSK" : "";
	else if (g >= GNUTLS_GROUP_FFDHE2048 && g <= GNUTLS_GROUP_FFDHE6144)
		n = psk ? "DHE-PSK" : "DHE";
	else
		n = psk ? "ECDHE-PSK" : "ECDHE";
	snprintf(buf, len, "%s", n);
}

/* The facts ktls_session_info() gives, once the handshake has ended. */
static void session_info_fill(const struct ktls_session *s,
			      struct ktls_info *info)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s->gs);
	unsigned int ncerts = 0;
	const char *n;

	memset(info, 0, sizeof(*info));
	info->version = v == GNUTLS_TLS1_3 ? KTLS_VERSION_1_3 :
		        v == GNUTLS_TLS1_2 ? KTLS_VERSION_1_2 : 0;
	info->cipher = ktls_cipher_from_gnutls(gnutls_cipher_get(s->gs));
	n = gnutls_cipher_get_name(gnutls_cipher_get(s->gs));
	snprintf(info->cipher_name, sizeof(info->cipher_name), "%s",
		 n ? n : "");
	n = gnutls_group_get_name(gnutls_group_get(s->gs));
	snprintf(info->group_name, sizeof(info->group_name), "%s", n ? n : "");
	session_kx_name(s, v, info->kx_name, sizeof(info->kx_name));
	info->resumed = gnutls_session_is_resumed(s->gs);
	info->peer_verified = gnutls_certificate_get_peers(s->gs, &ncerts) &&
			      ncerts && s->cfg->verify != KTLS_VERIFY_NONE;
	session_peer_name(s, info->peer_name, sizeof(info->peer_name));
	info->peer_record_limit = ktls_record_limit_asked(s);
	info->hello_rtt_us = s->hello_rtt_us;
	info->cert_sent = s->cert_sent;
}

KTLS_EXPORT int ktls_session_info(const struct ktls_session *s,
				  struct ktls_info *info)
{
	struct ktls_info known = { .size = sizeof(known) };
	int done = s->state == KTLS_ST_DONE || s->state == KTLS_ST_OFFLOADED;
	int ret;

	if (done) {
		known = s->info;
		known.size = sizeof(known);
		/* Set by the offload, after the handshake. */
		known.record_limit_kept = s->record_limit_kept;
		known.key_update = s->ku_ready;
		known.key_updates_sent = s->ku_sent;
		known.key_updates_received = s->ku_received;
	}
	/* Only as much as the caller's struct holds (zero if not done). */
	ret = ktls_struct_out(info, &known, sizeof(known));
	return ret ? ret : done ? 0 : -EINVAL;
}
