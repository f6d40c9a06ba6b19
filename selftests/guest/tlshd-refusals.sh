#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 450
# Secure defaults: tlshd refuses a real peer that offers only something
# weak or bad. Each case checks the errno the kernel consumer gets from
# DONE, tlshd's log line naming the cause, and the alert the peer got
# (OpenSSL prints "SSL alert number N" for an alert it receives).
# As client: TLS 1.0-only and TLS 1.1-only servers, an RSA-key-exchange-
# only server, expired, not yet valid, revoked (CRL), untrusted and
# misnamed server certificates. As server: a TLS 1.0-only client, an
# RSA-key-exchange-only client, an expired client certificate. (The
# operator's opt-in to RSA key exchange is tlshd-allow-rsa-kx.sh's.)
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

# OpenSSL 3 allows TLS 1.0/1.1 (and their SHA-1) only at security level 0.
WEAK='DEFAULT@SECLEVEL=0'

# sign_cert NAME KEYTYPE EXTRA-TEMPLATE-LINES: NAME.pem/.key signed by ca.
sign_cert()
{
	local name=$1 kt=$2
	shift 2
	if [ "$kt" = rsa ]; then
		certtool --generate-privkey --key-type rsa --bits 2048 \
			--outfile "$T/$name.key" 2>/dev/null || fail "certtool rsa key"
	else
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
			--outfile "$T/$name.key" 2>/dev/null || fail "certtool key"
	fi
	printf '%s\n' "$@" >"$T/$name.tmpl"
	certtool --generate-certificate --load-privkey "$T/$name.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/$name.tmpl" --outfile "$T/$name.pem" \
		2>"$T/$name.err" || fail "certtool $name: $(tail -n 2 "$T/$name.err")"
}

SRV=('cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"'
     tls_www_server signing_key encryption_key)
sign_cert expired ecdsa "${SRV[@]}" \
	'activation_date = "2019-01-01 00:00:00"' \
	'expiration_date = "2020-01-01 00:00:00"'
sign_cert future ecdsa "${SRV[@]}" \
	'activation_date = "2035-01-01 00:00:00"' \
	'expiration_date = "2036-01-01 00:00:00"'
sign_cert revoked ecdsa "${SRV[@]}" 'expiration_days = 2'
sign_cert rsa rsa "${SRV[@]}" 'expiration_days = 2'
sign_cert oldclient ecdsa 'cn = "tlshd test expired client"' \
	tls_www_client signing_key \
	'activation_date = "2019-01-01 00:00:00"' \
	'expiration_date = "2020-01-01 00:00:00"'
openssl x509 -in "$T/expired.pem" -noout -enddate | grep -q 2020 ||
	fail "the expired certificate isn't: $(openssl x509 -in "$T/expired.pem" -noout -dates)"

# The CRL revoking one certificate. make_pki's CA may not sign CRLs: it
# is reissued with cRLSign, same key and name, so what it signed still
# verifies against it.
cat >"$T/ca.tmpl" <<EOT
cn = "tlshd test ca"
ca
cert_signing_key
crl_signing_key
expiration_days = 2
EOT
certtool --generate-self-signed --load-privkey "$T/ca.key" \
	--template "$T/ca.tmpl" --outfile "$T/ca.pem" 2>/dev/null ||
	fail "certtool CA with CRL signing"
printf 'crl_next_update = 2\ncrl_number = 1\n' >"$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$T/ca.key" \
	--load-ca-certificate "$T/ca.pem" \
	--load-certificate "$T/revoked.pem" --template "$T/crl.tmpl" \
	--outfile "$T/crl.pem" 2>"$T/crl.err" ||
	fail "certtool CRL: $(tail -n 2 "$T/crl.err")"

cat >"$T/client.conf" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/ca.pem
x509.crl=$T/crl.pem
EOT
cat >"$T/server.conf" <<EOT
[debug]
loglevel=1
[authenticate.server]
x509.truststore=$T/ca.pem
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT

# Wait (up to 10 s) for the peer's log to show the alert it received
# (a number), or its own refusal (log:REGEX).
expect_alert()
{
	local file=$1 num=$2 what=$3 re i
	case $num in
	log:*) re=${num#log:} ;;
	*) re="SSL alert number $num\b" ;;
	esac
	for i in $(seq 100); do
		grep -q "$re" "$file" && break
		sleep 0.1
	done
	grep -q "$re" "$file" ||
		fail "$what: the peer's log lacks /$re/: $(grep -i 'alert\|error' "$file" | tail -n 3)"
	echo "  peer: $(grep -m 1 "$re" "$file" | sed 's/.*routines://')"
}

# OpenSSL takes seconds to start under emulation: start every server
# first, in the background, and wait for each port when its case comes.
# launch PORT SERVER...
launch()
{
	local port=$1
	shift
	"$@" >>"$T/server-$port.log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	SERVER_CMD[$port]="$*"
}

wait_port()
{
	local port=$1 i
	for i in $(seq 600); do
		ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $port after 60 s: $(tail -n 5 "$T/server-$port.log")"
}

# refuse_as_client PORT PEERNAME STATUS CAUSE-REGEX ALERT
refuse_as_client()
{
	local port=$1 peer=$2 status=$3 cause=$4 alert=$5
	echo "client vs. ${SERVER_CMD[$port]}"
	wait_port "$port"
	consumer --connect "127.0.0.1:$port" --type client --auth anon \
		--peername "$peer" --timeout-ms 20000 --expect-status "$status" ||
		fail "port $port: expected $status"
	expect_log "handshake failed: peer ${peer//./\\.} 127\.0\.0\.1:$port, client, auth anon, [0-9]+ ms, status $status: $cause"
	expect_alert "$T/server-$port.log" "$alert" "port $port"
}

launch 4600 openssl s_server -accept 4600 -www \
	-cert "$T/ca-srv.pem" -key "$T/ca-srv.key"
launch 4601 openssl s_server -accept 4601 -www -tls1 -cipher "$WEAK" \
	-cert "$T/ca-srv.pem" -key "$T/ca-srv.key"
launch 4602 openssl s_server -accept 4602 -www -tls1_1 -cipher "$WEAK" \
	-cert "$T/ca-srv.pem" -key "$T/ca-srv.key"
launch 4603 openssl s_server -accept 4603 -www -tls1_2 \
	-cipher AES128-GCM-SHA256 -cert "$T/rsa.pem" -key "$T/rsa.key"
launch 4604 openssl s_server -accept 4604 -www \
	-cert "$T/expired.pem" -key "$T/expired.key"
launch 4605 openssl s_server -accept 4605 -www \
	-cert "$T/future.pem" -key "$T/future.key"
launch 4606 openssl s_server -accept 4606 -www \
	-cert "$T/revoked.pem" -key "$T/revoked.key"
launch 4607 openssl s_server -accept 4607 -www \
	-cert "$T/rogue-srv.pem" -key "$T/rogue-srv.key"
launch 4608 openssl s_server -accept 4608 -www \
	-cert "$T/ca-srv.pem" -key "$T/ca-srv.key"

start_tlshd "$T/client.conf"
fds0=$(tlshd_fds)

# The same kind of server with a good certificate works: the refusals
# below are about what each peer offers, not about the setup.
wait_port 4600
consumer --connect 127.0.0.1:4600 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' || fail "good server: handshake failed"
grep -q 'HTTP/1.0 200 ok' "$T/consumer.out" || fail "good server: no HTTP answer"

# An OpenSSL server that can't do what we offer says so first, with a
# protocol_version alert: a client learns only that nothing it offered fit,
# so the cause names what we offered and the server's log says the rest.
V='peer sent fatal alert: Error in protocol version \(no common TLS version; we offer TLS 1\.2 to TLS 1\.3\)'
refuse_as_client 4601 localhost EACCES "$V" 'log:unsupported protocol'
refuse_as_client 4602 localhost EACCES "$V" 'log:unsupported protocol'
# Likewise the server's handshake_failure alert is all a client gets when
# the server wants RSA key exchange; the server's log names the cause.
refuse_as_client 4603 localhost EACCES \
	'peer sent fatal alert: Handshake failed \(no common cipher suite, group or authentication\?; we offer [A-Z0-9 -]+ with forward-secret key exchange only\)' \
	'log:no shared cipher'
refuse_as_client 4604 localhost EACCES 'certificate expired' 45
refuse_as_client 4605 localhost EACCES 'certificate not yet valid' 45
refuse_as_client 4606 localhost EACCES 'certificate revoked' 44
# Untrusted and misnamed are tlshd-verify.sh's cases; here, the alerts.
refuse_as_client 4607 localhost EACCES \
	"certificate not trusted \(issuer 'CN=tlshd test rogue' unknown\)" 48
refuse_as_client 4608 wrong.example EACCES \
	"name mismatch: wanted wrong\.example, certificate is for 'CN=localhost'" 42

fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
stop_tlshd

# tlshd as server: the kernel side listens, an OpenSSL client connects.
# refuse_as_server PORT STATUS CAUSE-REGEX ALERT -- S_CLIENT-OPTIONS...
refuse_as_server()
{
	local port=$1 status=$2 cause=$3 alert=$4 cpid i
	shift 5
	echo "server vs. openssl s_client $*"
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --expect-status "$status" \
		>"$T/consumer-$port.out" 2>&1 &
	cpid=$!
	for i in $(seq 100); do
		grep -q "listening port=$port" "$T/consumer-$port.out" && break
		sleep 0.1
	done
	# The client writes a line and stays until tlshd is done and a
	# second more, so that an alert that comes after its own handshake
	# end (TLS 1.3: a refused client certificate) is read.
	( echo "hello"
	  for i in $(seq 600); do
		kill -0 $cpid 2>/dev/null || break
		sleep 0.1
	  done
	  sleep 1 ) | timeout 90 openssl s_client \
		-connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$T/ca.pem" "$@" >"$T/client-$port.log" 2>&1
	wait $cpid || fail "server port $port: expected $status: $(cat "$T/consumer-$port.out")"
	sed 's/^/  consumer: /' "$T/consumer-$port.out" | head -n 2
	expect_log "handshake failed: peer - 127\.0\.0\.1:[0-9]+, server, auth x509, [0-9]+ ms, status $status: $cause"
	expect_alert "$T/client-$port.log" "$alert" "server port $port"
}

start_tlshd "$T/server.conf"
fds0=$(tlshd_fds)
refuse_as_server 4610 EACCES \
	'peer offers only TLS 1\.0 \(we require TLS 1\.2 or later\)' 70 -- \
	-tls1 -cipher "$WEAK"
refuse_as_server 4611 EACCES \
	'peer offers only RSA key exchange \(no forward secrecy\): allowed only with allow_rsa_kx' 40 -- \
	-tls1_2 -cipher AES128-GCM-SHA256
refuse_as_server 4612 EACCES 'certificate expired' 45 -- \
	-cert "$T/oldclient.pem" -key "$T/oldclient.key"
fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd (server) fd count went from $fds0 to $fds1"
stop_tlshd

echo "PASS"
