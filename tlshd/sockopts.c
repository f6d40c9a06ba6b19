// SPDX-License-Identifier: GPL-2.0-or-later
/* Taking and giving back a consumer socket's settings (see sockopts.h). */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "log.h"
#include "sockopts.h"

/*
 * Nagle during the handshake: our Finished is small and follows the
 * ChangeCipherSpec, which the server (in delayed-ACK mode after sending
 * its flight) does not ACK for up to 40 ms, so the kernel holds the
 * Finished that long, and with it the server's NewSessionTicket that the
 * client waits for before DONE. Flights are written whole, so no delay is
 * wanted while we own the socket.
 */
static void tlshd_sockopts_nodelay(struct tlshd_sockopts *so, int fd)
{
	int v = 0, on = 1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && !v &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0)
		so->nodelay_set = 1;
}

void tlshd_sockopts_take(struct tlshd_sockopts *so, int fd)
{
	so->nodelay_set = 0;
	tlshd_sockopts_nodelay(so, fd);
}

void tlshd_sockopts_give_back(struct tlshd_sockopts *so, int fd)
{
	int off = 0;

	if (so->nodelay_set &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off)) < 0)
		tlshd_warn("fd %d: cannot give TCP_NODELAY back: %s", fd,
			   strerror(errno));
	so->nodelay_set = 0;
}
