#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# The "handshake" generic netlink family as an agent sees it: version 1,
# groups "none" and "tlshd", ACCEPT and DONE with policies and admin-only.
# On 6.1 that is compat_handshake.ko, on 6.12 the kernel's own, which this
# test holds the module to.
. "$(dirname "$0")/compat-common.bash"
compat_load

ctrl=$(genl-ctrl-list -d 2>&1 |
	awk '/^0x[0-9a-f]+ handshake / {p = 1; print; next} /^0x/ {p = 0} p')
echo "$ctrl"
grep -q 'handshake version 1$' <<<"$ctrl" || fail "not version 1"
grep -qE 'op .*\(0x02\) <admin_perm,has_doit,has_policy>' <<<"$ctrl" ||
	fail "ACCEPT is not <admin_perm,has_doit,has_policy>"
if ! grep -qE 'op .*\(0x03\) <admin_perm,has_doit,has_policy>' <<<"$ctrl"; then
	# Upstream made DONE admin-only late; the compat module does.
	compat_kernel && fail "DONE is not <admin_perm,has_doit,has_policy>"
	echo "note: this kernel's DONE is not admin-only"
fi
grep -q 'grp tlshd' <<<"$ctrl" || fail "no tlshd group"
grep -q 'grp none' <<<"$ctrl" || fail "no none group"
grep -c ' op ' <<<"$ctrl" | grep -qx 2 || fail "not exactly two commands"

out=$(hs-nl family) || fail "hs-nl family"
echo "$out"
grep -qE 'version=1 groups=none:[0-9]+,tlshd:[0-9]+$' <<<"$out" ||
	fail "groups not none, tlshd in this order"

if compat_kernel; then
	modinfo "$COMPAT_KO" | grep -q '^license: *GPL' || fail "module license"
	lsmod | grep -q '^ktls_test_consumer ' || fail "consumer not loaded"
	modinfo -F depends "$CONSUMER_KO" | grep -qx compat_handshake ||
		fail "the consumer does not link against compat_handshake"
fi
dmesg_check
echo "PASS"
