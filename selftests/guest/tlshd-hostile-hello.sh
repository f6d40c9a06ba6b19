#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 300
# ClientHellos that no TLS library sends, against tlshd as a server (the
# test consumer hands it an accepted socket) and against ktls-serve, from
# selftests/bin/hello-peer.py, a TLS 1.3 client written from raw bytes:
# hundreds of unknown and GREASE extensions, a repeated extension, a
# HelloRetryRequest answered right and wrong, 0-RTT data offered with a
# ticket the server never issued, and a valid ClientHello cut into
# one-byte records, which passes the 512 KiB cap on what a handshake
# reads. OpenSSL adds a real HelloRetryRequest and a TLS 1.2
# renegotiation after the handover (refused with no_renegotiation by the
# consumer's ktls_recv, with unexpected_message by ktls-serve). Each case checks what the peer got (alert or
# data, byte-exact), tlshd's log line, the consumer's status, and a
# normal handshake served afterwards. One hello-peer run does all raw
# cases (a Python start costs seconds under emulation).
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
HELLO="python3 $PWD/selftests/bin/hello-peer.py"
cat >"$T/server.conf" <<EOT
[debug]
loglevel=1
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
start_tlshd "$T/server.conf"
KSIDE='from the kernel side'
declare -A CPIDS

# consumer_listen PORT [ARGS]: the test consumer, server side, on PORT.
consumer_listen()
{
	local port=$1 i
	shift
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --io-timeout-ms 30000 "$@" \
		>"$T/c$port.out" 2>&1 &
	CPIDS[$port]=$!
	BG_PIDS+=($!)
	for i in $(seq 200); do
		grep -q "listening port=$port" "$T/c$port.out" && return 0
		sleep 0.1
	done
	fail "consumer on $port not listening"
}

command -v ktls-serve >/dev/null || PATH=$PWD/build/bin:$PATH
mkdir -p "$T/root"
echo hi >"$T/root/f"
ktls-serve --port 0 --bind 127.0.0.1 --root "$T/root" --cert "$T/ca-srv.pem" \
	--key "$T/ca-srv.key" --idle-timeout 20 >"$T/serve.log" 2>&1 &
spid=$!
BG_PIDS+=($spid)
SPORT=
for i in $(seq 100); do
	SPORT=$(sed -n 's/.*listening on .*:\([0-9]*\) (.*/\1/p' "$T/serve.log")
	[ -n "$SPORT" ] && break
	sleep 0.1
done
[ -n "$SPORT" ] || fail "ktls-serve did not start: $(cat "$T/serve.log")"
# openssl, its key share for P-256 only: this server prefers X25519, which
# openssl supports too, so it is asked again; two ClientHellos on the wire.
echo "# tlshd server: openssl, HelloRetryRequest"
consumer_listen 4708 --request "hello $KSIDE\\n"
( echo ping; for _ in $(seq 300); do
	grep -q "$KSIDE" "$T/o4708.out" 2>/dev/null && break
	sleep 0.1; done; sleep 0.3 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:4708 -CAfile "$T/ca.pem" \
		-groups P-256:X25519 -verify_return_error -msg -no_ign_eof \
		>"$T/o4708.out" 2>&1
wait "${CPIDS[4708]}"
grep -E '^(>>>|<<<).*Hello|^hello|Temp Key' "$T/o4708.out" | sed 's/^/  peer: /'
[ "$(grep -c '^>>> .*ClientHello' "$T/o4708.out")" = 2 ] ||
	fail "openssl HRR: not two ClientHellos"
grep -q "^hello $KSIDE" "$T/o4708.out" || fail "openssl HRR: no data from the consumer"
grep -q '^status=0 ' "$T/c4708.out" || fail "openssl HRR: consumer status not 0"
grep -qx ping "$T/c4708.out" || fail "openssl HRR: the consumer did not get 'ping'"

# TLS 1.2 renegotiation asked by the client after the handover: the
# consumer holds the socket.
echo "# tlshd server: openssl -tls1_2, renegotiation"
consumer_listen 4709 --request "hello $KSIDE\\n"
( for _ in $(seq 300); do
	grep -q "$KSIDE" "$T/o4709.out" 2>/dev/null && break
	sleep 0.1; done; echo R; sleep 5 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:4709 -CAfile "$T/ca.pem" \
		-tls1_2 -verify_return_error -msg -no_ign_eof \
		>"$T/o4709.out" 2>&1
rc=$?
wait "${CPIDS[4709]}"
grep -E 'RENEG|^(>>>|<<<).*(Hello|Alert)|^hello|alert|error' "$T/o4709.out" | sed 's/^/  peer: /' | head -n 12
sed 's/^/  consumer: /' "$T/c4709.out"
[ $rc != 124 ] || fail "renegotiation: the client waited for an answer until killed"
grep -q '^<<< .*Alert.*\[length 0002\], warning no_renegotiation' "$T/o4709.out" ||
	fail "renegotiation: the client got no no_renegotiation alert"
grep -q '^status=0 ' "$T/c4709.out" || fail "renegotiation: the handshake failed"
grep -q 'hs-consumer: peer sent fatal alert 40$' "$T/c4709.out" ||
	fail "renegotiation: the consumer did not see the client give up (handshake_failure)"

# The cases: PORT MODE STATUS PEER_RE LOG_RE [hello-peer options]. A good
# STATUS (0) also has the peer send "ping" and want the consumer's line.
# One consumer listens per case; one hello-peer runs them all in turn.
CASES=(
"4700|many-ext,300|0|^handshake complete|-|"
"4701|many-ext,40|0|^handshake complete|-|--frag 3"
"4702|dup-ext|EIO|^received alert 2 47 |status EIO: peer's ClientHello repeats extension type 10$|"
"4703|dup-unknown|EIO|^received alert 2 47 |status EIO: peer's ClientHello repeats extension type 17185$|"
"4704|hrr-good|0|^hello-retry-request group 0x001d|-|"
"4705|hrr-bad|EIO|^received alert 2 47 |status EIO: peer's second ClientHello has no key share for the group our HelloRetryRequest asked for$|"
"4706|early-data|0|^sent 3 early data records|-|"
# 100 KiB is under GnuTLS's limit per message (128 KiB); in records of
# one byte it is 600 KiB on the wire.
"4707|big,100000|EIO|^received alert 2 50 |status EIO: peer sent over 512 KiB of handshake data$|--frag 1"
# Still serving.
"4710|many-ext,20|0|^handshake complete|-|"
)
args=()
for c in "${CASES[@]}"; do
	IFS='|' read -r port mode status peer log opts <<<"$c"
	if [ "$status" = 0 ]; then
		consumer_listen "$port" --request "hello $KSIDE\\n"
		opts="$opts --send 'ping\\n' --want '$KSIDE'"
	else
		consumer_listen "$port" --expect-status "$status"
	fi
	args+=("$port $mode $opts")
done
REQ='GET /f HTTP/1.0\r\n\r\n'
SCASES=(
"many-ext,300|^received data: 'HTTP/1.1 200 OK.*hi|--send '$REQ' --want hi"
"dup-unknown|^received alert 2 47 |"
"hrr-good|^received data: 'HTTP/1.1 200 OK.*hi|--send '$REQ' --want hi"
"hrr-bad|^received alert 2 47 |"
"early-data|^received data: 'HTTP/1.1 200 OK.*hi|--send '$REQ' --want hi"
)
for c in "${SCASES[@]}"; do
	IFS='|' read -r mode peer opts <<<"$c"
	args+=("$SPORT $mode $opts")
done
echo "# ${#CASES[@]} ClientHellos to tlshd, ${#SCASES[@]} to ktls-serve $(date +%T)"
timeout 200 $HELLO "${args[@]}" >"$T/peer.out" 2>&1
echo "# done $(date +%T)"
for c in "${CASES[@]}"; do
	IFS='|' read -r port mode status peer log opts <<<"$c"
	echo "# $mode $opts"
	wait "${CPIDS[$port]}"
	grep "^$port: " "$T/peer.out" | sed 's/^/  peer /'
	grep -v "^hello $KSIDE" "$T/c$port.out" | sed 's/^/  consumer: /' | head -n 3
	grep -qE "^status=$status " "$T/c$port.out" ||
		fail "$mode: consumer status is not $status"
	grep -qE -- "^$port: ${peer#^}" "$T/peer.out" || fail "$mode: the peer did not get /$peer/"
	if [ "$status" = 0 ]; then
		# Byte-exact both ways: one "ping" line and nothing else.
		[ "$(grep -v '^status=\|^hs-consumer\|^listening' "$T/c$port.out")" = ping ] ||
			fail "$mode: the consumer got other data than 'ping'"
		grep -q "^$port: received data: 'hello $KSIDE\\\\n'$" "$T/peer.out" ||
			fail "$mode: the peer got other data than the consumer's line"
	else
		expect_log "handshake failed: peer - 127\.0\.0\.1:[0-9]+, server, .*$log"
	fi
done
n=$(grep -c 'handshake ok: peer - .*, server, auth x509, TLSv1\.[23]' "$T/tlshd.log")
[ "$n" = 7 ] || fail "$n good handshakes logged, not 7"
kill -0 "$TLSHD_PID" || fail "tlshd died"

echo "# ktls-serve"
grep "^$SPORT: " "$T/peer.out" | sed "s/^/  peer /" | cut -c1-120
i=0
mapfile -t got < <(grep -E "^$SPORT: received" "$T/peer.out")
for c in "${SCASES[@]}"; do
	IFS='|' read -r mode peer opts <<<"$c"
	grep -qE -- "^$SPORT: ${peer#^}" <<<"${got[$i]:-}" ||
		fail "ktls-serve $mode: the peer got '${got[$i]:-}', not /$peer/"
	i=$((i + 1))
done
grep -q "handshake failed: peer's ClientHello repeats extension type 17185" "$T/serve.log" ||
	fail "ktls-serve: the repeated extension is not named"
grep -q "handshake failed: peer's second ClientHello has no key share" "$T/serve.log" ||
	fail "ktls-serve: the wrong answer to its HelloRetryRequest is not named"
# Renegotiation at ktls-serve: refused with unexpected_message, named.
echo "# ktls-serve: openssl -tls1_2, renegotiation"
( printf 'GET /f HTTP/1.1\r\nHost: x\r\n\r\n'; for _ in $(seq 300); do
	grep -q '^hi$' "$T/o-serve.out" 2>/dev/null && break
	sleep 0.1; done; echo R; sleep 5 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:$SPORT -CAfile "$T/ca.pem" \
		-tls1_2 -msg -no_ign_eof >"$T/o-serve.out" 2>&1
rc=$?
grep -E 'RENEG|Alert|^hi$' "$T/o-serve.out" | sed 's/^/  peer: /' | head -n 6
[ $rc != 124 ] || fail "ktls-serve renegotiation: the client waited until killed"
grep -q '^hi$' "$T/o-serve.out" || fail "ktls-serve renegotiation: no file before it"
grep -q '^<<< .*Alert.*fatal unexpected_message' "$T/o-serve.out" ||
	fail "ktls-serve renegotiation: the client got no unexpected_message alert"
grep -q 'client sent a post-handshake message (type 1) that kTLS cannot follow' "$T/serve.log" ||
	fail "ktls-serve renegotiation: not named in its log"
grep -E 'handshake failed|post-handshake' "$T/serve.log" | sed 's/^/  ktls-serve: /' | head -n 8
kill "$spid"
wait "$spid" 2>/dev/null
stop_tlshd
echo "PASS"
