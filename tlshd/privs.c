// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities through the raw syscalls: libcap would be a dependency for
 * three calls. Capabilities are per thread, so this runs before the
 * workers start and they inherit the reduced set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "privs.h"

static int tlshd_privs_last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int tlshd_privs_drop(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int cap, last = tlshd_privs_last_cap();
	int keep = CAP_TO_MASK(CAP_NET_ADMIN);
	int idx = CAP_TO_INDEX(CAP_NET_ADMIN);

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	/* Without it every ACCEPT fails: better not to start at all. */
	if (!(data[idx].permitted & keep))
		return -EPERM;
	/* Without CAP_SETPCAP the bounding set stays; capset still narrows. */
	for (cap = 0; cap <= last; cap++)
		if (cap != CAP_NET_ADMIN)
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	keep &= data[idx].permitted;
	memset(data, 0, sizeof(data));
	data[idx].effective = keep;
	data[idx].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
