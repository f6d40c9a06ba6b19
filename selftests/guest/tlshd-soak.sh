#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full soak
# Load and leak soak through the kernel upcall (the test consumer module,
# hs-load): 20,000 sequential handshakes in make soak (2,000 in make
# check), half full (a server that sends no tickets) and half to a server
# whose tickets tlshd's session cache keeps, then 2,000 requests at once
# (500 in make check). Every one completes and echoes a
# line over kTLS. Afterwards tlshd is back to its baseline: no handshake
# in flight, no GnuTLS session open (tlshd --status), the same
# fds, and its heap (bytes malloc has handed out) within HEAP_SLACK_KB
# (16) of the baseline, which a leak of one byte per handshake would
# exceed. RSS
# is printed and held to a looser bound (malloc keeps freed memory for
# reuse). First, the status line is shown to see a stalled handshake.
#   SOAK_SEQ (TEST_SIZE=soak: 20000, else 2000), SOAK_CONC (2000 / 500)
# The full size takes 10-16 minutes under emulation, make check's a few:
# timeout: 900
# soak-timeout: 2400
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
command -v hs-load >/dev/null || fail "hs-load not built"
make_pki
# A ticket can come late to a client under load; the wait ends when it does.
patient_tickets
if [ "${TEST_SIZE:-check}" = soak ]; then
	seq_default=20000 conc_default=2000
else
	seq_default=2000 conc_default=500
fi
SEQ=${SOAK_SEQ:-$seq_default}
CONC=${SOAK_CONC:-$conc_default}
echo "  size ${TEST_SIZE:-check}: $SEQ sequential, $CONC at once"
WARM=64
HEAP_SLACK_KB=${SOAK_HEAP_SLACK_KB:-16}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-2048}

ulimit -n 16384
start_echo_server 4720 0	# no tickets: full handshakes
start_echo_server 4721		# tickets: tlshd's client resumes
# Without malloc's per-thread caches, whose chunks count as in use, the
# heap figure is exact: what tlshd holds, not what its threads keep ready.
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 start_tlshd

ms() { echo $(($(date +%s%N) / 1000000)); }
rss() { tlshd_rss; }
oks() { tlshd_oks "$1"; }
load()
{
	local name=$1 rc
	shift
	hs-load --peername localhost --timeout-ms 600000 "$@" \
		>"$T/$name.out" 2>&1
	rc=$?
	sed 's/^/  hs-load: /' "$T/$name.out" | grep -v '^  hs-load: connected'
	[ $rc = 0 ] || fail "$name: not every handshake completed"
}
# idle WHAT: tlshd's status shows nothing in flight and no session open;
# its heap figure goes to $HEAP.
idle()
{
	local st
	st=$(tlshd_status)
	echo "  status $1: $st"
	[ "$(status_of "$st" "handshakes in flight")" = 0 ] ||
		fail "$1: handshakes still in flight: $st"
	[ "$(status_of "$st" "GnuTLS sessions open")" = 0 ] ||
		fail "$1: GnuTLS sessions still open: $st"
	HEAP=$(status_of "$st" "kB in use")
}

# 0. The status line sees a handshake in flight: a peer that accepts the
# connection and never answers holds one for its 4 s timeout.
start_server 4722 python3 -c '
import socket, time
s = socket.create_server(("127.0.0.1", 4722))
c, _ = s.accept()
time.sleep(60)'
hs-consumer --connect 127.0.0.1:4722 --type client --auth anon \
	--peername localhost --timeout-ms 4000 --expect-status ETIMEDOUT \
	>"$T/stall.out" 2>&1 &
stall=$!
# (Taken from the kernel a moment before its GnuTLS session exists.)
for i in $(seq 50); do
	st=$(tlshd_status)
	[ "$(status_of "$st" "GnuTLS sessions open")" = 1 ] && break
	sleep 0.2
done
echo "  status, one peer stalled: $st"
[ "$(status_of "$st" "handshakes in flight")" = 1 ] ||
	fail "a stalled handshake is not counted in flight: $st"
[ "$(status_of "$st" "GnuTLS sessions open")" = 1 ] ||
	fail "a stalled handshake holds no GnuTLS session: $st"
wait $stall || fail "the stalled handshake: $(cat "$T/stall.out")"

# Warm-up: GnuTLS, every worker, the session cache and malloc's arenas
# reach their working size, so the baseline is the steady state.
load warm-full --connect 127.0.0.1:4720 --count $WARM
load warm-resumed --connect 127.0.0.1:4721 --count 4 --concurrency 1
sleep 1
idle "after the warm-up"
heap0=$HEAP
fds0=$(tlshd_fds)
rss0=$(rss)
full0=$(oks 4720)
res0=$(oks 4721)

# 1. Sequential: one request at a time, a new connection each.
half=$((SEQ / 2))
t0=$(ms)
load seq-full --connect 127.0.0.1:4720 --count $half --concurrency 1
load seq-resumed --connect 127.0.0.1:4721 --count $((SEQ - half)) --concurrency 1
el=$(($(ms) - t0))
sleep 1
idle "after $SEQ sequential"
heap1=$HEAP
fds1=$(tlshd_fds)
rss1=$(rss)
full=$(($(oks 4720) - full0))
res=$(($(oks 4721) - res0))
resumed=$(grep "handshake ok: peer localhost 127\.0\.0\.1:4721" "$T/tlshd.log" |
	tail -n "$res" | grep -c ', resumed')
echo "  $SEQ sequential in $el ms ($((SEQ * 1000 / el))/s): $full full, $res to the ticket server ($resumed resumed)"
echo "  tlshd: heap $heap0 -> $heap1 kB, VmRSS $rss0 -> $rss1 kB, fds $fds0 -> $fds1"
[ "$full" = "$half" ] || fail "$full 'handshake ok' lines for $half full handshakes"
[ "$res" = $((SEQ - half)) ] || fail "$res 'handshake ok' lines for $((SEQ - half)) handshakes"
[ "$resumed" -ge $(((SEQ - half) * 3 / 4)) ] ||
	fail "only $resumed of $res handshakes to the ticket server resumed"
[ "$fds1" = "$fds0" ] || fail "tlshd's fd count went from $fds0 to $fds1"
[ "$heap1" -le $((heap0 + HEAP_SLACK_KB)) ] ||
	fail "tlshd's heap grew from $heap0 to $heap1 kB over $SEQ handshakes: a leak"
[ "$rss1" -le $((rss0 + RSS_SLACK_KB)) ] ||
	fail "tlshd's RSS grew from $rss0 to $rss1 kB over $SEQ handshakes"

# 2. Concurrent: every request submitted at once. The kernel keeps only a
# few pending per netns; the module retries the rest with backoff.
t0=$(ms)
load conc --connect 127.0.0.1:4721 --count "$CONC"
el=$(($(ms) - t0))
sleep 1
idle "after $CONC concurrent"
heap2=$HEAP
fds2=$(tlshd_fds)
rss2=$(rss)
hwm=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$TLSHD_PID/status")
n=$(($(oks 4721) - res0 - res))
echo "  $CONC concurrent in $el ms: tlshd heap $heap2 kB, VmRSS $rss2 kB (peak $hwm kB), fds $fds2"
[ "$n" = "$CONC" ] || fail "$n 'handshake ok' lines for $CONC requests"
[ "$fds2" = "$fds0" ] || fail "tlshd's fd count went from $fds0 to $fds2"
[ "$heap2" -le $((heap0 + HEAP_SLACK_KB)) ] ||
	fail "tlshd's heap grew from $heap0 to $heap2 kB after $CONC concurrent handshakes"
fails=$(grep -c 'handshake failed' "$T/tlshd.log")
[ "$fails" = 1 ] || fail "$fails failed handshakes in tlshd's log (1 expected: the stall)"
stop_tlshd

# The peers count the same: every handshake done, none failed.
for i in 0 1; do
	kill -TERM "${BG_PIDS[$i]}"
	wait "${BG_PIDS[$i]}"
done
peer=$(cat "$T/server-4720.log" "$T/server-4721.log" |
	awk '$1 == "handshakes" {d += $3; f += $5} END {print d + 0, f + 0}')
echo "  peers: handshakes done, failed: $peer"
[ "$peer" = "$((WARM + 4 + SEQ + CONC)) 0" ] ||
	fail "the echo servers' count: $(grep -hv '^listening' "$T"/server-472[01].log | tail -n 4)"
echo "PASS"
