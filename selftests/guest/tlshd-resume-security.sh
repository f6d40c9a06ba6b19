#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# What a cached ticket is bound to: a ticket got as one client identity
# (anonymous, the configured certificate, a keyring certificate) is never
# offered for another, and each identity resumes its own; a ticket the
# server can no longer open (it restarted with a new ticket key) gives a
# full handshake, counted as rejected, not an error.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
# loglevel=1: the per-handshake 'session cache:' line is at debug.
cat >"$T/mtls.conf" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/ca.pem
x509.certificate=$T/client.pem
x509.private_key=$T/client.key
EOT
certtool --certificate-info --infile "$T/client.pem" --outder \
	--outfile "$T/client.der" >/dev/null 2>&1 || fail "certtool DER"
certtool --key-info --infile "$T/client.key" --outder \
	--outfile "$T/client-key.der" >/dev/null 2>&1 || fail "certtool key DER"
cert=$(keyctl padd user tlshd-test-cert @u <"$T/client.der") || fail "keyctl cert"
key=$(keyctl padd user tlshd-test-key @u <"$T/client-key.der") || fail "keyctl key"
# The same certificate under other serials: another identity to tlshd.
cert2=$(keyctl padd user tlshd-test-cert2 @u <"$T/client.der") || fail "keyctl cert"
key2=$(keyctl padd user tlshd-test-key2 @u <"$T/client-key.der") || fail "keyctl key"

serve()
{
	start_server 4497 gnutls-serv --http -p 4497 \
		--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
}

# $1 what, $2 expected "full handshake" or "resumed", the rest: auth args
get()
{
	local what=$1 want=$2 line
	shift 2
	consumer --connect 127.0.0.1:4497 --type client --peername localhost \
		--timeout-ms 20000 --request 'GET / HTTP/1.0\r\n\r\n' "$@" ||
		fail "$what: consumer failed"
	grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" ||
		fail "$what: no HTTP answer through kTLS"
	line=$(grep 'handshake ok\|handshake failed' "$T/tlshd.log" | tail -n 1)
	echo "  $what: $line"
	case "$line" in
	*"handshake ok: "*", $want,"*) ;;
	*) fail "$what: expected a $want handshake" ;;
	esac
}

serve
patient_tickets "$T/mtls.conf"
start_tlshd "$T/mtls.conf"
# (A resumed TLS 1.3 session may or may not bring a new ticket in time,
# so each identity below resumes once, from its first ticket.)
get "keyring cert B 1" "full handshake" --auth x509 --cert "$cert2" --key "$key2"
get "anon 1" "full handshake" --auth anon
get "config cert 1" "full handshake" --auth x509
expect_log 'session cache: hits 0, misses 3, resumed 0, rejected 0'
get "keyring cert A 1" "full handshake" --auth x509 --cert "$cert" --key "$key"
expect_log 'session cache: hits 0, misses 4, resumed 0, rejected 0'
get "config cert 2" resumed --auth x509
get "keyring cert A 2" resumed --auth x509 --cert "$cert" --key "$key"
get "anon 2" resumed --auth anon
expect_log 'session cache: hits 3, misses 4, resumed 3, rejected 0'
n=$(server_count 'This is a resumed session' "$T/server-4497.log" 3)
[ "$n" = 3 ] || fail "gnutls-serv saw $n resumed sessions, not 3"

# The server restarts with a new ticket key: our ticket is refused.
kill "${BG_PIDS[-1]}"
wait "${BG_PIDS[-1]}" 2>/dev/null
serve
get "keyring cert B after server restart" "full handshake" --auth x509 \
	--cert "$cert2" --key "$key2"
expect_log 'session cache: hits 4, misses 4, resumed 3, rejected 1'
n=$(server_count 'This is a resumed session' "$T/server-4497.log" 3)
[ "$n" = 3 ] || fail "gnutls-serv saw $n resumed sessions, not 3"
keyctl unlink "$cert2" @u >/dev/null
keyctl unlink "$key2" @u >/dev/null
keyctl unlink "$cert" @u >/dev/null
keyctl unlink "$key" @u >/dev/null
stop_tlshd
echo "PASS"
