/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The release the tools report with --version (tlshd's too). */
#ifndef KTLS_TOOLS_VERSION_H
#define KTLS_TOOLS_VERSION_H

#include <stdio.h>
#include <gnutls/gnutls.h>

#define KTLS_TOOLS_VERSION "0.1.0"

static inline void ktls_tools_print_version(const char *prog)
{
	printf("%s " KTLS_TOOLS_VERSION " (GnuTLS %s)\n", prog,
	       gnutls_check_version(NULL));
}

#endif /* KTLS_TOOLS_VERSION_H */
