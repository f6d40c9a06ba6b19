// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-nl-fuzz: a bounded random fuzzer for the "handshake" family. It sends
 * random commands with random flags and random, often malformed attribute
 * streams (lying lengths, nests, repeats, trailing bytes), whose values
 * lean towards what matters: handler classes, errno-sized statuses and
 * the descriptors it holds, including sockets it ACCEPTed from real
 * requests (which it then completes or abandons at random). The kernel log
 * is the judge; this program only reports and checks that every message
 * got an answer.
 *
 *   hs-nl-fuzz [--seconds N] [--seed S]
 *
 * Exits 0 iff it ran its time and the kernel answered every message.
 */
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <time.h>

#include "hs-nl-lib.h"

#define MAX_FDS		48
#define MAX_ERRNO_SEEN	140

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

struct fuzz {
	struct hnl h;
	int fds[MAX_FDS];
	unsigned int nfds;
	unsigned int fixed;	/* fds[0..fixed) are never closed */
	unsigned long sent, timeouts, accepted;
	unsigned long seen[MAX_ERRNO_SEEN + 1];
};

static struct hnl_msg m;

static void add_fd(struct fuzz *f, int fd)
{
	if (f->nfds < MAX_FDS) {
		f->fds[f->nfds++] = fd;
		return;
	}
	close(fd);
}

static void drop_random_fd(struct fuzz *f)
{
	unsigned int i;

	if (f->nfds <= f->fixed)
		return;
	i = f->fixed + below(f->nfds - f->fixed);
	close(f->fds[i]);
	f->fds[i] = f->fds[--f->nfds];
}

static uint32_t value(struct fuzz *f)
{
	switch (below(8)) {
	case 0:
		return below(4);			/* classes, small */
	case 1:
		return below(4200);			/* statuses */
	case 2:
	case 3:
		return (uint32_t)f->fds[below(f->nfds)];
	case 4:
		return 0xffffffffu - below(4);
	case 5:
		return (uint32_t)-(int32_t)below(200);
	default:
		return rnd();
	}
}

static void put_random_attr(struct fuzz *f, int depth)
{
	static uint8_t junk[512];
	uint16_t type = (uint16_t)below(12);
	uint32_t v = value(f);
	size_t len, i;

	if (!below(16))
		type = (uint16_t)rnd();
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		hnl_put_u32(&m, type, v);
		return;
	case 5:
		if (depth < 3 && !hnl_nest_begin(&m, type)) {
			for (i = below(4); i > 0; i--)
				put_random_attr(f, depth + 1);
			hnl_nest_end(&m);
		}
		return;
	case 6:	/* a length that lies */
		hnl_put_attr(&m, type, &v, sizeof(v), (uint16_t)below(64));
		return;
	default:
		len = below(below(8) ? 16 : sizeof(junk));
		for (i = 0; i < len; i++)
			junk[i] = (uint8_t)rnd();
		hnl_put(&m, type, junk, len);
	}
}

static int on_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct fuzz *f = arg;
	struct hnl_accept acc = { .fd = -1 };

	hnl_on_accept(nlh, &acc);
	if (acc.has_fd && acc.fd >= 0) {
		f->accepted++;
		add_fd(f, acc.fd);
	}
	return 0;
}

/* An ACCEPT or DONE that passes the policy, perhaps with one bad part. */
static void plausible(struct fuzz *f)
{
	unsigned int i, n;

	if (below(2)) {
		hnl_msg_init(&m, f->h.family, 0, HANDSHAKE_CMD_ACCEPT,
			     HANDSHAKE_FAMILY_VERSION);
		hnl_put_u32(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
			    below(4) ? HANDSHAKE_HANDLER_CLASS_TLSHD : below(3));
	} else {
		hnl_msg_init(&m, f->h.family, 0, HANDSHAKE_CMD_DONE,
			     HANDSHAKE_FAMILY_VERSION);
		if (below(4))
			hnl_put_u32(&m, HANDSHAKE_A_DONE_STATUS,
				    below(2) ? 0 : below(4200));
		/* The newest descriptors are the ones ACCEPT handed us. */
		i = below(2) && f->nfds > f->fixed ?
		    f->nfds - 1 - below(f->nfds - f->fixed) : below(f->nfds);
		hnl_put_u32(&m, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)f->fds[i]);
		for (n = below(8); n > 0; n--)
			hnl_put_u32(&m, HANDSHAKE_A_DONE_REMOTE_AUTH, rnd());
	}
	if (!below(8))
		put_random_attr(f, 0);
}

/* Anything: random command, flags, header and attribute stream. */
static void random_message(struct fuzz *f)
{
	static const uint8_t cmds[] = { HANDSHAKE_CMD_ACCEPT,
		HANDSHAKE_CMD_DONE, HANDSHAKE_CMD_READY, 0, 4 };
	uint16_t flags = 0;
	struct genlmsghdr *g;
	unsigned int n, i;

	if (!below(32))
		flags |= (uint16_t)rnd();
	hnl_msg_init(&m, f->h.family, flags,
		     below(16) ? cmds[below(sizeof(cmds))] : (uint8_t)rnd(),
		     below(8) ? HANDSHAKE_FAMILY_VERSION : (uint8_t)rnd());
	if (!below(32)) {
		g = NLMSG_DATA(&m.nlh);
		g->reserved = (uint16_t)rnd();
	}
	n = below(7);
	for (i = 0; i < n; i++)
		put_random_attr(f, 0);
	if (!below(16))
		hnl_put_raw(&m, &m, below(4));	/* trailing bytes */
	if (!below(32))
		m.len = NLMSG_HDRLEN + below((unsigned int)(m.len - NLMSG_HDRLEN));
}

static void one_message(struct fuzz *f)
{
	int err;

	if (below(10) < 6)
		plausible(f);
	else
		random_message(f);

	/* Always ask for the ack: it is how we know the kernel answered. */
	m.nlh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	err = hnl_send(&f->h, &m);
	f->sent++;
	if (err)
		return;
	err = hnl_wait_ack(&f->h, on_reply, f, 5000);
	if (err == -ETIMEDOUT) {
		f->timeouts++;
		fprintf(stderr, "hs-nl-fuzz: no answer to message %lu\n",
			f->sent);
		return;
	}
	f->seen[-err <= MAX_ERRNO_SEEN ? -err : MAX_ERRNO_SEEN]++;
}

/* Complete a held request properly, now and then. */
static void proper_done(struct fuzz *f)
{
	uint32_t remote = rnd();

	if (f->nfds <= f->fixed)
		return;
	hnl_done(&f->h, f->fds[f->nfds - 1], below(3) ? 0 : below(200),
		 &remote, below(3));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long seconds = 60;
	struct fuzz f = { 0 };
	time_t end;
	int c, err;

	rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			rng_state = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: hs-nl-fuzz [--seconds N] [--seed S]\n");
			return 2;
		}
	}
	if (!rng_state)
		rng_state = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed=%llu seconds=%lu\n", (unsigned long long)rng_state,
	       seconds);

	err = hnl_open(&f.h);
	if (err) {
		fprintf(stderr, "hs-nl-fuzz: no handshake family: %s\n",
			strerror(-err));
		return 1;
	}
	f.fds[f.nfds++] = f.h.fd;
	f.fds[f.nfds++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	f.fds[f.nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	f.fds[f.nfds++] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	f.fixed = f.nfds;

	end = time(NULL) + (time_t)seconds;
	while (time(NULL) < end) {
		one_message(&f);
		if (!below(64))
			proper_done(&f);
		if (!below(32))
			drop_random_fd(&f);
		if (!below(512))
			hnl_join(&f.h, HANDSHAKE_MCGRP_TLSHD);
	}

	printf("sent=%lu accepted=%lu timeouts=%lu\n", f.sent, f.accepted,
	       f.timeouts);
	for (c = 0; c <= MAX_ERRNO_SEEN; c++)
		if (f.seen[c])
			printf("  %s: %lu\n", hnl_errname(c), f.seen[c]);
	return f.timeouts ? 1 : 0;
}
