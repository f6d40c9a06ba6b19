// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat_handshake: net/handshake for kernels that lack it (before 6.4).
 * The "handshake" generic netlink family and the TLS handshake consumer
 * API, so that an unmodified handshake agent (tlshd) and unmodified
 * consumers work as on a newer kernel.
 */
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "hsc.h"

static unsigned int hsc_net_id;

struct hsc_net *hsc_net(struct net *net)
{
	return net_generic(net, hsc_net_id);
}

static int __net_init hsc_net_init(struct net *net)
{
	hsc_net_setup(hsc_net(net));
	return 0;
}

static void __net_exit hsc_net_exit(struct net *net)
{
	hsc_net_drain(hsc_net(net));
}

static struct pernet_operations hsc_net_ops = {
	.init	= hsc_net_init,
	.exit	= hsc_net_exit,
	.id	= &hsc_net_id,
	.size	= sizeof(struct hsc_net),
};

static int __init hsc_init(void)
{
	int err;

	/* Namespaces first: an agent may ACCEPT as soon as the family exists. */
	err = register_pernet_subsys(&hsc_net_ops);
	if (err)
		return err;
	err = hsc_genl_register();
	if (err) {
		unregister_pernet_subsys(&hsc_net_ops);
		return err;
	}
	return 0;
}

/*
 * No consumer is loaded (each one pins this module). Close the family,
 * which waits for running commands, then the namespaces, then whatever
 * requests are left.
 */
static void __exit hsc_exit(void)
{
	hsc_req_unload_begin();
	hsc_genl_unregister();
	unregister_pernet_subsys(&hsc_net_ops);
	hsc_req_unload_finish();
}

module_init(hsc_init);
module_exit(hsc_exit);

MODULE_DESCRIPTION("net/handshake (TLS handshake upcall) for kernels before 6.4");
MODULE_LICENSE("GPL");
