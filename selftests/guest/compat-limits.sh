#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# The errors of the handshake layer: ESRCH with no agent, EAGAIN for an
# ACCEPT with nothing pending and for requests beyond the per-namespace cap
# (upstream's formula), EBUSY for a second request on a socket, pending or
# completed, EPERM for ACCEPT and DONE without CAP_NET_ADMIN.
. "$(dirname "$0")/compat-common.bash"
compat_load
port=5702
start_sink $port

# consumer NAME ARGS...: hs-consumer on a fresh connection.
consumer() {
	local name=$1
	shift
	hs-consumer --connect 127.0.0.1:$port --type client --auth anon "$@" \
		>"$T/$name" 2>&1
}

# No agent: ESRCH at once, from the submit itself.
consumer esrch --expect-status ESRCH || fail "no agent: $(cat "$T/esrch")"
grep -q 'source=ioctl' "$T/esrch" || fail "ESRCH did not come from the submit"
echo "no agent: $(cat "$T/esrch")"

hs-nl accept --expect EAGAIN || fail "ACCEPT with nothing pending"

# EPERM without CAP_NET_ADMIN; with it, the same messages get further.
nocap=(setpriv --inh-caps=-all --bounding-set=-net_admin)
"${nocap[@]}" hs-nl accept --expect EPERM || fail "ACCEPT without CAP_NET_ADMIN"
if ! "${nocap[@]}" hs-nl "done" --fd 0 --expect EPERM; then
	compat_kernel && fail "DONE without CAP_NET_ADMIN"
	echo "note: this kernel's DONE is not admin-only"
fi
hs-nl "done" --fd 0 --expect ENOTSOCK || fail "DONE on a non-socket"

# The cap: that many requests wait, the next one gets EAGAIN even after
# the test consumer's retries.
cap=$(compat_cap)
echo "cap=$cap"
start_agent listen listen
listen_pid=$bg_pid
pids=()
for ((i = 0; i < cap; i++)); do
	bg "wait$i" hs-consumer --connect 127.0.0.1:$port --type client --auth anon
	pids+=("$bg_pid")
done
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c '^ready' "$T/listen")" -ge "$cap" ] && break
	sleep 0.1
done
[ "$(grep -c '^ready' "$T/listen")" -eq "$cap" ] ||
	fail "$cap requests, $(grep -c '^ready' "$T/listen") READY"
consumer over --timeout-ms 1 --expect-status EAGAIN ||
	fail "beyond the cap: $(cat "$T/over")"
# It retries for about its 2 s wait budget before giving up.
ms=$(grep -oE 'elapsed_ms=[0-9]+' "$T/over" | cut -d= -f2)
if ! grep -q 'source=ioctl' "$T/over" || [ "${ms:-0}" -lt 1000 ]; then
	fail "EAGAIN without retries: $(cat "$T/over")"
fi
echo "beyond the cap: $(cat "$T/over")"

# Exactly the cap's worth can be accepted, oldest first.
for ((i = 0; i < cap; i++)); do
	hs-nl accept >"$T/acc$i" || fail "ACCEPT $i: $(cat "$T/acc$i")"
done
hs-nl accept --expect EAGAIN || fail "more than $cap requests were queued"

# Accepted requests wait for a DONE that won't come: cancel them.
for p in "${pids[@]}"; do
	kill -USR1 "$p"
done
for ((i = 0; i < cap; i++)); do
	wait "${pids[$i]}"
	grep -q '^status=EINTR' "$T/wait$i" || fail "consumer $i: $(cat "$T/wait$i")"
done
stop_bg "$listen_pid"

# A second request on a socket: EBUSY while the first is pending...
exec 7<>/dev/tcp/127.0.0.1/$port
start_agent listen2 listen
bg first hs-consumer --fd 7 --type client --auth anon
first=$bg_pid
wait_grep '^ready' "$T/listen2"
hs-consumer --fd 7 --type client --auth anon --expect-status EBUSY >"$T/dup" 2>&1 ||
	fail "duplicate while pending: $(cat "$T/dup")"
kill -USR1 "$first"
wait "$first"
grep -q '^status=EINTR' "$T/first" || fail "first: $(cat "$T/first")"

# ...and after it completed: the socket keeps its request until closed.
exec 8<>/dev/tcp/127.0.0.1/$port
start_agent serve serve --count 1
hs-consumer --fd 8 --type client --auth anon >"$T/done8" 2>&1 ||
	fail "request on fd 8: $(cat "$T/done8")"
hs-consumer --fd 8 --type client --auth anon --expect-status EBUSY >"$T/dup8" 2>&1 ||
	fail "duplicate after completion: $(cat "$T/dup8")"
hs-consumer --fd 7 --type client --auth anon --expect-status EBUSY >"$T/dup7" 2>&1 ||
	fail "duplicate after cancel: $(cat "$T/dup7")"
exec 7>&- 8>&-

# A fresh socket is fine again (the serve agent is done: ESRCH would show).
start_agent serve2 serve --count 1
consumer fresh || fail "fresh socket after the EBUSY ones: $(cat "$T/fresh")"
dmesg_check
echo "PASS"
