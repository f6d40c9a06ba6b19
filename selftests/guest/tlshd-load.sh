#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Load: 500 handshake requests issued at once through the test consumer
# module (hs-load: one thread per request, released together), far more
# than the kernel keeps pending per netns (about 4 on a 2 GiB guest; the
# module retries its -EAGAIN with backoff), against an asyncio TLS echo
# server (Python's ssl; gnutls-serv drops connections that wait ~20 s for
# their ClientHello, which a queue of 500 does). All complete with status
# 0 and echo a line each over kTLS, none is lost: tlshd logs one
# "handshake ok" per request, and the peer counts as many. tlshd's fd
# count is back to the baseline exactly. Memory: the burst leaves tlshd's
# RSS above the baseline by what malloc keeps of the peak (a few hundred
# sessions in flight at once; glibc returns freed heap only from the top
# of each arena), so a second burst of 200 must fit in that retained
# memory: RSS after it within RSS_SLACK_KB of RSS after the first, which
# catches a leak of 2 KiB per handshake. ECDSA P-256 certificates keep
# each handshake cheap under emulation.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
command -v hs-load >/dev/null || fail "hs-load not built"
make_pki
N=${TLSHD_LOAD_COUNT:-500}
N2=$((N * 2 / 5))
WARM=16
# Page-granular noise between two bursts (the heap's top, thread stacks).
RSS_SLACK_KB=${TLSHD_LOAD_RSS_SLACK_KB:-384}

ulimit -n 8192
start_echo_server 4640
start_tlshd

rss() { tlshd_rss; }
oks() { tlshd_oks 4640; }

tlshd_warm_up 4640 $WARM
fds0=$FDS0 rss0=$RSS0 ok0=$OK0

hs-load --connect 127.0.0.1:4640 --count "$N" --peername localhost \
	--timeout-ms 600000 >"$T/load.out" 2>&1
rc=$?
sed 's/^/  hs-load: /' "$T/load.out"
[ $rc = 0 ] || fail "not every one of $N handshakes completed"
grep -q "^count=$N ok=$N failed=0 " "$T/load.out" || fail "hs-load's summary"
# Every request reached tlshd and was logged as done: none lost.
sleep 1
ok1=$(($(oks) - ok0))
[ "$ok1" = "$N" ] || fail "$ok1 'handshake ok' log lines for $N handshakes"
fails=$(grep -c 'handshake failed' "$T/tlshd.log")
[ "$fails" = 0 ] || fail "$fails failed handshakes in tlshd's log"

fds1=$(tlshd_fds)
rss1=$(rss)
hwm=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$TLSHD_PID/status")
ms=$(sed -n 's/.* elapsed_ms=\([0-9]*\) .*/\1/p' "$T/load.out")
echo "  $N handshakes in $ms ms: $(awk -v n="$N" -v ms="$ms" 'BEGIN {printf "%.1f", n * 1000 / ms}') handshakes/s"
echo "  tlshd fds: $fds0 before, $fds1 after"
echo "  tlshd VmRSS: $rss0 kB before, $rss1 kB after (peak $hwm kB)"
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"

# The second burst: no new fds, no new memory.
hs-load --connect 127.0.0.1:4640 --count "$N2" --peername localhost \
	--timeout-ms 600000 >"$T/load2.out" 2>&1 ||
	fail "second burst: $(tail -n 4 "$T/load2.out")"
sleep 1
fds2=$(tlshd_fds)
rss2=$(rss)
echo "  second burst: $(tail -n 1 "$T/load2.out")"
echo "  tlshd after it: $fds2 fds, VmRSS $rss2 kB ($((rss2 - rss1)) kB more, allowed $RSS_SLACK_KB)"
[ "$fds2" = "$fds0" ] || fail "tlshd fd count went from $fds0 to $fds2"
[ $((rss2 - rss1)) -le "$RSS_SLACK_KB" ] ||
	fail "tlshd's RSS grew by $((rss2 - rss1)) kB over $N2 more handshakes: a leak"
ok2=$(($(oks) - ok0 - N))
[ "$ok2" = "$N2" ] || fail "$ok2 'handshake ok' log lines for $N2 handshakes"
stop_tlshd
# The peer counts the same: every handshake, none failed.
kill -TERM "${BG_PIDS[0]}"
wait "${BG_PIDS[0]}"
peer=$(awk '$1 == "handshakes" {d += $3; f += $5} END {print d + 0, f + 0}' "$T/server-4640.log")
echo "  peer: handshakes done, failed: $peer"
[ "$peer" = "$((N + N2 + WARM)) 0" ] ||
	fail "the echo server's count: $(grep -v '^listening' "$T/server-4640.log" | tail -n 3)"
echo "PASS"
