#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# tlshd under systemd's notify protocol on the build machine, whose kernel
# has no "handshake" family: with NOTIFY_SOCKET and WATCHDOG_USEC set as the
# unit's Type=notify and WatchdogSec= set them, tlshd exits 1 naming the
# missing family and sends neither READY=1 nor WATCHDOG=1, so systemd
# records a failed start (and Restart=always tries again) instead of a
# daemon that looks up but can take no request. The pings themselves, at
# half of WATCHDOG_USEC while tlshd serves handshakes, are shown where the
# family exists: the 6.12 guest's tlshd-watchdog test.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
T=$(mktemp -d /tmp/tlshd_notify_nofamily.XXXXXX)
LPID=
trap '[ -n "$LPID" ] && kill "$LPID" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$B/bin/tlshd" ] || fail "$B/bin/tlshd not built"
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
if command -v genl-ctrl-list >/dev/null && genl-ctrl-list 2>/dev/null | grep -qw handshake; then
	echo "this kernel has the handshake family: the guest test tlshd-watchdog covers it"
	exit 77
fi

wsec=$(sed -n 's/^WatchdogSec=\([0-9]*\)$/\1/p' systemd/tlshd.service)
[ -n "$wsec" ] || fail "the unit has no WatchdogSec= in seconds"
printf '[debug]\nloglevel=1\n' >"$T/tlshd.conf"

# Every datagram on $T/notify, one a line, until tlshd is gone + 1 s.
python3 - "$T/notify" >"$T/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        print(s.recv(4096).decode(), flush=True)
except socket.timeout:
    pass
PY
LPID=$!
for _ in $(seq 100); do [ -S "$T/notify" ] && break; sleep 0.1; done
[ -S "$T/notify" ] || fail "notify listener did not start"
# A control datagram: the listener does receive what is sent to it.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"PROBE=1", sys.argv[1])' "$T/notify"

start=$(date +%s%N)
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=$((wsec * 1000000)) timeout 60 \
	"$B/bin/tlshd" -s -c "$T/tlshd.conf" >"$T/tlshd.log" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
sleep 1
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
LPID=
sed 's/^/  tlshd: /' "$T/tlshd.log"
echo "  datagrams: $(tr '\n' ' ' <"$T/got")"
[ $rc = 1 ] || fail "tlshd exited $rc after $ms ms, want 1"
grep -q 'no "handshake" generic netlink family' "$T/tlshd.log" ||
	fail "tlshd's log does not name the missing family"
grep -qx 'PROBE=1' "$T/got" || fail "the listener received nothing at all"
grep -qx 'READY=1' "$T/got" && fail "READY=1 sent by a tlshd that cannot serve"
grep -qx 'WATCHDOG=1' "$T/got" && fail "WATCHDOG=1 sent by a tlshd that cannot serve"
echo "ok: WATCHDOG_USEC=$((wsec * 1000000)) (WatchdogSec=$wsec): exit 1 after $ms ms, no READY=1, no WATCHDOG=1"
