// SPDX-License-Identifier: GPL-2.0-or-later
/* Two libktls sessions on a loopback TCP pair (see ktls-pair.h). */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tls.h>

#include "ktls-pair.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static const char *ca_file, *cert_file, *key_file;

void pair_set_files(const char *ca, const char *cert, const char *key)
{
	ca_file = ca;
	cert_file = cert;
	key_file = key;
}

void pair_tcp(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &alen))
		DIE("loopback listener: %s", strerror(errno));
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		DIE("connect: %s", strerror(errno));
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*srv < 0)
		DIE("accept: %s", strerror(errno));
	close(lfd);
}

struct ktls_config *pair_config(enum ktls_role role, uint16_t version,
				unsigned int cipher, uint64_t limit)
{
	struct ktls_config *cfg;
	int ret;

	ret = ktls_config_new(&cfg, role);
	if (ret)
		DIE("ktls_config_new: %s", strerror(-ret));
	if (role == KTLS_ROLE_CLIENT)
		ret = ktls_config_set_trust_file(cfg, ca_file);
	else
		ret = ktls_config_set_cert_files(cfg, cert_file, key_file);
	if (ret)
		DIE("credentials: %s", strerror(-ret));
	if (version && ktls_config_set_versions(cfg, version, version))
		DIE("ktls_config_set_versions");
	if (cipher && ktls_config_set_ciphers(cfg, cipher))
		DIE("ktls_config_set_ciphers");
	if (limit && ktls_config_set_key_update_limit(cfg, limit))
		DIE("ktls_config_set_key_update_limit");
	return cfg;
}

void pair_new(struct side *c, struct side *s, uint16_t version,
	      unsigned int cipher, uint64_t limit)
{
	struct ktls_session_opts co = KTLS_SESSION_OPTS_INIT(
		.peername = "localhost", .timeout_ms = 60000);
	struct ktls_session_opts so = KTLS_SESSION_OPTS_INIT(
		.timeout_ms = 60000);
	int ret;

	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	pair_tcp(&c->fd, &s->fd);
	c->cfg = pair_config(KTLS_ROLE_CLIENT, version, cipher, limit);
	s->cfg = pair_config(KTLS_ROLE_SERVER, version, cipher, limit);
	ret = ktls_session_new(&c->s, c->cfg, c->fd, &co);
	if (!ret)
		ret = ktls_session_new(&s->s, s->cfg, s->fd, &so);
	if (ret)
		DIE("ktls_session_new: %s", strerror(-ret));
}

void pair_free(struct side *c, struct side *s)
{
	struct side *d[2] = { c, s };
	int i;

	for (i = 0; i < 2; i++) {
		ktls_session_free(d[i]->s);
		ktls_config_put(d[i]->cfg);
		if (d[i]->fd >= 0)
			close(d[i]->fd);
	}
}

void *pair_side_handshake(void *arg)
{
	struct side *d = arg;

	d->ret = ktls_session_handshake(d->s);
	if (!d->ret)
		d->ret = ktls_session_offload(d->s);
	snprintf(d->err, sizeof(d->err), "%s", ktls_session_error(d->s));
	return NULL;
}

int pair_run(struct side *c, struct side *s)
{
	pthread_t t;

	if (pthread_create(&t, NULL, pair_side_handshake, s))
		DIE("pthread_create");
	pair_side_handshake(c);
	pthread_join(t, NULL);
	if (c->ret)
		printf("FAIL client: %s (%s)\n", strerror(-c->ret), c->err);
	if (s->ret)
		printf("FAIL server: %s (%s)\n", strerror(-s->ret), s->err);
	return !!c->ret + !!s->ret;
}

int pair_send_record(int fd, unsigned char type, const void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
	};
	struct cmsghdr *cm;

	memset(&ctrl, 0, sizeof(ctrl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = type;
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

long pair_tls_stat(const char *name)
{
	FILE *f = fopen("/proc/net/tls_stat", "re");
	char key[64];
	long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}
