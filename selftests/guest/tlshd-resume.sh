#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Session resumption through tlshd: a kernel consumer connects twice to
# the same server, the second handshake is resumed from tlshd's session
# cache (tlshd's log line and cache counters, and the server's own
# report), and data goes through kTLS both times. Servers: gnutls-serv
# (TLS 1.3 and 1.2) and tlshd itself on the server side (TLS 1.3, whose
# NewSessionTicket tlshd's client takes off the kTLS socket). A reload
# applies a [resumption] change and starts the client cache afresh.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
cat >"$T/both.conf" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/ca.pem
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT

# The last cache line tlshd logged (last_hs and get_via_consumer are in
# tlshd-common.bash).
last_cache() { grep 'session cache:' "$T/tlshd.log" | tail -n 1; }

start_server 4490 gnutls-serv --http -p 4490 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4491 gnutls-serv --http -p 4491 \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
patient_tickets "$T/both.conf"
start_tlshd "$T/both.conf"

# TLS 1.3 against gnutls-serv: its ticket comes after the handshake.
get_via_consumer 4490 "full handshake"
last_hs | grep -q 'TLSv1\.3' || fail "4490 did not speak TLS 1.3"
expect_log 'session cache: hits 0, misses 1, resumed 0, rejected 0, stored 1,'
get_via_consumer 4490 resumed
expect_log 'session cache: hits 1, misses 1, resumed 1, rejected 0'
# psk_dhe_ke: the resumed TLS 1.3 handshake still ran ECDHE.
last_hs | grep -qE 'group (X25519|SECP256R1), resumed' || fail "resumed without ECDHE"
[ "$(server_count 'This is a resumed session' "$T/server-4490.log" 1)" = 1 ] ||
	fail "gnutls-serv (TLS 1.3) does not report one resumed session"
echo "  gnutls-serv 1.3: $(grep -c 'Accepted connection' "$T/server-4490.log") connections, 1 resumed"

# TLS 1.2: the ticket comes inside the handshake, so tlshd never waits
# for one after it.
waits() { grep -c 'ticket wait: [0-9]* ms' "$T/tlshd.log"; }
w0=$(waits)
get_via_consumer 4491 "full handshake"
last_hs | grep -q 'TLSv1\.2' || fail "4491 did not speak TLS 1.2"
get_via_consumer 4491 resumed
[ "$(server_count 'This is a resumed session' "$T/server-4491.log" 1)" = 1 ] ||
	fail "gnutls-serv (TLS 1.2) does not report one resumed session"
[ "$(waits)" = "$w0" ] || fail "tlshd waited for a ticket after a TLS 1.2 handshake"
[ "$(grep -c 'ticket wait: skipped (TLS 1.2' "$T/tlshd.log")" = 2 ] ||
	fail "tlshd did not skip the ticket wait for both TLS 1.2 handshakes"
expect_log 'session cache: hits 2, misses 2, resumed 2, rejected 0,'

# tlshd on both ends: the server side issues the tickets, 64 KiB echoed
# between the two consumers through kTLS each time.
for want in "full handshake" resumed; do
	hs-consumer --fd-from-listen 4492 --type server --auth x509 \
		--timeout-ms 20000 --echo-bytes 65536 \
		>"$T/srv-consumer.out" 2>&1 &
	spid=$!
	BG_PIDS+=($spid)
	for i in $(seq 100); do
		grep -q 'listening port=4492' "$T/srv-consumer.out" && break
		sleep 0.1
	done
	consumer --connect 127.0.0.1:4492 --type client --auth anon \
		--peername localhost --timeout-ms 20000 --echo-bytes 65536 ||
		fail "tlshd-tlshd ($want): client consumer failed"
	wait $spid || fail "tlshd-tlshd ($want): server consumer failed: $(cat "$T/srv-consumer.out")"
	grep -q 'echo bytes=65536 verified' "$T/consumer.out" ||
		fail "tlshd-tlshd ($want): client data not verified"
	grep -q 'echo bytes=65536 verified' "$T/srv-consumer.out" ||
		fail "tlshd-tlshd ($want): server data not verified"
	sleep 0.2
	grep 'handshake ok' "$T/tlshd.log" | tail -n 2 | sed 's/^/  log: /'
	grep 'handshake ok' "$T/tlshd.log" | tail -n 2 |
		grep -q "server, auth x509, TLSv1\.3 .*, $want" ||
		fail "tlshd-tlshd: the server side was not a $want"
	grep 'handshake ok' "$T/tlshd.log" | tail -n 2 |
		grep -q "peer localhost 127\.0\.0\.1:4492, client, auth anon, TLSv1\.3 .*, $want" ||
		fail "tlshd-tlshd: the client side was not a $want"
done
echo "  $(last_cache)"

# [resumption] is applied by a reload, and a reload starts the client
# cache afresh (the old one, wiped, goes with its last handshake): with
# cache=false the next contact to 4490 is a full handshake although the
# cache held its session; back on, the first is full again, then resumed.
tail -n 2 "$T/both.conf" | grep -qx '\[resumption\]' ||
	fail "both.conf no longer ends in [resumption]"
echo 'cache=false' >>"$T/both.conf"
reload_tlshd 'reloaded the configuration from .*both\.conf'
c0=$(grep -c 'session cache:' "$T/tlshd.log")
get_via_consumer 4490 "full handshake"
[ "$(grep -c 'session cache:' "$T/tlshd.log")" = "$c0" ] ||
	fail "cache=false after a reload, but the cache was still used"
sed -i '/^cache=false$/d' "$T/both.conf"
reload_tlshd 'reloaded the configuration from .*both\.conf'
get_via_consumer 4490 "full handshake"
last_cache | grep -q 'session cache: hits 0, misses 1, resumed 0, rejected 0, stored 1,' ||
	fail "the cache did not start afresh at the reload: $(last_cache)"
get_via_consumer 4490 resumed
last_cache | grep -q 'session cache: hits 1, misses 1, resumed 1, rejected 0' ||
	fail "no resumption from the new cache: $(last_cache)"
echo "  $(last_cache)"
stop_tlshd
echo "PASS"
