// SPDX-License-Identifier: GPL-2.0-only
/*
 * ktls_test_consumer: /dev/ktls_test, whose one ioctl hands the caller's
 * connected TCP socket to the kernel's TLS handshake upcall and returns
 * the outcome. A test tool for handshake agents such as tlshd: it drives
 * them exactly as NFS and NVMe/TCP do.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ktls_test.h"

static int ktls_test_validate(const struct ktls_test_handshake *hs)
{
	if (hs->flags)
		return -EINVAL;
	if (hs->type != KTLS_TEST_TYPE_CLIENT &&
	    hs->type != KTLS_TEST_TYPE_SERVER)
		return -EINVAL;
	switch (hs->auth) {
	case KTLS_TEST_AUTH_ANON:
		if (hs->type == KTLS_TEST_TYPE_SERVER)
			return -EINVAL;
		break;
	case KTLS_TEST_AUTH_X509:
		break;
	case KTLS_TEST_AUTH_PSK:
		if (!hs->num_peerids)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (hs->num_peerids > KTLS_TEST_MAX_PEERIDS)
		return -EINVAL;
	if (strnlen(hs->peername, sizeof(hs->peername)) == sizeof(hs->peername))
		return -EINVAL;
	return 0;
}

static long ktls_test_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct ktls_test_handshake *hs;
	long ret;

	if (cmd != KTLS_TEST_IOC_HANDSHAKE)
		return -ENOTTY;
	/* The agent acts on the key serials we pass with its privileges. */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;

	hs = memdup_user(uarg, sizeof(*hs));
	if (IS_ERR(hs))
		return PTR_ERR(hs);
	ret = ktls_test_validate(hs);
	if (ret)
		goto out;

	hs->status = 0;
	hs->peerid = 0;
	hs->submits = 0;
	hs->wait_ms = 0;
	ret = ktls_test_handshake(hs);
	if (!ret && copy_to_user(uarg, hs, sizeof(*hs)))
		ret = -EFAULT;
out:
	kfree(hs);
	return ret;
}

static const struct file_operations ktls_test_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ktls_test_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice ktls_test_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ktls_test",
	.fops	= &ktls_test_fops,
	.mode	= 0600,
};

static int __init ktls_test_init(void)
{
	return misc_register(&ktls_test_misc);
}

static void __exit ktls_test_exit(void)
{
	misc_deregister(&ktls_test_misc);
	ktls_test_req_exit();
}

module_init(ktls_test_init);
module_exit(ktls_test_exit);

MODULE_DESCRIPTION("Hands user sockets to the kernel TLS handshake upcall, for tests");
MODULE_LICENSE("GPL");
