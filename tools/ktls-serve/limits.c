// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who gets in at the connection limits. The server always accepts, so
 * that no client waits unseen in the listen backlog. Over --max-conns, or
 * over --max-conns-per-client for its address, a new client makes room
 * by closing the least recently used idle keep-alive connection (its own
 * address's, for the per-client limit); if there is none, it is turned
 * away at once: plain HTTP gets a 503 with Retry-After, TLS a close (a
 * 503 would cost a handshake). Each outcome logs one line a second at
 * most, with a count of the lines left out.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "serve.h"

/* Descriptors one connection may hold: socket, file, pipe (2). */
#define LIMITS_FDS_PER_CONN 4
#define LIMITS_FDS_SPARE 32
/* Memory one busy connection may pin: pipe, socket buffers, rx, conn. */
#define LIMITS_BYTES_PER_CONN (256 * 1024)
#define LIMITS_MIN_CONNS 16
#define LIMITS_MAX_CONNS 65536
#define LIMITS_RETRY_AFTER 1	/* seconds, in a 503 */

/* Raise the descriptor limit to what --max-conns needs, or cap max-conns. */
void limits_init(struct serve_opts *o)
{
	struct rlimit rl;
	uint64_t mem, by_mem;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	rlim_t need;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_cur = rl.rlim_max = 1024;
	if (!o->max_conns) {
		/* As many as the descriptors and a quarter of RAM allow. */
		o->max_conns = LIMITS_MAX_CONNS;
		if (rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < (rlim_t)o->max_conns * LIMITS_FDS_PER_CONN +
				  LIMITS_FDS_SPARE)
			o->max_conns = rl.rlim_max > LIMITS_FDS_SPARE ?
				(rl.rlim_max - LIMITS_FDS_SPARE) / LIMITS_FDS_PER_CONN : 0;
		if (pages > 0 && psize > 0) {
			mem = (uint64_t)pages * (uint64_t)psize;
			by_mem = mem / 4 / LIMITS_BYTES_PER_CONN;
			if (by_mem < o->max_conns)
				o->max_conns = by_mem;
		}
		if (o->max_conns < LIMITS_MIN_CONNS)
			o->max_conns = LIMITS_MIN_CONNS;
	}
	need = (rlim_t)o->max_conns * LIMITS_FDS_PER_CONN + LIMITS_FDS_SPARE;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		o->max_conns = rl.rlim_cur > LIMITS_FDS_SPARE + LIMITS_FDS_PER_CONN ?
			(rl.rlim_cur - LIMITS_FDS_SPARE) / LIMITS_FDS_PER_CONN : 1;
		serve_log("descriptor limit %llu: --max-conns lowered to %u",
			  (unsigned long long)rl.rlim_cur, o->max_conns);
	}
	/* One address may hold a quarter (at least 64), never more than all. */
	if (!o->max_per_client) {
		o->max_per_client = o->max_conns / 4;
		if (o->max_per_client < 64)
			o->max_per_client = 64;
	}
	if (o->max_per_client > o->max_conns)
		o->max_per_client = o->max_conns;
}

/* The peer's address without its port, IPv4 as v4-mapped IPv6. */
void limits_peer_addr(const struct sockaddr_storage *ss, struct in6_addr *a)
{
	const struct sockaddr_in6 *a6 = (const void *)ss;
	const struct sockaddr_in *a4 = (const void *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		*a = a6->sin6_addr;
	} else if (ss->ss_family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4->sin_addr, 4);
	}
}

/* "127.0.0.1" or "::1", for a log line. */
static const char *limits_addr_name(const struct in6_addr *a, char *buf,
				    size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET, &a->s6_addr[12], buf, len);
	return inet_ntop(AF_INET6, a, buf, len);
}

/*
 * Plain HTTP: a 503 the client can read. What it already sent is read
 * first, so that our close is a FIN and not a reset that could destroy
 * the answer before the client reads it. Never waits: if the socket has
 * no room, the client just sees the close.
 */
static void limits_send_503(int fd)
{
	static const char resp[] =
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Server: ktls-serve\r\n"
		"Retry-After: 1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 24\r\n"
		"Connection: close\r\n\r\n"
		"503 Service Unavailable\n";
	char sink[4096];
	int i;

	for (i = 0; i < 4; i++)
		if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	if (send(fd, resp, sizeof(resp) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		shutdown(fd, SHUT_WR);
}

static void limits_reject(struct server *s, int fd, struct serve_ratelimit *rl,
			  const char *what, unsigned int limit,
			  const char *addr)
{
	if (s->opt.tls == SERVE_TLS_OFF)
		limits_send_503(fd);
	close(fd);
	s->stats.rejected++;
	serve_log_limited(rl, "%s (%u) reached and no idle connection to close: %s turned away (%s)",
			  what, limit, addr, s->opt.tls == SERVE_TLS_OFF ?
			  "503, Retry-After: 1" : "closed at once");
}

int limits_admit(struct server *s, int fd, const struct in6_addr *addr)
{
	struct conn *c, *lru = NULL, *lru_own = NULL;
	unsigned int live = 0, own = 0;
	char name[INET6_ADDRSTRLEN];
	int same, per_client;

	for (c = s->conns; c; c = c->next) {
		if (c->evicted)
			continue;	/* leaving already */
		same = !memcmp(&c->addr, addr, sizeof(*addr));
		live++;
		own += same;
		if (!conn_is_idle(c))
			continue;
		if (!lru || c->t_idle < lru->t_idle)
			lru = c;
		if (same && (!lru_own || c->t_idle < lru_own->t_idle))
			lru_own = c;
	}
	if (own < s->opt.max_per_client && live < s->opt.max_conns)
		return 0;
	limits_addr_name(addr, name, sizeof(name));
	per_client = own >= s->opt.max_per_client;
	if (per_client) {
		if (!lru_own) {
			limits_reject(s, fd, &s->rl_client,
				      "per-client connection limit",
				      s->opt.max_per_client, name);
			return -1;
		}
		lru = lru_own;
	} else if (!lru) {
		limits_reject(s, fd, &s->rl_full, "connection limit",
			      s->opt.max_conns, name);
		return -1;
	}
	s->stats.evicted++;
	serve_log_limited(per_client ? &s->rl_evict_client : &s->rl_evict, "%s (%u) reached: closing idle connection %llu (%s) to make room for %s",
			  per_client ? "per-client connection limit" :
				       "connection limit",
			  per_client ? s->opt.max_per_client : s->opt.max_conns,
			  (unsigned long long)lru->id, lru->peer, name);
	conn_evict(lru);
	return 0;
}
