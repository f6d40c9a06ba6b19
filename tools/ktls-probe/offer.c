// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshakes with GnuTLS in user space, one per offer: the modern one the
 * report describes (then a resumption with its session data), and the old
 * offers servers are meant to refuse by now. These never touch kTLS, so
 * they tell what the server does even on a kernel without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "ktls.h"
#include "probe.h"

#define PROBE_MODERN "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* A TLS 1.3 server sends its tickets after the handshake: wait this long. */
#define PROBE_TICKET_WAIT_MS 1000

/* One connection's GnuTLS state. */
struct offer {
	int fd;
	gnutls_session_t gs;
	gnutls_certificate_credentials_t cred;
};

static const char *offer_str(const char *s)
{
	return s ? s : "";
}

static int offer_is_ip(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

const char *probe_sni(const struct probe_opts *o)
{
	if (o->sni)
		return o->sni;
	return offer_is_ip(o->host) ? NULL : o->host;
}

/* TLS 1.3 suites carry no key exchange: name it after the group. */
static void offer_kx(gnutls_session_t gs, struct probe_hs *hs)
{
	gnutls_group_t g = gnutls_group_get(gs);

	if (gnutls_protocol_get_version(gs) != GNUTLS_TLS1_3) {
		snprintf(hs->kx, sizeof(hs->kx), "%s",
			 offer_str(gnutls_kx_get_name(gnutls_kx_get(gs))));
		return;
	}
	if (g == GNUTLS_GROUP_INVALID)
		snprintf(hs->kx, sizeof(hs->kx), "PSK");
	else if (g >= GNUTLS_GROUP_FFDHE2048 && g <= GNUTLS_GROUP_FFDHE8192)
		snprintf(hs->kx, sizeof(hs->kx), "DHE");
	else
		snprintf(hs->kx, sizeof(hs->kx), "ECDHE");
}

static void offer_describe(gnutls_session_t gs, struct probe_hs *hs)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(gs);
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(gs);
	gnutls_sign_algorithm_t sig = gnutls_sign_algorithm_get(gs);

	snprintf(hs->version, sizeof(hs->version), "%s",
		 offer_str(gnutls_protocol_get_name(v)));
	snprintf(hs->cipher, sizeof(hs->cipher), "%s",
		 offer_str(gnutls_cipher_get_name(c)));
	snprintf(hs->mac, sizeof(hs->mac), "%s",
		 offer_str(gnutls_mac_get_name(gnutls_mac_get(gs))));
	snprintf(hs->group, sizeof(hs->group), "%s",
		 offer_str(gnutls_group_get_name(gnutls_group_get(gs))));
	snprintf(hs->sigalg, sizeof(hs->sigalg), "%s",
		 sig == GNUTLS_SIGN_UNKNOWN ? "" :
					      offer_str(gnutls_sign_get_name(sig)));
	offer_kx(gs, hs);
	hs->ktls_cipher = ktls_cipher_from_gnutls(c);
	hs->tls_version = v == GNUTLS_TLS1_3 ? KTLS_VERSION_1_3 :
			  v == GNUTLS_TLS1_2 ? KTLS_VERSION_1_2 : 0;
}

static void offer_close(struct offer *of)
{
	if (of->gs) {
		/* Best effort: the server should see an orderly close. */
		fcntl(of->fd, F_SETFL, fcntl(of->fd, F_GETFL) | O_NONBLOCK);
		gnutls_bye(of->gs, GNUTLS_SHUT_WR);
		gnutls_deinit(of->gs);
	}
	if (of->cred)
		gnutls_certificate_free_credentials(of->cred);
	if (of->fd >= 0)
		close(of->fd);
	memset(of, 0, sizeof(*of));
	of->fd = -1;
}

/* GnuTLS setup for one connection; the credentials never verify here. */
static int offer_setup(const struct probe_opts *o, const char *priority,
		       int trust, struct offer *of, struct probe_hs *hs)
{
	const char *sni = probe_sni(o);
	const char *errpos = NULL;
	int ret;

	ret = probe_creds(o, &of->cred, trust);
	if (ret) {
		snprintf(hs->error, sizeof(hs->error), "%s %s",
			 ret == -ENOENT ? "no certificate in" : "cannot load",
			 o->ca ? o->ca : "the system trust store");
		return -1;
	}
	if (gnutls_init(&of->gs, GNUTLS_CLIENT) < 0) {
		of->gs = NULL;
		snprintf(hs->error, sizeof(hs->error), "out of memory");
		return -1;
	}
	ret = gnutls_priority_set_direct(of->gs, priority, &errpos);
	if (ret < 0) {
		snprintf(hs->error, sizeof(hs->error),
			 "GnuTLS refuses priority \"%s\" at \"%s\": %s",
			 priority, offer_str(errpos), gnutls_strerror(ret));
		return -1;
	}
	gnutls_credentials_set(of->gs, GNUTLS_CRD_CERTIFICATE, of->cred);
	if (sni)
		gnutls_server_name_set(of->gs, GNUTLS_NAME_DNS, sni, strlen(sni));
	gnutls_transport_set_int(of->gs, of->fd);
	gnutls_handshake_set_timeout(of->gs, o->timeout_ms);
	return 0;
}

/*
 * Connect and handshake. Returns 0, or PROBE_EXIT_CONNECT / _HANDSHAKE /
 * _INTERNAL with hs->error saying why. On success of->gs stays open.
 */
static int offer_run(const struct probe_opts *o, const char *priority,
		     const gnutls_datum_t *resume, int trust, struct offer *of,
		     struct probe_hs *hs, char *addr, size_t addrlen)
{
	char tmp[64];
	int ret;

	hs->tried = 1;
	of->fd = probe_connect(o, addr ? addr : tmp, addr ? addrlen : sizeof(tmp),
			       hs->error, sizeof(hs->error));
	if (of->fd < 0)
		return PROBE_EXIT_CONNECT;
	if (offer_setup(o, priority, trust, of, hs))
		return PROBE_EXIT_INTERNAL;
	if (resume && resume->size)
		gnutls_session_set_data(of->gs, resume->data, resume->size);
	do {
		ret = gnutls_handshake(of->gs);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		snprintf(hs->error, sizeof(hs->error), "%s%s%s",
			 gnutls_strerror(ret),
			 ret == GNUTLS_E_FATAL_ALERT_RECEIVED ? ": " : "",
			 ret == GNUTLS_E_FATAL_ALERT_RECEIVED ?
				 offer_str(gnutls_alert_get_name(
					 gnutls_alert_get(of->gs))) : "");
		return PROBE_EXIT_HANDSHAKE;
	}
	hs->ok = 1;
	offer_describe(of->gs, hs);
	return 0;
}

static int64_t offer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read (and drop) what follows the handshake until a ticket came. */
static void offer_wait_ticket(struct offer *of, unsigned int wait_ms)
{
	int64_t end = offer_now_ms() + wait_ms, left;
	struct pollfd pfd = { .fd = of->fd, .events = POLLIN };
	char buf[512];
	ssize_t n;

	fcntl(of->fd, F_SETFL, fcntl(of->fd, F_GETFL) | O_NONBLOCK);
	while (!(gnutls_session_get_flags(of->gs) & GNUTLS_SFLAGS_SESSION_TICKET)) {
		left = end - offer_now_ms();
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = gnutls_record_recv(of->gs, buf, sizeof(buf));
		if (n == 0 || (n < 0 && gnutls_error_is_fatal(n)))
			break;
	}
}

static void offer_resume(const struct probe_opts *o, const gnutls_datum_t *data,
			 struct probe_report *r)
{
	struct offer of = { .fd = -1 };

	if (offer_run(o, PROBE_MODERN, data, 0, &of, &r->resume, NULL, 0) == 0)
		r->resumed = gnutls_session_is_resumed(of.gs);
	offer_close(&of);
}

int probe_modern(const struct probe_opts *o, struct probe_report *r)
{
	struct offer of = { .fd = -1 };
	gnutls_datum_t data = { NULL, 0 };
	unsigned int wait;
	int ret;

	r->verify_name = o->sni ? o->sni : o->host;
	r->sni = probe_sni(o);
	ret = offer_run(o, PROBE_MODERN, NULL, 1, &of, &r->modern, r->address,
			sizeof(r->address));
	if (ret) {
		offer_close(&of);
		return ret;
	}
	probe_chain(of.gs, o, r);
	wait = o->timeout_ms < PROBE_TICKET_WAIT_MS ? o->timeout_ms :
						      PROBE_TICKET_WAIT_MS;
	offer_wait_ticket(&of, wait);
	r->ticket = !!(gnutls_session_get_flags(of.gs) &
		       GNUTLS_SFLAGS_SESSION_TICKET);
	if (gnutls_session_get_data2(of.gs, &data) < 0)
		data.size = 0;
	offer_close(&of);
	offer_resume(o, &data, r);
	gnutls_free(data.data);
	return 0;
}

void probe_offer(const struct probe_opts *o, const char *priority,
		 struct probe_hs *hs)
{
	struct offer of = { .fd = -1 };

	offer_run(o, priority, NULL, 0, &of, hs, NULL, 0);
	offer_close(&of);
}
