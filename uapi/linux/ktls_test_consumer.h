/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) */
/*
 * ktls_test_consumer: lets a user process hand one of its connected TCP
 * sockets to the kernel's TLS handshake upcall (net/handshake), the way
 * NFS and NVMe/TCP hand theirs, and wait for the result.
 *
 * One ioctl on /dev/ktls_test, KTLS_TEST_IOC_HANDSHAKE:
 *
 * - returns 0 when the request ran to its done callback: the outcome is
 *   in .status (0 or a positive errno: the agent's DONE status, EIO for a
 *   DONE without one or an ACCEPT the kernel could not answer) and
 *   .peerid;
 * - fails with -1/errno when no done callback came:
 *   EPERM: the caller lacks CAP_NET_ADMIN (the agent acts on the key
 *   serials passed with its own privileges);
 *   EINVAL, EBADF, ENOTSOCK, EFAULT: bad arguments or fd;
 *   EPROTOTYPE: not a TCP socket; ENOTCONN: not connected;
 *   ESRCH: no agent listens; EAGAIN: too many pending requests, even
 *   after retrying with backoff; EBUSY: the socket already had a
 *   handshake request (the kernel keeps it until the socket is closed);
 *   ETIMEDOUT: the module gave up waiting and cancelled the request;
 *   EINTR: a signal came and the request was cancelled.
 *
 * The module waits KTLS_TEST_WAIT_FACTOR times .timeout_ms plus
 * KTLS_TEST_WAIT_FLOOR_MS, so that a timeout normally comes from the
 * agent's DONE; without a timeout it waits KTLS_TEST_WAIT_DEFAULT_MS.
 * The layout is the same for 32- and 64-bit callers.
 */
#ifndef _UAPI_LINUX_KTLS_TEST_CONSUMER_H
#define _UAPI_LINUX_KTLS_TEST_CONSUMER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KTLS_TEST_DEVICE		"/dev/ktls_test"

#define KTLS_TEST_MAX_PEERIDS		5
#define KTLS_TEST_PEERNAME_SIZE		256	/* with the NUL */

#define KTLS_TEST_WAIT_FACTOR		3
#define KTLS_TEST_WAIT_FLOOR_MS		2000
#define KTLS_TEST_WAIT_DEFAULT_MS	60000

enum ktls_test_type {
	KTLS_TEST_TYPE_CLIENT = 1,
	KTLS_TEST_TYPE_SERVER = 2,
};

/* A server can't be anonymous: the kernel has no such request. */
enum ktls_test_auth {
	KTLS_TEST_AUTH_ANON = 1,
	KTLS_TEST_AUTH_X509 = 2,
	KTLS_TEST_AUTH_PSK = 3,
};

struct ktls_test_handshake {
	/* in */
	__s32	fd;		/* connected TCP socket of the caller */
	__u32	type;		/* enum ktls_test_type */
	__u32	auth;		/* enum ktls_test_auth */
	__u32	timeout_ms;	/* sent to the agent; 0: none */
	__s32	keyring;	/* key serials; 0: none */
	__s32	cert;
	__s32	privkey;
	__u32	num_peerids;	/* PSK: 1..KTLS_TEST_MAX_PEERIDS */
	__s32	peerids[KTLS_TEST_MAX_PEERIDS];
	__u32	flags;		/* must be 0 */
	char	peername[KTLS_TEST_PEERNAME_SIZE];	/* "": none */
	/* out */
	__s32	status;		/* 0 or a positive errno */
	__s32	peerid;		/* remote identity's key serial, 0: none */
	__u32	submits;	/* submit attempts, > 1 after EAGAIN */
	__u32	wait_ms;	/* the module's wait budget for this request */
};

#define KTLS_TEST_IOC_MAGIC		0xe5
#define KTLS_TEST_IOC_HANDSHAKE		\
	_IOWR(KTLS_TEST_IOC_MAGIC, 1, struct ktls_test_handshake)

#endif /* _UAPI_LINUX_KTLS_TEST_CONSUMER_H */
