/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * The kernel's "handshake" generic netlink family (v1), as spoken between
 * net/handshake and a user-space handshake agent. Names and numbers match
 * the kernel's own uapi header, so this file and <linux/handshake.h> are
 * interchangeable; the guard is the kernel's too, so whichever comes first
 * wins and the other is a no-op.
 */
#ifndef _UAPI_LINUX_HANDSHAKE_H
#define _UAPI_LINUX_HANDSHAKE_H

#define HANDSHAKE_FAMILY_NAME		"handshake"
#define HANDSHAKE_FAMILY_VERSION	1

/* Also the index of the multicast group inside the family. */
enum handshake_handler_class {
	HANDSHAKE_HANDLER_CLASS_NONE,
	HANDSHAKE_HANDLER_CLASS_TLSHD,
	HANDSHAKE_HANDLER_CLASS_MAX,
};

enum handshake_msg_type {
	HANDSHAKE_MSG_TYPE_UNSPEC,
	HANDSHAKE_MSG_TYPE_CLIENTHELLO,
	HANDSHAKE_MSG_TYPE_SERVERHELLO,
};

enum handshake_auth {
	HANDSHAKE_AUTH_UNSPEC,
	HANDSHAKE_AUTH_UNAUTH,
	HANDSHAKE_AUTH_PSK,
	HANDSHAKE_AUTH_X509,
};

/* Nested in HANDSHAKE_A_ACCEPT_CERTIFICATE: key serials. */
enum {
	HANDSHAKE_A_X509_CERT = 1,
	HANDSHAKE_A_X509_PRIVKEY,

	__HANDSHAKE_A_X509_MAX,
	HANDSHAKE_A_X509_MAX = (__HANDSHAKE_A_X509_MAX - 1)
};

enum {
	HANDSHAKE_A_ACCEPT_SOCKFD = 1,		/* s32 */
	HANDSHAKE_A_ACCEPT_HANDLER_CLASS,	/* u32 */
	HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,	/* u32, handshake_msg_type */
	HANDSHAKE_A_ACCEPT_TIMEOUT,		/* u32 ms, absent: none */
	HANDSHAKE_A_ACCEPT_AUTH_MODE,		/* u32, handshake_auth */
	HANDSHAKE_A_ACCEPT_PEER_IDENTITY,	/* u32 key serial, repeats */
	HANDSHAKE_A_ACCEPT_CERTIFICATE,		/* nest, HANDSHAKE_A_X509_* */
	HANDSHAKE_A_ACCEPT_PEERNAME,		/* string */
	HANDSHAKE_A_ACCEPT_KEYRING,		/* u32 key serial, newer kernels */

	__HANDSHAKE_A_ACCEPT_MAX,
	HANDSHAKE_A_ACCEPT_MAX = (__HANDSHAKE_A_ACCEPT_MAX - 1)
};

enum {
	HANDSHAKE_A_DONE_STATUS = 1,		/* u32 errno, 0: success */
	HANDSHAKE_A_DONE_SOCKFD,		/* s32 */
	HANDSHAKE_A_DONE_REMOTE_AUTH,		/* u32 key serial, repeats */

	__HANDSHAKE_A_DONE_MAX,
	HANDSHAKE_A_DONE_MAX = (__HANDSHAKE_A_DONE_MAX - 1)
};

enum {
	HANDSHAKE_CMD_READY = 1,	/* kernel -> agent, multicast */
	HANDSHAKE_CMD_ACCEPT,
	HANDSHAKE_CMD_DONE,

	__HANDSHAKE_CMD_MAX,
	HANDSHAKE_CMD_MAX = (__HANDSHAKE_CMD_MAX - 1)
};

#define HANDSHAKE_MCGRP_NONE	"none"
#define HANDSHAKE_MCGRP_TLSHD	"tlshd"

#endif /* _UAPI_LINUX_HANDSHAKE_H */
