#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Server hello with x509: the kernel's listening side hands an accepted
# socket to tlshd, which presents [authenticate.server]'s certificate; an
# OpenSSL client verifies it, and data flows both ways over kTLS.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
cat >"$T/server.conf" <<EOT
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
start_tlshd "$T/server.conf"
fds0=$(tlshd_fds)

hs-consumer --fd-from-listen 4480 --type server --auth x509 \
	--timeout-ms 20000 --request 'hello from the kernel side\n' \
	>"$T/consumer.out" 2>&1 &
cpid=$!
BG_PIDS+=($cpid)
for i in $(seq 100); do
	grep -q 'listening port=4480' "$T/consumer.out" && break
	sleep 0.1
done
# openssl quits at the end of its input: keep it open until our data
# came (a fixed wait lost it on a busy host), 30 s at most.
( echo "reply from openssl"; for _ in $(seq 300); do
	grep -q 'hello from the kernel side' "$T/client.out" 2>/dev/null && break
	sleep 0.1; done; sleep 0.3 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:4480 -CAfile "$T/ca.pem" \
		-servername localhost -verify_return_error -verify_hostname localhost \
		-quiet -no_ign_eof >"$T/client.out" 2>&1
crc=$?
wait $cpid
rc=$?
sed 's/^/  consumer: /' "$T/consumer.out"
sed 's/^/  client: /' "$T/client.out"
[ $crc = 0 ] || fail "openssl s_client failed ($crc)"
[ $rc = 0 ] || fail "hs-consumer failed"
grep -q '^status=0 ' "$T/consumer.out" || fail "status not 0"
grep -q 'hello from the kernel side' "$T/client.out" || fail "client did not get our data"
grep -q 'reply from openssl' "$T/consumer.out" || fail "we did not get the client's data"
expect_log "handshake ok: peer - 127\.0\.0\.1:[0-9]+, server, auth x509, TLSv1\.3"

# Without a server certificate configured: ENOKEY, named.
stop_tlshd
start_tlshd
hs-consumer --fd-from-listen 4481 --type server --auth x509 \
	--timeout-ms 5000 --expect-status ENOKEY >"$T/consumer.out" 2>&1 &
cpid=$!
sleep 1
python3 -c 'import socket,time; c=socket.create_connection(("127.0.0.1",4481)); time.sleep(3)' &
BG_PIDS+=($!)
wait $cpid || fail "server without certificate: expected ENOKEY: $(cat "$T/consumer.out")"
expect_log "server, auth x509, [0-9]+ ms, status ENOKEY: x509 authentication requested, but no server certificate is configured"

fds1=$(tlshd_fds)
echo "  fds: $fds0 -> $fds1"
stop_tlshd
echo "PASS"
