#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Mutual TLS: a server that requires a client certificate refuses an
# anonymous request, and accepts tlshd's certificate, whether it comes
# from the configuration file or from the kernel keyring by serial.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
cat >"$T/mtls.conf" <<EOT
[authenticate.client]
x509.truststore=$T/ca.pem
x509.certificate=$T/client.pem
x509.private_key=$T/client.key
EOT

start_server 4450 gnutls-serv --http -p 4450 --require-client-cert \
	--verify-client-cert --x509cafile "$T/ca.pem" \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"

start_tlshd "$T/mtls.conf"
fds0=$(tlshd_fds)
# TLS 1.3 clients finish before the server checks their certificate: the
# server's refusal of an anonymous client comes around the handover, as an
# alert or a reset that fails either the handshake, the switch to kTLS,
# or the first request on the kTLS socket.
consumer --connect 127.0.0.1:4450 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' &&
	fail "anonymous client got an answer from a client-cert server"
grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" && fail "anonymous client got an answer"
sleep 0.5
grep -q 'Error in handshake' "$T/server-4450.log" ||
	fail "the server did not refuse the anonymous client: $(tail -n 3 "$T/server-4450.log")"
echo "  server: $(grep 'Error in handshake' "$T/server-4450.log" | head -n 1)"

consumer --connect 127.0.0.1:4450 --type client --auth x509 \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "x509 from the config: failed"
grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" || fail "no HTTP answer through kTLS"
grep -q 'CN=tlshd test client' "$T/consumer.out" || fail "the server did not see our client certificate"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4450, client, auth x509, TLSv1\.3'
fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
stop_tlshd

# The same certificate from the kernel keyring; the config has none.
certtool --certificate-info --infile "$T/client.pem" --outder \
	--outfile "$T/client.der" >/dev/null 2>&1 || fail "certtool DER"
certtool --key-info --infile "$T/client.key" --outder \
	--outfile "$T/client-key.der" >/dev/null 2>&1 || fail "certtool key DER"
cert=$(keyctl padd user tlshd-test-cert @u <"$T/client.der") || fail "keyctl cert"
key=$(keyctl padd user tlshd-test-key @u <"$T/client-key.der") || fail "keyctl key"
start_tlshd
consumer --connect 127.0.0.1:4450 --type client --auth x509 \
	--peername localhost --cert "$cert" --key "$key" --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "x509 from the keyring: failed"
grep -q 'CN=tlshd test client' "$T/consumer.out" || fail "the server did not see our client certificate"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4450, client, auth x509'

# A serial that isn't a certificate is refused with the cause.
consumer --connect 127.0.0.1:4450 --type client --auth x509 \
	--peername localhost --cert "$key" --key "$key" --timeout-ms 20000 \
	--expect-status EKEYREJECTED || fail "bad key material: expected EKEYREJECTED"
expect_log "status EKEYREJECTED: keys $key/$key are not a DER certificate and private key"
keyctl unlink "$cert" @u >/dev/null
keyctl unlink "$key" @u >/dev/null
stop_tlshd
echo "PASS"
