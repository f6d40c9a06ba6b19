// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs-nl-close: tls_handshake_close() end to end, with the selftest
 * consumer module (compat_handshake_selftest) and this program as the
 * agent. For each case a loopback TCP pair; the client end goes to the
 * module, we ACCEPT it, put it in kTLS transmit mode with a made-up key
 * (as an agent would after a real handshake), answer DONE, let the peer
 * end receive under the same key, and ask the module to close:
 *
 *   ok      DONE 0: exactly one close_notify alert record arrives,
 *           and a second close sends nothing;
 *   failed  DONE EACCES: nothing arrives;
 *   plain   DONE 0 without kTLS (skipped with --native): nothing arrives,
 *           not even as plaintext.
 *
 *   hs-nl-close [--native]
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <linux/tls.h>

#include "hs-nl-lib.h"

#define CTL	"/sys/kernel/debug/handshake_selftest/ctl"
#define STATE	"/sys/kernel/debug/handshake_selftest/state"
#define REMOTE	4711

static struct hnl ctl;
static int lfd;
static struct sockaddr_in peer = { .sin_family = AF_INET };

static int fail(const char *what)
{
	printf("FAIL %s\n", what);
	return 1;
}

static int module_cmd(const char *verb, int arg)
{
	char buf[64];
	int fd, n, ret = 0;

	n = snprintf(buf, sizeof(buf), "%s %d", verb, arg);
	fd = open(CTL, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* The state line of slot i, or "" */
static void slot_line(int slot, char *line, size_t size)
{
	char buf[128];
	FILE *f = fopen(STATE, "r");
	int n;

	line[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "%d ", &n) == 1 && n == slot) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(line, size, "%s", buf);
		}
	fclose(f);
}

/* The newest slot holding a user socket with a pending request. */
static int newest_pending_slot(void)
{
	char buf[128];
	FILE *f = fopen(STATE, "r");
	int n, slot = -1;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "%d ", &n) == 1 &&
		    strstr(buf, "state=pending kern=0"))
			slot = n > slot ? n : slot;
	fclose(f);
	return slot;
}

static int set_ktls(int fd, int dir)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = TLS_1_3_VERSION,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};

	memset(ci.key, 0x11, sizeof(ci.key));
	memset(ci.iv, 0x22, sizeof(ci.iv));
	memset(ci.salt, 0x33, sizeof(ci.salt));
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(fd, SOL_TLS, dir, &ci, sizeof(ci))) {
		perror("hs-nl-close: kTLS");
		return -1;
	}
	return 0;
}

/* One record within ms: 0 and its type and bytes; 1 if none came; -1. */
static int recv_record(int fd, int ms, uint8_t *type, uint8_t *data,
		       size_t *len)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = data, .iov_len = 64 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 1;
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		perror("hs-nl-close: recvmsg");
		return -1;
	}
	*len = (size_t)n;
	*type = 0;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS &&
		    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *(uint8_t *)CMSG_DATA(cmsg);
	return 0;
}

/*
 * One case: submit, accept, optionally kTLS, DONE status, peer in RX mode
 * (if ktls), close; the number of records or bytes that arrived.
 */
static int run_case(const char *name, bool ktls, int status, int *arrived,
		    bool close_twice)
{
	struct hnl_accept acc;
	uint32_t remote = REMOTE;
	char line[128], want[64];
	uint8_t type, data[64];
	int c, s, slot, err, r;
	size_t len;

	*arrived = 0;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&peer, sizeof(peer)))
		return fail("connect");
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		return fail("accept");
	err = module_cmd("fd", c);
	if (err) {
		printf("FAIL %s: submit: %s\n", name, strerror(-err));
		return 1;
	}
	slot = newest_pending_slot();
	err = hnl_accept(&ctl, HANDSHAKE_HANDLER_CLASS_TLSHD, &acc);
	if (err) {
		printf("FAIL %s: ACCEPT: %s\n", name, strerror(-err));
		return 1;
	}
	if (!acc.has_peername || strcmp(acc.peername, "selftest") ||
	    !acc.has_timeout || acc.timeout_ms != 5000 ||
	    acc.msg_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO ||
	    acc.auth != HANDSHAKE_AUTH_UNAUTH)
		return fail("ACCEPT reply attributes");
	if (ktls && set_ktls(acc.fd, TLS_TX))
		return 1;
	err = hnl_done(&ctl, acc.fd, status, &remote, 1);
	close(acc.fd);
	if (err)
		return fail("DONE");
	slot_line(slot, line, sizeof(line));
	/* The first remote identity comes back whatever the status. */
	snprintf(want, sizeof(want), "state=done kern=0 status=%d peerid=%d",
		 -status, REMOTE);
	printf("%s: slot %d: %s\n", name, slot, line);
	if (!strstr(line, want)) {
		printf("FAIL %s: want \"%s\"\n", name, want);
		return 1;
	}
	if (ktls && set_ktls(s, TLS_RX))
		return 1;

	if (module_cmd("close", slot))
		return fail("close");
	r = recv_record(s, 2000, &type, data, &len);
	if (r < 0)
		return 1;
	if (r == 0) {
		printf("%s: record type=%u len=%zu data=%02x%02x\n", name, type,
		       len, data[0], len > 1 ? data[1] : 0);
		if (!ktls || type != 21 || len != 2 || data[0] != 1 ||
		    data[1] != 0)
			return fail("not a close_notify alert");
		(*arrived)++;
	}
	if (close_twice) {
		if (module_cmd("close", slot))
			return fail("close");
		if (recv_record(s, 500, &type, data, &len) == 0)
			(*arrived)++;
	}
	module_cmd("drop", slot);
	close(c);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	bool native = argc > 1 && !strcmp(argv[1], "--native");
	int one = 1, arrived, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = hnl_open(&ctl);
	if (err) {
		fprintf(stderr, "hs-nl-close: no handshake family: %s\n",
			strerror(-err));
		return 1;
	}
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer.sin_port = htons(5611);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&peer, sizeof(peer)) || listen(lfd, 8))
		return fail("listen");

	/* Someone must listen on the group, or the submit fails (ESRCH). */
	err = hnl_join(&ctl, HANDSHAKE_MCGRP_TLSHD);
	if (err)
		return fail("join");

	if (run_case("ok", true, 0, &arrived, true))
		return 1;
	if (arrived != 1)
		return fail("ok: want exactly one close_notify");
	if (run_case("failed", true, EACCES, &arrived, false))
		return 1;
	if (arrived)
		return fail("failed: a close_notify after a failed handshake");
	if (!native) {
		if (run_case("plain", false, 0, &arrived, false))
			return 1;
		if (arrived)
			return fail("plain: bytes sent on a non-kTLS socket");
	}
	printf("PASS\n");
	return 0;
}
