#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Malformed and hostile messages (missing or mistyped attributes, lying
# lengths, oversized attributes, trailing bytes, foreign descriptors,
# unknown commands) each get their error, as from the kernel's own
# net/handshake, and never a crash.
. "$(dirname "$0")/compat-common.bash"
compat_load
native=
compat_kernel || native=--native
hs-nl-neg $native || fail "some cases got the wrong error"
dmesg_check
echo "PASS"
