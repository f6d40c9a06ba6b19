#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full soak
# timeout: 600
# soak-timeout: 1800
# Faults around tlshd: killed with handshakes in flight, its multicast
# notifications overrun (ENOBUFS), its fd table full (EMFILE). Consumers
# always get an answer; tlshd recovers without a restart where it lives.
#   FAULT_INFLIGHT (50): stalled handshakes in flight at kill -9
#   FAULT_QUEUE (40): requests queued while tlshd is stopped (x2)
#   FAULT_OVERRUN (1000 in make soak, 300 in make check): requests at
#   once against a tiny netlink buffer
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
HOSTILE="python3 $PWD/selftests/bin/hostile-peer.py"
inflight=${FAULT_INFLIGHT:-50}
queue=${FAULT_QUEUE:-40}
[ "${TEST_SIZE:-check}" = soak ] && overrun_default=1000 || overrun_default=300
overrun=${FAULT_OVERRUN:-$overrun_default}
ulimit -n 8192

start_server 4600 gnutls-serv --http -p 4600 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4601 $HOSTILE silent,4601

good()
{
	consumer --connect 127.0.0.1:4600 --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' >/dev/null || fail "$1: good handshake failed"
}

# Start N consumers in the background: N, PORT, TIMEOUT_MS, file prefix.
launch()
{
	local n=$1 port=$2 t=$3 pre=$4 i
	for i in $(seq "$n"); do
		hs-consumer --connect 127.0.0.1:$port --type client --auth anon \
			--peername localhost --timeout-ms "$t" \
			${REQ:+--request "$REQ"} >"$T/$pre$i.out" 2>&1 &
		pids[$i]=$!
	done
}

# Wait for N consumers; counts how many exited 0 into $ok.
reap()
{
	local n=$1 i
	ok=0
	for i in $(seq "$n"); do
		wait "${pids[$i]}" && ok=$((ok + 1))
	done
}

# 1. kill -9 with handshakes in flight. The dead daemon never sends DONE:
# the module (as NFS or NVMe would) gives up at its wait budget and
# cancels; nobody hangs. A new tlshd serves at once meanwhile.
echo "# kill -9 with $inflight stalled handshakes in flight"
start_tlshd
launch "$inflight" 4601 15000 k
for i in $(seq 300); do
	n=$(grep -c 'accepted fd' "$T/tlshd.log")
	[ "$n" -ge "$inflight" ] && break
	sleep 0.1
done
[ "$n" -ge "$inflight" ] || fail "only $n of $inflight requests accepted"
kill -9 "$TLSHD_PID"
wait "$TLSHD_PID" 2>/dev/null
TLSHD_PID=
t0=$(date +%s%N)
start_tlshd
t1=$(date +%s%N)
good "restarted tlshd"
echo "  restarted tlshd ready $(((t1 - t0) / 1000000)) ms after the kill; its first handshake: $(sed -n 's/.*\(elapsed_ms=[0-9]*\).*/\1/p' "$T/consumer.out")"
el=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$T/consumer.out")
[ "$el" -le 10000 ] || fail "the restarted tlshd took $el ms for its first handshake"
reap "$inflight"
[ "$ok" = 0 ] || fail "$ok of $inflight consumers of the killed tlshd reported success"
bad=0
for i in $(seq "$inflight"); do
	f=$T/k$i.out
	st=$(sed -n 's/^status=\([^ ]*\).*/\1/p' "$f")
	el=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$f")
	# 3 x 15 s + 2 s is the module's budget; allow some TCG slack.
	if [ "$st" != ETIMEDOUT ] || [ -z "$el" ] || [ "$el" -gt 60000 ]; then
		bad=$((bad + 1))
		head -n 2 "$f"
	fi
done
[ $bad = 0 ] || fail "$bad of $inflight consumers did not end with ETIMEDOUT within the budget"
echo "  all $inflight consumers: $(sed -n 's/^\(status=[^ ]*\).*\(source=.*\)/\1 \2/p' "$T"/k*.out | sort | uniq -c)"
stop_tlshd

# 2. Requests queued behind a stopped tlshd (the kernel keeps a few
# pending, the module retries the rest): after SIGCONT every one is served.
echo "# $queue requests queued behind a stopped tlshd"
: >"$T/tlshd.log"
start_tlshd
kill -STOP "$TLSHD_PID"
REQ='GET / HTTP/1.0\r\n\r\n' launch "$queue" 4600 60000 q
sleep 5
kill -CONT "$TLSHD_PID"
reap "$queue"
[ "$ok" = "$queue" ] || fail "$((queue - ok)) of $queue queued requests failed"
n=$(grep -c 'handshake ok: peer localhost 127\.0\.0\.1:4600' "$T/tlshd.log")
[ "$n" = "$queue" ] || fail "$n 'handshake ok' lines for $queue requests"
echo "  $queue served; submits: $(grep -ho 'submits=[0-9]*' "$T"/q*.out | sort | uniq -c | tr '\n' ' ')"
stop_tlshd

# 3. Notifications overrun: a tiny multicast buffer (hidden test knob) on
# a stopped tlshd. Once every worker's buffer is full the kernel finds no
# listener with room and refuses further submits with ESRCH (net/handshake
# has no queue of its own). tlshd, on ENOBUFS, accepts anyway: every
# request the kernel took is served, none is left pending.
echo "# overrun: $queue requests behind a stopped tlshd with a tiny netlink buffer"
: >"$T/tlshd.log"
TLSHD_TEST_NL_RCVBUF=256 start_tlshd
kill -STOP "$TLSHD_PID"
REQ='GET / HTTP/1.0\r\n\r\n' launch "$queue" 4600 60000 o
sleep 5
kill -CONT "$TLSHD_PID"
reap "$queue"
expect_log "netlink notifications overran the receive buffer; accepting anyway"
st=$(sed -n 's/^\(status=[^ ]*\).*\(source=.*\)/\1 \2/p' "$T"/o*.out | sort | uniq -c | tr '\n' ' ')
echo "  outcomes: $st"
refused=$(grep -l '^status=ESRCH .*source=ioctl' "$T"/o*.out | wc -l)
[ $((ok + refused)) = "$queue" ] ||
	fail "overrun: $ok served + $refused refused by the kernel != $queue: $st"
[ "$ok" -ge 1 ] || fail "overrun: nothing served"
n=$(grep -c 'handshake ok: peer localhost 127\.0\.0\.1:4600' "$T/tlshd.log")
[ "$n" = "$ok" ] || fail "$n 'handshake ok' lines for $ok served requests"
good "after the overrun"
stop_tlshd

# 3b. The same tiny buffer with OVERRUN requests submitted at once to a
# running tlshd. Notifications overflow again and again; a request whose
# notification reached no worker is refused (ESRCH) and the consumer
# submits it again, as NFS does by reconnecting. Every request is served:
# tlshd saw the overruns and drained the kernel each time.
echo "# overrun: $overrun requests at once, a tiny netlink buffer, a retrying consumer"
: >"$T/tlshd.log"
start_echo_server 4602
TLSHD_TEST_NL_RCVBUF=256 start_tlshd
fds0=$(tlshd_fds)
hs-load --connect 127.0.0.1:4602 --count "$overrun" --peername localhost \
	--timeout-ms 600000 --retry-undelivered >"$T/overrun.out" 2>&1
rc=$?
sed 's/^/  hs-load: /' "$T/overrun.out" | grep -v connected
[ $rc = 0 ] || fail "overrun: not all of $overrun requests were served"
# One log line per 10 s at most, each with the count since the last.
lines=$(grep -c 'netlink notifications overran the receive buffer' "$T/tlshd.log")
n=$(sed -n 's/.*(\([0-9]*\) overruns since the last report)/\1/p' "$T/tlshd.log" |
	awk '{s += $1} END {print s + 0}')
el=$(sed -n 's/.* elapsed_ms=\([0-9]*\) .*/\1/p' "$T/overrun.out")
retried=$(sed -n 's/.* undelivered_retries=\([0-9]*\).*/\1/p' "$T/overrun.out")
ok=$(grep -c 'handshake ok: peer localhost 127\.0\.0\.1:4602' "$T/tlshd.log")
echo "  $ok served in $el ms; tlshd reported $n overruns in $lines log lines; the consumer resubmitted $retried undelivered requests"
[ "$ok" = "$overrun" ] || fail "$ok 'handshake ok' lines for $overrun requests"
[ "$n" -ge 1 ] || fail "no overrun (ENOBUFS) reached tlshd: the test tested nothing"
[ "$lines" -le $((el / 10000 + 2)) ] ||
	fail "$lines overrun log lines in $el ms: not rate-limited"
st=$(tlshd_status)
echo "  status: $st"
[ "$(status_of "$st" "handshakes in flight")" = 0 ] || fail "overrun: handshakes left in flight: $st"
[ "$(tlshd_fds)" = "$fds0" ] || fail "tlshd's fd count $(tlshd_fds), was $fds0"
stop_tlshd

# 4. A full fd table: room for two handshakes only. The rest of a burst
# fails (the kernel completes the request it could not give us with EIO);
# tlshd logs EMFILE and carries on, and serves again once fds free up.
echo "# fd table full"
: >"$T/tlshd.log"
start_tlshd
fds0=$(tlshd_fds)
maxfd=$(ls "/proc/$TLSHD_PID/fd" | sort -n | tail -n 1)
lim=$((maxfd + 3))
prlimit --pid "$TLSHD_PID" --nofile=$lim:$lim || fail "prlimit"
launch 8 4601 4000 m
reap 8
expect_log "ACCEPT failed: out of file descriptors \(EMFILE\)"
emfile=$(grep -c 'ACCEPT failed: out of file descriptors' "$T/tlshd.log")
st=$(sed -n 's/^status=\([^ ]*\).*/\1/p' "$T"/m*.out | sort | uniq -c | tr '\n' ' ')
echo "  8 stalled requests under RLIMIT_NOFILE=$lim: $st; $emfile EMFILE log lines"
[ "$(grep -l '^status=ETIMEDOUT' "$T"/m*.out | wc -l)" -ge 1 ] ||
	fail "no request got through to tlshd under the limit: $st"
[ "$(grep -l '^status=EIO' "$T"/m*.out | wc -l)" -ge 1 ] ||
	fail "no request failed for lack of fds: $st"
kill -0 "$TLSHD_PID" || fail "tlshd died at the fd limit"
# Load gone: the same limit serves again.
good "under the fd limit, load gone"
prlimit --pid "$TLSHD_PID" --nofile=1024:1024 || fail "prlimit"
REQ='GET / HTTP/1.0\r\n\r\n' launch 8 4600 30000 r
reap 8
[ "$ok" = 8 ] || fail "$((8 - ok)) of 8 handshakes failed after the limit was raised"
[ "$(tlshd_fds)" = "$fds0" ] || fail "tlshd fd count $(tlshd_fds), was $fds0"
stop_tlshd
echo "PASS"
