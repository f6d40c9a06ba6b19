#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# tls_handshake_close(): one close_notify alert record on the kTLS socket
# of a successful handshake, decrypted by the peer; nothing after a failed
# one; nothing, not even plaintext, on a socket without kTLS (compat).
. "$(dirname "$0")/compat-common.bash"
compat_load
selftest_load
native=
compat_kernel || native=--native
hs-nl-close $native || fail "tls_handshake_close"
dmesg_check
echo "PASS"
