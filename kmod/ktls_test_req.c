// SPDX-License-Identifier: GPL-2.0-only
/*
 * One handshake request on a user's socket, with the lifetime rules of an
 * in-kernel consumer: hold a reference on the socket's file for as long
 * as net/handshake may use it, retry a submit the kernel refuses for lack
 * of room, wait for the done callback, and cancel when giving up.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "handshake_api.h"
#include "ktls_test.h"

#define KTLS_TEST_BACKOFF_MIN_MS	10
#define KTLS_TEST_BACKOFF_MAX_MS	500
#define KTLS_TEST_WAIT_MAX_MS		(24U * 3600 * 1000)

/*
 * How long a cancelled request outlives its ioctl. A cancel can win
 * against an ACCEPT that has already taken the request off the pending
 * list and is still reading it: the peername points into the request,
 * and the accept takes its own reference on sock->file. Keep both a
 * while rather than free them under its feet.
 */
#define KTLS_TEST_LINGER		(2 * HZ)

struct ktls_test_req {
	struct completion	done;
	int			status;
	key_serial_t		peerid;
	struct socket		*sock;	/* holds a reference on sock->file */
	char			peername[KTLS_TEST_PEERNAME_SIZE];
	struct list_head	linger;
	unsigned long		linger_until;
};

static LIST_HEAD(ktls_test_lingering);
static DEFINE_SPINLOCK(ktls_test_linger_lock);
static void ktls_test_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(ktls_test_reaper, ktls_test_reap);

static void ktls_test_req_free(struct ktls_test_req *req)
{
	if (req->sock)
		sockfd_put(req->sock);
	kfree(req);
}

static void ktls_test_reap(struct work_struct *work)
{
	struct ktls_test_req *req, *tmp;
	unsigned long next = 0;
	LIST_HEAD(expired);

	spin_lock(&ktls_test_linger_lock);
	list_for_each_entry_safe(req, tmp, &ktls_test_lingering, linger) {
		/* Appended with a fixed delay: the list is in deadline order. */
		if (time_before(jiffies, req->linger_until)) {
			next = req->linger_until - jiffies;
			break;
		}
		list_move_tail(&req->linger, &expired);
	}
	spin_unlock(&ktls_test_linger_lock);

	list_for_each_entry_safe(req, tmp, &expired, linger)
		ktls_test_req_free(req);
	if (next)
		schedule_delayed_work(&ktls_test_reaper, next);
}

static void ktls_test_req_linger(struct ktls_test_req *req)
{
	req->linger_until = jiffies + KTLS_TEST_LINGER;
	spin_lock(&ktls_test_linger_lock);
	list_add_tail(&req->linger, &ktls_test_lingering);
	spin_unlock(&ktls_test_linger_lock);
	schedule_delayed_work(&ktls_test_reaper, KTLS_TEST_LINGER);
}

/* Module exit: no ioctl runs any more, so only the reaper touches the list. */
void ktls_test_req_exit(void)
{
	struct ktls_test_req *req, *tmp;

	cancel_delayed_work_sync(&ktls_test_reaper);
	list_for_each_entry_safe(req, tmp, &ktls_test_lingering, linger) {
		list_del(&req->linger);
		ktls_test_req_free(req);
	}
}

static void ktls_test_done(void *data, int status, key_serial_t peerid)
{
	struct ktls_test_req *req = data;

	/*
	 * A DONE from the agent arrives as -errno; a failure inside the
	 * kernel (an ACCEPT it could not answer, a dying netns) as +errno.
	 */
	req->status = abs(status);
	req->peerid = peerid;
	/* The waiter may free req as soon as this returns. */
	complete(&req->done);
}

static int ktls_test_check_sock(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk || sock->type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return -EPROTOTYPE;
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return -ENOTCONN;
	return 0;
}

static int ktls_test_submit(const struct ktls_test_handshake *hs,
			    const struct tls_handshake_args *args)
{
	if (hs->type == KTLS_TEST_TYPE_CLIENT) {
		switch (hs->auth) {
		case KTLS_TEST_AUTH_ANON:
			return tls_client_hello_anon(args, GFP_KERNEL);
		case KTLS_TEST_AUTH_X509:
			return tls_client_hello_x509(args, GFP_KERNEL);
		case KTLS_TEST_AUTH_PSK:
			return tls_client_hello_psk(args, GFP_KERNEL);
		}
	} else {
		switch (hs->auth) {
		case KTLS_TEST_AUTH_X509:
			return tls_server_hello_x509(args, GFP_KERNEL);
		case KTLS_TEST_AUTH_PSK:
			return tls_server_hello_psk(args, GFP_KERNEL);
		}
	}
	return -EINVAL;
}

/*
 * The kernel caps pending (not yet accepted) requests per netns, at only
 * about 4 on a small machine, and answers -EAGAIN beyond: back off and
 * try again until the wait budget runs out.
 */
static int ktls_test_submit_retry(struct ktls_test_handshake *hs,
				  const struct tls_handshake_args *args,
				  unsigned long deadline)
{
	unsigned int backoff = KTLS_TEST_BACKOFF_MIN_MS;
	int ret;

	for (;;) {
		hs->submits++;
		ret = ktls_test_submit(hs, args);
		if (ret != -EAGAIN)
			return ret;
		if (time_after(jiffies + msecs_to_jiffies(backoff), deadline))
			return ret;
		if (msleep_interruptible(backoff) || signal_pending(current))
			return -EINTR;
		backoff = min(backoff * 2, KTLS_TEST_BACKOFF_MAX_MS);
	}
}

/* Long enough that a timeout normally comes from the agent's DONE. */
static unsigned int ktls_test_wait_ms(unsigned int timeout_ms)
{
	u64 ms;

	if (!timeout_ms)
		return KTLS_TEST_WAIT_DEFAULT_MS;
	ms = (u64)timeout_ms * KTLS_TEST_WAIT_FACTOR + KTLS_TEST_WAIT_FLOOR_MS;
	return min_t(u64, ms, KTLS_TEST_WAIT_MAX_MS);
}

/*
 * Returns 0 once the done callback has run, with its outcome in hs, or a
 * negative errno when no callback will come (see the uapi header).
 */
int ktls_test_handshake(struct ktls_test_handshake *hs)
{
	struct tls_handshake_args args = { };
	struct ktls_test_req *req;
	unsigned long deadline;
	unsigned int i;
	long left;
	int err;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	init_completion(&req->done);
	INIT_LIST_HEAD(&req->linger);

	/* Pins sock->file, which net/handshake hands to the agent. */
	req->sock = sockfd_lookup(hs->fd, &err);
	if (!req->sock)
		goto out_free;
	err = ktls_test_check_sock(req->sock);
	if (err)
		goto out_free;

	strscpy(req->peername, hs->peername, sizeof(req->peername));
	args.ta_sock = req->sock;
	args.ta_done = ktls_test_done;
	args.ta_data = req;
	args.ta_peername = req->peername[0] ? req->peername : NULL;
	args.ta_timeout_ms = hs->timeout_ms;
	args.ta_keyring = hs->keyring;
	args.ta_my_cert = hs->cert;
	args.ta_my_privkey = hs->privkey;
	args.ta_num_peerids = hs->num_peerids;
	for (i = 0; i < hs->num_peerids; i++)
		args.ta_my_peerids[i] = hs->peerids[i];

	hs->wait_ms = ktls_test_wait_ms(hs->timeout_ms);
	deadline = jiffies + msecs_to_jiffies(hs->wait_ms);
	err = ktls_test_submit_retry(hs, &args, deadline);
	if (err)
		goto out_free;

	/* From here on exactly one done callback comes, unless cancelled. */
	left = max_t(long, (long)(deadline - jiffies), 1);
	left = wait_for_completion_interruptible_timeout(&req->done, left);
	if (left <= 0) {
		if (tls_handshake_cancel(req->sock->sk)) {
			ktls_test_req_linger(req);
			return left ? -EINTR : -ETIMEDOUT;
		}
		/* Lost the race: the done callback is running or has run. */
		wait_for_completion(&req->done);
	}
	hs->status = req->status;
	hs->peerid = req->peerid;
	err = 0;
out_free:
	ktls_test_req_free(req);
	return err;
}
