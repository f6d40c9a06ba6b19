// SPDX-License-Identifier: GPL-2.0-only
/*
 * TLS handshake requests, the consumer API of <net/handshake.h>: what a
 * consumer asks for becomes the attributes of the agent's ACCEPT reply,
 * and the agent's DONE becomes the consumer's callback.
 */
#include <linux/err.h>
#include <linux/handshake.h>
#include <linux/key.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tls.h>
#include <uapi/linux/keyctl.h>

#include "../compat_handshake.h"
#include "hsc.h"

/* TLS wire values (RFC 8446 section 6) for the close_notify alert. */
#define HSC_TLS_CT_ALERT		21
#define HSC_TLS_ALERT_WARNING		1
#define HSC_TLS_ALERT_CLOSE_NOTIFY	0

struct hsc_tls_req {
	tls_done_func_t		done;
	void			*data;
	u32			msg_type;	/* enum handshake_msg_type */
	u32			auth_mode;	/* enum handshake_auth */
	unsigned int		timeout_ms;
	char			*peername;	/* our copy, or NULL */
	key_serial_t		keyring;
	key_serial_t		cert;
	key_serial_t		privkey;
	unsigned int		num_peerids;
	key_serial_t		peerids[TLS_HANDSHAKE_MAX_PEERIDS];
	/* From DONE: the peer's identities, as the agent verified them. */
	unsigned int		num_remote;
	key_serial_t		remote[TLS_HANDSHAKE_MAX_PEERIDS];
};

#if IS_ENABLED(CONFIG_KEYS)
/*
 * Give the accepting agent the consumer's keyring by linking it into the
 * agent's process keyring, as upstream does (newer kernels also send its
 * serial as KEYRING). Runs in the agent's context.
 */
static int hsc_tls_link_keyring(const struct hsc_tls_req *treq)
{
	key_ref_t process, keyring;
	int err;

	if (treq->keyring == TLS_NO_KEYRING)
		return 0;
	process = lookup_user_key(KEY_SPEC_PROCESS_KEYRING, KEY_LOOKUP_CREATE,
				  KEY_NEED_WRITE);
	if (IS_ERR(process))
		return PTR_ERR(process);
	keyring = lookup_user_key(treq->keyring, KEY_LOOKUP_CREATE,
				  KEY_NEED_LINK);
	if (IS_ERR(keyring)) {
		err = PTR_ERR(keyring);
		goto out_process;
	}
	err = key_link(key_ref_to_ptr(process), key_ref_to_ptr(keyring));
	key_ref_put(keyring);
out_process:
	key_ref_put(process);
	return err;
}
#else
static int hsc_tls_link_keyring(const struct hsc_tls_req *treq)
{
	return 0;
}
#endif

static size_t hsc_tls_reply_size(const struct hsc_tls_req *treq)
{
	size_t size;

	/* SOCKFD, MESSAGE_TYPE, TIMEOUT, KEYRING, AUTH_MODE */
	size = 5 * nla_total_size(sizeof(u32));
	size += TLS_HANDSHAKE_MAX_PEERIDS * nla_total_size(sizeof(u32));
	size += nla_total_size(2 * nla_total_size(sizeof(u32)));
	if (treq->peername)
		size += nla_total_size(strlen(treq->peername) + 1);
	return size;
}

static int hsc_tls_put_auth(struct sk_buff *msg,
			    const struct hsc_tls_req *treq)
{
	struct nlattr *nest;
	unsigned int i;

	switch (treq->auth_mode) {
	case HANDSHAKE_AUTH_PSK:
		for (i = 0; i < treq->num_peerids; i++)
			if (nla_put_u32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY,
					treq->peerids[i]))
				return -EMSGSIZE;
		return 0;
	case HANDSHAKE_AUTH_X509:
		if (treq->cert == TLS_NO_CERT && treq->privkey == TLS_NO_PRIVKEY)
			return 0;
		nest = nla_nest_start(msg, HANDSHAKE_A_ACCEPT_CERTIFICATE);
		if (!nest)
			return -EMSGSIZE;
		if (nla_put_u32(msg, HANDSHAKE_A_X509_CERT, treq->cert) ||
		    nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, treq->privkey)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(msg, nest);
		return 0;
	}
	return 0;
}

static struct sk_buff *hsc_tls_accept(struct hsc_req *req,
				      struct genl_info *info, int fd)
{
	const struct hsc_tls_req *treq = hsc_req_priv(req);
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = hsc_tls_link_keyring(treq);
	if (err)
		return ERR_PTR(err);

	msg = genlmsg_new(hsc_tls_reply_size(treq), GFP_KERNEL);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	hdr = hsc_genl_reply_put(msg, info);
	if (!hdr)
		goto out_size;
	if (nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, fd) ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, treq->msg_type))
		goto out_size;
	if (treq->peername &&
	    nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, treq->peername))
		goto out_size;
	if (treq->timeout_ms &&
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, treq->timeout_ms))
		goto out_size;
	if (treq->keyring != TLS_NO_KEYRING &&
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_KEYRING, treq->keyring))
		goto out_size;
	if (nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, treq->auth_mode) ||
	    hsc_tls_put_auth(msg, treq))
		goto out_size;
	genlmsg_end(msg, hdr);
	return msg;

out_size:
	nlmsg_free(msg);
	return ERR_PTR(-EMSGSIZE);
}

/* Every REMOTE_AUTH, in order: the policy lets them repeat. */
static void hsc_tls_remote_ids(struct hsc_tls_req *treq,
			       const struct genl_info *info)
{
	const struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, nlmsg_attrdata(info->nlhdr, GENL_HDRLEN),
			  nlmsg_attrlen(info->nlhdr, GENL_HDRLEN), rem) {
		if (nla_type(nla) != HANDSHAKE_A_DONE_REMOTE_AUTH)
			continue;
		if (treq->num_remote == ARRAY_SIZE(treq->remote))
			break;
		treq->remote[treq->num_remote++] = nla_get_u32(nla);
	}
}

static void hsc_tls_done(struct hsc_req *req, int status,
			 struct genl_info *info)
{
	struct hsc_tls_req *treq = hsc_req_priv(req);

	if (info)
		hsc_tls_remote_ids(treq, info);
	if (!status)
		set_bit(HSC_REQ_SESSION, &req->flags);
	treq->done(treq->data, status,
		   treq->num_remote ? treq->remote[0] : TLS_NO_PEERID);
}

static void hsc_tls_release(struct hsc_req *req)
{
	struct hsc_tls_req *treq = hsc_req_priv(req);

	kfree(treq->peername);
}

static const struct hsc_proto hsc_tls_proto = {
	.handler_class	= HANDSHAKE_HANDLER_CLASS_TLSHD,
	.privsize	= sizeof(struct hsc_tls_req),
	.accept		= hsc_tls_accept,
	.done		= hsc_tls_done,
	.release	= hsc_tls_release,
};

static struct hsc_req *hsc_tls_req_new(const struct tls_handshake_args *args,
				       u32 msg_type, u32 auth_mode, gfp_t gfp)
{
	struct hsc_tls_req *treq;
	struct hsc_req *req;

	req = hsc_req_alloc(&hsc_tls_proto, gfp);
	if (!req)
		return NULL;
	treq = hsc_req_priv(req);
	treq->done = args->ta_done;
	treq->data = args->ta_data;
	treq->msg_type = msg_type;
	treq->auth_mode = auth_mode;
	treq->timeout_ms = args->ta_timeout_ms;
	treq->keyring = args->ta_keyring;
	treq->cert = TLS_NO_CERT;
	treq->privkey = TLS_NO_PRIVKEY;
	/* Ours, so that a cancelled consumer may free its string at once. */
	if (args->ta_peername) {
		treq->peername = kstrdup(args->ta_peername, gfp);
		if (!treq->peername) {
			hsc_req_free(req);
			return NULL;
		}
	}
	return req;
}

static bool hsc_tls_args_ok(const struct tls_handshake_args *args)
{
	return args && args->ta_sock && args->ta_done;
}

int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags)
{
	struct hsc_req *req;

	if (!hsc_tls_args_ok(args))
		return -EINVAL;
	req = hsc_tls_req_new(args, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			      HANDSHAKE_AUTH_UNAUTH, flags);
	if (!req)
		return -ENOMEM;
	return hsc_req_submit(args->ta_sock, req, flags);
}
EXPORT_SYMBOL(tls_client_hello_anon);

static int hsc_tls_x509(const struct tls_handshake_args *args, u32 msg_type,
			gfp_t flags)
{
	struct hsc_tls_req *treq;
	struct hsc_req *req;

	if (!hsc_tls_args_ok(args))
		return -EINVAL;
	req = hsc_tls_req_new(args, msg_type, HANDSHAKE_AUTH_X509, flags);
	if (!req)
		return -ENOMEM;
	treq = hsc_req_priv(req);
	treq->cert = args->ta_my_cert;
	treq->privkey = args->ta_my_privkey;
	return hsc_req_submit(args->ta_sock, req, flags);
}

int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hsc_tls_x509(args, HANDSHAKE_MSG_TYPE_CLIENTHELLO, flags);
}
EXPORT_SYMBOL(tls_client_hello_x509);

int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hsc_tls_x509(args, HANDSHAKE_MSG_TYPE_SERVERHELLO, flags);
}
EXPORT_SYMBOL(tls_server_hello_x509);

static int hsc_tls_psk(const struct tls_handshake_args *args, u32 msg_type,
		       unsigned int num_peerids, gfp_t flags)
{
	struct hsc_tls_req *treq;
	struct hsc_req *req;

	req = hsc_tls_req_new(args, msg_type, HANDSHAKE_AUTH_PSK, flags);
	if (!req)
		return -ENOMEM;
	treq = hsc_req_priv(req);
	treq->num_peerids = num_peerids;
	memcpy(treq->peerids, args->ta_my_peerids,
	       num_peerids * sizeof(treq->peerids[0]));
	return hsc_req_submit(args->ta_sock, req, flags);
}

/* A client may offer up to TLS_HANDSHAKE_MAX_PEERIDS identities. */
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	if (!hsc_tls_args_ok(args) || !args->ta_num_peerids ||
	    args->ta_num_peerids > TLS_HANDSHAKE_MAX_PEERIDS)
		return -EINVAL;
	return hsc_tls_psk(args, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			   args->ta_num_peerids, flags);
}
EXPORT_SYMBOL(tls_client_hello_psk);

/* A server names the one identity it expects, as upstream's does. */
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	if (!hsc_tls_args_ok(args))
		return -EINVAL;
	return hsc_tls_psk(args, HANDSHAKE_MSG_TYPE_SERVERHELLO, 1, flags);
}
EXPORT_SYMBOL(tls_server_hello_psk);

bool tls_handshake_cancel(struct sock *sk)
{
	return hsc_req_cancel(sk);
}
EXPORT_SYMBOL(tls_handshake_cancel);

/* Is the socket's transmit side kTLS? Anything else would send plaintext. */
static bool hsc_tls_tx_offloaded(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	bool ret = false;

	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP)
		return false;
	lock_sock(sk);
	if (icsk->icsk_ulp_ops && !strcmp(icsk->icsk_ulp_ops->name, "tls"))
		ret = tls_get_ctx(sk)->tx_conf != TLS_BASE;
	release_sock(sk);
	return ret;
}

static int hsc_tls_send_alert(struct socket *sock, u8 level, u8 description)
{
	u8 cbuf[CMSG_SPACE(sizeof(u8))] = { };
	u8 alert[2] = { level, description };
	struct kvec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_control	= cbuf,
		.msg_controllen	= sizeof(cbuf),
		.msg_flags	= MSG_DONTWAIT,
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int ret;

	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(u8));
	*(u8 *)CMSG_DATA(cmsg) = HSC_TLS_CT_ALERT;

	ret = kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
	return ret < 0 ? ret : 0;
}

void tls_handshake_close(struct socket *sock)
{
	struct hsc_req *req;

	if (!sock || !sock->sk)
		return;
	req = hsc_req_lookup(sock->sk);
	if (!req)
		return;
	if (test_and_clear_bit(HSC_REQ_SESSION, &req->flags) &&
	    hsc_tls_tx_offloaded(sock->sk))
		hsc_tls_send_alert(sock, HSC_TLS_ALERT_WARNING,
				   HSC_TLS_ALERT_CLOSE_NOTIFY);
	hsc_req_put(req);
}
EXPORT_SYMBOL(tls_handshake_close);
