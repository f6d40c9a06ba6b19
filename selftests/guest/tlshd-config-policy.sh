#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 450
# [tlshd] min_version and ciphers restrict what tlshd negotiates, as the
# log line of each handshake shows (version, cipher) and HTTP through kTLS
# confirms. With the defaults, a TLS 1.2-only server and a default TLS 1.3
# server both work; min_version=1.3 refuses the first (EACCES); ciphers=
# picks the cipher on both versions, and a server offering none of them
# is refused with the cause named.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

# conf NAME LINES...: a config trusting our CA, with extra [tlshd] lines.
conf() {
	local name=$1 l
	shift
	{
		printf '[debug]\nloglevel=1\n[authenticate.client]\nx509.truststore=%s\n[tlshd]\n' "$T/ca.pem"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$T/$name.conf"
}

# hs_ok PORT REGEX: an HTTP exchange over kTLS, log line matching REGEX.
hs_ok() {
	consumer --connect 127.0.0.1:"$1" --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' ||
		fail "handshake with port $1 failed: $(last_hs)"
	grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" ||
		fail "no HTTP answer through kTLS from port $1"
	last_hs | grep -qE "handshake ok: peer localhost 127\.0\.0\.1:$1, client, auth anon, $2" ||
		fail "port $1: expected /$2/: $(last_hs)"
	echo "  hs: $(last_hs)"
}

# hs_refused PORT REGEX: EACCES, the failure line matching REGEX.
hs_refused() {
	consumer --connect 127.0.0.1:"$1" --type client --auth anon \
		--peername localhost --timeout-ms 20000 --expect-status EACCES ||
		fail "port $1: expected EACCES: $(last_hs)"
	last_hs | grep -qE "handshake failed: peer localhost 127\.0\.0\.1:$1, .*status EACCES: .*$2" ||
		fail "port $1: expected a failure line with /$2/: $(last_hs)"
	echo "  hs: $(last_hs)"
}

with() {
	stop_tlshd
	start_tlshd "$T/$1.conf"
}

start_server 4465 gnutls-serv --http -p 4465 \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4466 gnutls-serv --http -p 4466 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4467 gnutls-serv --http -p 4467 \
	--priority 'NORMAL:-CIPHER-ALL:+AES-128-GCM' \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"

# Defaults: both versions, whatever cipher comes first.
conf default
start_tlshd "$T/default.conf"
hs_ok 4465 'TLSv1\.2 [A-Z0-9-]+,'
hs_ok 4466 'TLSv1\.3 [A-Z0-9-]+,'

conf v13 'min_version=1.3'
with v13
hs_refused 4465 'version|fatal alert'
hs_ok 4466 'TLSv1\.3 '

# The default pick is AES-128-GCM: asking for AES-256-GCM shows.
conf aes256 'ciphers=AES-256-GCM'
with aes256
hs_ok 4465 'TLSv1\.2 AES-256-GCM,'
hs_ok 4466 'TLSv1\.3 AES-256-GCM,'
# The server offers AES-128-GCM only: nothing in common, said so.
hs_refused 4467 'cipher'

conf pair 'min_version=1.3' 'ciphers=AES-256-GCM;CHACHA20-POLY1305'
with pair
hs_ok 4466 'TLSv1\.3 (AES-256-GCM|CHACHA20-POLY1305),'
hs_refused 4465 'version|fatal alert'

if grep -q 'kTLS ciphers.*CHACHA20-POLY1305' "$T/tlshd.log"; then
	conf chacha 'ciphers=CHACHA20-POLY1305'
	with chacha
	hs_ok 4465 'TLSv1\.2 CHACHA20-POLY1305,'
	hs_ok 4466 'TLSv1\.3 CHACHA20-POLY1305,'
else
	echo "  note: this kernel's kTLS lacks CHACHA20-POLY1305; that part is left out"
fi

# The server side follows the same policy: an OpenSSL TLS 1.2 client gets
# in with the defaults, and is refused with min_version=1.3.
# srv CONF PORT: hs-consumer serves one x509 handshake; openssl -tls1_2.
srv() {
	local i
	{ cat "$T/$1.conf"; printf '[authenticate.server]\nx509.certificate=%s\nx509.private_key=%s\n' \
		"$T/ca-srv.pem" "$T/ca-srv.key"; } >"$T/$1-srv.conf"
	stop_tlshd
	start_tlshd "$T/$1-srv.conf"
	hs-consumer --fd-from-listen "$2" --type server --auth x509 \
		--timeout-ms 20000 >"$T/srv.out" 2>&1 &
	cpid=$!
	BG_PIDS+=($cpid)
	for i in $(seq 100); do
		grep -q "listening port=$2" "$T/srv.out" && break
		sleep 0.1
	done
	# stdin stays open (a slow guest takes seconds to handshake); the
	# client ends when the consumer closes the socket.
	sleep 25 | timeout 30 openssl s_client -connect 127.0.0.1:"$2" \
		-tls1_2 -CAfile "$T/ca.pem" -servername localhost \
		>"$T/client.out" 2>&1
	wait "$cpid"
	sed 's/^/  consumer: /' "$T/srv.out" | head -n 2
	echo "  hs: $(last_hs)"
}
srv default 4468
# The consumer closes without close_notify, so openssl's exit status says
# nothing; its session line does.
grep -q 'New, TLSv1.2, Cipher is' "$T/client.out" ||
	fail "defaults: openssl -tls1_2 got no session: $(tail -n 3 "$T/client.out")"
grep -q '^status=0 ' "$T/srv.out" || fail "defaults: server handshake status not 0"
last_hs | grep -q 'handshake ok: peer - 127\.0\.0\.1:[0-9]*, server, auth x509, TLSv1\.2 ' ||
	fail "defaults: no TLS 1.2 server handshake: $(last_hs)"
srv v13 4469
grep -q '^status=0 ' "$T/srv.out" && fail "min_version=1.3: a TLS 1.2 client got a handshake"
grep -q 'New, TLSv1.2, Cipher is' "$T/client.out" && fail "min_version=1.3: openssl -tls1_2 got a session"
grep -q '^status=' "$T/srv.out" || fail "min_version=1.3: no status from the server consumer"
last_hs | grep -q 'handshake failed: peer - 127\.0\.0\.1:[0-9]*, server, auth x509, ' ||
	fail "min_version=1.3: no server failure line: $(last_hs)"
stop_tlshd
echo "PASS"
