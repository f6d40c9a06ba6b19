#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 450
# ktls-serve (kTLS) against clients that misbehave: close_notify, bytes
# that are not TLS after the handshake, a record that fails to decrypt, a
# reset in the middle of a body, a client that stops reading mid-body, a
# slowloris request head, a silent TCP
# client, plain HTTP on the TLS port, an idle keep-alive connection, and
# oversized or malformed requests. For each: the client sees a correct
# server (close_notify where one is due, the right status), the server logs
# one precise line, its descriptors return to the baseline, and it keeps
# serving others, also while a slowloris client is holding a connection.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls
need_tool curl
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files || { echo "cannot make test files"; exit 1; }
truncate -s 64M "$ROOT/f64m"

start_serve --cert "$T/server.pem" --key "$T/server.key" --idle-timeout 5 \
	--handshake-timeout 5 || exit 1
base=$(fd_count)

# check WHAT PATTERN: the log line came, descriptors are back.
check() {
	local what=$1 pat=$2
	if ! wait_log "$pat" 15; then
		fail_later "$what: no log line matching '$pat'"
		tail -5 "$SERVER_LOG"
	elif ! wait_fds "$base"; then
		fail_later "$what: server holds $(fd_count) descriptors, baseline $base"
	else
		ok "$what: $(grep -m1 -- "$pat" "$SERVER_LOG" | sed 's/^ktls-serve: //')"
	fi
}

run_client() {
	local what=$1
	shift
	if clients "$@" --port "$PORT" --ca "$T/ca.pem" >"$T/client.out" 2>&1; then
		echo "   client: $(tr '\n' ' ' <"$T/client.out")"
	else
		fail_later "$what: client says: $(cat "$T/client.out")"
	fi
}

run_client "close_notify" close-notify
check "close_notify" "client sent close_notify after 1 request"

run_client "garbage" garbage
check "garbage after handshake" "garbage after handshake: not a TLS record"

run_client "bad record" bad-record
check "undecryptable record" "garbage after handshake: a record failed to decrypt (EBADMSG)"

run_client "mid-body reset" mid-body --path /f64m --read 1048576
check "mid-body disconnect" "client disconnected mid-body: [0-9]* of 67108864 bytes of /f64m sent"

run_client "stalled reader" stall --path /f64m --read 1048576 --wait 12
check "stalled reader" "client stopped reading: no room in the socket for 5 s sending /f64m"

# Slowloris: one byte every 0.5 s is cut off at the idle timeout, and a
# normal client is served meanwhile.
clients slowloris --port "$PORT" --ca "$T/ca.pem" --interval 0.5 \
	>"$T/slow.out" 2>&1 &
slow=$!
for i in $(seq 100); do
	grep -q connected "$T/slow.out" && break
	sleep 0.2
done
if [ "$("${CURL[@]}" "$(URL /f1048576)" | sha)" = "$(file_sha "$ROOT/f1048576")" ]; then
	ok "served a normal client while slowloris is connected"
else
	fail_later "a normal client was not served during slowloris"
fi
wait $slow || fail_later "slowloris client: $(cat "$T/slow.out")"
echo "   client: $(cat "$T/slow.out")"
check "slowloris" "slowloris timeout: request head still incomplete after 5 s"

# A TCP client that never starts the handshake.
python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1",'"$PORT"')); time.sleep(8)' &
silent=$!
sleep 1
check "silent client" "handshake timeout: not complete after 5 s"
wait $silent

# Plain HTTP on the TLS port.
curl -sS -m 10 "http://127.0.0.1:$PORT/f1" >/dev/null 2>&1
check "plain HTTP to the TLS port" "handshake failed: "

# Idle keep-alive: closed after the timeout, with close_notify.
run_client "idle keep-alive" idle --wait 10
grep -q "close_notify" "$T/client.out" || fail_later "idle: no close_notify"
check "idle timeout" "idle timeout: no request for 5 s, closing"

# Requests the server refuses: it answers, and the client reads the answer.
big=$(head -c 9000 /dev/zero | tr '\0' a)
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$(URL /f1)")
[ "$code" = 413 ] && ok "9000-byte header: 413" || fail_later "9000-byte header: status $code, want 413"
check "oversized head" "bad request: request head too large"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Content-Length: 5" -X GET \
	--data-binary 12345 "$(URL /f1)")
[ "$code" = 413 ] && ok "request body: 413" || fail_later "request body: status $code, want 413"
check "request body" "bad request: request bodies are not accepted"

# After all that, business as usual.
if [ "$("${CURL[@]}" "$(URL /f16385)" | sha)" = "$(file_sha "$ROOT/f16385")" ]; then
	ok "still serving"
else
	fail_later "not serving any more"
fi
wait_fds "$base" || fail_later "server holds $(fd_count) descriptors, baseline $base"
stop_serve
rc=$?
[ $rc -eq 0 ] || fail_later "server exit status $rc"
grep -qE '(^|[^A-Za-z])BUG:' "$SERVER_LOG" && fail_later "server logged a BUG"
echo "--- server log"
cat "$SERVER_LOG"
finish
