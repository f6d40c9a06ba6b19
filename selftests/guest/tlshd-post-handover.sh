#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Hostile peers after the handover to kTLS, against tlshd as a server (the
# test consumer then holds the socket and answers, as a kernel consumer
# must) and against ktls-serve (kTLS and --tls=user). tls-poke completes a
# real TLS 1.3 handshake, takes the server's first record, then sends a
# corrupted record, an empty alert or handshake record, or a KeyUpdate,
# and reports what it got back. And a ClientHello whose header claims
# 16 MiB (past GnuTLS's message limit and our 512 KiB input cap) gets an
# alert, not a bare reset.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
PATH=$PWD/build/selftests/bin:$PATH
command -v tls-poke >/dev/null || fail "tls-poke not built"
cat >"$T/server.conf" <<EOT
[debug]
loglevel=1
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
start_tlshd "$T/server.conf"

# poke_tlshd PORT MODE PEER_WANTS CONSUMER_WANTS
poke_tlshd()
{
	local port=$1 mode=$2 i
	echo "# tlshd server, $mode"
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --io-timeout-ms 15000 --request 'hello\n' \
		>"$T/c$port.out" 2>&1 &
	local cpid=$!
	BG_PIDS+=($cpid)
	for i in $(seq 200); do
		grep -q "listening port=$port" "$T/c$port.out" && break
		sleep 0.1
	done
	timeout 60 tls-poke 127.0.0.1 "$port" "$mode" >"$T/p$port.out" 2>&1 ||
		fail "$mode: tls-poke: $(cat "$T/p$port.out")"
	wait $cpid
	sed 's/^/  peer: /' "$T/p$port.out"
	grep -v '^hello' "$T/c$port.out" | sed 's/^/  consumer: /'
	grep -q '^status=0 ' "$T/c$port.out" || fail "$mode: handshake failed"
	grep -qE -- "$3" "$T/p$port.out" || fail "$mode: the peer did not get /$3/"
	grep -qE -- "$4" "$T/c$port.out" || fail "$mode: the consumer did not see /$4/"
}

poke_tlshd 4600 corrupt '^received alert GNUTLS_A_BAD_RECORD_MAC' \
	'receive: Bad message'
grep -q 'sent alert .*: ok' "$T/c4600.out" ||
	fail "corrupt: the consumer's bad_record_mac was not sent"
grep -q '^after the alert: 0 bytes' "$T/p4600.out" || fail "corrupt: more than one alert"
poke_tlshd 4601 empty-alert '^received alert GNUTLS_A_UNEXPECTED_MESSAGE' \
	'receive: Protocol error'
poke_tlshd 4602 empty-handshake '^received alert GNUTLS_A_UNEXPECTED_MESSAGE' \
	'receive: Protocol error'
poke_tlshd 4603 keyupdate '^received (EOF|reset|close_notify|nothing)' \
	'receive: Key has expired'
poke_tlshd 4604 data '^received' 'poke'
n=$(grep -c 'handshake ok: .*server, auth x509' "$T/tlshd.log")
[ "$n" = 5 ] || fail "tlshd logged $n good server handshakes, not 5"
kill -0 "$TLSHD_PID" || fail "tlshd died"

# The input cap: a ClientHello whose header claims 16 MiB, streamed until
# the server stops reading; a reader thread takes what comes back.
overcap()
{
	timeout 60 python3 - "$1" <<'PY'
import socket, sys, threading, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
got = bytearray()
def rd():
    try:
        while True:
            d = c.recv(4096)
            if not d:
                break
            got.extend(d)
    except OSError as e:
        got.extend(b"")
t = threading.Thread(target=rd, daemon=True)
t.start()
body = b"\x01\xff\xff\xff" + b"\x03\x03" + b"\0" * (16384 - 6)
try:
    c.sendall(b"\x16\x03\x01\x40\x00" + body)
    for i in range(64):
        c.sendall(b"\x16\x03\x03\x40\x00" + b"\0" * 16384)
except OSError as e:
    pass
t.join(20)
alerts = [got[i:i + 7] for i in range(0, len(got) - 6) if got[i] == 21 and got[i + 1] == 3]
print("received %d bytes%s" % (len(got), ", alert %d" % alerts[0][6] if alerts else ""))
PY
}
echo "# tlshd server, a ClientHello over the input cap"
hs-consumer --fd-from-listen 4605 --type server --auth x509 --timeout-ms 20000 \
	--expect-status EIO >"$T/c4605.out" 2>&1 &
cpid=$!
BG_PIDS+=($cpid)
for i in $(seq 200); do
	grep -q "listening port=4605" "$T/c4605.out" && break
	sleep 0.1
done
overcap 4605 >"$T/p4605.out" 2>&1
wait $cpid || fail "over the cap: consumer: $(cat "$T/c4605.out")"
sed 's/^/  peer: /' "$T/p4605.out"
grep -qE 'alert [0-9]+$' "$T/p4605.out" || fail "over the cap: no alert, only a close"
expect_log "server, auth x509, [0-9]+ ms, status EIO: "


# Still serving.
poke_tlshd 4606 data '^received' 'poke'
stop_tlshd

echo "# ktls-serve"
command -v ktls-serve >/dev/null || PATH=$PWD/build/bin:$PATH
mkdir -p "$T/root"
echo hi >"$T/root/f"
REQ='GET /f HTTP/1.1\r\nHost: x\r\n\r\n'
for tls in ktls user; do
	: >"$T/serve.log"
	ktls-serve --port 0 --root "$T/root" --cert "$T/ca-srv.pem" \
		--key "$T/ca-srv.key" --tls=$tls --idle-timeout 20 \
		>"$T/serve.log" 2>&1 &
	spid=$!
	BG_PIDS+=($spid)
	port=
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on .*:\([0-9]*\) (.*/\1/p' "$T/serve.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || fail "ktls-serve --tls=$tls did not start: $(cat "$T/serve.log")"
	for mode in corrupt empty-alert keyupdate; do
		[ $tls = user ] && [ $mode != corrupt ] && continue
		timeout 60 tls-poke 127.0.0.1 "$port" $mode --first "$REQ" \
			>"$T/s.out" 2>&1 || fail "ktls-serve $tls $mode: $(cat "$T/s.out")"
		sed "s/^/  peer ($tls, $mode): /" "$T/s.out"
		case $mode in
		corrupt) want='^received alert GNUTLS_A_BAD_RECORD_MAC' ;;
		empty-alert) want='^received alert GNUTLS_A_UNEXPECTED_MESSAGE' ;;
		keyupdate) want='^received alert GNUTLS_A_UNEXPECTED_MESSAGE' ;;
		esac
		# A kernel that rekeys (7.3): ktls-serve follows the KeyUpdate
		# and answers what comes after it (doc/keyupdate.md).
		if [ $mode = keyupdate ] && grep -q TlsRxRekeyReceived /proc/net/tls_stat; then
			grep -q '^received data .*HTTP/1\.1 ' "$T/s.out" ||
				fail "ktls-serve $tls: a KeyUpdate on a rekey kernel was not followed"
			continue
		fi
		grep -q "$want" "$T/s.out" || fail "ktls-serve $tls $mode: peer did not get /$want/"
		grep -q '^after the alert: 0 bytes' "$T/s.out" ||
			fail "ktls-serve $tls $mode: more than one alert"
	done
	overcap "$port" >"$T/s.out" 2>&1
	sed "s/^/  peer ($tls, over the cap): /" "$T/s.out"
	grep -qE 'alert [0-9]+$' "$T/s.out" || fail "ktls-serve $tls over the cap: no alert, only a close"
	timeout 60 tls-poke 127.0.0.1 "$port" data --first "$REQ" >"$T/s.out" 2>&1
	grep -q '^first data' "$T/s.out" || fail "ktls-serve $tls stopped serving"
	sed 's/^/  ktls-serve: /' "$T/serve.log" | grep -E 'garbage|empty|KeyUpdate|handshake failed|not sent' | head -n 8
	grep -q 'alert .* not sent' "$T/serve.log" && fail "ktls-serve $tls: an alert was not sent"
	grep -q 'empty alert record' "$T/serve.log" || [ $tls = user ] ||
		fail "ktls-serve: the empty alert record is not named"
	kill "$spid"
	wait "$spid" 2>/dev/null
done
echo "PASS"
