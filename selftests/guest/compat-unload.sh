#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# compat_handshake unloads with requests left in it: pending and accepted
# ones whose consumer went away without cancelling, a completed one on a
# socket still open. Nothing crashes, every socket it pinned is released,
# and the module loads again and works.
. "$(dirname "$0")/compat-common.bash"
compat_kernel || skip "the kernel has net/handshake built in: nothing to unload"
compat_load
port=5704
start_sink $port

# TCP sockets alive, from the slab: kernel and user ones alike.
tcp_socks() {
	awk '$1 == "TCP" {print $2}' /proc/slabinfo
}
sleep 1
before=$(tcp_socks)

selftest_load
exec 7<>/dev/tcp/127.0.0.1/$port 8<>/dev/tcp/127.0.0.1/$port
# Completed, on a socket we keep open.
start_agent serve serve --count 1
hst fd 7
wait_grep '^done .*result=0' "$T/serve" 50
# Accepted, never answered.
start_agent listen listen
hst fd 8
[ "$hst_err" = 0 ] || fail "fd 8: $hst_err"
hs-nl accept >"$T/acc" || fail "ACCEPT: $(cat "$T/acc")"
# Pending: kernel sockets, which only the requests keep open.
for i in 1 2 3; do
	hst kern
	[ "$hst_err" = 0 ] || fail "kern $i: $hst_err"
done
cat "$HST/state"

echo 1 >/sys/module/compat_handshake_selftest/parameters/abandon
rmmod compat_handshake_selftest || fail "rmmod the selftest consumer"
rmmod ktls_test_consumer || fail "rmmod ktls_test_consumer"
rmmod compat_handshake || fail "rmmod compat_handshake with requests left"
lsmod | grep -q '^compat_handshake ' && fail "still loaded"
genl-ctrl-list 2>/dev/null | grep -q handshake && fail "the family outlived the module"

exec 7>&- 8>&-
stop_bg "$sink_pid"
for ((i = 0; i < 50; i++)); do
	[ "$(tcp_socks)" -le "$before" ] && break
	sleep 0.2
done
echo "TCP sockets: $before before, $(tcp_socks) after"
[ "$(tcp_socks)" -le "$before" ] || fail "sockets the module pinned were not released"

# Loads again, and works.
compat_load
start_sink $((port + 1))
start_agent serve2 serve --count 1
hs-consumer --connect 127.0.0.1:$((port + 1)) --type client --auth anon >"$T/again" 2>&1 ||
	fail "after reloading: $(cat "$T/again")"
dmesg_check
echo "PASS"
