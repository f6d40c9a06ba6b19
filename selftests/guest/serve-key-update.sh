#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# TLS 1.3 KeyUpdate from clients we did not write, against ktls-serve on
# kTLS, several requests on one connection, bodies compared byte for byte:
#   gnutls   tls-poke (GnuTLS 3.7.9, user space) calls
#            gnutls_session_key_update halfway through each of 4 response
#            bodies, update_requested every other time, and checks the
#            next response (sent under the server's next key when asked)
#   openssl  openssl s_client (OpenSSL 3.0, user space) gets `k` and `K`
#            between requests for a 1 MiB file, while data is in flight
# On a kernel that can rekey (7.3) every body arrives intact, the server
# logs each KeyUpdate followed, and tls_stat counts one TlsRxRekeyOk per
# client update and one TlsTxRekeyOk per request for one. On one that
# cannot (6.1, 6.12) the server names the cause and sends
# unexpected_message at the first KeyUpdate, and the client sees it.
. "$(dirname "$0")/serve-common.bash"
need_ktls
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files
start_serve --cert "$T/server.pem" --key "$T/server.key" || exit 1
if [ -n "$(tls_stat TlsTxRekeyOk)" ]; then rekey=1; else rekey=0; fi
echo "# kernel $(uname -r), rekey counters in tls_stat: $rekey"
tx0=$(tls_stat TlsTxRekeyOk) rx0=$(tls_stat TlsRxRekeyOk)
want=$(file_sha "$ROOT/f1048576")
REQ='GET /f1048576 HTTP/1.1\r\nHost: x\r\n\r\n'

echo "# gnutls: tls-poke rekey, 4 rounds"
timeout 120 tls-poke 127.0.0.1 "$PORT" rekey --first "$REQ" --rounds 4 \
	>"$T/poke.out" 2>&1
rc=$?
sed 's/^/  tls-poke: /' "$T/poke.out"
if [ $rekey = 1 ]; then
	[ $rc = 0 ] && grep -q '^rekey done' "$T/poke.out" ||
		fail "gnutls: the transfer did not finish (exit $rc)"
	n=$(grep -c "^round .* sha256 $want " "$T/poke.out")
	[ "$n" = 4 ] || fail "gnutls: $n of 4 bodies intact"
else
	[ $rc != 0 ] || fail "gnutls: a KeyUpdate went through a kernel that cannot rekey"
	grep -q 'GNUTLS_A_UNEXPECTED_MESSAGE' "$T/poke.out" ||
		fail "gnutls: the client was not sent unexpected_message"
fi

echo "# openssl: s_client, k and K"
# One input at a time: s_client takes a command letter only at the start
# of what it reads at once. wait_for DESC COMMAND...: up to 30 s.
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 300); do
		"$@" && return 0
		# the connection ended (the alert of a kernel without rekey)
		grep -qE 'alert|errno=|^DONE' "$T/sc.err" && return 1
		sleep 0.1
	done
	echo "FAIL: openssl: timed out waiting for $what" >>"$T/sc.fail"
	return 1
}
updates() { [ "$(grep -c KEYUPDATE "$T/sc.err")" -ge "$1" ]; }
started() { grep -aq '^HTTP/1.1 200' "$T/sc.out"; }
bodies() { [ "$(stat -c %s "$T/sc.out")" -ge $(($1 << 20)) ]; }
req() { printf 'GET /f1048576 HTTP/1.1\nHost: x\n\n'; }
: >"$T/sc.out"
: >"$T/sc.err"
{
	req
	# s_client reads its input only after the handshake: wait for the
	# response to begin, or the letter would go out with the request.
	wait_for "response 1" started || exit
	printf 'k\n'	# mid-transfer: the body may still be coming
	wait_for "k" updates 1 || exit
	wait_for "body 1" bodies 1 || exit
	req
	wait_for "body 2" bodies 2 || exit
	printf 'K\n'
	wait_for "K" updates 2 || exit
	req
	wait_for "body 3" bodies 3 || exit
	sleep 0.5
	printf 'Q\n'
} | timeout 120 openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -crlf \
	-servername localhost >"$T/sc.out" 2>"$T/sc.err"
[ -e "$T/sc.fail" ] && fail "$(cat "$T/sc.fail")"
grep -vE '^(depth|verify)' "$T/sc.err" | head -n 12 | sed 's/^/  s_client: /'
n=$(python3 - "$T/sc.out" "$ROOT/f1048576" <<'PY'
import sys
out = open(sys.argv[1], 'rb').read()
body = open(sys.argv[2], 'rb').read()
print(out.count(body))
PY
)
if [ $rekey = 1 ]; then
	[ "$n" = 3 ] || fail "openssl: $n of 3 bodies intact"
else
	[ "$n" -ge 1 ] || fail "openssl: not even the first body came"
	[ "$n" -lt 3 ] || fail "openssl: all bodies came through a kernel that cannot rekey"
	grep -qi 'unexpected message' "$T/sc.err" "$T/sc.out" ||
		fail "openssl: the client was not sent unexpected_message"
fi

sed 's/^/  ktls-serve: /' "$SERVER_LOG" | grep -E 'KeyUpdate' | head -n 12
if [ $rekey = 1 ]; then
	# 4 + 2 client updates, 2 + 1 of them asked for ours.
	n=$(grep -c 'client sent a KeyUpdate.*: followed' "$SERVER_LOG")
	[ "$n" = 6 ] || fail "server followed $n KeyUpdates, expected 6"
	dtx=$(($(tls_stat TlsTxRekeyOk) - tx0)) drx=$(($(tls_stat TlsRxRekeyOk) - rx0))
	[ $drx = 6 ] || fail "TlsRxRekeyOk +$drx, expected +6"
	[ $dtx = 3 ] || fail "TlsTxRekeyOk +$dtx, expected +3"
	[ "$(tls_stat TlsRxRekeyError)" = 0 ] && [ "$(tls_stat TlsTxRekeyError)" = 0 ] ||
		fail "rekey errors counted"
	ok "6 client KeyUpdates followed, 3 answered; TlsRxRekeyOk +$drx TlsTxRekeyOk +$dtx"
else
	grep -q 'KeyUpdate, that kTLS cannot follow' "$SERVER_LOG" ||
		fail "the server did not name the KeyUpdate it cannot follow"
fi
stop_serve

echo "# ktls-serve --rekey-every 1, curl (OpenSSL) fetching 4 MiB on one connection"
start_serve --cert "$T/server.pem" --key "$T/server.key" --rekey-every 1 || exit 1
tx0=$(tls_stat TlsTxRekeyOk)
U=https://127.0.0.1:$PORT/f1048576
timeout 120 curl -sk --http1.1 --tlsv1.3 "$U" "$U" "$U" "$U" \
	-o "$T/c1" -o "$T/c2" -o "$T/c3" -o "$T/c4" || fail "curl exited $?"
for i in 1 2 3 4; do
	[ "$(file_sha "$T/c$i")" = "$want" ] || fail "curl: body $i differs"
done
n=$(grep -c 'TLS1.3' "$SERVER_LOG")
[ "$n" = 1 ] || fail "curl used $n connections, not 1"
if [ $rekey = 1 ]; then
	dtx=$(($(tls_stat TlsTxRekeyOk) - tx0))
	# one update each time a MiB has gone out, before the next body
	[ $dtx = 3 ] || fail "--rekey-every 1: TlsTxRekeyOk +$dtx, expected +3"
	ok "--rekey-every 1: 4 bodies intact across $dtx server KeyUpdates"
else
	ok "--rekey-every 1 on a kernel without rekey: 4 bodies intact, no update tried"
fi
stop_serve
finish
