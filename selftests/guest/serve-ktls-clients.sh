#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 600
# ktls-serve over kTLS against real clients: curl (OpenSSL) for every size
# around the 16 KiB record boundary up to 256 MiB, openssl s_client,
# gnutls-cli, single ranges of each form, and keep-alive (several requests
# on one connection). Every body is checked against the file's sha256. The
# server's socket count must return to its baseline, /proc/net/tls_stat
# must show one kTLS TX and RX context per connection, and the server's
# own count of bytes moved through ring splices and sent with the head
# (bodies up to --small-body) must equal the bodies sent.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls
need_tool curl
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files big || { echo "cannot make test files"; exit 1; }

tx0=$(tls_stat TlsTxSw)
rx0=$(tls_stat TlsRxSw)
start_serve --cert "$T/server.pem" --key "$T/server.key" || exit 1
base=$(fd_count)
conns=0
body=0

# curl, one connection per size.
for s in 0 1 16383 16384 16385 1048576 268435456; do
	want=$(file_sha "$ROOT/f$s")
	got=$("${CURL[@]}" "$(URL /f$s)" | sha)
	conns=$((conns + 1))
	if [ "$got" = "$want" ]; then
		ok "curl: $s bytes, sha256 matches"
		body=$((body + s))
	else
		fail_later "curl: $s bytes: sha256 $got, want $want"
	fi
done

# Ranges: a-b, a-, -n, across the record boundary, and a 416.
f=$ROOT/f16385
check_range() {
	local spec=$1 want=$2 code
	code=$("${CURL[@]}" -r "$spec" -o "$T/part" -w '%{http_code}' "$(URL /f16385)")
	conns=$((conns + 1))
	if [ "$code" = 206 ] && cmp -s "$T/part" <(eval "$want"); then
		ok "range $spec: 206, bytes match"
		body=$((body + $(stat -c %s "$T/part")))
	else
		fail_later "range $spec: status $code or wrong bytes"
	fi
}
check_range 0-99 "head -c 100 $f"
check_range 16380-16390 "tail -c 5 $f"
check_range 1000- "tail -c +1001 $f"
check_range -100 "tail -c 100 $f"
check_range 16383-16384 "tail -c 2 $f"
code=$("${CURL[@]}" -r 16385- -o /dev/null -w '%{http_code}' "$(URL /f16385)")
conns=$((conns + 1))
[ "$code" = 416 ] && ok "range 16385-: 416" || fail_later "range 16385-: status $code, want 416"

# Keep-alive: three requests, one connection.
out=$("${CURL[@]}" -w '%{http_code} %{num_connects}\n' \
	-o "$T/k1" "$(URL /f16384)" -o "$T/k2" "$(URL /f1)" -o "$T/k3" "$(URL /f1048576)")
conns=$((conns + 1))
if [ "$(echo "$out" | tr '\n' ' ')" = "200 1 200 0 200 0 " ] &&
   cmp -s "$T/k1" "$ROOT/f16384" && cmp -s "$T/k2" "$ROOT/f1" &&
   cmp -s "$T/k3" "$ROOT/f1048576" &&
   wait_log "closed after 3 requests"; then
	ok "keep-alive: 3 requests on one connection"
	body=$((body + 16384 + 1 + 1048576))
else
	fail_later "keep-alive: curl says '$out'"
	grep 'f16384\|f1 \|closed after' "$SERVER_LOG"
fi

# openssl s_client and gnutls-cli, with a request typed by hand.
req='GET /f16385 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
printf "$req" | timeout 60 openssl s_client -quiet -ign_eof -CAfile "$T/ca.pem" \
	-verify_return_error -servername localhost -connect "127.0.0.1:$PORT" \
	>"$T/ossl.out" 2>"$T/ossl.err"
conns=$((conns + 1))
if head -1 "$T/ossl.out" | grep -q '^HTTP/1.1 200 OK' &&
   [ "$(tail -c 16385 "$T/ossl.out" | sha)" = "$(file_sha "$f")" ]; then
	ok "openssl s_client: 200, sha256 matches"
	body=$((body + 16385))
else
	fail_later "openssl s_client"
	cat "$T/ossl.err"
fi
printf "$req" | timeout 60 gnutls-cli --x509cafile "$T/ca.pem" -p "$PORT" \
	--logfile "$T/gnutls.log" localhost >"$T/gnutls.out" 2>&1
conns=$((conns + 1))
if head -1 "$T/gnutls.out" | grep -q '^HTTP/1.1 200 OK' &&
   [ "$(tail -c 16385 "$T/gnutls.out" | sha)" = "$(file_sha "$f")" ] &&
   grep -q 'Peer has closed the GnuTLS connection' "$T/gnutls.log"; then
	ok "gnutls-cli: 200, sha256 matches, server closed with close_notify"
	body=$((body + 16385))
else
	fail_later "gnutls-cli"
	head -c 2000 "$T/gnutls.log"
fi

# HEAD, 404, 405, traversal (by dot segment and by symlink).
check_status() {
	local want=$1 code
	shift
	code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$@")
	conns=$((conns + 1))
	[ "$code" = "$want" ] && ok "$* -> $code" || fail_later "$*: status $code, want $want"
}
check_status 200 -I "$(URL /f1048576)"
check_status 404 "$(URL /nope)"
check_status 405 -X DELETE "$(URL /f1)"
check_status 400 --path-as-is "$(URL /../secret)"
check_status 404 "$(URL /escape)"
grep -q 'escape: path escapes the document root' "$SERVER_LOG" ||
	fail_later "no log line for the symlink escape"

if wait_fds "$base"; then
	ok "descriptors back to baseline ($base)"
else
	fail_later "server holds $(fd_count) descriptors, baseline $base"
	ls -l "/proc/$SERVER_PID/fd"
fi
tx=$(( $(tls_stat TlsTxSw) - tx0 ))
rx=$(( $(tls_stat TlsRxSw) - rx0 ))
echo "tls_stat: TlsTxSw +$tx, TlsRxSw +$rx for $conns connections"
[ "$tx" -ge "$conns" ] || fail_later "TlsTxSw rose by $tx, want >= $conns"
[ "$rx" -ge "$conns" ] || fail_later "TlsRxSw rose by $rx, want >= $conns"

stop_serve
rc=$?
[ $rc -eq 0 ] || fail_later "server exit status $rc"
line=$(grep 'exiting:' "$SERVER_LOG")
echo "$line"
small=$(echo "$line" | sed -n 's/.* \([0-9]*\) body bytes with the head.*/\1/p')
spliced=$(echo "$line" | sed -n 's/.* \([0-9]*\) body bytes by splice.*/\1/p')
copied=$(echo "$line" | sed -n 's/.* \([0-9]*\) body bytes copied.*/\1/p')
[ $((spliced + small)) = "$body" ] ||
	fail_later "server spliced $spliced and sent $small body bytes with the head, clients got $body"
[ "$copied" = 0 ] || fail_later "server copied $copied body bytes through user space"
finish
