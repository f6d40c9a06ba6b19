#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Graceful shutdown of ktls-serve (kTLS). On SIGTERM: a download in flight
# completes intact, an idle keep-alive client gets close_notify at once, a
# handshake in progress is dropped, new connections are refused, and the
# server exits 0 once the download is done. A second SIGTERM exits at once.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls
need_tool curl
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files || { echo "cannot make test files"; exit 1; }
# Bigger than what the socket buffers hold, so that the server is still
# sending when SIGTERM comes; sparse, with random bytes at both ends.
BIG=$((48 << 20))
truncate -s $BIG "$ROOT/big"
dd if=/dev/urandom of="$ROOT/big" bs=8192 count=1 conv=notrunc status=none
dd if=/dev/urandom of="$ROOT/big" bs=8192 count=1 seek=$((BIG - 8192)) \
	oflag=seek_bytes conv=notrunc status=none

# Our server's established connections (ss needs inet_diag; this doesn't).
established() {
	awk -v p="$(printf ':%04X' "$PORT")" \
		'substr($2, length($2) - 4) == p && $4 == "01"' \
		/proc/net/tcp /proc/net/tcp6 | wc -l
}
wait_established() {
	local i
	for i in $(seq 150); do
		[ "$(established)" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

start_serve --cert "$T/server.pem" --key "$T/server.key" --idle-timeout 60 \
	--handshake-timeout 120 || exit 1

# A client that never starts its handshake.
python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1",'"$PORT"')); time.sleep(30)' &
silent=$!
wait_established 1 || fail_later "silent client did not connect"
# An idle keep-alive client, and a download throttled to last a while.
clients idle --port "$PORT" --ca "$T/ca.pem" --wait 30 >"$T/idle.out" 2>&1 &
idle=$!
for i in $(seq 150); do
	grep -q 'response: 200' "$T/idle.out" && break
	sleep 0.2
done
"${CURL[@]}" --limit-rate 6M "$(URL /big)" 2>"$T/curl.err" | sha >"$T/slow.sha" &
slow=$!
wait_established 3 || fail_later "download did not connect"
wait_log "kTLS TX+RX.*" 5
sleep 1

kill -TERM "$SERVER_PID"
wait_log "SIGTERM: shutting down, 3 connections to finish" 5 ||
	fail_later "no shutdown line for 3 connections"
sleep 0.5
if curl -sS -m 5 --cacert "$T/ca.pem" -o /dev/null "$(URL /f1)" 2>"$T/new.err"; then
	fail_later "a new connection was served after SIGTERM"
else
	ok "new connection refused after SIGTERM: $(cat "$T/new.err")"
fi

wait $idle
cat "$T/idle.out" | sed 's/^/   idle client: /'
grep -q 'server ended the connection.*close_notify' "$T/idle.out" &&
	ok "idle keep-alive client got close_notify" || fail_later "idle client: no close_notify"
wait_log "handshake abandoned: server shutting down" 5 &&
	ok "handshake in progress dropped" || fail_later "no log line for the dropped handshake"

wait $slow
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$T/slow.sha")" = "$(file_sha "$ROOT/big")" ]; then
	ok "download in flight completed intact after SIGTERM"
else
	fail_later "download in flight: curl rc $rc: $(cat "$T/curl.err")"
fi
grep -q '"GET /big HTTP/1.1" 200 '$BIG' bytes' "$SERVER_LOG" ||
	fail_later "the server did not log the whole download"
sed -n '/shutting down/,$p' "$SERVER_LOG" | grep -q '"GET /big HTTP/1.1" 200' ||
	fail_later "the download was not in flight at SIGTERM"
stop_serve
rc=$?
[ $rc -eq 0 ] && ok "server exited 0 once the download was done" ||
	fail_later "server exit status $rc"
grep -q 'exiting: 3 connections' "$SERVER_LOG" || fail_later "no exit line: $(tail -1 "$SERVER_LOG")"
[ "$FAILS" -gt 0 ] && { echo "--- first server's log"; cat "$SERVER_LOG"; }
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null

# Twice: out at once, even with a download running.
start_serve --cert "$T/server.pem" --key "$T/server.key" || exit 1
"${CURL[@]}" --limit-rate 500K "$(URL /big)" >/dev/null 2>&1 &
slow=$!
wait_established 1 || fail_later "download did not connect"
wait_log "kTLS TX+RX" 10
kill -TERM "$SERVER_PID"
wait_log "shutting down" 5
kill -TERM "$SERVER_PID"
t0=$(date +%s)
stop_serve
rc=$?
[ $(( $(date +%s) - t0 )) -le 3 ] && [ $rc -eq 0 ] &&
	grep -q "SIGTERM again: exiting now with 1 connection open" "$SERVER_LOG" &&
	ok "second SIGTERM: immediate exit" ||
	{ fail_later "second SIGTERM (rc $rc)"; cat "$SERVER_LOG"; }
wait $slow
finish
