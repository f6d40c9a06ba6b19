/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where the TLS handshake consumer API comes from. Kernels with
 * net/handshake have it built in; for older ones the compat module will
 * provide the same functions with the same semantics, and only this
 * header has to learn where its declarations live.
 */
#ifndef KTLS_HANDSHAKE_API_H
#define KTLS_HANDSHAKE_API_H

#include <linux/gfp.h>
#include <linux/key.h>
#include <linux/net.h>

#if IS_ENABLED(CONFIG_NET_HANDSHAKE)
#include <net/handshake.h>
#else
#include "compat_handshake.h"
#endif

#endif /* KTLS_HANDSHAKE_API_H */
