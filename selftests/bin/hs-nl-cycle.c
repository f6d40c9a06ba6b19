// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-nl-cycle: request cycles through the handshake layer, back to back.
 * One thread is the agent (ACCEPT every request, DONE with status 0 and
 * remote identity 1); the main thread is the consumer: connect a fresh
 * loopback TCP pair, hand the client end to /dev/ktls_test, check the
 * outcome, close both. For leak checks around many cycles.
 *
 *   hs-nl-cycle [--count N] [--port P] [--plain]
 *
 * --plain: the same TCP cycles without the handshake, as a baseline.
 * Exits 0 iff every cycle got status 0 and peerid 1.
 */
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/ktls_test_consumer.h>

#include "hs-nl-lib.h"

#define REMOTE_ID	1

static atomic_int agent_stop;
static atomic_int agent_ready;
static atomic_ulong agent_errors;

static void *agent_main(void *arg)
{
	struct pollfd pfd = { .events = POLLIN };
	static char buf[8192];
	struct hnl notify, ctl;
	struct hnl_accept acc;
	uint32_t remote = REMOTE_ID;
	int err;

	if (hnl_open(&notify) || hnl_open(&ctl) ||
	    hnl_join(&notify, HANDSHAKE_MCGRP_TLSHD)) {
		fprintf(stderr, "hs-nl-cycle: agent set-up failed\n");
		agent_errors++;
		agent_ready = 1;
		return NULL;
	}
	pfd.fd = notify.fd;
	agent_ready = 1;
	while (!agent_stop) {
		/* Whatever READY said, drain the queue. */
		while ((err = hnl_accept(&ctl, HANDSHAKE_HANDLER_CLASS_TLSHD,
					 &acc)) == 0) {
			err = hnl_done(&ctl, acc.fd, 0, &remote, 1);
			close(acc.fd);
			if (err) {
				fprintf(stderr, "hs-nl-cycle: DONE: %s\n",
					strerror(-err));
				agent_errors++;
			}
		}
		if (err != -EAGAIN) {
			fprintf(stderr, "hs-nl-cycle: ACCEPT: %s\n",
				strerror(-err));
			agent_errors++;
		}
		if (poll(&pfd, 1, 100) > 0)
			while (recv(notify.fd, buf, sizeof(buf),
				    MSG_DONTWAIT) > 0 || errno == ENOBUFS)
				;
	}
	hnl_close(&notify);
	hnl_close(&ctl);
	return NULL;
}

static int tcp_pair(int lfd, const struct sockaddr_in *sin, int *c, int *s)
{
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0)
		return -1;
	if (connect(*c, (const struct sockaddr *)sin, sizeof(*sin))) {
		close(*c);
		return -1;
	}
	*s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*s < 0) {
		close(*c);
		return -1;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "plain", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	unsigned long count = 1000, i, bad = 0;
	unsigned int port = 5601;
	bool plain = false;
	pthread_t agent;
	long long t0;
	int lfd, dev, c, s, one = 1;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			plain = true;
			break;
		default:
			fprintf(stderr, "usage: hs-nl-cycle [--count N] [--port P] [--plain]\n");
			return 2;
		}
	}
	sin.sin_port = htons(port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 16)) {
		perror("hs-nl-cycle: listen");
		return 1;
	}
	dev = open(KTLS_TEST_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(KTLS_TEST_DEVICE);
		return 1;
	}
	if (pthread_create(&agent, NULL, agent_main, NULL))
		return 1;
	while (!agent_ready)
		usleep(1000);

	t0 = now_ms();
	for (i = 0; i < count && !agent_errors; i++) {
		struct ktls_test_handshake hs = {
			.type = KTLS_TEST_TYPE_CLIENT,
			.auth = KTLS_TEST_AUTH_ANON,
		};

		if (tcp_pair(lfd, &sin, &c, &s)) {
			perror("hs-nl-cycle: connect");
			bad++;
			break;
		}
		hs.fd = c;
		if (plain) {
			/* Just the sockets. */
		} else if (ioctl(dev, KTLS_TEST_IOC_HANDSHAKE, &hs)) {
			fprintf(stderr, "hs-nl-cycle: cycle %lu: ioctl: %s\n",
				i, strerror(errno));
			bad++;
		} else if (hs.status || hs.peerid != REMOTE_ID) {
			fprintf(stderr, "hs-nl-cycle: cycle %lu: status %d peerid %d\n",
				i, hs.status, hs.peerid);
			bad++;
		}
		close(c);
		close(s);
		if (bad > 10)
			break;
	}
	agent_stop = 1;
	pthread_join(agent, NULL);
	printf("cycles=%lu bad=%lu agent_errors=%lu ms=%lld\n", i, bad,
	       agent_errors, now_ms() - t0);
	return bad || agent_errors || i != count;
}
