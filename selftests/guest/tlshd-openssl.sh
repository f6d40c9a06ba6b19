#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# A kernel consumer's socket, handshaken by tlshd against OpenSSL with its
# defaults (TLS 1.3, two session tickets after the handshake), then used
# through kTLS: an HTTP exchange with openssl s_server -www, and 1 MiB each
# way through a byte-exact OpenSSL echo peer.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
command -v echo-openssl >/dev/null || fail "echo-openssl not built"
make_pki
start_tlshd

tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)

start_server 4437 openssl s_server -accept 4437 -www \
	-cert "$T/ca-srv.pem" -key "$T/ca-srv.key"
consumer --connect 127.0.0.1:4437 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "handshake or request failed"
grep -q '^status=0 ' "$T/consumer.out" || fail "status not 0"
grep -q 'HTTP/1.0 200 ok' "$T/consumer.out" || fail "no HTTP answer through kTLS"
grep -q 'New, TLSv1.3, Cipher is' "$T/consumer.out" || fail "s_server's page lacks the session"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4437, client, auth anon, TLSv1\.3'

start_server 4438 echo-openssl serve 4438 \
	--cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
consumer --connect 127.0.0.1:4438 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--echo-bytes 1048576 || fail "echo through kTLS failed"
grep -q 'echo bytes=1048576 verified' "$T/consumer.out" || fail "echo not verified"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4438, client, auth anon'

tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
echo "  tls_stat: TlsTxSw $tx0 -> $tx1, TlsRxSw $rx0 -> $rx1"
[ "$tx1" -ge $((tx0 + 2)) ] && [ "$rx1" -ge $((rx0 + 2)) ] ||
	fail "kTLS counters did not rise by 2"
stop_tlshd
echo "PASS"
