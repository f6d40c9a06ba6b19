#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Requests belong to their socket's network namespace: an agent elsewhere
# neither hears of them nor can accept them, and each namespace has its own
# cap. When a namespace goes away, its requests, pending or accepted,
# complete with -ETIMEDOUT and their sockets are released; other
# namespaces carry on.
. "$(dirname "$0")/compat-common.bash"
compat_load
selftest_load
ns=compat-hs-$$

ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up
# nsenter, not ip netns exec: that one remounts /sys, hiding debugfs.
inns() {
	nsenter --net="/run/netns/$ns" "$@"
}

# An agent in the initial namespace only: the namespace has none (ESRCH).
start_agent init-listen listen
init_listen=$bg_pid
inns bash -c "echo kern >$HST/ctl" 2>/dev/null
hst_err=$(sed -n 's/^last=//p' "$HST/state")
[ "$hst_err" = -3 ] || fail "request in a namespace with no agent: $hst_err, want ESRCH"
grep -q '^ready' "$T/init-listen" && fail "the initial namespace's agent heard of it"

# An agent in the namespace: its requests queue there, capped there.
rm -f "$T/ns-listen.ready"
bg ns-listen nsenter --net="/run/netns/$ns" hs-nl listen --ready-file "$T/ns-listen.ready"
ns_listen=$bg_pid
wait_file "$T/ns-listen.ready"
cap=$(compat_cap)
for ((i = 0; i < cap; i++)); do
	inns bash -c "echo kern >$HST/ctl" || fail "namespace request $i"
done
inns bash -c "echo kern >$HST/ctl" 2>/dev/null
hst_err=$(sed -n 's/^last=//p' "$HST/state")
[ "$hst_err" = -11 ] || fail "request $((cap + 1)) in the namespace: $hst_err, want EAGAIN"
hs-nl accept --expect EAGAIN || fail "the initial namespace sees the namespace's requests"
hst kern
[ "$hst_err" = 0 ] || fail "the namespace's full queue blocks the initial one: $hst_err"
init_slot=$cap
hst_slot "$init_slot" | grep -q 'state=pending kern=1' || fail "initial-namespace slot: $(hst_slot "$init_slot")"
# One of the namespace's requests accepted, and left in flight.
inns hs-nl accept >"$T/ns-accept" || fail "ACCEPT in the namespace: $(cat "$T/ns-accept")"

if ! compat_kernel; then
	# Dismantling a namespace under pending kernel-socket requests is
	# what this module had to get right; the kernel's own version of
	# that path is not this test's business.
	stop_bg "$ns_listen"
	ip netns del "$ns"
	dmesg_check
	echo "PASS (namespace teardown checked on the compat kernel only)"
	exit 0
fi

stop_bg "$ns_listen"
ip netns del "$ns"
# Cleanup runs in a work item: wait for the callbacks.
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'state=done kern=1 status=-110' "$HST/state")" -ge "$cap" ] && break
	sleep 0.1
done
cat "$HST/state"
# The accepted one too: its kernel socket must go with the namespace.
n=$(grep -c 'state=done kern=1 status=-110 peerid=0 cancel=-1 held=0' "$HST/state")
[ "$n" = "$cap" ] || fail "$n of $cap requests completed with -ETIMEDOUT"
hst_slot "$init_slot" | grep -q 'state=pending kern=1 .*held=1' ||
	fail "the initial namespace's request changed: $(hst_slot "$init_slot")"
hs-nl accept >"$T/init-accept" || fail "the initial namespace's request is gone"
stop_bg "$init_listen"
dmesg_check
echo "PASS"
