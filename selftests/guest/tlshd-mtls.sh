#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Mutual TLS through the upcall, tlshd on both ends (a client and a server
# request of the test consumer). The client's certificate comes from CA1.
# A server trusting CA2 names CA2 in its CertificateRequest: the client
# still presents its certificate, and both ends fail with EACCES and a
# named cause (not a silent unauthenticated success). A server trusting
# CA1 verifies it and reports the peer identity in DONE. A client without
# a certificate is served with "no client certificate", or refused with
# [authenticate.server] require_client_cert.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

# conf TRUST [REQUIRE]: one tlshd serving both ends.
conf()
{
	cat >"$T/mtls.conf" <<-EOT
	[debug]
	loglevel=1
	[authenticate.client]
	x509.truststore=$T/ca.pem
	x509.certificate=$T/client.pem
	x509.private_key=$T/client.key
	[authenticate.server]
	x509.truststore=$T/$1.pem
	x509.certificate=$T/ca-srv.pem
	x509.private_key=$T/ca-srv.key
	${2:+require_client_cert=true}
	[resumption]
	ticket_wait_ms=5000
	EOT
}

# pair PORT CLIENT_AUTH SERVER_STATUS CLIENT_STATUS
pair()
{
	local port=$1 auth=$2 i
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --expect-status "$3" \
		>"$T/srv-$port.out" 2>&1 &
	local spid=$!
	BG_PIDS+=($spid)
	for i in $(seq 200); do
		grep -q "listening port=$port" "$T/srv-$port.out" && break
		sleep 0.1
	done
	hs-consumer --connect "127.0.0.1:$port" --type client --auth "$auth" \
		--peername localhost --timeout-ms 20000 --expect-status "$4" \
		>"$T/cli-$port.out" 2>&1
	local crc=$?
	wait $spid
	local src=$?
	echo "  server consumer: $(head -n 1 "$T/srv-$port.out")"
	echo "  client consumer: $(head -n 1 "$T/cli-$port.out")"
	[ $src = 0 ] || fail "server end: expected status $3: $(cat "$T/srv-$port.out")"
	[ $crc = 0 ] || fail "client end: expected status $4: $(cat "$T/cli-$port.out")"
}

echo "# server trusts CA2, client certificate from CA1: refused on both ends"
conf rogue
start_tlshd "$T/mtls.conf"
pair 4490 x509 EACCES EACCES
expect_log "server, auth x509, [0-9]+ ms, status EACCES: certificate not trusted \(issuer 'CN=tlshd test ca' unknown\)"
expect_log "client, auth x509, [0-9]+ ms, status EACCES: peer sent fatal alert( after the handshake)?: CA is unknown \(peer rejected our certificate\)"
grep -q "no client certificate" "$T/tlshd.log" &&
	fail "the client's certificate was not presented"
stop_tlshd

echo "# server trusts CA1: verified, identity in DONE"
conf ca
start_tlshd "$T/mtls.conf"
pair 4491 x509 0 0
grep -q '^status=0 peerid=[1-9]' "$T/srv-4491.out" ||
	fail "server DONE has no peer identity: $(head -n 1 "$T/srv-4491.out")"
expect_log "handshake ok: peer - 127\.0\.0\.1:[0-9]+, server, auth x509, TLSv1\.3 .*, verified tlshd test client"

echo "# no client certificate, not required: served, logged, no identity"
pair 4492 anon 0 0
grep -q '^status=0 peerid=0 ' "$T/srv-4492.out" ||
	fail "server DONE reports an identity for a client without a certificate"
expect_log "server, auth x509, TLSv1\.3 .*, no client certificate"
stop_tlshd

echo "# no client certificate, require_client_cert=true: refused"
conf ca require
start_tlshd "$T/mtls.conf"
pair 4493 anon EACCES EACCES
expect_log "server, auth x509, [0-9]+ ms, status EACCES: peer sent no certificate, but one is required"
expect_log "client, auth anon, [0-9]+ ms, status EACCES: peer sent fatal alert( after the handshake)?: [^(]*[Cc]ertificate[^(]*required"

# The daemon still serves.
pair 4494 x509 0 0
stop_tlshd
echo "PASS"
