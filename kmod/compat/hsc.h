/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat_handshake internals (prefix hsc_: handshake compat). The module
 * rebuilds net/handshake for kernels before 6.4: the "handshake" generic
 * netlink family (genl.c), the request life cycle (request.c), the TLS
 * flavour of requests (tls.c) and module and namespace set-up (main.c).
 */
#ifndef HSC_H
#define HSC_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

struct file;
struct genl_info;
struct net;
struct sk_buff;
struct sock;
struct socket;

/* Per network namespace: its requests not yet completed. */
struct hsc_net {
	struct list_head	pending;	/* not accepted, oldest first */
	struct list_head	accepted;	/* with an agent */
	unsigned int		npending;
	unsigned int		max_pending;
	bool			draining;	/* the namespace is going away */
};

struct hsc_req;

/* What a kind of handshake adds to the generic request: TLS only, so far. */
struct hsc_proto {
	u32	handler_class;
	size_t	privsize;
	/* Build the ACCEPT reply announcing fd; may sleep. */
	struct sk_buff *(*accept)(struct hsc_req *req, struct genl_info *info,
				  int fd);
	/* Tell the consumer; info is NULL unless the agent sent DONE. */
	void	(*done)(struct hsc_req *req, int status,
			struct genl_info *info);
	void	(*release)(struct hsc_req *req);
};

enum hsc_req_flag {
	HSC_REQ_COMPLETED,	/* done or cancelled: exactly one winner */
	HSC_REQ_SESSION,	/* completed with status 0 */
};

/*
 * A request lives in the socket hash from submit until its socket dies
 * (or the module goes), so a second submit on the socket fails with
 * -EBUSY as upstream's does. That membership holds one kref and a
 * reference on sk; lookups take their own kref.
 */
struct hsc_req {
	struct kref		ref;
	struct hlist_node	hnode;		/* hsc_hash, by sk */
	struct list_head	entry;		/* hsc_net.pending or .accepted */
	struct list_head	done_entry;	/* completed, awaiting sk death */
	struct sock		*sk;
	struct hsc_net		*hn;
	struct file		*file;	/* pinned until completion */
	unsigned long		flags;
	bool			queued;		/* entry is on .pending */
	const struct hsc_proto	*proto;
	u8			priv[] __aligned(sizeof(void *));
};

static inline void *hsc_req_priv(struct hsc_req *req)
{
	return req->priv;
}

/* main.c */
struct hsc_net *hsc_net(struct net *net);

/* request.c */
struct hsc_req *hsc_req_alloc(const struct hsc_proto *proto, gfp_t gfp);
void hsc_req_free(struct hsc_req *req);
int hsc_req_submit(struct socket *sock, struct hsc_req *req, gfp_t gfp);
struct hsc_req *hsc_req_lookup(struct sock *sk);
struct hsc_req *hsc_req_next(struct hsc_net *hn, u32 handler_class,
			     struct file **filep);
void hsc_req_complete(struct hsc_req *req, int status,
		      struct genl_info *info);
bool hsc_req_cancel(struct sock *sk);
void hsc_req_put(struct hsc_req *req);
void hsc_net_setup(struct hsc_net *hn);
void hsc_net_drain(struct hsc_net *hn);
void hsc_req_unload_begin(void);
void hsc_req_unload_finish(void);

/* genl.c */
int hsc_genl_register(void);
void hsc_genl_unregister(void);
int hsc_genl_notify(struct net *net, u32 handler_class, gfp_t gfp);
void *hsc_genl_reply_put(struct sk_buff *msg, struct genl_info *info);

#endif /* HSC_H */
