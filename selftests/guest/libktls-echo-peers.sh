#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 600
# The engine against echo servers and clients written directly on GnuTLS
# and OpenSSL, every version x cipher: the peer speaks first, in the same
# write as the end of its handshake (no byte may be lost at handover),
# then 1 MiB goes each way and must come back byte-exact. Every engine
# session must show up in /proc/net/tls_stat. Then PSK, both roles.
# On the primary kernel each version x cipher meets both peers in both
# roles; on the others (make check's focused set: what differs there is
# the kernel's side) one peer per pair, GnuTLS and OpenSSL in turn, so that
# each still meets every cipher and both roles.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }

declare -A NAME=([aes128gcm]=AES-128-GCM [aes256gcm]=AES-256-GCM
		 [chacha20]=CHACHA20-POLY1305 [aes128ccm]=AES-128-CCM)
declare -A VNAME=([tls1.2]=TLS1.2 [tls1.3]=TLS1.3)
EARLY=4096
offloads=0
rx0=$(tls_stat TlsRxSw)
tx0=$(tls_stat TlsTxSw)
derr0=$(tls_stat TlsDecryptError)

. selftests/lib/tiers.bash
turn=0
for v in $VERSIONS; do
	for c in $CIPHERS; do
		impls="gnutls openssl"
		if [ -n "${VM_SERIES:-}" ] && [ "$VM_SERIES" != "$PRIMARY_KERNEL" ]; then
			[ $((turn % 2)) = 0 ] && impls=gnutls || impls=openssl
		fi
		turn=$((turn + 1))
		for impl in $impls; do
			what="engine client <- echo-$impl server, $v $c"
			next_port
			start_server "$T/srv.log" \
				echo-$impl serve $PORT --cert "$T/server.pem" \
				--key "$T/server.key" --$v --cipher $c \
				--early-data-after-finished $EARLY || { fail_later "$what: server"; continue; }
			ktls-peer connect 127.0.0.1 $PORT --ca "$T/ca.pem" \
				--peername localhost --print-info \
				--expect-bytes $EARLY --send-bytes $MIB --expect-echo \
				>"$T/cli.log" 2>&1
			rc=$?
			wait_server; src=$?
			if [ $rc -ne 0 ] || [ $src -ne 0 ] ||
			   ! grep -q "^cipher: ${NAME[$c]}$" "$T/cli.log" ||
			   ! grep -q "^version: ${VNAME[$v]}$" "$T/cli.log" ||
			   ! grep -q "^received: $((MIB + EARLY)) bytes" "$T/cli.log" ||
			   ! grep -q "echoed $MIB bytes" "$T/srv.log"; then
				fail_later "$what (client rc $rc, server rc $src)"
				cat "$T/cli.log" "$T/srv.log"
			else
				ok "$what: $(grep -m1 'in one write' "$T/srv.log")"
			fi
			offloads=$((offloads + 1))

			what="engine server <- echo-$impl client, $v $c"
			next_port
			start_server "$T/srv.log" \
				ktls-peer serve $PORT --cert "$T/server.pem" \
				--key "$T/server.key" --cipher $c --print-info || { fail_later "$what: server"; continue; }
			echo-$impl connect localhost $PORT --ca "$T/ca.pem" --$v \
				--cipher $c --early-data-after-finished $EARLY \
				--send-bytes $MIB --expect-echo >"$T/cli.log" 2>&1
			rc=$?
			wait_server; src=$?
			if [ $rc -ne 0 ] || [ $src -ne 0 ] ||
			   ! grep -q "^cipher: ${NAME[$c]}$" "$T/srv.log" ||
			   ! grep -q "^version: ${VNAME[$v]}$" "$T/srv.log" ||
			   ! grep -q "^received: $((MIB + EARLY)) bytes" "$T/srv.log" ||
			   ! grep -q "sent $((MIB + EARLY)) bytes, received $((MIB + EARLY)) bytes" "$T/cli.log"; then
				fail_later "$what (client rc $rc, server rc $src)"
				cat "$T/cli.log" "$T/srv.log"
			else
				ok "$what: $(grep -m1 'in one write' "$T/cli.log"), $(grep pending: "$T/srv.log")"
			fi
			offloads=$((offloads + 1))
		done
	done
	# The next version starts with the other peer: each cipher meets both.
	turn=$((turn + 1))
done

# PSK (as NVMe/TCP uses it), both roles.
PSK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for v in $VERSIONS; do
	what="engine client (PSK) <- echo-openssl server, $v"
	next_port
	start_server "$T/srv.log" echo-openssl serve $PORT --psk-identity host1 \
		--psk-key $PSK --$v || { fail_later "$what: server"; continue; }
	ktls-peer connect 127.0.0.1 $PORT --psk-identity host1 --psk-key $PSK \
		--$v --print-info --send-bytes 65536 --expect-echo >"$T/cli.log" 2>&1
	rc=$?
	wait_server; src=$?
	if [ $rc -ne 0 ] || [ $src -ne 0 ] || ! grep -q "^kx: .*PSK" "$T/cli.log" ||
	   ! grep -q "^received: 65536 bytes" "$T/cli.log"; then
		fail_later "$what (client rc $rc, server rc $src)"; cat "$T/cli.log" "$T/srv.log"
	else
		ok "$what: $(grep '^kx:' "$T/cli.log"), $(grep '^cipher:' "$T/cli.log")"
	fi
	offloads=$((offloads + 1))

	what="engine server (PSK) <- echo-gnutls client, $v"
	next_port
	start_server "$T/srv.log" ktls-peer serve $PORT --psk-identity host1 \
		--psk-key $PSK --print-info || { fail_later "$what: server"; continue; }
	echo-gnutls connect localhost $PORT --psk-identity host1 --psk-key $PSK \
		--$v --send-bytes 65536 --expect-echo >"$T/cli.log" 2>&1
	rc=$?
	wait_server; src=$?
	if [ $rc -ne 0 ] || [ $src -ne 0 ] || ! grep -q "^peer: host1" "$T/srv.log" ||
	   ! grep -q "^received: 65536 bytes" "$T/srv.log"; then
		fail_later "$what (client rc $rc, server rc $src)"; cat "$T/cli.log" "$T/srv.log"
	else
		ok "$what: $(grep '^kx:' "$T/srv.log"), $(grep '^cipher:' "$T/srv.log")"
	fi
	offloads=$((offloads + 1))
done

rx=$(( $(tls_stat TlsRxSw) - rx0 ))
tx=$(( $(tls_stat TlsTxSw) - tx0 ))
derr=$(( $(tls_stat TlsDecryptError) - derr0 ))
echo "tls_stat: TlsRxSw +$rx, TlsTxSw +$tx, TlsDecryptError +$derr for $offloads engine sessions"
[ "$rx" -eq "$offloads" ] || fail_later "TlsRxSw rose by $rx, expected $offloads"
[ "$tx" -ge "$offloads" ] || fail_later "TlsTxSw rose by $tx, expected >= $offloads"
[ "$derr" -eq 0 ] || fail_later "TlsDecryptError rose by $derr"
finish
