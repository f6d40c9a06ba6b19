// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-agent: a scripted handshake agent for tests of the kernel side of the
 * upcall (the test consumer module, net/handshake). It joins the "tlshd"
 * group, prints each READY, ACCEPTs requests and prints every attribute
 * the kernel sent, then answers DONE with a chosen status and remote
 * identities, late, or never. It runs no TLS: that is tlshd's job.
 *
 *   hs-agent [--listen-only] [--count N] [--ready-file PATH]
 *            [--accept-delay-ms N] [--hold-ms N] [--no-done]
 *            [--done-status ERRNAME|N|none] [--remote-auth SERIAL]...
 *            [--idle-timeout-ms N]
 *
 * Exits 0 after N requests (READYs with --listen-only) were handled,
 * 1 on an error or when nothing arrives for --idle-timeout-ms.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <keyutils.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/handshake.h>

#define MAX_REMOTE 8
#define MAX_HELD 64

struct agent {
	struct nl_sock *notify;
	struct nl_sock *ctl;
	int family;
	bool listen_only;
	bool no_done;
	bool omit_status;
	unsigned int count;
	unsigned int accept_delay_ms;
	unsigned int hold_ms;
	unsigned int idle_timeout_ms;
	unsigned int done_status;
	unsigned int nremote;
	uint32_t remote[MAX_REMOTE];
	const char *ready_file;

	unsigned int readies;	/* READY notifications seen */
	unsigned int handled;	/* requests accepted */
	int held[MAX_HELD];	/* fds kept for --no-done */
	unsigned int nheld;
	int last_fd;		/* from the last ACCEPT reply, -1: none */
	bool answered;		/* the last request's ack or error came */
	int nl_error;		/* errno of the last request's error ack */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int parse_errno(const char *s, unsigned int *out)
{
	char *end;
	long v;
	int e;

	v = strtol(s, &end, 0);
	if (*s && !*end && v >= 0 && v < 4096) {
		*out = v;
		return 0;
	}
	for (e = 1; e < 200; e++) {
		const char *name = strerrorname_np(e);

		if (name && !strcmp(name, s)) {
			*out = e;
			return 0;
		}
	}
	return -1;
}

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "E?";
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct agent *a = arg;

	a->nl_error = -err->error;
	a->answered = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct agent *a = arg;

	a->answered = true;
	return NL_STOP;
}

/*
 * Send a request on the control socket and read until its ack or error:
 * a reply (ACCEPT's) comes in a datagram of its own before the ack.
 */
static int agent_request(struct agent *a, struct nl_msg *msg, const char *what)
{
	int ret;

	a->nl_error = 0;
	a->answered = false;
	ret = nl_send_auto(a->ctl, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		fprintf(stderr, "hs-agent: send %s: %s\n", what, nl_geterror(ret));
		return -1;
	}
	while (!a->answered) {
		ret = nl_recvmsgs_default(a->ctl);
		if (ret < 0 && !a->answered) {
			fprintf(stderr, "hs-agent: %s: %s\n", what,
				nl_geterror(ret));
			return -1;
		}
	}
	return 0;
}

static const char *msg_type_name(uint32_t t)
{
	switch (t) {
	case HANDSHAKE_MSG_TYPE_CLIENTHELLO:
		return "clienthello";
	case HANDSHAKE_MSG_TYPE_SERVERHELLO:
		return "serverhello";
	}
	return "unknown";
}

static const char *auth_name(uint32_t t)
{
	switch (t) {
	case HANDSHAKE_AUTH_UNAUTH:
		return "unauth";
	case HANDSHAKE_AUTH_PSK:
		return "psk";
	case HANDSHAKE_AUTH_X509:
		return "x509";
	}
	return "unknown";
}

/* The keyrings the kernel linked into our process keyring on ACCEPT. */
static void print_process_keyring(void)
{
	key_serial_t *ids = NULL;
	long n, i;

	n = keyctl_read_alloc(KEY_SPEC_PROCESS_KEYRING, (void **)&ids);
	printf(" proc_keyring=");
	if (n <= 0) {
		printf("none");
	} else {
		for (i = 0; i < n / (long)sizeof(*ids); i++)
			printf("%s%d", i ? "," : "", ids[i]);
	}
	free(ids);
}

static void print_sock(int fd)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(type);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	len = sizeof(proto);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
	printf(" sock=%s", type == SOCK_STREAM && proto == IPPROTO_TCP ?
	       "tcp" : "other");
}

static int on_accept_reply(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *x509[HANDSHAKE_A_X509_MAX + 1];
	struct agent *a = arg;
	struct nlattr *nla;
	bool first = true;
	int rem;

	a->last_fd = -1;
	printf("accept");
	nla_for_each_attr(nla, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		switch (nla_type(nla)) {
		case HANDSHAKE_A_ACCEPT_SOCKFD:
			a->last_fd = nla_get_s32(nla);
			printf(" fd=%d", a->last_fd);
			break;
		case HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
			printf(" type=%s", msg_type_name(nla_get_u32(nla)));
			break;
		case HANDSHAKE_A_ACCEPT_TIMEOUT:
			printf(" timeout_ms=%u", nla_get_u32(nla));
			break;
		case HANDSHAKE_A_ACCEPT_AUTH_MODE:
			printf(" auth=%s", auth_name(nla_get_u32(nla)));
			break;
		case HANDSHAKE_A_ACCEPT_PEER_IDENTITY:
			printf("%s%u", first ? " peerids=" : ",",
			       nla_get_u32(nla));
			first = false;
			break;
		case HANDSHAKE_A_ACCEPT_CERTIFICATE:
			if (nla_parse_nested(x509, HANDSHAKE_A_X509_MAX, nla,
					     NULL) < 0)
				break;
			if (x509[HANDSHAKE_A_X509_CERT])
				printf(" cert=%d",
				       nla_get_s32(x509[HANDSHAKE_A_X509_CERT]));
			if (x509[HANDSHAKE_A_X509_PRIVKEY])
				printf(" privkey=%d",
				       nla_get_s32(x509[HANDSHAKE_A_X509_PRIVKEY]));
			break;
		case HANDSHAKE_A_ACCEPT_PEERNAME:
			printf(" peername=%.*s", nla_len(nla),
			       (const char *)nla_data(nla));
			break;
		case HANDSHAKE_A_ACCEPT_KEYRING:
			printf(" keyring=%u", nla_get_u32(nla));
			break;
		default:
			printf(" attr%d", nla_type(nla));
		}
	}
	if (a->last_fd >= 0)
		print_sock(a->last_fd);
	print_process_keyring();
	printf("\n");
	return NL_OK;
}

static int on_notify(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[HANDSHAKE_A_ACCEPT_MAX + 1];
	struct agent *a = arg;
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));

	if (gnlh->cmd != HANDSHAKE_CMD_READY) {
		printf("notify cmd=%u\n", gnlh->cmd);
		return NL_OK;
	}
	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, HANDSHAKE_A_ACCEPT_MAX,
			  NULL) < 0 ||
	    !attrs[HANDSHAKE_A_ACCEPT_HANDLER_CLASS]) {
		printf("ready class=none\n");
	} else {
		printf("ready class=%u\n",
		       nla_get_u32(attrs[HANDSHAKE_A_ACCEPT_HANDLER_CLASS]));
	}
	a->readies++;
	return NL_OK;
}

static struct nl_sock *agent_socket(struct agent *a, nl_recvmsg_msg_cb_t valid)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "hs-agent: cannot open a generic netlink socket\n");
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid, a);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, a);
	return sk;
}

static int agent_open(struct agent *a)
{
	int grp;

	a->notify = agent_socket(a, on_notify);
	a->ctl = agent_socket(a, on_accept_reply);
	if (!a->notify || !a->ctl)
		return -1;
	a->family = genl_ctrl_resolve(a->ctl, HANDSHAKE_FAMILY_NAME);
	if (a->family < 0) {
		fprintf(stderr, "hs-agent: no \"%s\" genetlink family: %s\n",
			HANDSHAKE_FAMILY_NAME, nl_geterror(a->family));
		return -1;
	}
	grp = genl_ctrl_resolve_grp(a->ctl, HANDSHAKE_FAMILY_NAME,
				    HANDSHAKE_MCGRP_TLSHD);
	if (grp < 0) {
		fprintf(stderr, "hs-agent: no \"%s\" group: %s\n",
			HANDSHAKE_MCGRP_TLSHD, nl_geterror(grp));
		return -1;
	}
	nl_socket_disable_seq_check(a->notify);
	if (nl_socket_add_membership(a->notify, grp)) {
		fprintf(stderr, "hs-agent: cannot join group %d\n", grp);
		return -1;
	}
	printf("joined family=%d group=%s id=%d\n", a->family,
	       HANDSHAKE_MCGRP_TLSHD, grp);
	if (a->ready_file) {
		FILE *f = fopen(a->ready_file, "w");

		if (!f) {
			perror(a->ready_file);
			return -1;
		}
		fclose(f);
	}
	return 0;
}

/* ACCEPT one request: 1 with a->last_fd set, 0 if none is pending, -1. */
static int agent_accept(struct agent *a)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return -1;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, a->family, 0, 0,
			 HANDSHAKE_CMD_ACCEPT, HANDSHAKE_FAMILY_VERSION) ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
			HANDSHAKE_HANDLER_CLASS_TLSHD)) {
		nlmsg_free(msg);
		return -1;
	}
	a->last_fd = -1;
	if (agent_request(a, msg, "ACCEPT"))
		return -1;
	if (a->nl_error == EAGAIN)
		return 0;
	if (a->nl_error) {
		printf("accept error=%s\n", errname(a->nl_error));
		return -1;
	}
	return a->last_fd >= 0 ? 1 : -1;
}

static int agent_done(struct agent *a, int fd)
{
	struct nl_msg *msg = nlmsg_alloc();
	unsigned int i;
	int ret;

	if (!msg)
		return -1;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, a->family, 0, 0,
			 HANDSHAKE_CMD_DONE, HANDSHAKE_FAMILY_VERSION))
		goto err;
	if (!a->omit_status &&
	    nla_put_u32(msg, HANDSHAKE_A_DONE_STATUS, a->done_status))
		goto err;
	if (nla_put_s32(msg, HANDSHAKE_A_DONE_SOCKFD, fd))
		goto err;
	for (i = 0; i < a->nremote; i++)
		if (nla_put_u32(msg, HANDSHAKE_A_DONE_REMOTE_AUTH, a->remote[i]))
			goto err;
	ret = agent_request(a, msg, "DONE");
	printf("done fd=%d status=%s result=%s\n", fd,
	       a->omit_status ? "none" : errname(a->done_status),
	       errname(a->nl_error));
	close(fd);
	return ret || a->nl_error ? -1 : 0;
err:
	nlmsg_free(msg);
	return -1;
}

/* Take every pending request; answer each unless told not to. */
static int agent_drain(struct agent *a)
{
	int fds[MAX_HELD];
	unsigned int n = 0, i;
	int ret = 0, r;

	if (a->accept_delay_ms)
		sleep_ms(a->accept_delay_ms);
	while (n < MAX_HELD && a->handled + n < a->count) {
		r = agent_accept(a);
		if (r < 0)
			return -1;
		if (!r)
			break;
		fds[n++] = a->last_fd;
	}
	a->handled += n;
	if (a->no_done) {
		for (i = 0; i < n && a->nheld < MAX_HELD; i++)
			a->held[a->nheld++] = fds[i];
		return 0;
	}
	if (n && a->hold_ms)
		sleep_ms(a->hold_ms);
	for (i = 0; i < n; i++)
		if (agent_done(a, fds[i]))
			ret = -1;
	return ret;
}

static int agent_run(struct agent *a)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(a->notify),
			      .events = POLLIN };
	unsigned int seen;
	int ret;

	for (;;) {
		if (a->listen_only ? a->readies >= a->count :
		    a->handled >= a->count)
			return 0;
		ret = poll(&pfd, 1, a->idle_timeout_ms);
		if (stop)
			return 1;
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			fprintf(stderr, "hs-agent: nothing for %u ms (%u READY, %u accepted)\n",
				a->idle_timeout_ms, a->readies, a->handled);
			return 1;
		}
		seen = a->readies;
		ret = nl_recvmsgs_default(a->notify);
		if (ret < 0) {
			fprintf(stderr, "hs-agent: receive: %s\n",
				nl_geterror(ret));
			return 1;
		}
		if (!a->listen_only && a->readies != seen && agent_drain(a))
			return 1;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hs-agent [--listen-only] [--count N] [--ready-file PATH]\n"
		"                [--accept-delay-ms N] [--hold-ms N] [--no-done]\n"
		"                [--done-status ERRNAME|N|none] [--remote-auth SERIAL]...\n"
		"                [--idle-timeout-ms N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen-only", no_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "accept-delay-ms", required_argument, NULL, 'a' },
		{ "hold-ms", required_argument, NULL, 'h' },
		{ "no-done", no_argument, NULL, 'n' },
		{ "done-status", required_argument, NULL, 's' },
		{ "remote-auth", required_argument, NULL, 'R' },
		{ "idle-timeout-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct agent a = { .count = 1, .idle_timeout_ms = 30000, .last_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			a.listen_only = true;
			break;
		case 'c':
			a.count = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			a.ready_file = optarg;
			break;
		case 'a':
			a.accept_delay_ms = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			a.hold_ms = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			a.no_done = true;
			break;
		case 's':
			if (!strcmp(optarg, "none"))
				a.omit_status = true;
			else if (parse_errno(optarg, &a.done_status))
				usage();
			break;
		case 'R':
			if (a.nremote == MAX_REMOTE)
				usage();
			a.remote[a.nremote++] = strtoul(optarg, NULL, 0);
			break;
		case 't':
			a.idle_timeout_ms = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !a.count)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (agent_open(&a))
		rc = 1;
	else
		rc = agent_run(&a);
	/* --no-done: keep the requests open until told to stop. */
	while (a.nheld && !stop && !rc)
		pause();
	for (i = 0; i < a.nheld; i++)
		close(a.held[i]);
	nl_socket_free(a.notify);
	nl_socket_free(a.ctl);
	return rc;
}
