// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: tlshd's client session cache, driven by the input.
 *
 * The input first names up to SC_KEYS servers (address, peername, auth
 * mode, identity, trust: bytes that may hold ';' and ':' and digits),
 * then a program of operations on them: put, get, drop, ticket hints and
 * time passing. A plain model, kept beside the cache, says what every get
 * must return; a mismatch aborts. Checked as well:
 *  - the key encoder: two servers get the same key exactly when all their
 *    fields are equal, and a buffer one byte short gives -ENOSPC;
 *  - what a get returns goes through GnuTLS's decoder of resume data,
 *    gnutls_session_set_data(), as libktls hands it over (the input's own
 *    bytes too): garbage must be refused, never crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "session_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SC_KEYS		6
#define SC_FIELD	12
#define SC_KEYLEN	256
#define SC_DATA		64

struct sc_input {
	const uint8_t *p;
	size_t left;
};

struct sc_server {
	char addr[SC_FIELD + 1], peer[SC_FIELD + 1], id[SC_FIELD + 1];
	char trust[SC_FIELD + 1];
	unsigned int auth;
	char key[SC_KEYLEN];
};

/* What the cache must hold for one key. */
struct sc_model {
	const char *key;
	uint8_t data[SC_DATA];
	size_t len;		/* 0: nothing */
	int64_t expires;
	int single_use;
};

static uint8_t sc_byte(struct sc_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* A field of up to SC_FIELD bytes, cut at a NUL as a C string would be. */
static void sc_field(struct sc_input *in, char *out)
{
	size_t n = sc_byte(in) % (SC_FIELD + 1), i;

	for (i = 0; i < n; i++)
		out[i] = (char)sc_byte(in);
	out[n] = '\0';
}

static void sc_server_read(struct sc_input *in, struct sc_server *s)
{
	char small[SC_KEYLEN];
	size_t cut;
	int ret;

	sc_field(in, s->addr);
	sc_field(in, s->peer);
	s->auth = sc_byte(in);
	sc_field(in, s->id);
	sc_field(in, s->trust);
	if (tlshd_session_cache_key(s->key, sizeof(s->key), s->addr, s->peer,
				    s->auth, s->id, s->trust))
		abort();	/* five short fields always fit */
	/* One byte short of the key and its NUL: refused, not cut. */
	cut = strlen(s->key);
	ret = tlshd_session_cache_key(small, cut, s->addr, s->peer, s->auth,
				      s->id, s->trust);
	if (ret != -ENOSPC)
		abort();
}

static int sc_same_fields(const struct sc_server *a, const struct sc_server *b)
{
	return !strcmp(a->addr, b->addr) && !strcmp(a->peer, b->peer) &&
	       a->auth == b->auth && !strcmp(a->id, b->id) &&
	       !strcmp(a->trust, b->trust);
}

/* GnuTLS's resume-data decoder, fed as libktls feeds it. */
static void sc_decode(const void *data, size_t len)
{
	gnutls_session_t gs;

	if (gnutls_init(&gs, GNUTLS_CLIENT) < 0)
		abort();
	gnutls_session_set_data(gs, data, len);
	gnutls_deinit(gs);
}

static struct sc_model *sc_model_of(struct sc_model *m, unsigned int n,
				    const char *key)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(m[i].key, key))
			return &m[i];
	abort();
}

static void sc_get(struct tlshd_session_cache *c, struct sc_model *m,
		   int64_t now)
{
	void *got;
	size_t len;
	int ret;

	ret = tlshd_session_cache_get(c, m->key, now, &got, &len);
	if (m->len && m->expires <= now)
		m->len = 0;
	if (!m->len) {
		if (ret != -ENOENT || got || len)
			abort();
		return;
	}
	if (ret || len != m->len || memcmp(got, m->data, len))
		abort();
	sc_decode(got, len);
	free(got);
	if (m->single_use)
		m->len = 0;
}

static void sc_put(struct tlshd_session_cache *c, struct sc_model *m,
		   struct sc_input *in, int64_t now)
{
	uint8_t buf[SC_DATA];
	size_t len = sc_byte(in) % (SC_DATA + 1), i;
	unsigned int lifetime = sc_byte(in) % 8;
	int single = sc_byte(in) & 1, ret;

	for (i = 0; i < len; i++)
		buf[i] = sc_byte(in);
	ret = tlshd_session_cache_put(c, m->key, buf, len, now, lifetime,
				      single);
	if (!len || !lifetime) {
		if (ret != -EINVAL)
			abort();
		return;
	}
	if (ret)
		abort();
	memcpy(m->data, buf, len);
	m->len = len;
	m->expires = now + lifetime;
	m->single_use = single;
}

/* A ticket hint reads back as set, "no" as much as "yes". */
static void sc_hint(struct tlshd_session_cache *c, struct sc_model *m,
		    int sends)
{
	tlshd_session_cache_set_sends_tickets(c, m->key, sends);
	if (tlshd_session_cache_sends_tickets(c, m->key) != !!sends)
		abort();
}

static void sc_run(struct sc_input *in, struct sc_server *srv,
		   unsigned int nsrv, struct sc_model *model, unsigned int nm)
{
	struct tlshd_session_cache *c = tlshd_session_cache_new(2 * SC_KEYS);
	struct tlshd_session_cache_stats st;
	int64_t now = 1000;
	unsigned int steps = 0;

	if (!c)
		abort();
	while (in->left && steps++ < 256) {
		uint8_t op = sc_byte(in);
		struct sc_model *m = sc_model_of(model, nm,
						 srv[(op >> 3) % nsrv].key);

		switch (op & 7) {
		case 0:
		case 1:
			sc_put(c, m, in, now);
			break;
		case 2:
		case 3:
			sc_get(c, m, now);
			break;
		case 4:
			tlshd_session_cache_drop(c, m->key);
			m->len = 0;
			break;
		case 5:
			sc_hint(c, m, op & 0x40);
			break;
		case 6:
			tlshd_session_cache_result(c, op & 0x40);
			break;
		default:
			now += sc_byte(in) % 16;
			break;
		}
	}
	tlshd_session_cache_stats(c, &st);
	if (st.entries > nm)
		abort();
	tlshd_session_cache_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_input in = { data, size };
	struct sc_server srv[SC_KEYS];
	struct sc_model model[SC_KEYS];
	unsigned int nsrv = sc_byte(&in) % SC_KEYS + 1, nm = 0, i, j;

	memset(srv, 0, sizeof(srv));
	memset(model, 0, sizeof(model));
	for (i = 0; i < nsrv; i++) {
		sc_server_read(&in, &srv[i]);
		for (j = 0; j < i; j++)
			if (sc_same_fields(&srv[i], &srv[j]) !=
			    !strcmp(srv[i].key, srv[j].key))
				abort();	/* the encoding is not 1:1 */
		for (j = 0; j < nm; j++)
			if (!strcmp(model[j].key, srv[i].key))
				break;
		if (j == nm)
			model[nm++].key = srv[i].key;
	}
	sc_run(&in, srv, nsrv, model, nm);
	sc_decode(data, size);
	return 0;
}
