#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick focused
# A kernel consumer's socket, handshaken by tlshd against gnutls-serv with
# its defaults (TLS 1.3, session tickets sent after the handshake), then
# used through kTLS: an HTTP exchange with gnutls-serv, and 1 MiB each way
# through a byte-exact echo peer.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
start_tlshd
rss0=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$TLSHD_PID/status")

tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)

start_server 4433 gnutls-serv --http -p 4433 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
consumer --connect 127.0.0.1:4433 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "handshake or request failed"
grep -q '^status=0 ' "$T/consumer.out" || fail "status not 0"
grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" || fail "no HTTP answer through kTLS"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4433, client, auth anon, TLSv1\.3'

command -v echo-gnutls >/dev/null || fail "echo-gnutls not built"
start_server 4434 echo-gnutls serve 4434 \
	--cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
consumer --connect 127.0.0.1:4434 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--echo-bytes 1048576 || fail "echo through kTLS failed"
grep -q 'echo bytes=1048576 verified' "$T/consumer.out" || fail "echo not verified"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4434, client, auth anon'

rss1=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$TLSHD_PID/status")
echo "  tlshd VmRSS: ${rss0} kB idle, ${rss1} kB after two handshakes"
[ "$rss0" -le 8192 ] || fail "tlshd uses $rss0 kB idle, more than 8 MiB"

# Set up and serving, tlshd keeps CAP_NET_ADMIN and nothing else.
caps=$(awk '$1 == "CapEff:" {print $2}' "/proc/$TLSHD_PID/status")
nnp=$(awk '$1 == "NoNewPrivs:" {print $2}' "/proc/$TLSHD_PID/status")
echo "  tlshd CapEff $caps NoNewPrivs $nnp"
[ "$caps" = 0000000000001000 ] || fail "tlshd's effective capabilities are $caps, not CAP_NET_ADMIN alone"
[ "$nnp" = 1 ] || fail "tlshd runs without no_new_privs"

tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
echo "  tls_stat: TlsTxSw $tx0 -> $tx1, TlsRxSw $rx0 -> $rx1"
[ "$tx1" -ge $((tx0 + 2)) ] && [ "$rx1" -ge $((rx0 + 2)) ] ||
	fail "kTLS counters did not rise by 2"
stop_tlshd
echo "PASS"
