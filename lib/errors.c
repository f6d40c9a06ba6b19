// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Handshake failures: the errno the caller reports, a cause a human can act
 * on, and the alert the peer deserves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <gnutls/x509.h>

#include "ktls-internal.h"

int64_t ktls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ktls_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int ktls_session_fail(struct ktls_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errbuf, sizeof(s->errbuf), fmt, ap);
	va_end(ap);
	s->error = err;
	s->state = KTLS_ST_FAILED;
	return err;
}

/* Why this thread's last ktls_session_new() made no session. */
static __thread char new_errbuf[160];

int ktls_session_new_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(new_errbuf, sizeof(new_errbuf), fmt, ap);
	va_end(ap);
	return err;
}

KTLS_EXPORT const char *ktls_session_error(const struct ktls_session *s)
{
	if (!s)
		return new_errbuf[0] ? new_errbuf : "no session";
	return s->errbuf[0] ? s->errbuf : "no error";
}

KTLS_EXPORT const char *ktls_alert_name(int description)
{
	const char *n = gnutls_alert_get_name(description);

	return n ? n : "unknown alert";
}

static const char *errors_version(uint16_t v)
{
	const char *name = ktls_version_name(v);

	if (name)
		return name;
	return v < 0x0300 ? "SSL 2" : "an unknown version";
}

static void errors_ciphers(unsigned int mask, char *buf, size_t len)
{
	unsigned int bit;
	size_t pos = 0;

	buf[0] = 0;
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1) {
		if (!(mask & bit) || pos >= len)
			continue;
		pos += snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "",
				ktls_cipher_name(bit));
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

int ktls_errno_from_gnutls(int e)
{
	switch (e) {
	case 0:
		return 0;
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_INTERRUPTED:
		return -EAGAIN;
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return -ECONNRESET;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
		return -EACCES;
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
	case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
	case GNUTLS_E_RECEIVED_ILLEGAL_EXTENSION:
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_RECORD_OVERFLOW:
	case GNUTLS_E_ERROR_IN_FINISHED_PACKET:
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
	case GNUTLS_E_ILLEGAL_PARAMETER:
	case GNUTLS_E_BAD_COOKIE:
	case GNUTLS_E_HANDSHAKE_TOO_LARGE:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return -EPROTO;
	default:
		return -EIO;
	}
}

/* The leaf certificate's subject, for messages ("" if none). */
static void errors_peer_dn(struct ktls_session *s, int issuer, char *buf,
			   size_t len)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned int n = 0;
	size_t sz = len;

	buf[0] = 0;
	certs = gnutls_certificate_get_peers(s->gs, &n);
	if (!certs || !n || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
		if (issuer)
			gnutls_x509_crt_get_issuer_dn(crt, buf, &sz);
		else
			gnutls_x509_crt_get_dn(crt, buf, &sz);
	}
	gnutls_x509_crt_deinit(crt);
}

static int errors_verify(struct ktls_session *s)
{
	unsigned int st = s->have_verify_status ? s->verify_status :
			  gnutls_session_get_verify_cert_status(s->gs);
	gnutls_alert_description_t alert = GNUTLS_A_BAD_CERTIFICATE;
	char msg[200] = "", dn[128];
	size_t pos = 0;

#define ERRORS_ADD(...) do { \
		if (pos < sizeof(msg)) \
			pos += snprintf(msg + pos, sizeof(msg) - pos, \
					"%s", pos ? "; " : ""); \
		if (pos < sizeof(msg)) \
			pos += snprintf(msg + pos, sizeof(msg) - pos, \
					__VA_ARGS__); \
	} while (0)

	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		errors_peer_dn(s, 1, dn, sizeof(dn));
		ERRORS_ADD("certificate not trusted (issuer '%s' unknown)", dn);
		alert = GNUTLS_A_UNKNOWN_CA;
	} else if (st & GNUTLS_CERT_SIGNER_NOT_CA) {
		ERRORS_ADD("certificate not trusted (issuer is not a CA)");
		alert = GNUTLS_A_UNKNOWN_CA;
	}
	if (st & GNUTLS_CERT_REVOKED) {
		ERRORS_ADD("certificate revoked");
		alert = GNUTLS_A_CERTIFICATE_REVOKED;
	}
	if (st & GNUTLS_CERT_EXPIRED) {
		ERRORS_ADD("certificate expired");
		alert = GNUTLS_A_CERTIFICATE_EXPIRED;
	}
	if (st & GNUTLS_CERT_NOT_ACTIVATED) {
		ERRORS_ADD("certificate not yet valid");
		alert = GNUTLS_A_CERTIFICATE_EXPIRED;
	}
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		ERRORS_ADD("certificate signed with an insecure algorithm");
	if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		ERRORS_ADD("certificate signature invalid");
	if (st & GNUTLS_CERT_UNEXPECTED_OWNER) {
		errors_peer_dn(s, 0, dn, sizeof(dn));
		ERRORS_ADD("name mismatch: wanted %s, certificate is for '%s'",
			   s->peername ? s->peername : "?", dn);
	}
	if (st & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)
		ERRORS_ADD("revocation data too old");
	if (!pos) {
		gnutls_datum_t out = { 0 };

		if (gnutls_certificate_verification_status_print(
			    st, GNUTLS_CRT_X509, &out, 0) == 0) {
			ERRORS_ADD("certificate rejected: %s", out.data);
			gnutls_free(out.data);
		} else {
			ERRORS_ADD("certificate rejected");
		}
	}
#undef ERRORS_ADD
	gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, alert);
	return ktls_session_fail(s, -EACCES, "%s", msg);
}

/* Our (first) certificate's key kind, KTLS_AUTH_*; 0 if none. */
static unsigned int errors_our_key(struct ktls_config *cfg)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	int pk = GNUTLS_PK_UNKNOWN;

	if (!cfg->have_cert ||
	    gnutls_certificate_get_crt_raw(cfg->x509, 0, 0, &d) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0)
		pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	gnutls_x509_crt_deinit(crt);
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		return KTLS_AUTH_RSA;
	case GNUTLS_PK_ECDSA:
		return KTLS_AUTH_ECDSA;
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		return KTLS_AUTH_EDDSA;
	default:
		return 0;
	}
}

static const char *errors_auth_name(unsigned int a)
{
	a &= ~KTLS_AUTH_PARSED;
	switch (a) {
	case 0: return "no known";
	case KTLS_AUTH_RSA: return "RSA";
	case KTLS_AUTH_ECDSA: return "ECDSA";
	case KTLS_AUTH_EDDSA: return "EdDSA";
	case KTLS_AUTH_ECDSA | KTLS_AUTH_EDDSA: return "ECDSA or EdDSA";
	case KTLS_AUTH_RSA | KTLS_AUTH_ECDSA: return "RSA or ECDSA";
	case KTLS_AUTH_RSA | KTLS_AUTH_EDDSA: return "RSA or EdDSA";
	default: return "RSA, ECDSA or EdDSA";
	}
}

/* Why no cipher suite was common: a server knows what the client offered. */
static int errors_no_suite(struct ktls_session *s, int e)
{
	struct ktls_config *cfg = s->cfg;
	char ours[96], theirs[96];
	unsigned int mine;

	errors_ciphers(cfg->offered, ours, sizeof(ours));
	if (!(s->peer_suites & KTLS_SUITE_PARSED))
		return ktls_session_fail(s, -EACCES,
					 "no cipher suite in common (we offer %s): %s",
					 ours, gnutls_strerror(e));
	errors_ciphers(s->peer_ciphers, theirs, sizeof(theirs));
	if (!(s->peer_suites & (KTLS_SUITE_AEAD_FS | KTLS_SUITE_AEAD_RSA)))
		return ktls_session_fail(s, -EACCES,
					 "peer offers only non-AEAD (CBC/SHA1) cipher suites, which kTLS can't take");
	if (!(s->peer_suites & KTLS_SUITE_AEAD_FS) && !cfg->allow_rsa_kx)
		return ktls_session_fail(s, -EACCES,
					 "peer offers only RSA key exchange (no forward secrecy): allowed only with allow_rsa_kx");
	if ((s->peer_ciphers & cfg->ciphers) &&
	    !(s->peer_ciphers & cfg->offered))
		return ktls_session_fail(s, -EOPNOTSUPP,
					 "peer offers only %s, which this kernel's kTLS lacks",
					 theirs);
	if (!(s->peer_ciphers & cfg->offered))
		return ktls_session_fail(s, -EACCES,
					 "no cipher in common: peer offers %s, we offer %s",
					 theirs, ours);
	/* The ciphers match: what else does not? The certificate, say. */
	mine = errors_our_key(cfg);
	if (mine && cfg->max_version >= KTLS_VERSION_1_3 &&
	    s->peer_max_version >= KTLS_VERSION_1_3 &&
	    (s->peer_sigs & KTLS_AUTH_PARSED) && !(s->peer_sigs & mine))
		return ktls_session_fail(s, -EACCES,
					 "no signature algorithm in common: our certificate is %s, peer accepts only %s signatures",
					 errors_auth_name(mine),
					 errors_auth_name(s->peer_sigs));
	if (mine && s->peer_max_version < KTLS_VERSION_1_3 &&
	    s->peer_suite_auth && !(s->peer_suite_auth & mine))
		return ktls_session_fail(s, -EACCES,
					 "no cipher suite for our %s certificate: peer offers only %s-signed (EC)DHE suites",
					 errors_auth_name(mine),
					 errors_auth_name(s->peer_suite_auth));
	return ktls_session_fail(s, -EACCES,
				 "no group or signature algorithm in common (ciphers in common: peer offers %s, we offer %s; our certificate is %s, peer accepts %s signatures)",
				 theirs, ours, mine ? errors_auth_name(mine) : "none",
				 errors_auth_name(s->peer_sigs | s->peer_suite_auth));
}

/* What we offered, for a client told by the server that nothing fits. */
static void errors_our_offer(struct ktls_session *s, int versions, char *buf,
			     size_t len)
{
	struct ktls_config *cfg = s->cfg;
	char ours[96];

	if (versions) {
		if (cfg->min_version == cfg->max_version)
			snprintf(buf, len, "; we offer only %s",
				 errors_version(cfg->min_version));
		else
			snprintf(buf, len, "; we offer %s to %s",
				 errors_version(cfg->min_version),
				 errors_version(cfg->max_version));
		return;
	}
	errors_ciphers(cfg->offered, ours, sizeof(ours));
	snprintf(buf, len, "; we offer %s with %s", ours,
		 cfg->allow_rsa_kx ? "forward-secret or RSA key exchange" :
				     "forward-secret key exchange only");
}

static int errors_alert_received(struct ktls_session *s)
{
	int a = gnutls_alert_get(s->gs);
	int client = s->cfg->role == KTLS_ROLE_CLIENT;
	int err = -EPROTO;
	const char *hint = "";
	char offer[160] = "";

	switch (a) {
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_REVOKED:
	case GNUTLS_A_CERTIFICATE_EXPIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		hint = " (peer rejected our certificate)";
		err = -EACCES;
		break;
	case GNUTLS_A_HANDSHAKE_FAILURE:
	case GNUTLS_A_INSUFFICIENT_SECURITY:
		hint = " (no common cipher suite, group or authentication?";
		if (client)
			errors_our_offer(s, 0, offer, sizeof(offer));
		err = -EACCES;
		break;
	case GNUTLS_A_PROTOCOL_VERSION:
		hint = " (no common TLS version";
		if (client)
			errors_our_offer(s, 1, offer, sizeof(offer));
		err = -EACCES;
		break;
	case GNUTLS_A_ACCESS_DENIED:
	case GNUTLS_A_UNKNOWN_PSK_IDENTITY:
		err = -EACCES;
		break;
	case GNUTLS_A_DECRYPT_ERROR:
	case GNUTLS_A_BAD_RECORD_MAC:
	case GNUTLS_A_ILLEGAL_PARAMETER:
		if (s->psk_identity || s->peer_psk_known) {
			hint = " (wrong PSK?)";
			err = -EACCES;
		}
		break;
	}
	return ktls_session_fail(s, err, "peer sent fatal alert: %s%s%s%s",
				 ktls_alert_name(a), hint, offer,
				 hint[0] && hint[strlen(hint) - 1] != ')' ?
				 ")" : "");
}

/* A fatal alert right after a TLS 1.3 client's Finished (resume.c). */
int ktls_post_handshake_alert(struct ktls_session *s, int a)
{
	int cert = s->cert_sent &&
		   (a == GNUTLS_A_BAD_CERTIFICATE ||
		    a == GNUTLS_A_UNSUPPORTED_CERTIFICATE ||
		    a == GNUTLS_A_CERTIFICATE_REVOKED ||
		    a == GNUTLS_A_CERTIFICATE_EXPIRED ||
		    a == GNUTLS_A_CERTIFICATE_UNKNOWN ||
		    a == GNUTLS_A_UNKNOWN_CA ||
		    a == GNUTLS_A_ACCESS_DENIED ||
		    a == GNUTLS_A_DECRYPT_ERROR);

	snprintf(s->errbuf, sizeof(s->errbuf),
		 "peer sent fatal alert after the handshake: %s%s",
		 ktls_alert_name(a),
		 cert ? " (peer rejected our certificate)" :
		 a == GNUTLS_A_CERTIFICATE_REQUIRED ?
			" (peer wants a client certificate; none is configured)" : "");
	s->error = cert || a == GNUTLS_A_CERTIFICATE_REQUIRED ? -EACCES :
							       -ECONNABORTED;
	return s->error;
}

KTLS_EXPORT int ktls_session_cert_requested(const struct ktls_session *s)
{
	if (s->cfg->role == KTLS_ROLE_CLIENT)
		return gnutls_certificate_client_get_request_status(s->gs) != 0;
	return s->cfg->verify != KTLS_VERIFY_NONE &&
	       gnutls_auth_get_type(s->gs) == GNUTLS_CRD_CERTIFICATE;
}

int ktls_handshake_error(struct ktls_session *s, int e)
{
	int err = ktls_errno_from_gnutls(e);
	int saved = errno;

	if (s->record_limit_refused)
		return ktls_record_limit_fail(s);
	switch (e) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
		return errors_verify(s);
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return errors_alert_received(s);
	case GNUTLS_E_PREMATURE_TERMINATION:
		return ktls_session_fail(s, err,
					 "peer closed the connection during the handshake");
	case GNUTLS_E_PULL_ERROR:
		if (s->input_overrun) {
			/* A reset alone would leave the peer guessing. */
			gnutls_alert_send(s->gs, GNUTLS_AL_FATAL,
					  GNUTLS_A_DECODE_ERROR);
			return ktls_session_fail(s, -EMSGSIZE,
						 "peer sent over %u KiB of handshake data",
						 KTLS_HANDSHAKE_INPUT_MAX / 1024);
		}
		/* fall through */
	case GNUTLS_E_PUSH_ERROR:
		return ktls_session_fail(s, err, "%s failed during the handshake: %s",
					 e == GNUTLS_E_PULL_ERROR ? "receive" : "send",
					 strerror(saved));
	case GNUTLS_E_TIMEDOUT:
		return ktls_session_fail(s, err,
					 "handshake timed out after %u ms",
					 s->timeout_ms);
	}

	if (s->peer_psk[0] && !s->peer_psk_known) {
		gnutls_alert_send(s->gs, GNUTLS_AL_FATAL,
				  GNUTLS_A_UNKNOWN_PSK_IDENTITY);
		return ktls_session_fail(s, -EACCES,
					 "unknown PSK identity '%s'",
					 s->peer_psk);
	}
	/* TLS 1.3 checks the PSK binder: a wrong key fails right there. */
	if (s->peer_psk_known && (e == GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER ||
				  e == GNUTLS_E_DECRYPTION_FAILED ||
				  e == GNUTLS_E_ERROR_IN_FINISHED_PACKET)) {
		gnutls_alert_send(s->gs, GNUTLS_AL_FATAL, GNUTLS_A_DECRYPT_ERROR);
		return ktls_session_fail(s, -EACCES,
					 "wrong PSK key for identity '%s' (%s)",
					 s->peer_psk, gnutls_strerror(e));
	}

	/* A ClientHello GnuTLS would have taken or named vaguely. */
	if (s->hello_dup_ext) {
		gnutls_alert_send(s->gs, GNUTLS_AL_FATAL,
				  GNUTLS_A_ILLEGAL_PARAMETER);
		return ktls_session_fail(s, err,
					 "peer's ClientHello repeats extension type %u",
					 s->hello_dup_ext - 1);
	}
	if (e == GNUTLS_E_NO_COMMON_KEY_SHARE && s->client_hellos > 1) {
		/* RFC 8446, 4.1.4: the retry must carry the group asked for. */
		gnutls_alert_send(s->gs, GNUTLS_AL_FATAL,
				  GNUTLS_A_ILLEGAL_PARAMETER);
		return ktls_session_fail(s, -EPROTO,
					 "peer's second ClientHello has no key share for the group our HelloRetryRequest asked for");
	}

	/* Detected on our side: tell the peer before giving up. */
	gnutls_alert_send_appropriate(s->gs, e);

	/* Whatever GnuTLS calls it, a version mismatch is named as such. */
	if (s->peer_max_version && s->peer_max_version < s->cfg->min_version)
		return ktls_session_fail(s, -EACCES,
					 "peer offers only %s (we require %s or later)",
					 errors_version(s->peer_max_version),
					 errors_version(s->cfg->min_version));
	if (s->peer_min_version > s->cfg->max_version)
		return ktls_session_fail(s, -EACCES,
					 "peer offers only %s%s (we allow up to %s)",
					 errors_version(s->peer_min_version),
					 s->peer_max_version > s->peer_min_version ?
					 " and later" : "",
					 errors_version(s->cfg->max_version));

	switch (e) {
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
		return ktls_session_fail(s, err, "no common TLS version: %s",
					 gnutls_strerror(e));
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		if (s->cfg->role == KTLS_ROLE_SERVER)
			return errors_no_suite(s, e);
		break;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		return ktls_session_fail(s, err,
					 "peer sent no certificate, but one is required");
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_ERROR_IN_FINISHED_PACKET:
		if (s->psk_identity)
			return ktls_session_fail(s, -EACCES,
						 "%s (wrong PSK?)",
						 gnutls_strerror(e));
		break;
	}
	return ktls_session_fail(s, err, "handshake failed: %s",
				 gnutls_strerror(e));
}
