// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "handshake" generic netlink family, version 1, as net/handshake has
 * it: the READY multicast to the group named after the handler class, and
 * the ACCEPT and DONE commands of the agent. Numbers and policies come
 * from uapi/linux/handshake.h; both commands need CAP_NET_ADMIN.
 */
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/handshake.h>
#include <linux/net.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "hsc.h"

static const struct nla_policy hsc_accept_policy[HANDSHAKE_A_ACCEPT_HANDLER_CLASS + 1] = {
	[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] =
		NLA_POLICY_MAX(NLA_U32, HANDSHAKE_HANDLER_CLASS_MAX),
};

static const struct nla_policy hsc_done_policy[HANDSHAKE_A_DONE_MAX + 1] = {
	[HANDSHAKE_A_DONE_STATUS] = NLA_POLICY_MAX(NLA_U32, MAX_ERRNO),
	[HANDSHAKE_A_DONE_SOCKFD] = { .type = NLA_S32 },
	[HANDSHAKE_A_DONE_REMOTE_AUTH] = { .type = NLA_U32 },
};

static int hsc_genl_accept(struct sk_buff *skb, struct genl_info *info);
static int hsc_genl_done(struct sk_buff *skb, struct genl_info *info);

static const struct genl_ops hsc_genl_ops[] = {
	{
		.cmd		= HANDSHAKE_CMD_ACCEPT,
		.doit		= hsc_genl_accept,
		.policy		= hsc_accept_policy,
		.maxattr	= HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= HANDSHAKE_CMD_DONE,
		.doit		= hsc_genl_done,
		.policy		= hsc_done_policy,
		.maxattr	= HANDSHAKE_A_DONE_MAX,
		.flags		= GENL_ADMIN_PERM,
	},
};

/* A group's index in the family is the handler class it serves. */
static const struct genl_multicast_group hsc_genl_groups[] = {
	[HANDSHAKE_HANDLER_CLASS_NONE]	= { .name = HANDSHAKE_MCGRP_NONE },
	[HANDSHAKE_HANDLER_CLASS_TLSHD]	= { .name = HANDSHAKE_MCGRP_TLSHD },
};

static struct genl_family hsc_family __ro_after_init = {
	.name		= HANDSHAKE_FAMILY_NAME,
	.version	= HANDSHAKE_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= hsc_genl_ops,
	.n_ops		= ARRAY_SIZE(hsc_genl_ops),
	.mcgrps		= hsc_genl_groups,
	.n_mcgrps	= ARRAY_SIZE(hsc_genl_groups),
};

int hsc_genl_register(void)
{
	return genl_register_family(&hsc_family);
}

void hsc_genl_unregister(void)
{
	genl_unregister_family(&hsc_family);
}

/* Tell the agents of the namespace that a request waits: -ESRCH if none. */
int hsc_genl_notify(struct net *net, u32 handler_class, gfp_t gfp)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&hsc_family, net, handler_class))
		return -ESRCH;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), gfp);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &hsc_family, 0, HANDSHAKE_CMD_READY);
	if (!hdr ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, handler_class)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_multicast_netns(&hsc_family, net, msg, 0, handler_class,
				       gfp);
}

void *hsc_genl_reply_put(struct sk_buff *msg, struct genl_info *info)
{
	return genlmsg_put(msg, info->snd_portid, info->snd_seq, &hsc_family,
			   0, HANDSHAKE_CMD_ACCEPT);
}

/*
 * Hand the oldest pending request of the class to the caller: a new
 * O_CLOEXEC descriptor for the consumer's socket and the parameters in
 * the reply. The descriptor is installed only once the reply is queued,
 * so a failure leaves nothing behind in the agent; the request then
 * fails with -EIO, as upstream's does.
 */
static int hsc_genl_accept(struct sk_buff *skb, struct genl_info *info)
{
	struct hsc_net *hn = hsc_net(genl_info_net(info));
	struct sk_buff *reply;
	struct hsc_req *req;
	struct file *file;
	u32 handler_class;
	int fd, err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_ACCEPT_HANDLER_CLASS))
		return -EINVAL;
	handler_class = nla_get_u32(info->attrs[HANDSHAKE_A_ACCEPT_HANDLER_CLASS]);

	req = hsc_req_next(hn, handler_class, &file);
	if (!req)
		return -EAGAIN;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out_fail;
	}
	reply = req->proto->accept(req, info, fd);
	if (IS_ERR(reply)) {
		err = PTR_ERR(reply);
		goto out_put_fd;
	}
	err = genlmsg_reply(reply, info);
	if (err)
		goto out_put_fd;
	fd_install(fd, file);
	hsc_req_put(req);
	return 0;

out_put_fd:
	put_unused_fd(fd);
out_fail:
	fput(file);
	hsc_req_complete(req, -EIO, NULL);
	hsc_req_put(req);
	return err;
}

/* The agent's verdict on the request of the socket behind SOCKFD. */
static int hsc_genl_done(struct sk_buff *skb, struct genl_info *info)
{
	struct hsc_req *req;
	struct socket *sock;
	int fd, status, err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_DONE_SOCKFD))
		return -EINVAL;
	fd = nla_get_s32(info->attrs[HANDSHAKE_A_DONE_SOCKFD]);

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	req = hsc_req_lookup(sock->sk);
	if (!req) {
		sockfd_put(sock);
		return -EBUSY;
	}

	/* The policy bounds STATUS by MAX_ERRNO: negating it can't overflow. */
	status = -EIO;
	if (info->attrs[HANDSHAKE_A_DONE_STATUS])
		status = -(int)nla_get_u32(info->attrs[HANDSHAKE_A_DONE_STATUS]);

	hsc_req_complete(req, status, info);
	hsc_req_put(req);
	sockfd_put(sock);
	return 0;
}
