#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 600
# The engine against stock tools with their defaults (TLS 1.3 servers send
# two NewSessionTickets, which reach us through kTLS and must be skipped),
# every version x cipher:
#   engine client -> openssl s_server -www   (request out, page back)
#   engine client -> openssl s_server        (256 KiB, compared byte-exact)
#   engine client -> gnutls-serv --echo      (256 KiB of text echoed byte-exact)
#   engine server <- openssl s_client, gnutls-cli (a line echoed back)
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }

declare -A OSSL12=([aes128gcm]=ECDHE-ECDSA-AES128-GCM-SHA256
		   [aes256gcm]=ECDHE-ECDSA-AES256-GCM-SHA384
		   [chacha20]=ECDHE-ECDSA-CHACHA20-POLY1305
		   [aes128ccm]=ECDHE-ECDSA-AES128-CCM)
declare -A OSSL13=([aes128gcm]=TLS_AES_128_GCM_SHA256
		   [aes256gcm]=TLS_AES_256_GCM_SHA384
		   [chacha20]=TLS_CHACHA20_POLY1305_SHA256
		   [aes128ccm]=TLS_AES_128_CCM_SHA256)
declare -A GT=([aes128gcm]=AES-128-GCM [aes256gcm]=AES-256-GCM
	       [chacha20]=CHACHA20-POLY1305 [aes128ccm]=AES-128-CCM)
N=262144
python3 -c "import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range($N)))" >"$T/pattern"
offloads=0
rx0=$(tls_stat TlsRxSw)

for v in $VERSIONS; do
	for c in $CIPHERS; do
		if [ $v = tls1.2 ]; then
			ossl=(-tls1_2 -cipher "${OSSL12[$c]}")
			want=${OSSL12[$c]}
		else
			ossl=(-tls1_3 -ciphersuites "${OSSL13[$c]}")
			want=${OSSL13[$c]}
		fi
		gprio="NORMAL:-VERS-ALL:+VERS-${v^^}:-CIPHER-ALL:+${GT[$c]}"
		gprio=${gprio/TLS1./TLS1.}

		what="engine client -> openssl s_server -www, $v $c"
		next_port
		start_server "$T/srv.log" openssl s_server -accept $PORT \
			-naccept 1 -www -cert "$T/server.pem" -key "$T/server.key" \
			"${ossl[@]}"
		ktls-peer connect localhost $PORT --ca "$T/ca.pem" --print-info \
			--request 'GET / HTTP/1.0\r\n\r\n' >"$T/cli.log" 2>&1
		rc=$?
		wait_server
		if [ $rc -ne 0 ] || ! grep -q "HTTP/1.0 200 ok" "$T/cli.log" ||
		   ! grep -q "Cipher is $want" "$T/cli.log"; then
			fail_later "$what (rc $rc)"; cat "$T/cli.log" "$T/srv.log"
		else
			ok "$what"
		fi
		offloads=$((offloads + 1))

		what="engine client -> openssl s_server, $N bytes, $v $c"
		next_port
		# stdin stays open, or s_server drops the connection at once.
		start_server "$T/srv.log" bash -c "sleep 60 | exec openssl s_server \
			-accept $PORT -naccept 1 -quiet -cert $T/server.pem \
			-key $T/server.key ${ossl[*]} > $T/srv.out"
		ktls-peer connect 127.0.0.1 $PORT --ca "$T/ca.pem" \
			--peername localhost --send-bytes $N >"$T/cli.log" 2>&1
		rc=$?
		for i in $(seq 100); do
			[ "$(stat -c %s "$T/srv.out")" -ge $N ] && break
			sleep 0.1
		done
		kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null
		if [ $rc -ne 0 ] || ! cmp "$T/pattern" "$T/srv.out"; then
			fail_later "$what (rc $rc)"; cat "$T/cli.log" "$T/srv.log"
		else
			ok "$what"
		fi
		offloads=$((offloads + 1))

		what="engine client -> gnutls-serv --echo, $v $c"
		next_port
		start_server "$T/srv.log" gnutls-serv --echo --crlf \
			-p $PORT --x509certfile "$T/server.pem" \
			--x509keyfile "$T/server.key" --priority "$gprio"
		ktls-peer connect localhost $PORT --ca "$T/ca.pem" --print-info \
			--send-bytes $N --expect-echo --text >"$T/cli.log" 2>&1
		rc=$?
		kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null
		if [ $rc -ne 0 ] || ! grep -q "^cipher: ${GT[$c]}$" "$T/cli.log" ||
		   ! grep -q "^received: $N bytes" "$T/cli.log"; then
			fail_later "$what (rc $rc)"; cat "$T/cli.log" "$T/srv.log"
		else
			ok "$what"
		fi
		offloads=$((offloads + 1))

		what="engine server <- openssl s_client, $v $c"
		next_port
		tag="hello-$v-$c-openssl"
		start_server "$T/srv.log" ktls-peer serve $PORT \
			--cert "$T/server.pem" --key "$T/server.key" --print-info \
			--echo-bytes $(( ${#tag} + 1 ))
		# The client leaves when the server closes, after the echo.
		timeout 20 openssl s_client -connect 127.0.0.1:$PORT \
			-CAfile "$T/ca.pem" -verify_return_error -verify_hostname localhost \
			-no_ign_eof "${ossl[@]}" >"$T/cli.log" 2>&1 < <(echo "$tag"; sleep 10)
		wait_server; src=$?
		if [ $src -ne 0 ] || [ "$(grep -c "^$tag$" "$T/cli.log")" -ne 1 ] ||
		   ! grep -q "^cipher: ${GT[$c]}$" "$T/srv.log"; then
			fail_later "$what (server rc $src)"; cat "$T/cli.log" "$T/srv.log"
		else
			ok "$what"
		fi
		offloads=$((offloads + 1))

		what="engine server <- gnutls-cli, $v $c"
		next_port
		tag="hello-$v-$c-gnutls"
		start_server "$T/srv.log" ktls-peer serve $PORT \
			--cert "$T/server.pem" --key "$T/server.key" --print-info \
			--echo-bytes $(( ${#tag} + 1 ))
		timeout 20 gnutls-cli -p $PORT --x509cafile "$T/ca.pem" \
			--priority "$gprio" localhost >"$T/cli.log" 2>&1 \
			< <(echo "$tag"; sleep 10)
		wait_server; src=$?
		if [ $src -ne 0 ] || [ "$(grep -c "^$tag$" "$T/cli.log")" -ne 1 ] ||
		   ! grep -q "^cipher: ${GT[$c]}$" "$T/srv.log"; then
			fail_later "$what (server rc $src)"; cat "$T/cli.log" "$T/srv.log"
		else
			ok "$what"
		fi
		offloads=$((offloads + 1))
	done
done

rx=$(( $(tls_stat TlsRxSw) - rx0 ))
echo "tls_stat: TlsRxSw +$rx for $offloads engine sessions"
[ "$rx" -eq "$offloads" ] || fail_later "TlsRxSw rose by $rx, expected $offloads"
finish
