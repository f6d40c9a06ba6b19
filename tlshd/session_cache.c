// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client session cache: a small array scanned under one mutex. A
 * lookup per client handshake costs far less than the handshake it saves,
 * and a few hundred entries keep the scan short. Resume data holds the
 * session's master secret: wiped when dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "session_cache.h"

struct tlshd_cache_entry {
	char *key;
	unsigned char *data;	/* NULL: only the ticket hint is known */
	size_t len;
	int64_t expires;
	int single_use;
	int sends_tickets;	/* -1 unknown; kept while the entry lives */
	uint64_t used;		/* LRU clock */
};

struct tlshd_session_cache {
	pthread_mutex_t lock;
	struct tlshd_cache_entry *e;
	unsigned int n, cap;
	uint64_t clock;
	struct tlshd_session_cache_stats st;
};

struct tlshd_session_cache *tlshd_session_cache_new(unsigned int capacity)
{
	struct tlshd_session_cache *c;

	if (!capacity)
		capacity = TLSHD_SESSION_CACHE_DEFAULT;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = calloc(capacity, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->cap = capacity;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void tlshd_cache_drop_data(struct tlshd_cache_entry *e)
{
	if (e->data) {
		gnutls_memset(e->data, 0, e->len);
		free(e->data);
	}
	e->data = NULL;
	e->len = 0;
}

void tlshd_session_cache_free(struct tlshd_session_cache *c)
{
	unsigned int i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		tlshd_cache_drop_data(&c->e[i]);
		free(c->e[i].key);
	}
	free(c->e);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int tlshd_cache_key_field(char *buf, size_t len, size_t *pos,
				 const char *s)
{
	int n;

	if (!s)
		s = "";
	n = snprintf(buf + *pos, len - *pos, "%zu:%s;", strlen(s), s);
	if (n < 0 || (size_t)n >= len - *pos)
		return -ENOSPC;
	*pos += n;
	return 0;
}

int tlshd_session_cache_key(char *buf, size_t len, const char *addr,
			    const char *peername, unsigned int auth_mode,
			    const char *identity, const char *trust)
{
	char auth[16];
	size_t pos = 0;

	if (!len)
		return -ENOSPC;
	snprintf(auth, sizeof(auth), "%u", auth_mode);
	if (tlshd_cache_key_field(buf, len, &pos, addr) ||
	    tlshd_cache_key_field(buf, len, &pos, peername) ||
	    tlshd_cache_key_field(buf, len, &pos, auth) ||
	    tlshd_cache_key_field(buf, len, &pos, identity) ||
	    tlshd_cache_key_field(buf, len, &pos, trust))
		return -ENOSPC;
	return 0;
}

static struct tlshd_cache_entry *tlshd_cache_find(struct tlshd_session_cache *c,
						  const char *key)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].key, key))
			return &c->e[i];
	return NULL;
}

/* The entry for key, made if need be (evicting the least recently used). */
static struct tlshd_cache_entry *tlshd_cache_slot(struct tlshd_session_cache *c,
						  const char *key)
{
	struct tlshd_cache_entry *e = tlshd_cache_find(c, key);
	char *k;
	unsigned int i;

	if (e)
		return e;
	k = strdup(key);
	if (!k)
		return NULL;
	if (c->n < c->cap) {
		e = &c->e[c->n++];
	} else {
		e = &c->e[0];
		for (i = 1; i < c->n; i++)
			if (c->e[i].used < e->used)
				e = &c->e[i];
		tlshd_cache_drop_data(e);
		free(e->key);
	}
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->sends_tickets = -1;
	return e;
}

int tlshd_session_cache_get(struct tlshd_session_cache *c, const char *key,
			    int64_t now, void **data, size_t *len)
{
	struct tlshd_cache_entry *e;
	int ret = -ENOENT;

	*data = NULL;
	*len = 0;
	pthread_mutex_lock(&c->lock);
	e = tlshd_cache_find(c, key);
	if (e && e->data && e->expires <= now)
		tlshd_cache_drop_data(e);
	if (e && e->data) {
		*data = malloc(e->len);
		if (!*data) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(*data, e->data, e->len);
		*len = e->len;
		e->used = ++c->clock;
		if (e->single_use)
			tlshd_cache_drop_data(e);
		ret = 0;
	}
out:
	if (ret)
		c->st.misses++;
	else
		c->st.hits++;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int tlshd_session_cache_put(struct tlshd_session_cache *c, const char *key,
			    const void *data, size_t len, int64_t now,
			    unsigned int lifetime, int single_use)
{
	struct tlshd_cache_entry *e;
	unsigned char *copy;
	int ret = -ENOMEM;

	if (!data || !len || !lifetime)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	pthread_mutex_lock(&c->lock);
	e = tlshd_cache_slot(c, key);
	if (e) {
		tlshd_cache_drop_data(e);
		e->data = copy;
		e->len = len;
		e->expires = now + lifetime;
		e->single_use = single_use;
		e->used = ++c->clock;
		c->st.stored++;
		copy = NULL;
		ret = 0;
	}
	pthread_mutex_unlock(&c->lock);
	free(copy);
	return ret;
}

void tlshd_session_cache_drop(struct tlshd_session_cache *c, const char *key)
{
	struct tlshd_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = tlshd_cache_find(c, key);
	if (e)
		tlshd_cache_drop_data(e);
	pthread_mutex_unlock(&c->lock);
}

void tlshd_session_cache_result(struct tlshd_session_cache *c, int resumed)
{
	pthread_mutex_lock(&c->lock);
	if (resumed)
		c->st.resumed++;
	else
		c->st.rejected++;
	pthread_mutex_unlock(&c->lock);
}

int tlshd_session_cache_sends_tickets(struct tlshd_session_cache *c,
				      const char *key)
{
	struct tlshd_cache_entry *e;
	int ret = -1;

	pthread_mutex_lock(&c->lock);
	e = tlshd_cache_find(c, key);
	if (e) {
		ret = e->sends_tickets;
		/* A server we keep contacting keeps its verdict. */
		e->used = ++c->clock;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void tlshd_session_cache_set_sends_tickets(struct tlshd_session_cache *c,
					   const char *key, int sends)
{
	struct tlshd_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = tlshd_cache_slot(c, key);
	if (e) {
		e->sends_tickets = !!sends;
		e->used = ++c->clock;
	}
	pthread_mutex_unlock(&c->lock);
}

void tlshd_session_cache_stats(struct tlshd_session_cache *c,
			       struct tlshd_session_cache_stats *st)
{
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	*st = c->st;
	st->entries = 0;
	for (i = 0; i < c->n; i++)
		if (c->e[i].data)
			st->entries++;
	pthread_mutex_unlock(&c->lock);
}
