#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick focused
# The harness's smoke test: a GnuTLS handshake in user space against
# `openssl s_server -rev` (TLS 1.3, then TLS 1.2), keys handed to the kernel,
# a line through kTLS that the server must answer reversed, the socket seen
# by `ss -tie` with the tls ULP, and /proc/net/tls_stat counters rising.
. "$(dirname "$0")/libktls-common.bash"
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }
modprobe -q tcp_diag

line="hello from kernel tls"
want=$(printf '%s' "$line" | rev)
for v in tls1.3 tls1.2; do
	next_port
	start_server "$T/server-$v.log" openssl s_server -accept "$PORT" \
		-cert "$T/server.pem" -key "$T/server.key" -rev -quiet || exit 1
	tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)
	ktls-peer connect 127.0.0.1 "$PORT" --"$v" --ca "$T/ca.pem" \
		--peername localhost --request "$line\n" --reply-bytes $((${#line} + 1)) --print-info \
		--hold 4000 >"$T/peer-$v.out" 2>&1 &
	peer=$!
	for i in $(seq 100); do
		grep -q '^holding' "$T/peer-$v.out" && break
		kill -0 $peer 2>/dev/null || break
		sleep 0.1
	done
	ulp=$(ss -Htie state established "( dport = :$PORT )")
	wait $peer
	rc=$?
	sed "s/^/  $v: /" "$T/peer-$v.out"
	[ $rc = 0 ] || fail_later "$v: ktls-peer exited $rc"
	grep -q "^version: TLS${v#tls}$" "$T/peer-$v.out" ||
		fail_later "$v: negotiated another version"
	grep -qF "$want" "$T/peer-$v.out" ||
		fail_later "$v: no reversed line through kTLS (want \"$want\")"
	echo "$ulp" | grep -q 'tcp-ulp-tls' ||
		fail_later "$v: ss -tie shows no tls ULP on the socket: $ulp"
	echo "  $v: ss: $(echo "$ulp" | grep -o 'tcp-ulp-tls.*' | head -n 1)"
	echo "$ulp" | grep -q "version: ${v#tls}" ||
		fail_later "$v: ss reports another TLS version: $ulp"
	tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
	echo "  $v: tls_stat TlsTxSw $tx0 -> $tx1, TlsRxSw $rx0 -> $rx1"
	[ "$rx1" -gt "$rx0" ] && [ "$tx1" -gt "$tx0" ] ||
		fail_later "$v: tls_stat counters did not rise"
	kill "$SERVER_PID" 2>/dev/null
done
finish
