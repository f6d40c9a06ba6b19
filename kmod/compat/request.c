// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handshake requests: submit, each namespace's lists of requests waiting
 * for an agent and held by one, lookup by socket, and completion or
 * cancellation, exactly once.
 *
 * One spinlock (taken with bottom halves off: consumers may cancel from
 * softirq context) covers the socket hash, every namespace's lists and the
 * COMPLETED transition. Handshakes come at human or reconnect-storm rates,
 * nowhere near what would make a global lock hurt.
 *
 * Upstream notices a socket's death by hooking sk->sk_destruct. A module
 * can't: the hook would outlive the module's text. Instead a request keeps
 * a reference on its sock for as long as it sits in the hash, and a
 * collector drops completed requests once their socket is closed
 * (SOCK_DEAD). So the address can't be reused under a stale entry, and
 * unloading leaves nothing pointing into the module.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "hsc.h"

#define HSC_HASH_BITS		8
#define HSC_COLLECT_DELAY	HZ

static DEFINE_SPINLOCK(hsc_lock);
static DEFINE_HASHTABLE(hsc_hash, HSC_HASH_BITS);
static LIST_HEAD(hsc_done_list);
static bool hsc_unloading;

static void hsc_collect(struct work_struct *work);
static DECLARE_DELAYED_WORK(hsc_collector, hsc_collect);

struct hsc_req *hsc_req_alloc(const struct hsc_proto *proto, gfp_t gfp)
{
	struct hsc_req *req;

	req = kzalloc(struct_size(req, priv, proto->privsize), gfp);
	if (!req)
		return NULL;
	kref_init(&req->ref);
	INIT_HLIST_NODE(&req->hnode);
	INIT_LIST_HEAD(&req->entry);
	INIT_LIST_HEAD(&req->done_entry);
	req->proto = proto;
	return req;
}

/* A request that never reached the hash: no sk, no file, no other owner. */
void hsc_req_free(struct hsc_req *req)
{
	req->proto->release(req);
	kfree(req);
}

static void hsc_req_release(struct kref *ref)
{
	struct hsc_req *req = container_of(ref, struct hsc_req, ref);

	sock_put(req->sk);
	hsc_req_free(req);
}

void hsc_req_put(struct hsc_req *req)
{
	kref_put(&req->ref, hsc_req_release);
}

static struct hsc_req *hsc_hash_find(const struct sock *sk)
{
	struct hsc_req *req;

	hash_for_each_possible(hsc_hash, req, hnode, (unsigned long)sk)
		if (req->sk == sk)
			return req;
	return NULL;
}

struct hsc_req *hsc_req_lookup(struct sock *sk)
{
	struct hsc_req *req;

	spin_lock_bh(&hsc_lock);
	req = hsc_hash_find(sk);
	if (req)
		kref_get(&req->ref);
	spin_unlock_bh(&hsc_lock);
	return req;
}

static void hsc_collect_soon(void)
{
	if (!READ_ONCE(hsc_unloading))
		schedule_delayed_work(&hsc_collector, HSC_COLLECT_DELAY);
}

/* Under hsc_lock: off its namespace's lists, for good. */
static void hsc_unqueue(struct hsc_req *req)
{
	if (list_empty(&req->entry))
		return;
	list_del_init(&req->entry);
	if (req->queued)
		req->hn->npending--;
	req->queued = false;
}

/*
 * Win the request's one completion. The winner gets the file pin the
 * request held (and must put it); everyone else gets NULL. A request
 * that completed never touches its namespace again, which is what lets
 * a namespace go away under requests that outlive it.
 */
static struct file *hsc_req_claim(struct hsc_req *req)
{
	struct file *file = NULL;

	spin_lock_bh(&hsc_lock);
	if (!test_and_set_bit(HSC_REQ_COMPLETED, &req->flags)) {
		hsc_unqueue(req);
		file = req->file;
		req->file = NULL;
		list_add_tail(&req->done_entry, &hsc_done_list);
	}
	spin_unlock_bh(&hsc_lock);
	if (file)
		hsc_collect_soon();
	return file;
}

/*
 * Take back a request whose READY notification failed, unless an agent
 * took it meanwhile (its completion will come) or it was cancelled.
 * True when it was withdrawn and freed.
 */
static bool hsc_req_withdraw(struct hsc_req *req)
{
	struct file *file;

	spin_lock_bh(&hsc_lock);
	if (test_bit(HSC_REQ_COMPLETED, &req->flags) || !req->queued) {
		spin_unlock_bh(&hsc_lock);
		return false;
	}
	set_bit(HSC_REQ_COMPLETED, &req->flags);
	hsc_unqueue(req);
	hash_del(&req->hnode);
	file = req->file;
	req->file = NULL;
	spin_unlock_bh(&hsc_lock);

	fput(file);
	hsc_req_put(req);
	return true;
}

int hsc_req_submit(struct socket *sock, struct hsc_req *req, gfp_t gfp)
{
	struct hsc_net *hn;
	struct sock *sk;
	int err;

	if (!sock || !sock->file || !sock->sk) {
		hsc_req_free(req);
		return -EINVAL;
	}
	sk = sock->sk;
	hn = hsc_net(sock_net(sk));

	/* The hash's reference on sk and the pin on the file. */
	sock_hold(sk);
	req->sk = sk;
	req->hn = hn;
	req->file = get_file(sock->file);

	spin_lock_bh(&hsc_lock);
	err = -EAGAIN;
	if (hn->npending >= hn->max_pending)
		goto out_unlock;
	err = -EOPNOTSUPP;
	if (hn->draining)
		goto out_unlock;
	err = -EBUSY;
	if (hsc_hash_find(sk))
		goto out_unlock;
	hash_add(hsc_hash, &req->hnode, (unsigned long)sk);
	list_add_tail(&req->entry, &hn->pending);
	req->queued = true;
	hn->npending++;
	spin_unlock_bh(&hsc_lock);

	err = hsc_genl_notify(sock_net(sk), req->proto->handler_class, gfp);
	if (err && hsc_req_withdraw(req))
		return err;
	return 0;

out_unlock:
	spin_unlock_bh(&hsc_lock);
	fput(req->file);
	req->file = NULL;
	hsc_req_put(req);
	return err;
}

/* ACCEPT: the oldest pending request of the class, with a file reference. */
struct hsc_req *hsc_req_next(struct hsc_net *hn, u32 handler_class,
			     struct file **filep)
{
	struct hsc_req *req, *found = NULL;

	spin_lock_bh(&hsc_lock);
	list_for_each_entry(req, &hn->pending, entry) {
		if (req->proto->handler_class != handler_class)
			continue;
		hsc_unqueue(req);
		list_add_tail(&req->entry, &hn->accepted);
		kref_get(&req->ref);
		/* Pending requests are never completed: the pin is there. */
		*filep = get_file(req->file);
		found = req;
		break;
	}
	spin_unlock_bh(&hsc_lock);
	return found;
}

void hsc_req_complete(struct hsc_req *req, int status,
		      struct genl_info *info)
{
	struct file *file = hsc_req_claim(req);

	if (!file)
		return;
	/*
	 * The pin outlives the callback: the consumer may use the socket.
	 * While the module unloads, a DONE may still come, for a request whose
	 * consumer has left: a loaded consumer would keep us from unloading.
	 */
	if (!READ_ONCE(hsc_unloading))
		req->proto->done(req, status, info);
	fput(file);
}

bool hsc_req_cancel(struct sock *sk)
{
	struct hsc_req *req;
	struct file *file;

	req = hsc_req_lookup(sk);
	if (!req)
		return false;
	file = hsc_req_claim(req);
	hsc_req_put(req);
	if (!file)
		return false;
	fput(file);
	return true;
}

/* Drop completed requests whose socket has been closed. */
static void hsc_collect(struct work_struct *work)
{
	struct hsc_req *req, *tmp;
	LIST_HEAD(dead);
	bool again;

	spin_lock_bh(&hsc_lock);
	list_for_each_entry_safe(req, tmp, &hsc_done_list, done_entry) {
		if (!sock_flag(req->sk, SOCK_DEAD))
			continue;
		hash_del(&req->hnode);
		list_move_tail(&req->done_entry, &dead);
	}
	again = !list_empty(&hsc_done_list);
	spin_unlock_bh(&hsc_lock);

	list_for_each_entry_safe(req, tmp, &dead, done_entry) {
		list_del_init(&req->done_entry);
		hsc_req_put(req);
	}
	if (again)
		hsc_collect_soon();
}

void hsc_net_setup(struct hsc_net *hn)
{
	struct sysinfo si;

	/* Upstream's formula, so agents see the same back-pressure. */
	si_meminfo(&si);
	hn->max_pending = clamp_t(unsigned long,
				  si.totalram / (25 * si.mem_unit), 3, 50);
	hn->npending = 0;
	hn->draining = false;
	INIT_LIST_HEAD(&hn->pending);
	INIT_LIST_HEAD(&hn->accepted);
}

/*
 * A dying namespace's sockets are kernel sockets (a user socket would
 * keep the namespace alive), and they must be released before the
 * namespace is freed. From a kernel thread (the namespace cleanup work)
 * fput() defers the release to a later work item, possibly too late:
 * release synchronously there.
 */
static void hsc_put_file_now(struct file *file)
{
	if (current->flags & PF_KTHREAD)
		__fput_sync(file);
	else
		fput(file);
}

/*
 * The namespace goes: its requests fail with -ETIMEDOUT. Upstream leaves
 * accepted ones to their agent; we complete those too, because the pin we
 * hold on a kernel socket must go before the namespace does. When the
 * module unloads, the consumers are gone already (a loaded consumer pins
 * this module), so nobody is called then.
 */
void hsc_net_drain(struct hsc_net *hn)
{
	struct hsc_req *req;
	struct file *file;

	spin_lock_bh(&hsc_lock);
	hn->draining = true;
	spin_unlock_bh(&hsc_lock);

	for (;;) {
		spin_lock_bh(&hsc_lock);
		req = list_first_entry_or_null(&hn->pending, struct hsc_req,
					       entry);
		if (!req)
			req = list_first_entry_or_null(&hn->accepted,
						       struct hsc_req, entry);
		if (req)
			kref_get(&req->ref);
		spin_unlock_bh(&hsc_lock);
		if (!req)
			break;

		/* A racing cancel may win; either way req leaves the list. */
		file = hsc_req_claim(req);
		if (file) {
			if (!READ_ONCE(hsc_unloading))
				req->proto->done(req, -ETIMEDOUT, NULL);
			hsc_put_file_now(file);
		}
		hsc_req_put(req);
	}
}

/* Module exit, first: no collector from here on, no callbacks. */
void hsc_req_unload_begin(void)
{
	WRITE_ONCE(hsc_unloading, true);
	cancel_delayed_work_sync(&hsc_collector);
}

/*
 * Module exit, last: the family and every namespace are gone (their
 * requests drained without callbacks), so no agent, consumer or collector
 * runs any more. What is left are completed requests on open sockets.
 */
void hsc_req_unload_finish(void)
{
	struct hsc_req *req, *next;
	struct hlist_node *tmp;
	LIST_HEAD(all);
	int bkt;

	spin_lock_bh(&hsc_lock);
	hash_for_each_safe(hsc_hash, bkt, tmp, req, hnode) {
		hash_del(&req->hnode);
		set_bit(HSC_REQ_COMPLETED, &req->flags);
		list_move_tail(&req->done_entry, &all);
	}
	spin_unlock_bh(&hsc_lock);

	list_for_each_entry_safe(req, next, &all, done_entry) {
		list_del_init(&req->done_entry);
		/* Only a request that never completed would hold a pin. */
		if (req->file)
			fput(req->file);
		req->file = NULL;
		hsc_req_put(req);
	}
}
