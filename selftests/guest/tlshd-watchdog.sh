#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# systemd's watchdog: with NOTIFY_SOCKET and WATCHDOG_USEC set as systemd
# sets them, tlshd sends READY=1 and then WATCHDOG=1 at half the interval
# while it serves handshakes; with WATCHDOG_PID naming another process it
# sends none; the unit asks for it (WatchdogSec=).
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
grep -q '^WatchdogSec=' systemd/tlshd.service || fail "the unit has no WatchdogSec="

# listen UNTIL OUT: the datagrams on $T/notify, one line each, prefixed
# with the receive time in ms. UNTIL is "pings:N" (stop after N WATCHDOG=1)
# or "after-ready:S" (stop S seconds after READY=1); 60 s at most either
# way, since a busy emulated guest can take seconds to start tlshd.
listen()
{
	python3 - "$T/notify" "$1" >"$2" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
mode, arg = sys.argv[2].split(":")
t0 = time.monotonic()
end = t0 + 60
pings = 0
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        break
    print("%d %s" % ((time.monotonic() - t0) * 1000, m), flush=True)
    if m == "WATCHDOG=1":
        pings += 1
        if mode == "pings" and pings >= int(arg):
            break
    if m == "READY=1" and mode == "after-ready":
        end = time.monotonic() + float(arg)
PY
	BG_PIDS+=($!)
	for _ in $(seq 100); do [ -S "$T/notify" ] && return 0; sleep 0.1; done
	fail "notify listener did not start"
}

start_server 4790 gnutls-serv --http -p 4790 --x509certfile "$T/ca-srv.pem" \
	--x509keyfile "$T/ca-srv.key"

# 1. WATCHDOG_USEC=2 s: a ping every second while handshakes go on.
listen pings:5 "$T/pings"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=2000000 tlshd -s -c "$T/tlshd.conf" \
	--ready-file "$T/ready" >>"$T/tlshd.log" 2>&1 &
TLSHD_PID=$!
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || fail "tlshd not ready"
for i in 1 2 3; do
	consumer --connect 127.0.0.1:4790 --type client --auth anon \
		--peername localhost --timeout-ms 20000 || fail "handshake $i failed"
done
wait "${BG_PIDS[-1]}"
stop_tlshd
cat "$T/pings" | sed 's/^/  got: /' | head -n 12
grep -q ' READY=1$' "$T/pings" || fail "no READY=1"
n=$(grep -c ' WATCHDOG=1$' "$T/pings")
[ "$n" -ge 5 ] || fail "$n WATCHDOG=1 in 60 s with WATCHDOG_USEC=2000000 (want 5)"
gap=$(awk '/ WATCHDOG=1$/ { if (last != "") { d = $1 - last; if (d > m) m = d } last = $1 }
	END { print m + 0 }' "$T/pings")
echo "  $n WATCHDOG=1, longest gap $gap ms (timeout 2000 ms)"
[ "$gap" -lt 2000 ] || fail "a gap of $gap ms between pings: systemd would have killed tlshd (timeout 2000 ms)"
expect_log 'watchdog: keep-alive every 1000 ms while all [0-9]+ workers turn'

# 2. WATCHDOG_PID of another process: the watchdog is not ours.
rm -f "$T/notify"
listen after-ready:3 "$T/pings2"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=2000000 WATCHDOG_PID=1 tlshd -s \
	-c "$T/tlshd.conf" --ready-file "$T/ready" >>"$T/tlshd.log" 2>&1 &
TLSHD_PID=$!
wait "${BG_PIDS[-1]}"
stop_tlshd
grep -q ' READY=1$' "$T/pings2" || fail "no READY=1 in the second run"
grep -q ' WATCHDOG=1$' "$T/pings2" && fail "WATCHDOG=1 sent though WATCHDOG_PID names another process"
echo "  WATCHDOG_PID=1: READY=1 and no ping"
echo "PASS"
