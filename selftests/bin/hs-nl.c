// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-nl: the agent side of the "handshake" netlink family, one step at a
 * time, for the compat-* tests (raw netlink, see hs-nl-lib.h).
 *
 *   hs-nl family
 *   hs-nl accept [--class N] [--expect ERR]
 *   hs-nl done --fd N [--status ERR|none] [--remote SERIAL]... [--expect ERR]
 *   hs-nl listen [--seconds N] [--ready-file PATH]
 *   hs-nl serve [--count N] [--status ERR|none] [--remote SERIAL]...
 *               [--hold-ms N] [--no-done] [--done-after PATH]
 *               [--ready-file PATH] [--idle-timeout-ms N]
 *   hs-nl sink --port N [--ready-file PATH]
 *
 * family prints the family's id, version and groups. accept and done print
 * what the kernel answered and exit 0 iff it is --expect (default 0).
 * listen joins the "tlshd" group and prints each READY without accepting;
 * serve accepts every request it is told about and answers DONE (after
 * --hold-ms, or once PATH exists with --done-after; never with --no-done,
 * holding the sockets until SIGTERM).
 * sink accepts TCP connections on 127.0.0.1:N and holds them: the peer
 * the consumers' sockets connect to. All three write --ready-file once
 * set up and stop on SIGTERM or SIGINT.
 */
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include <linux/keyctl.h>

#include "hs-nl-lib.h"

#define MAX_REMOTE	8
#define MAX_HELD	256

struct opts {
	uint32_t handler_class;
	int expect;
	int fd;
	int status;		/* -1: leave STATUS out */
	uint32_t remote[MAX_REMOTE];
	unsigned int nremote;
	unsigned int count;
	unsigned int seconds;
	unsigned int hold_ms;
	unsigned int idle_timeout_ms;
	unsigned int port;
	bool no_done;
	const char *ready_file;
	const char *done_after;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hs-nl family\n"
		"       hs-nl accept [--class N] [--expect ERR]\n"
		"       hs-nl done --fd N [--status ERR|none] [--remote SERIAL]... [--expect ERR]\n"
		"       hs-nl listen [--seconds N] [--ready-file PATH]\n"
		"       hs-nl serve [--count N] [--status ERR|none] [--remote SERIAL]...\n"
		"                   [--hold-ms N] [--no-done] [--done-after PATH]\n"
		"                   [--ready-file PATH] [--idle-timeout-ms N]\n"
		"       hs-nl sink --port N [--ready-file PATH]\n");
	exit(2);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static int errno_arg(const char *s)
{
	int e = hnl_parse_errno(s);

	if (e < 0) {
		fprintf(stderr, "hs-nl: unknown errno \"%s\"\n", s);
		exit(2);
	}
	return e;
}

/* The keyrings the kernel linked into our process keyring on ACCEPT. */
static void print_process_keyring(void)
{
	int32_t ids[64];
	long n, i;

	n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_PROCESS_KEYRING, ids,
		    sizeof(ids));
	if (n <= 0)
		return;
	printf(" linked=");
	for (i = 0; i < n / (long)sizeof(ids[0]) && i < 64; i++)
		printf("%s%d", i ? "," : "", ids[i]);
}

static void print_accept(const struct hnl_accept *acc)
{
	unsigned int i;
	int type = 0;
	socklen_t len = sizeof(type);

	printf("accept fd=%d type=%u auth=%u", acc->fd, acc->msg_type,
	       acc->auth);
	if (acc->has_timeout)
		printf(" timeout=%u", acc->timeout_ms);
	if (acc->has_peername)
		printf(" peername=%s", acc->peername);
	if (acc->has_keyring)
		printf(" keyring=%u", acc->keyring);
	print_process_keyring();
	for (i = 0; i < acc->npeerids; i++)
		printf("%s%u", i ? "," : " peerids=", acc->peerids[i]);
	if (acc->has_cert)
		printf(" cert=%d", acc->cert);
	if (acc->has_privkey)
		printf(" privkey=%d", acc->privkey);
	if (acc->unknown)
		printf(" unknown=%u", acc->unknown);
	if (getsockopt(acc->fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
		printf(" sock=%s", type == SOCK_STREAM ? "stream" : "other");
	else
		printf(" sock=none");
	printf(" cloexec=%d\n",
	       !!(fcntl(acc->fd, F_GETFD) & FD_CLOEXEC));
}

static int open_family(struct hnl *h)
{
	int err = hnl_open(h);

	if (err)
		fprintf(stderr, "hs-nl: no \"%s\" family: %s\n",
			HANDSHAKE_FAMILY_NAME, strerror(-err));
	return err;
}

static int cmd_family(void)
{
	struct hnl h;
	unsigned int i;

	if (open_family(&h))
		return 1;
	printf("family=%u version=%u groups=", h.family, h.version);
	for (i = 0; i < h.ngroups; i++)
		printf("%s%s:%u", i ? "," : "", h.group_name[i],
		       h.group_id[i]);
	printf("\n");
	hnl_close(&h);
	return 0;
}

static int cmd_accept(const struct opts *o)
{
	struct hnl_accept acc;
	struct hnl h;
	int err;

	if (open_family(&h))
		return 1;
	err = hnl_accept(&h, o->handler_class, &acc);
	if (err)
		printf("accept error=%s\n", hnl_errname(err));
	else
		print_accept(&acc);
	hnl_close(&h);
	return -err == o->expect ? 0 : 1;
}

static int cmd_done(const struct opts *o)
{
	struct hnl h;
	int err;

	if (open_family(&h))
		return 1;
	err = hnl_done(&h, o->fd, o->status, o->remote, o->nremote);
	printf("done fd=%d result=%s\n", o->fd, hnl_errname(err));
	hnl_close(&h);
	return -err == o->expect ? 0 : 1;
}

static int write_ready(const char *path)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fclose(f);
	return 0;
}

/* One READY: its class, or -1 when the message is something else. */
static int read_ready(int fd)
{
	static char buf[8192];
	struct nlmsghdr *nlh;
	int len, ret = -1;
	struct nlattr *a;
	ssize_t n;
	int alen, rem;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == ENOBUFS ? 0 : -1;	/* overrun: look anyway */
	len = (int)n;
	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		struct genlmsghdr *g = NLMSG_DATA(nlh);

		if (g->cmd != HANDSHAKE_CMD_READY)
			continue;
		ret = 0;
		hnl_for_each_attr(a, hnl_genl_attrs(nlh, &alen), alen, rem)
			if (a->nla_type == HANDSHAKE_A_ACCEPT_HANDLER_CLASS)
				ret = (int)hnl_attr_u32(a);
		printf("ready class=%d\n", ret);
	}
	return ret;
}

static int cmd_listen(const struct opts *o)
{
	struct pollfd pfd = { .events = POLLIN };
	struct timespec start, now;
	struct hnl h;
	int err;

	if (open_family(&h))
		return 1;
	err = hnl_join(&h, HANDSHAKE_MCGRP_TLSHD);
	if (err) {
		fprintf(stderr, "hs-nl: join: %s\n", strerror(-err));
		return 1;
	}
	printf("joined\n");
	if (write_ready(o->ready_file))
		return 1;
	pfd.fd = h.fd;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (o->seconds && now.tv_sec - start.tv_sec >= o->seconds)
			break;
		if (poll(&pfd, 1, 200) > 0)
			read_ready(h.fd);
	}
	hnl_close(&h);
	return 0;
}

static int serve_one(struct hnl *h, const struct opts *o, int *held,
		     unsigned int *nheld)
{
	struct hnl_accept acc;
	int err;

	err = hnl_accept(h, o->handler_class, &acc);
	if (err == -EAGAIN)
		return 0;
	if (err) {
		printf("accept error=%s\n", hnl_errname(err));
		return -1;
	}
	print_accept(&acc);
	if (o->no_done) {
		if (*nheld < MAX_HELD)
			held[(*nheld)++] = acc.fd;
		return 1;
	}
	if (o->hold_ms)
		sleep_ms(o->hold_ms);
	while (o->done_after && access(o->done_after, F_OK) && !stop)
		sleep_ms(20);
	err = hnl_done(h, acc.fd, o->status, o->remote, o->nremote);
	printf("done fd=%d result=%s\n", acc.fd, hnl_errname(err));
	close(acc.fd);
	return err ? -1 : 1;
}

static int cmd_serve(const struct opts *o)
{
	struct pollfd pfd = { .events = POLLIN };
	static int held[MAX_HELD];
	unsigned int handled = 0, nheld = 0, i;
	struct hnl notify, ctl;
	int ret, rc = 0;

	if (open_family(&notify) || open_family(&ctl))
		return 1;
	ret = hnl_join(&notify, HANDSHAKE_MCGRP_TLSHD);
	if (ret) {
		fprintf(stderr, "hs-nl: join: %s\n", strerror(-ret));
		return 1;
	}
	printf("joined\n");
	if (write_ready(o->ready_file))
		return 1;
	pfd.fd = notify.fd;
	while (!stop && (!o->count || handled < o->count)) {
		/* Drain what is queued, then wait for the next READY. */
		while (!stop && (!o->count || handled < o->count)) {
			ret = serve_one(&ctl, o, held, &nheld);
			if (ret < 0)
				rc = 1;
			if (ret <= 0)
				break;
			handled++;
		}
		if (stop || (o->count && handled >= o->count))
			break;
		ret = poll(&pfd, 1, o->idle_timeout_ms ?
			   (int)o->idle_timeout_ms : -1);
		if (ret == 0) {
			fprintf(stderr, "hs-nl: idle for %u ms after %u requests\n",
				o->idle_timeout_ms, handled);
			rc = 1;
			break;
		}
		if (ret > 0)
			read_ready(notify.fd);
	}
	fflush(stdout);
	while (nheld && !stop)
		pause();
	for (i = 0; i < nheld; i++)
		close(held[i]);
	hnl_close(&notify);
	hnl_close(&ctl);
	return rc;
}

static int cmd_sink(const struct opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(o->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4096)) {
		perror("hs-nl: sink");
		return 1;
	}
	if (write_ready(o->ready_file))
		return 1;
	/* Connections stay open until we exit: the kernel holds them. */
	while (!stop)
		if (accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EMFILE)
			break;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "expect", required_argument, NULL, 'e' },
		{ "fd", required_argument, NULL, 'f' },
		{ "status", required_argument, NULL, 's' },
		{ "remote", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "no-done", no_argument, NULL, 'N' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "done-after", required_argument, NULL, 'D' },
		{ "idle-timeout-ms", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .handler_class = HANDSHAKE_HANDLER_CLASS_TLSHD,
			  .fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.handler_class = strtoul(optarg, NULL, 0);
			break;
		case 'e':
			o.expect = errno_arg(optarg);
			break;
		case 'f':
			o.fd = (int)strtol(optarg, NULL, 0);
			break;
		case 's':
			o.status = strcmp(optarg, "none") ? errno_arg(optarg) : -1;
			break;
		case 'r':
			if (o.nremote == MAX_REMOTE)
				usage();
			o.remote[o.nremote++] = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o.count = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			o.seconds = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			o.hold_ms = strtoul(optarg, NULL, 0);
			break;
		case 'N':
			o.no_done = true;
			break;
		case 'R':
			o.ready_file = optarg;
			break;
		case 'D':
			o.done_after = optarg;
			break;
		case 'i':
			o.idle_timeout_ms = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			o.port = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (!strcmp(cmd, "family"))
		return cmd_family();
	if (!strcmp(cmd, "accept"))
		return cmd_accept(&o);
	if (!strcmp(cmd, "done")) {
		if (o.fd < 0)
			usage();
		return cmd_done(&o);
	}
	if (!strcmp(cmd, "listen"))
		return cmd_listen(&o);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(&o);
	if (!strcmp(cmd, "sink") && o.port)
		return cmd_sink(&o);
	usage();
	return 2;
}
