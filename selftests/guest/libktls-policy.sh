#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Refusals through ktls-peer, each with its errno (the exit status), its
# cause, and no kTLS installed:
#   wrong trust anchor, name mismatch   -> EACCES (13), the peer gets an alert
#   a server's refusal (certificate_required) that closes the socket before
#     our offload -> EACCES, the alert named, not the closed socket
#   a TLS 1.0-only or RSA-key-exchange-only client -> EACCES, named
#   a CHACHA20-only offer on a kernel whose kTLS lacks it (module removed)
#     -> EOPNOTSUPP (95) before any handshake byte, naming the cipher
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }
rx0=$(tls_stat TlsRxSw)

# expect_fail WHAT RC PATTERN LOG
expect_fail() {
	if [ "$2" -ne "$3" ] || ! grep -q -- "$4" "$5"; then
		fail_later "$1: exit $2 (want $3), log:"; cat "$5"
	else
		ok "$1: $(grep -m1 -- "$4" "$5")"
	fi
}

next_port
start_server "$T/srv.log" echo-gnutls serve $PORT --cert "$T/server.pem" --key "$T/server.key"
ktls-peer connect 127.0.0.1 $PORT --ca "$T/other.pem" --peername localhost >"$T/cli.log" 2>&1
expect_fail "untrusted server certificate" $? 13 "certificate not trusted" "$T/cli.log"
wait_server
grep -q "alert:" "$T/srv.log" && ok "the server got an alert: $(grep alert: "$T/srv.log")" ||
	{ fail_later "the server got no alert"; cat "$T/srv.log"; }

next_port
start_server "$T/srv.log" echo-gnutls serve $PORT --cert "$T/server.pem" --key "$T/server.key"
ktls-peer connect 127.0.0.1 $PORT --ca "$T/ca.pem" --peername www.example.org >"$T/cli.log" 2>&1
expect_fail "name mismatch" $? 13 "name mismatch: wanted www.example.org" "$T/cli.log"
wait_server
grep -q "alert:" "$T/srv.log" || { fail_later "the server got no alert"; cat "$T/srv.log"; }

# A TLS 1.3 server that requires a client certificate refuses ours (none)
# only after our Finished, and OpenSSL closes at once. A client slower to
# offload than that (--offload-delay) finds the socket closed (the tls ULP
# gives ENOTCONN); the cause must still be the server's alert.
next_port
start_server "$T/srv.log" openssl s_server -www -accept 127.0.0.1:$PORT -naccept 1 \
	-tls1_3 -Verify 1 -cert "$T/server.pem" -key "$T/server.key" -CAfile "$T/ca.pem"
ktls-peer connect 127.0.0.1 $PORT --ca "$T/ca.pem" --peername localhost \
	--offload-delay 1500 >"$T/cli.log" 2>&1
expect_fail "refused after our Finished, offload too late" $? 13 \
	"alert after the handshake: .*peer wants a client certificate" "$T/cli.log"
wait_server

next_port
start_server "$T/srv.log" ktls-peer serve $PORT --cert "$T/server.pem" --key "$T/server.key"
timeout 20 openssl s_client -connect 127.0.0.1:$PORT -tls1 -cipher 'DEFAULT@SECLEVEL=0' \
	</dev/null >"$T/cli.log" 2>&1
wait_server
expect_fail "TLS 1.0-only client" $? 13 "peer offers only TLS 1.0" "$T/srv.log"

next_port
start_server "$T/srv.log" ktls-peer serve $PORT --cert "$T/server.pem" --key "$T/server.key"
timeout 20 openssl s_client -connect 127.0.0.1:$PORT -tls1_2 -cipher AES128-GCM-SHA256 \
	</dev/null >"$T/cli.log" 2>&1
wait_server
expect_fail "RSA-key-exchange-only client" $? 13 "peer offers only RSA key exchange" "$T/srv.log"

# kTLS without CHACHA20-POLY1305: take the AEAD away (and keep it away).
if grep -q '^chacha20poly1305 ' /proc/modules && rmmod chacha20poly1305 2>"$T/rmmod.log"; then
	modprobe_path=$(cat /proc/sys/kernel/modprobe)
	echo /bin/false >/proc/sys/kernel/modprobe
	next_port
	start_server "$T/srv.log" echo-gnutls serve $PORT --cert "$T/server.pem" \
		--key "$T/server.key" --cipher chacha20
	ktls-peer connect 127.0.0.1 $PORT --ca "$T/ca.pem" --peername localhost \
		--cipher chacha20 >"$T/cli.log" 2>&1
	expect_fail "CHACHA20-only client offer, kernel without it" $? 95 "lacks CHACHA20-POLY1305" "$T/cli.log"
	wait_server
	if grep -q "^handshake: TLS" "$T/srv.log"; then
		fail_later "a handshake happened anyway"; cat "$T/srv.log"
	fi

	next_port
	start_server "$T/srv.log" ktls-peer serve $PORT --cert "$T/server.pem" --key "$T/server.key"
	echo-gnutls connect localhost $PORT --ca "$T/ca.pem" --cipher chacha20 \
		--send-bytes 10 >"$T/cli.log" 2>&1
	wait_server
	expect_fail "CHACHA20-only client, engine server on a kernel without it" $? 95 \
		"peer offers only CHACHA20-POLY1305, which this kernel's kTLS lacks" "$T/srv.log"
	echo "$modprobe_path" >/proc/sys/kernel/modprobe
	modprobe chacha20poly1305 || fail_later "cannot load chacha20poly1305 again"
elif [ "${VM_SERIES:-}" = 6.1 ]; then
	fail_later "cannot remove chacha20poly1305 on 6.1: $(cat "$T/rmmod.log" 2>/dev/null)"
else
	echo "note: chacha20poly1305 not removable here ($(cat "$T/rmmod.log" 2>/dev/null)); checked on 6.1"
fi

rx=$(( $(tls_stat TlsRxSw) - rx0 ))
[ "$rx" -eq 0 ] && ok "no refused session reached kTLS" || fail_later "TlsRxSw rose by $rx"
finish
