// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat_handshake_selftest: a scriptable handshake consumer for the
 * compat-* in-guest tests. It does what the user-socket test consumer
 * can't: requests on kernel sockets (which don't keep their network
 * namespace alive, as NFS's and NVMe's don't), cancel and close at a
 * moment of the test's choosing, and leaving requests behind on unload.
 * It builds against <net/handshake.h> or the compat API alike.
 *
 * /sys/kernel/debug/handshake_selftest/ctl takes one command per write:
 *   kern          request on a new kernel TCP socket in the writer's netns
 *   fd N          request on the writer's socket N
 *   again I       a second request on slot I's socket (expect EBUSY)
 *   cancel I      tls_handshake_cancel() on slot I
 *   close I       tls_handshake_close() on slot I
 *   drop I        release slot I (not while its request is pending)
 * Requests are client hellos, anonymous, peername "selftest", timeout
 * 5000 ms. A failing command fails the write; "state" shows the last
 * command's result and every slot. With abandon=1 the module leaves its
 * pending requests behind when unloaded instead of cancelling them.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "handshake_api.h"

#define HST_SLOTS	64
#define HST_PEERNAME	"selftest"
#define HST_TIMEOUT_MS	5000
#define HST_EXIT_WAIT	(10 * HZ)

enum hst_state {
	HST_FREE,
	HST_PENDING,	/* submitted, no callback yet */
	HST_DONE,	/* the callback came */
	HST_CANCELLED,	/* tls_handshake_cancel() returned true */
};

static const char * const hst_state_names[] = {
	[HST_FREE]	= "free",
	[HST_PENDING]	= "pending",
	[HST_DONE]	= "done",
	[HST_CANCELLED]	= "cancelled",
};

struct hst_slot {
	enum hst_state		state;
	bool			kern;
	struct file		*file;	/* ours; NULL once dropped */
	struct socket		*sock;
	const struct net	*net;	/* compared, never dereferenced */
	int			status;
	key_serial_t		peerid;
	int			cancelled;	/* last cancel: -1 none, 0, 1 */
	struct completion	done;
};

static struct hst_slot hst_slots[HST_SLOTS];
static DEFINE_MUTEX(hst_mutex);		/* commands and slot set-up */
static DEFINE_SPINLOCK(hst_lock);	/* slot state vs the callback */
static int hst_last;			/* the last command's result */
static struct dentry *hst_dir;

static bool hst_abandon;
module_param_named(abandon, hst_abandon, bool, 0644);
MODULE_PARM_DESC(abandon, "on unload, leave pending requests behind");

static void hst_done(void *data, int status, key_serial_t peerid)
{
	struct hst_slot *slot = data;

	spin_lock_bh(&hst_lock);
	slot->status = status;
	slot->peerid = peerid;
	slot->state = HST_DONE;
	spin_unlock_bh(&hst_lock);
	complete(&slot->done);
}

static enum hst_state hst_state_of(struct hst_slot *slot)
{
	enum hst_state state;

	spin_lock_bh(&hst_lock);
	state = slot->state;
	spin_unlock_bh(&hst_lock);
	return state;
}

static int hst_submit(struct hst_slot *slot)
{
	struct tls_handshake_args args = {
		.ta_sock	= slot->sock,
		.ta_done	= hst_done,
		.ta_data	= slot,
		.ta_peername	= HST_PEERNAME,
		.ta_timeout_ms	= HST_TIMEOUT_MS,
	};
	int err;

	reinit_completion(&slot->done);
	slot->status = 0;
	slot->peerid = 0;
	slot->cancelled = -1;
	slot->state = HST_PENDING;
	err = tls_client_hello_anon(&args, GFP_KERNEL);
	if (err)
		slot->state = HST_FREE;
	return err;
}

static struct hst_slot *hst_slot_new(void)
{
	unsigned int i;

	for (i = 0; i < HST_SLOTS; i++)
		if (hst_slots[i].state == HST_FREE && !hst_slots[i].file)
			return &hst_slots[i];
	return NULL;
}

static struct hst_slot *hst_slot_get(unsigned int i)
{
	if (i >= HST_SLOTS || !hst_slots[i].file)
		return NULL;
	return &hst_slots[i];
}

/*
 * A kernel socket must be gone before its namespace: from the namespace
 * cleanup work a plain fput() would release it too late.
 */
static void hst_put_file(struct file *file)
{
	if (current->flags & PF_KTHREAD)
		__fput_sync(file);
	else
		fput(file);
}

static int hst_cmd_kern(void)
{
	struct hst_slot *slot = hst_slot_new();
	struct socket *sock;
	struct file *file;
	int err;

	if (!slot)
		return -ENOSPC;
	err = sock_create_kern(current->nsproxy->net_ns, AF_INET, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	/* Consumers hand net/handshake sockets with a file, as NFS does. */
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	slot->file = file;
	slot->sock = sock;
	slot->net = sock_net(sock->sk);
	slot->kern = true;
	err = hst_submit(slot);
	if (err) {
		slot->file = NULL;
		fput(file);
	}
	return err;
}

static int hst_cmd_fd(int fd)
{
	struct hst_slot *slot = hst_slot_new();
	struct socket *sock;
	int err;

	if (!slot)
		return -ENOSPC;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	slot->file = sock->file;
	slot->sock = sock;
	slot->net = sock_net(sock->sk);
	slot->kern = false;
	err = hst_submit(slot);
	if (err) {
		slot->file = NULL;
		sockfd_put(sock);
	}
	return err;
}

static int hst_cmd_again(struct hst_slot *old)
{
	struct hst_slot *slot = hst_slot_new();
	int err;

	if (!slot)
		return -ENOSPC;
	slot->file = get_file(old->file);
	slot->sock = old->sock;
	slot->net = old->net;
	slot->kern = old->kern;
	err = hst_submit(slot);
	if (err) {
		slot->file = NULL;
		fput(old->file);
	}
	return err;
}

static int hst_cmd_cancel(struct hst_slot *slot)
{
	bool cancelled = tls_handshake_cancel(slot->sock->sk);

	spin_lock_bh(&hst_lock);
	slot->cancelled = cancelled;
	if (cancelled)
		slot->state = HST_CANCELLED;
	spin_unlock_bh(&hst_lock);
	return 0;
}

static int hst_cmd_drop(struct hst_slot *slot)
{
	if (hst_state_of(slot) == HST_PENDING)
		return -EBUSY;
	fput(slot->file);
	slot->file = NULL;
	slot->state = HST_FREE;
	return 0;
}

static int hst_run(char *cmd)
{
	struct hst_slot *slot;
	char verb[8];
	int arg;

	cmd = strim(cmd);
	if (!strcmp(cmd, "kern"))
		return hst_cmd_kern();
	if (sscanf(cmd, "%7s %d", verb, &arg) != 2)
		return -EINVAL;
	if (!strcmp(verb, "fd"))
		return hst_cmd_fd(arg);
	slot = arg < 0 ? NULL : hst_slot_get(arg);
	if (!slot)
		return -ENOENT;
	if (!strcmp(verb, "again"))
		return hst_cmd_again(slot);
	if (!strcmp(verb, "cancel"))
		return hst_cmd_cancel(slot);
	if (!strcmp(verb, "close")) {
		tls_handshake_close(slot->sock);
		return 0;
	}
	if (!strcmp(verb, "drop"))
		return hst_cmd_drop(slot);
	return -EINVAL;
}

static ssize_t hst_ctl_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[32];
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	mutex_lock(&hst_mutex);
	err = hst_run(buf);
	hst_last = err;
	mutex_unlock(&hst_mutex);
	return err ? err : len;
}

static int hst_state_show(struct seq_file *m, void *v)
{
	struct hst_slot *slot;
	unsigned int i;

	mutex_lock(&hst_mutex);
	seq_printf(m, "last=%d\n", hst_last);
	for (i = 0; i < HST_SLOTS; i++) {
		slot = &hst_slots[i];
		if (!slot->file && slot->state == HST_FREE)
			continue;
		spin_lock_bh(&hst_lock);
		seq_printf(m, "%u state=%s kern=%d status=%d peerid=%d cancel=%d held=%d\n",
			   i, hst_state_names[slot->state], slot->kern,
			   slot->status, slot->peerid, slot->cancelled,
			   !!slot->file);
		spin_unlock_bh(&hst_lock);
	}
	mutex_unlock(&hst_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hst_state);

static const struct file_operations hst_ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= hst_ctl_write,
	.llseek	= noop_llseek,
};

/*
 * Our namespace work runs before the handshake layer's (it registered
 * first): drop our part of the dying namespace's sockets, so that the
 * handshake layer's own drain of still pending requests is what the test
 * sees, and the last reference goes while the namespace still exists.
 */
static void __net_exit hst_net_exit(struct net *net)
{
	struct hst_slot *slot;
	unsigned int i;

	mutex_lock(&hst_mutex);
	for (i = 0; i < HST_SLOTS; i++) {
		slot = &hst_slots[i];
		if (!slot->file || slot->net != net)
			continue;
		hst_put_file(slot->file);
		slot->file = NULL;
	}
	mutex_unlock(&hst_mutex);
}

static struct pernet_operations hst_net_ops = {
	.exit	= hst_net_exit,
};

static int __init hst_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < HST_SLOTS; i++)
		init_completion(&hst_slots[i].done);
	err = register_pernet_subsys(&hst_net_ops);
	if (err)
		return err;
	hst_dir = debugfs_create_dir("handshake_selftest", NULL);
	debugfs_create_file("ctl", 0200, hst_dir, NULL, &hst_ctl_fops);
	debugfs_create_file("state", 0400, hst_dir, NULL, &hst_state_fops);
	return 0;
}

/*
 * A proper consumer cancels what is pending and waits for a callback it
 * can no longer stop. With abandon=1 we don't, to test that the handshake
 * layer copes when a consumer leaves requests behind.
 */
static void __exit hst_exit(void)
{
	struct hst_slot *slot;
	unsigned int i;

	debugfs_remove_recursive(hst_dir);
	for (i = 0; i < HST_SLOTS; i++) {
		slot = &hst_slots[i];
		if (!slot->file)
			continue;
		if (hst_state_of(slot) == HST_PENDING && !hst_abandon &&
		    !tls_handshake_cancel(slot->sock->sk) &&
		    !wait_for_completion_timeout(&slot->done, HST_EXIT_WAIT))
			pr_err("slot %u: no callback after a failed cancel\n", i);
		fput(slot->file);
		slot->file = NULL;
	}
	unregister_pernet_subsys(&hst_net_ops);
}

module_init(hst_init);
module_exit(hst_exit);

MODULE_DESCRIPTION("Kernel-socket TLS handshake consumer for tests");
MODULE_LICENSE("GPL");
