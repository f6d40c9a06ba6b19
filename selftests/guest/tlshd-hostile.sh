#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 450
# Hostile peers: garbage, truncated and oversized records, peers that stall
# or hang up at each stage, absurd certificate chains and peer names. For
# each: the consumer's errno, tlshd's log line naming the cause, and a good
# handshake served right after. (A peer silent from the start is in
# tlshd-timeout.sh.)
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
HOSTILE="python3 $PWD/selftests/bin/hostile-peer.py"
start_tlshd
fds0=$(tlshd_fds)

# The good server every case is checked against afterwards.
start_server 4500 gnutls-serv --http -p 4500 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
good_after()
{
	consumer --connect 127.0.0.1:4500 --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' >/dev/null ||
		fail "after $1: the next good handshake failed"
	[ "$(tlshd_fds)" = "$fds0" ] || fail "after $1: tlshd fd count $(tlshd_fds), was $fds0"
	kill -0 "$TLSHD_PID" || fail "after $1: tlshd died"
}

# One case: PORT, consumer errno, log regex for the cause. The timeout
# leaves room for a slow emulated guest; stalls use a short one.
hostile_case()
{
	local name=$1 port=$2 errno=$3 cause=$4 t=20000
	[ "$errno" = ETIMEDOUT ] && t=8000
	echo "# $name $(date +%T)"
	consumer --connect 127.0.0.1:$port --type client --auth anon \
		--peername localhost --timeout-ms $t --expect-status "$errno" ||
		fail "$name: expected $errno, got $(head -n 1 "$T/consumer.out")"
	grep -q 'source=done' "$T/consumer.out" || fail "$name: no DONE from tlshd"
	expect_log "handshake failed: peer localhost 127\.0\.0\.1:$port, client, .*status $errno: $cause"
	good_after "$name"
}

# TLS 1.2 keeps ServerHello and Certificate in the clear, each in its own
# record, so a relay can cut between them or inside the certificate.
start_server 4510 gnutls-serv --http -p 4510 --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
# One Python for all the hostile servers (each start is slow under TCG).
start_server 4513 $HOSTILE garbage,4501 truncated,4502 oversized,4503 \
	proxy,4511,4510,1,0,stall proxy,4512,4510,1,60,stall \
	proxy,4513,4510,1,60,close
plog=$T/server-4513.log

hostile_case "garbage for a ServerHello" 4501 EIO "handshake failed: An unexpected TLS packet was received"
hostile_case "truncated record, then EOF" 4502 EIO "handshake failed: (Error decoding the received TLS packet|The TLS connection was non-properly terminated|Error in the pull function)"
# GnuTLS does not always refuse the header before reading the body (it
# read all 16 MiB, then saw EOF, in some runs); libktls's own cap on what
# a handshake reads (512 KiB) ends it either way.
hostile_case "handshake message of 2^24-1 bytes" 4503 EIO "handshake failed: (An unexpected TLS packet was received|The handshake data size is too large)|peer sent over 512 KiB of handshake data"
for i in $(seq 300); do
	grep -q 'client went away' "$plog" && break
	sleep 0.1
done
grep -q 'client went away' "$plog" || fail "oversized: tlshd kept reading: $(cat "$plog")"
echo "  peer: $(grep 'went away' "$plog")"
# Refused at the header or at the cap, not after reading 16 MiB: what
# the peer got written is what tlshd read plus the socket buffers (a few
# MiB at most).
sent=$(sed -n 's/.*went away after \([0-9]*\) bytes.*/\1/p' "$plog")
[ "$sent" -lt $((8 * 1024 * 1024)) ] || fail "oversized: tlshd read $sent bytes before giving up"

hostile_case "stall after ServerHello" 4511 ETIMEDOUT "handshake timed out after 8000 ms"
grep -q 'passed records (type/len) 22/[0-9]* + 0 bytes' "$plog" ||
	fail "relay passed no ServerHello: $(cat "$plog")"
hostile_case "stall mid-certificate" 4512 ETIMEDOUT "handshake timed out after 8000 ms"
hostile_case "close mid-certificate" 4513 EIO "handshake failed: (Error decoding the received TLS packet|The TLS connection was non-properly terminated|Error in the pull function)"
grep 'passed records' "$plog" | sed 's/^/  relay: /'

# A chain 20 certificates deep: more than GnuTLS verifies by default (16).
prev=ca
cp "$T/ca.pem" "$T/chain-ca.pem"
for i in $(seq 19); do
	cat >"$T/int$i.tmpl" <<-EOT
	cn = "intermediate $i"
	ca
	cert_signing_key
	expiration_days = 2
	EOT
	certtool --generate-certificate --load-privkey "$T/ca.key" \
		--load-ca-certificate "$T/$prev.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/int$i.tmpl" --outfile "$T/int$i.pem" 2>/dev/null ||
		fail "certtool intermediate $i"
	prev=int$i
done
certtool --generate-certificate --load-privkey "$T/ca-srv.key" \
	--load-ca-certificate "$T/int19.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/ca-srv.tmpl" --outfile "$T/deep.pem" 2>/dev/null ||
	fail "certtool deep leaf"
for i in $(seq 19 -1 1); do cat "$T/int$i.pem"; done >>"$T/deep.pem"
start_server 4520 gnutls-serv --http -p 4520 \
	--x509certfile "$T/deep.pem" --x509keyfile "$T/ca-srv.key"
hostile_case "chain 20 deep" 4520 EACCES "certificate not trusted"

# A 64 KiB certificate (1800 SANs; certtool caps them, openssl doesn't):
# it spans several records and is valid, so the handshake must succeed.
{
	printf 'subjectAltName=DNS:localhost'
	for i in $(seq 1800); do printf ',DNS:host%d.very-long-subdomain.example' $i; done
	printf '\nextendedKeyUsage=serverAuth\n'
} >"$T/big.ext"
openssl req -new -key "$T/ca-srv.key" -subj /CN=localhost -out "$T/big.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/big.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
		-set_serial 77 -days 2 -extfile "$T/big.ext" -out "$T/big.pem" 2>/dev/null ||
	fail "openssl: big certificate"
size=$(openssl x509 -in "$T/big.pem" -outform DER | wc -c)
[ "$size" -ge 65536 ] || fail "big certificate is only $size bytes"
date +%T; echo "# certificate of $size bytes"
start_server 4530 gnutls-serv --http -p 4530 \
	--x509certfile "$T/big.pem" --x509keyfile "$T/ca-srv.key"
consumer --connect 127.0.0.1:4530 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "64 KiB certificate: handshake failed"
expect_log "handshake ok: peer localhost 127\.0\.0\.1:4530"

# Peer names the module can pass (a C string: no NUL): control characters,
# refused before any handshake (they would forge log lines), and 255
# characters, which may not match the certificate.
bad=$'bad name\twith\001controls'
echo "# peer name with control characters"
consumer --connect 127.0.0.1:4500 --type client --auth anon \
	--peername "$bad" --timeout-ms 20000 --expect-status EINVAL ||
	fail "control characters in peer name: expected EINVAL"
expect_log "bad handshake request: attribute PEERNAME has control character 0x09 at offset 8"
good_after "peer name with control characters"
long=$(printf 'a%.0s' $(seq 251)).com
echo "# peer name of ${#long} characters"
consumer --connect 127.0.0.1:4500 --type client --auth anon \
	--peername "$long" --timeout-ms 20000 --expect-status EACCES ||
	fail "255-character peer name: expected EACCES"
expect_log "handshake failed: peer a{251}\.com 127\.0\.0\.1:4500, .*status EACCES: name mismatch"
good_after "255-character peer name"

# After the handover, a TLS 1.2 renegotiation: nobody renegotiates on kTLS,
# the consumer must not hang (post_handshake_case, tlshd-common.bash; the
# KeyUpdate case is tlshd-key-update.sh, on every kernel).
post_handshake_case "TLS 1.2 renegotiation" 4551 r survive -tls1_2

# tlshd as server, and a client that sends HTTP instead of a ClientHello.
cat >"$T/server.conf" <<EOT
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
stop_tlshd
start_tlshd "$T/server.conf"
echo "# garbage for a ClientHello"
hs-consumer --fd-from-listen 4540 --type server --auth x509 \
	--timeout-ms 20000 --expect-status EIO >"$T/consumer.out" 2>&1 &
cpid=$!
BG_PIDS+=($cpid)
for i in $(seq 100); do
	grep -q 'listening port=4540' "$T/consumer.out" && break
	sleep 0.1
done
timeout 30 $HOSTILE client 4540 >"$T/client.out" 2>&1
wait $cpid || fail "garbage ClientHello: expected EIO, got $(head -n 2 "$T/consumer.out")"
sed 's/^/  client: /' "$T/client.out"
expect_log "handshake failed: peer - 127\.0\.0\.1:[0-9]+, server, .*status EIO: handshake failed: "
# tlshd answered with an alert record (type 21), then closed.
grep -q "got [0-9]* bytes, first b'\\\\x15\\\\x03" "$T/client.out" ||
	fail "the garbage client got no alert: $(cat "$T/client.out")"

stop_tlshd
echo "PASS"
