#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# ktls-serve --tls=off on the build machine (no kTLS needed): the io_uring
# accept/recv/send/splice path and the HTTP semantics. Bodies of every size
# against sha256, ranges, keep-alive and pipelining, every error status,
# traversal, slowloris, a client that stops reading or vanishes mid-body,
# descriptors back to the baseline, and graceful shutdown on SIGTERM.
# KTLS_SERVE=path runs another build (an ASan one, say).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
SERVE=${KTLS_SERVE:-$B/bin/ktls-serve}
T=$(mktemp -d /tmp/serve_plain.XXXXXX)
ROOT=$T/root
LOG=$T/server.log
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. selftests/lib/common.bash
ok() { echo "ok: $*"; }

command -v curl >/dev/null || { echo "curl is not installed (scripts/deps.sh installs it)"; exit 77; }
[ -x "$SERVE" ] || { echo "$SERVE not built"; exit 1; }

mkdir -p "$ROOT/dir"
for s in 0 1 16383 16384 16385 1048576 8388608; do
	head -c "$s" /dev/urandom >"$ROOT/f$s"
done
echo index >"$ROOT/dir/index.html"
echo secret >"$T/secret"
ln -s ../secret "$ROOT/escape"
truncate -s 512M "$ROOT/huge"

"$SERVE" --tls=off --port 0 --bind 127.0.0.1 --root "$ROOT" --idle-timeout 2 \
	--max-header 4096 >"$LOG" 2>&1 &
PID=$!
for i in $(seq 50); do
	PORT=$(sed -n 's/.*listening on .*:\([0-9]*\) (.*/\1/p' "$LOG")
	[ -n "$PORT" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "${PORT:-}" ]; then
	if grep -q 'io_uring:' "$LOG"; then
		echo "no io_uring here: $(cat "$LOG")"
		exit 77
	fi
	echo "ktls-serve did not start:"
	cat "$LOG"
	exit 1
fi
U=http://127.0.0.1:$PORT
fds() { ls "/proc/$PID/fd" | wc -l; }
base=$(fds)
wait_base() {
	local i
	for i in $(seq 50); do
		[ "$(fds)" -eq "$base" ] && return 0
		sleep 0.1
	done
	fail_later "$1: server holds $(fds) descriptors, baseline $base"
	ls -l "/proc/$PID/fd"
}
sha() { sha256sum | cut -d' ' -f1; }

for s in 0 1 16383 16384 16385 1048576 8388608; do
	[ "$(curl -sS "$U/f$s" | sha)" = "$(sha <"$ROOT/f$s")" ] &&
		ok "$s bytes" || fail_later "$s bytes: wrong body"
done
f=$ROOT/f16385
for spec in 0-99 16380-16390 1000- -100 16384-16384; do
	case $spec in
	0-99) want="head -c 100 $f" ;;
	16380-16390) want="tail -c 5 $f" ;;
	1000-) want="tail -c +1001 $f" ;;
	-100) want="tail -c 100 $f" ;;
	16384-16384) want="tail -c 1 $f" ;;
	esac
	code=$(curl -sS -r "$spec" -o "$T/part" -w '%{http_code}' "$U/f16385")
	[ "$code" = 206 ] && cmp -s "$T/part" <(eval "$want") &&
		ok "range $spec" || fail_later "range $spec: status $code or wrong bytes"
done
curl -sS -r 0-0 -D "$T/h" -o /dev/null "$U/f16385"
grep -q '^Content-Range: bytes 0-0/16385' "$T/h" || fail_later "no Content-Range header"

status() {
	local want=$1 code what
	shift
	what=$(echo "$*" | cut -c1-70)
	code=$(curl -sS -o "$T/body" -w '%{http_code}' "$@")
	[ "$code" = "$want" ] && ok "$want for $what" || fail_later "$what: status $code, want $want"
}
status 416 -r 16385- "$U/f16385"
status 416 -r 0- "$U/f0"
status 200 -r 5-1 "$U/f1"
status 404 "$U/missing"
status 404 "$U/escape"
status 200 "$U/dir/"
status 405 -X POST -d x "$U/f1"
status 400 --path-as-is "$U/dir/../f1"
status 400 --path-as-is "$U/%2e%2e/secret"
status 413 -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)" "$U/f1"
status 413 -H "Transfer-Encoding: chunked" -X GET -d x "$U/f1"
status 405 -H "Transfer-Encoding: chunked" -d x "$U/f1"
curl -sS -I "$U/f1048576" >"$T/h"
grep -q '^Content-Length: 1048576' "$T/h" && grep -q '^Accept-Ranges: bytes' "$T/h" &&
	ok "HEAD: headers without a body" || fail_later "HEAD: $(cat "$T/h")"
grep -q 'escape: path escapes the document root' "$LOG" || fail_later "symlink escape not logged"
grep -q 'path traversal refused' "$LOG" || fail_later "traversal not logged"

out=$(curl -sS -w '%{num_connects}\n' -o /dev/null "$U/f1" -o /dev/null "$U/f16385" -o /dev/null "$U/dir/")
[ "$(echo "$out" | tr '\n' ' ')" = "1 0 0 " ] && ok "keep-alive: 3 requests, 1 connection" ||
	fail_later "keep-alive: $out"

# Pipelining, HTTP/1.0, and an error closing the connection after it.
python3 - "$PORT" >"$T/py.out" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /f1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /f0 HTTP/1.1\r\nHost: a\r\n\r\n"
          b"GET /f1 HTTP/1.0\r\n\r\n")
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
print(data.count(b"HTTP/1.1 200 OK"), b"Connection: close" in data)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GARBAGE\r\n\r\nGET /f1 HTTP/1.1\r\nHost: a\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode(), s.recv(1000).count(b"HTTP/1.1"))
EOF
[ "$(head -1 "$T/py.out")" = "3 True" ] && ok "pipelined requests, HTTP/1.0 closes" ||
	fail_later "pipelining: $(cat "$T/py.out")"
grep -q '^HTTP/1.1 400 Bad Request 0$' "$T/py.out" && ok "400, then the connection closes" ||
	fail_later "bad request line: $(cat "$T/py.out")"
wait_base "after the requests"

# Slowloris and a client that stops reading are cut off; others go on.
python3 - "$PORT" >"$T/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = time.monotonic()
try:
    for b in b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 100:
        s.send(bytes([b]))
        time.sleep(0.3)
        if time.monotonic() - t > 8:
            break
    print("not cut off")
except OSError as e:
    print("cut off after %.1f s" % (time.monotonic() - t))
EOF
slow=$!
[ "$(curl -sS "$U/f1048576" | sha)" = "$(sha <"$ROOT/f1048576")" ] &&
	ok "served during slowloris" || fail_later "not served during slowloris"
wait $slow
grep -q 'cut off' "$T/slow.out" && grep -q 'slowloris timeout' "$LOG" &&
	ok "slowloris: $(grep -m1 'slowloris timeout' "$LOG" | sed 's/^ktls-serve: //')" ||
	fail_later "slowloris: $(cat "$T/slow.out")"

python3 - "$PORT" <<'EOF'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
s.recv(65536)
time.sleep(4)	# stop reading: the server must give up after 2 s
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
grep -q 'client stopped reading: no room in the socket for 2 s sending /huge' "$LOG" &&
	ok "stalled reader: $(grep -m1 'client stopped reading' "$LOG" | sed 's/^ktls-serve: //')" ||
	fail_later "stalled reader not cut off"
python3 - "$PORT" <<'EOF'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
n = 0
while n < 4 << 20:
    n += len(s.recv(65536))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
for i in $(seq 30); do grep -q 'disconnected mid-body' "$LOG" && break; sleep 0.1; done
grep -q 'client disconnected mid-body: [0-9]* of 536870912 bytes of /huge' "$LOG" &&
	ok "mid-body: $(grep -m1 'mid-body' "$LOG" | sed 's/^ktls-serve: //')" ||
	fail_later "mid-body disconnect not logged"
wait_base "after the misbehaving clients"

# The connection limits: serve_deploy.sh.

# SIGTERM with a download in flight: it completes, then the server exits 0.
# In flight means its first bytes came: a connection whose request the
# server has not read yet is idle, and shutdown closes it.
curl -sS --limit-rate 20M -o "$T/dl" "$U/f8388608" 2>"$T/curl.err" &
dl=$!
for i in $(seq 100); do [ -s "$T/dl" ] && break; sleep 0.05; done
kill -TERM "$PID"
wait $dl
sha <"$T/dl" >"$T/dl.sha"
[ "$(cat "$T/dl.sha")" = "$(sha <"$ROOT/f8388608")" ] && ok "download in flight at SIGTERM completed" ||
	fail_later "download at SIGTERM: $(cat "$T/curl.err")"
for i in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] && ok "server exited 0" || fail_later "server exit status $rc"
grep -q 'exiting: ' "$LOG" || fail_later "no exit line"
grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|(^|[^A-Za-z])BUG:' "$LOG" && fail_later "server log shows a bug"
if [ "$FAILS" -gt 0 ]; then
	echo "--- server log"
	cat "$LOG"
	echo "$FAILS checks failed"
	exit 1
fi
echo "all checks passed"
