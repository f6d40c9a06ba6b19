// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Session resumption with tickets.
 *
 * Server: GnuTLS seals tickets under a key it derives from a master key and
 * the time; the master key comes from the config (random, or given so that
 * a fleet shares it) or from the session options.
 *
 * Client: resume data in through the session options, out through
 * ktls_session_get_resume_data(). A TLS 1.2 ticket arrives inside the
 * handshake. A TLS 1.3 NewSessionTicket arrives after it, often once the
 * socket is already kTLS, possibly in the same flight as the server's first
 * application data. kTLS hands it up as a record of type 22 (handshake),
 * its type in a TLS_GET_RECORD_TYPE control message. So after offload we
 * peek (MSG_PEEK: nothing is consumed) at the next record: a handshake
 * record is then read for real and fed to GnuTLS with
 * gnutls_handshake_write() at the application level, which parses the
 * ticket into the session; any other record stops us, untouched, so the
 * consumer's data is never eaten or reordered. From offload on, GnuTLS's
 * own reads see EAGAIN: it must never read the kTLS socket by itself
 * (gnutls_session_get_data2 would wait for a TLS 1.3 ticket otherwise).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ktls-internal.h"

/* A record's plaintext is at most 2^14 bytes; one more tells truncation. */
#define RESUME_RECORD_MAX (16384 + 1)

KTLS_EXPORT int ktls_config_set_ticket_key(struct ktls_config *cfg,
					   const void *key, size_t len)
{
	int ret = 0;

	if (!cfg || !key || len != KTLS_TICKET_KEY_SIZE ||
	    cfg->role != KTLS_ROLE_SERVER)
		return -EINVAL;
	pthread_mutex_lock(&cfg->lock);
	if (cfg->frozen) {
		ret = -EBUSY;
		goto out;
	}
	if (!cfg->ticket_key.data) {
		cfg->ticket_key.data = gnutls_malloc(len);
		if (!cfg->ticket_key.data) {
			ret = -ENOMEM;
			goto out;
		}
	}
	memcpy(cfg->ticket_key.data, key, len);
	cfg->ticket_key.size = len;
	cfg->ticket_key_set = 1;
out:
	pthread_mutex_unlock(&cfg->lock);
	return ret;
}

int ktls_resume_setup_server(struct ktls_session *s,
			     const struct ktls_session_opts *opts)
{
	gnutls_datum_t key = s->cfg->ticket_key;

	if (opts->no_tickets)
		return 0;
	if (opts->ticket_key) {
		if (opts->ticket_key_len != KTLS_TICKET_KEY_SIZE)
			return -EINVAL;
		key.data = (void *)opts->ticket_key;
		key.size = opts->ticket_key_len;
	}
	/* The lifetime also sets GnuTLS's key rotation period (3x it). */
	if (opts->ticket_lifetime)
		gnutls_db_set_cache_expiration(s->gs, opts->ticket_lifetime);
	if (gnutls_session_ticket_enable_server(s->gs, &key) < 0)
		return -EIO;
	return 0;
}

/*
 * Resume data the session can't use (stale, foreign, garbage) is not an
 * error: the handshake is simply a full one.
 */
int ktls_resume_setup_client(struct ktls_session *s,
			     const struct ktls_session_opts *opts)
{
	if (opts->resume_data && opts->resume_len)
		gnutls_session_set_data(s->gs, opts->resume_data,
					opts->resume_len);
	return 0;
}

KTLS_EXPORT int ktls_session_get_resume_data(struct ktls_session *s,
					     void **data, size_t *len,
					     unsigned int *lifetime_s)
{
	gnutls_datum_t d = { 0 };
	time_t expires;
	int ret;

	*data = NULL;
	*len = 0;
	if (lifetime_s)
		*lifetime_s = 0;
	if (s->cfg->role != KTLS_ROLE_CLIENT ||
	    (s->state != KTLS_ST_DONE && s->state != KTLS_ST_OFFLOADED))
		return -EINVAL;
	/* No ticket, no resumption: a session ID alone is useless to us. */
	if (!(gnutls_session_get_flags(s->gs) & GNUTLS_SFLAGS_SESSION_TICKET) &&
	    !s->tickets_taken)
		return -ENOENT;
	ret = gnutls_session_get_data2(s->gs, &d);
	if (ret < 0 || !d.size) {
		gnutls_free(d.data);
		return ret < 0 ? ktls_errno_from_gnutls(ret) : -ENOENT;
	}
	*data = malloc(d.size);
	if (!*data) {
		gnutls_free(d.data);
		return -ENOMEM;
	}
	memcpy(*data, d.data, d.size);
	*len = d.size;
	expires = gnutls_db_check_entry_expire_time(&d);
	if (lifetime_s && expires > time(NULL))
		*lifetime_s = expires - time(NULL);
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	return 0;
}

/* One record off the kTLS socket, never waiting: its type, length in *n. */
static int resume_read_record(int fd, void *buf, size_t len, int flags,
			      ssize_t *n)
{
	return ktls_record_read(fd, buf, len, flags | MSG_DONTWAIT, n);
}

/*
 * GnuTLS processes messages given by gnutls_handshake_write() only when it
 * has somewhere to put the messages it would send: nothing here, since a
 * NewSessionTicket needs no answer.
 */
static int resume_discard_output(gnutls_session_t gs,
				 gnutls_record_encryption_level_t level,
				 gnutls_handshake_description_t htype,
				 const void *data, size_t len)
{
	(void)gs;
	(void)level;
	(void)htype;
	(void)data;
	(void)len;
	return 0;
}

static ssize_t resume_pull_none(gnutls_transport_ptr_t ptr, void *buf,
				size_t len)
{
	struct ktls_session *s = ptr;

	(void)buf;
	(void)len;
	gnutls_transport_set_errno(s->gs, EAGAIN);
	return -1;
}

static int resume_pull_timeout_none(gnutls_transport_ptr_t ptr,
				    unsigned int ms)
{
	(void)ptr;
	(void)ms;
	return 0;
}

KTLS_EXPORT int ktls_session_recv_tickets(struct ktls_session *s,
					  int timeout_ms)
{
	int64_t deadline = ktls_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	unsigned char *buf;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int type, ret, taken = 0;
	int64_t left;
	ssize_t n;

	if (s->state != KTLS_ST_OFFLOADED || s->cfg->role != KTLS_ROLE_CLIENT)
		return -EINVAL;
	if (gnutls_protocol_get_version(s->gs) != GNUTLS_TLS1_3)
		return 0;	/* TLS 1.2 tickets came in the handshake */
	gnutls_transport_set_pull_function(s->gs, resume_pull_none);
	gnutls_transport_set_pull_timeout_function(s->gs,
						   resume_pull_timeout_none);
	gnutls_handshake_set_read_function(s->gs, resume_discard_output);
	buf = malloc(RESUME_RECORD_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		type = resume_read_record(s->fd, buf, RESUME_RECORD_MAX,
					  MSG_PEEK, &n);
		if (type == -EAGAIN) {
			/* After a ticket, take only what is already here. */
			left = taken ? 0 : deadline - ktls_now_ms();
			if (left <= 0)
				break;
			ret = poll(&pfd, 1, (int)left);
			if (ret < 0 && errno != EINTR) {
				ret = -errno;
				goto out;
			}
			continue;
		}
		if (type < 0) {
			ret = type;
			goto out;
		}
		/*
		 * A TLS 1.3 server judges our certificate after our
		 * Finished: its fatal alert is the handshake's outcome.
		 */
		if (type == KTLS_RECORD_ALERT && n >= 2 &&
		    buf[0] == GNUTLS_AL_FATAL) {
			resume_read_record(s->fd, buf, RESUME_RECORD_MAX, 0, &n);
			ret = ktls_post_handshake_alert(s, buf[1]);
			goto out;
		}
		if (n == 0 || type != KTLS_RECORD_HANDSHAKE)
			break;	/* end of stream, data or alert: not ours */
		/* A KeyUpdate, say, is the consumer's business (and fate). */
		if (buf[0] != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET)
			break;
		type = resume_read_record(s->fd, buf, RESUME_RECORD_MAX, 0, &n);
		if (type != KTLS_RECORD_HANDSHAKE || n <= 0 ||
		    n >= RESUME_RECORD_MAX) {
			snprintf(s->errbuf, sizeof(s->errbuf),
				 "post-handshake record changed between peek and read");
			ret = -EPROTO;
			goto out;
		}
		ret = gnutls_handshake_write(s->gs,
					     GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
					     buf, n);
		if (ret < 0 && ret != GNUTLS_E_AGAIN) {
			/* The socket stays usable: just no ticket. */
			snprintf(s->errbuf, sizeof(s->errbuf),
				 "post-handshake message refused: %s",
				 gnutls_strerror(ret));
			ret = -EPROTO;
			goto out;
		}
		if (gnutls_session_get_flags(s->gs) &
		    GNUTLS_SFLAGS_SESSION_TICKET)
			taken++;
	}
	ret = taken;
	s->tickets_taken += taken;
out:
	gnutls_memset(buf, 0, RESUME_RECORD_MAX);
	free(buf);
	return ret;
}
