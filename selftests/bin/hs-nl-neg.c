// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-nl-neg: malformed and hostile messages to the "handshake" family,
 * each with the error the kernel must answer. Run as root (the commands
 * are admin-only), with no request pending.
 *
 *   hs-nl-neg [--native]
 *
 * --native: the kernel's own net/handshake, not the compat module; a few
 * cases then also accept what older upstream kernels answered.
 * Prints one line per case; exits 0 iff every case got its error.
 */
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>

#include "hs-nl-lib.h"

struct ctx {
	struct hnl h;
	int devnull;
	int tcp;	/* a socket with no request */
	int closed;	/* a descriptor number that is not open */
	bool native;
	unsigned int failed;
	unsigned int cases;
};

static struct hnl_msg m;

static void check(struct ctx *c, const char *name, int got, int want, int alt)
{
	bool ok = -got == want || (c->native && alt && -got == alt);

	c->cases++;
	if (!ok)
		c->failed++;
	printf("%s %s: got %s want %s%s%s\n", ok ? "ok  " : "FAIL", name,
	       hnl_errname(got), hnl_errname(want),
	       alt && c->native ? " or " : "",
	       alt && c->native ? hnl_errname(alt) : "");
}

static void start(struct ctx *c, uint8_t cmd)
{
	hnl_msg_init(&m, c->h.family, 0, cmd, HANDSHAKE_FAMILY_VERSION);
}

static int send_it(struct ctx *c)
{
	return hnl_transact(&c->h, &m, NULL, NULL);
}

static void accept_cases(struct ctx *c)
{
	static char big[60000];
	uint8_t u8 = 1;
	uint64_t u64 = 1;
	struct genlmsghdr *g;

	start(c, HANDSHAKE_CMD_ACCEPT);
	check(c, "accept without HANDLER_CLASS", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, &u8, 1);
	check(c, "accept HANDLER_CLASS of 1 byte", send_it(c), EINVAL, ERANGE);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, &u64, 8);
	check(c, "accept HANDLER_CLASS of 8 bytes", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, NULL, 0);
	check(c, "accept empty HANDLER_CLASS", send_it(c), EINVAL, ERANGE);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 3);
	check(c, "accept HANDLER_CLASS 3", send_it(c), ERANGE, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 0xffffffff);
	check(c, "accept HANDLER_CLASS 0xffffffff", send_it(c), ERANGE, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 0);
	check(c, "accept HANDLER_CLASS none", send_it(c), EAGAIN, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	check(c, "accept, nothing pending", send_it(c), EAGAIN, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS | NLA_F_NESTED, 1);
	check(c, "accept HANDLER_CLASS flagged nested", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_SOCKFD, 0);
	check(c, "accept with a SOCKFD", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	hnl_put_u32(&m, 200, 0);
	check(c, "accept with attribute 200", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	hnl_put(&m, HANDSHAKE_A_ACCEPT_PEERNAME, big, sizeof(big));
	check(c, "accept with a 60000-byte attribute", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	hnl_put_raw(&m, "xyz", 3);
	check(c, "accept with trailing bytes", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_attr(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, &u64, 4, 200);
	check(c, "accept attribute longer than the message", send_it(c),
	      EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_attr(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, &u64, 4, 2);
	check(c, "accept attribute shorter than its header", send_it(c),
	      EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	g = NLMSG_DATA(&m.nlh);
	g->reserved = 1;
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	check(c, "accept with a reserved header field set", send_it(c),
	      EINVAL, 0);

	hnl_msg_init(&m, c->h.family, 0, HANDSHAKE_CMD_ACCEPT, 7);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	check(c, "accept with version 7", send_it(c), EAGAIN, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	m.len = NLMSG_HDRLEN + 2;
	check(c, "accept cut inside the genl header", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_ACCEPT);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	m.nlh.nlmsg_flags = NLM_F_DUMP;
	check(c, "accept as a dump", send_it(c), EOPNOTSUPP, 0);
}

static void done_cases(struct ctx *c)
{
	uint32_t st = 0;
	unsigned int i;

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_STATUS, 0);
	check(c, "done without SOCKFD", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put(&m, HANDSHAKE_A_DONE_SOCKFD, "12345", 5);
	check(c, "done SOCKFD as a string", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put(&m, HANDSHAKE_A_DONE_SOCKFD, &st, 2);
	check(c, "done SOCKFD of 2 bytes", send_it(c), EINVAL, ERANGE);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)-1);
	check(c, "done SOCKFD -1", send_it(c), EBADF, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->closed);
	check(c, "done SOCKFD not open", send_it(c), EBADF, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->devnull);
	check(c, "done SOCKFD of /dev/null", send_it(c), ENOTSOCK, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	check(c, "done SOCKFD of a socket with no request", send_it(c),
	      EBUSY, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->h.fd);
	check(c, "done SOCKFD of the netlink socket", send_it(c), EBUSY, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_STATUS, 5000);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	check(c, "done STATUS beyond MAX_ERRNO", send_it(c), ERANGE, EBUSY);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put(&m, HANDSHAKE_A_DONE_STATUS, "abcdefgh", 8);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	check(c, "done STATUS of 8 bytes", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	hnl_put(&m, HANDSHAKE_A_DONE_REMOTE_AUTH, "abcdefgh", 8);
	check(c, "done REMOTE_AUTH of 8 bytes", send_it(c), EINVAL, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	for (i = 0; i < 2000; i++)
		hnl_put_u32(&m, HANDSHAKE_A_DONE_REMOTE_AUTH, i);
	check(c, "done with 2000 REMOTE_AUTH", send_it(c), EBUSY, 0);

	start(c, HANDSHAKE_CMD_DONE);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)c->tcp);
	hnl_put_u32(&m, HANDSHAKE_A_DONE_REMOTE_AUTH + 1, 0);
	check(c, "done with an attribute past the last", send_it(c), EINVAL, 0);
}

static void command_cases(struct ctx *c)
{
	start(c, HANDSHAKE_CMD_READY);
	hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	check(c, "READY from user space", send_it(c), EOPNOTSUPP, 0);

	start(c, 0);
	check(c, "command 0", send_it(c), EOPNOTSUPP, 0);

	start(c, HANDSHAKE_CMD_DONE + 1);
	check(c, "command after DONE", send_it(c), EOPNOTSUPP, 0);

	start(c, 255);
	check(c, "command 255", send_it(c), EOPNOTSUPP, 0);
}

int main(int argc, char **argv)
{
	struct ctx c = { .native = argc > 1 && !strcmp(argv[1], "--native") };
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = hnl_open(&c.h);
	if (err) {
		fprintf(stderr, "hs-nl-neg: no handshake family: %s\n",
			strerror(-err));
		return 1;
	}
	c.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	c.tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c.closed = dup(c.devnull);
	close(c.closed);
	if (c.devnull < 0 || c.tcp < 0) {
		perror("hs-nl-neg");
		return 1;
	}

	accept_cases(&c);
	done_cases(&c);
	command_cases(&c);

	printf("%u cases, %u failed\n", c.cases, c.failed);
	return c.failed ? 1 : 0;
}
