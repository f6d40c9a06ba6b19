#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# ktls-serve --tls=user: the same server with GnuTLS's record layer in user
# space. Bodies of every size and ranges arrive intact, keep-alive works,
# wrk sees no error, failures are logged as precisely as with kTLS, no
# socket is offloaded (TlsTxSw unchanged) and every body byte went through
# user space, none through splice.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls	# libktls only negotiates what this kernel's kTLS could take
need_tool curl
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files || { echo "cannot make test files"; exit 1; }
truncate -s 64M "$ROOT/f64m"

start_serve --tls=user --cert "$T/server.pem" --key "$T/server.key" \
	--idle-timeout 5 || exit 1
tx0=$(tls_stat TlsTxSw)	# after libktls's start-up probe of the kernel
base=$(fd_count)
body=0
for s in 0 1 16383 16384 16385 1048576; do
	if [ "$("${CURL[@]}" "$(URL /f$s)" | sha)" = "$(file_sha "$ROOT/f$s")" ]; then
		ok "curl: $s bytes, sha256 matches"
		body=$((body + s))
	else
		fail_later "curl: $s bytes: wrong body"
	fi
done
code=$("${CURL[@]}" -r 16380-16390 -o "$T/part" -w '%{http_code}' "$(URL /f16385)")
if [ "$code" = 206 ] && cmp -s "$T/part" <(tail -c 5 "$ROOT/f16385"); then
	ok "range 16380-16390: 206, bytes match"
	body=$((body + 5))
else
	fail_later "range: status $code"
fi
out=$("${CURL[@]}" -w '%{http_code} %{num_connects}\n' \
	-o "$T/k1" "$(URL /f16384)" -o "$T/k2" "$(URL /f1048576)")
if [ "$(echo "$out" | tr '\n' ' ')" = "200 1 200 0 " ] &&
   cmp -s "$T/k1" "$ROOT/f16384" && cmp -s "$T/k2" "$ROOT/f1048576"; then
	ok "keep-alive: 2 requests on one connection"
	body=$((body + 16384 + 1048576))
else
	fail_later "keep-alive: curl says '$out'"
fi

expect_log() {
	if wait_log "$2" 15 && wait_fds "$base"; then
		ok "$1: $(grep -m1 -- "$2" "$SERVER_LOG" | sed 's/^ktls-serve: //')"
	else
		fail_later "$1: no line '$2' or descriptors not back ($(fd_count), baseline $base)"
	fi
}
clients close-notify --port "$PORT" --ca "$T/ca.pem" >"$T/c.out" 2>&1 ||
	fail_later "close_notify client: $(cat "$T/c.out")"
body=$((body + 16385))
expect_log "close_notify" "client sent close_notify after 1 request"
clients garbage --port "$PORT" --ca "$T/ca.pem" >"$T/c.out" 2>&1 ||
	fail_later "garbage client: $(cat "$T/c.out")"
expect_log "garbage" "garbage after handshake: GnuTLS: "
clients mid-body --path /f64m --read 1048576 --port "$PORT" --ca "$T/ca.pem" \
	>"$T/c.out" 2>&1 || fail_later "mid-body client: $(cat "$T/c.out")"
expect_log "mid-body" "client disconnected mid-body: [0-9]* of 67108864 bytes of /f64m sent"
clients slowloris --port "$PORT" --ca "$T/ca.pem" >"$T/c.out" 2>&1 ||
	fail_later "slowloris client: $(cat "$T/c.out")"
expect_log "slowloris" "slowloris timeout: request head still incomplete after 5 s"

if command -v wrk >/dev/null; then
	wrk -t2 -c16 -d5s --timeout 30s "https://127.0.0.1:$PORT/f16385" >"$T/wrk.out" 2>&1
	if grep -q 'Socket errors\|Non-2xx' "$T/wrk.out" ||
	   ! grep -q 'requests in' "$T/wrk.out"; then
		fail_later "wrk"
		cat "$T/wrk.out"
	else
		ok "wrk: $(grep 'requests in' "$T/wrk.out" | sed 's/^ *//'), no errors"
	fi
	wait_fds "$base" || fail_later "after wrk: $(fd_count) descriptors, baseline $base"
	body=
fi

[ "$(( $(tls_stat TlsTxSw) - tx0 ))" -eq 0 ] && ok "no socket offloaded" ||
	fail_later "TlsTxSw rose in user mode"
stop_serve
rc=$?
[ $rc -eq 0 ] || fail_later "server exit status $rc"
line=$(grep 'exiting:' "$SERVER_LOG")
echo "$line"
echo "$line" | grep -q " 0 body bytes by splice, ${body:-[0-9]*} body bytes copied" ||
	fail_later "user mode moved body bytes some other way"
finish
