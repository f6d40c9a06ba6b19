#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 600
# ktls-probe against four `openssl s_server`s: a modern one (TLS 1.3 and
# 1.2 with ECDHE), a TLS 1.0-only one, an RSA-key-exchange-only TLS 1.2 one
# and one with an expired certificate. Each --json report is checked field
# by field; so are the modern one's text report, a name mismatch, the exit
# codes, tlshd's verdict (its default policy refuses TLS 1.0 and RSA key
# exchange: exit 4 and 6), and that the offload try really installed keys (TlsTxSw rises).
. "$(dirname "$0")/libktls-common.bash"
need_ktls
command -v ktls-probe >/dev/null || { echo "FAIL: ktls-probe not built"; exit 1; }

# An RSA CA and server certificates for probe.test: RSA key exchange needs
# an RSA key. One valid for two days, one that expired in 2021.
probe_certs() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" \
		-out "$T/ca.pem" -days 2 -subj "/CN=probe test CA" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" \
		-out "$T/srv.csr" -subj "/CN=probe.test" 2>/dev/null &&
	printf 'subjectAltName=DNS:probe.test\n' >"$T/ext.cnf" &&
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
		-CAcreateserial -days 2 -extfile "$T/ext.cnf" \
		-out "$T/srv.pem" 2>/dev/null || return 1
	cat >"$T/expired.tmpl" <<-EOT
	cn = "probe.test"
	dns_name = "probe.test"
	tls_www_server
	signing_key
	encryption_key
	activation_date = "2020-01-01 00:00:00"
	expiration_date = "2021-01-01 00:00:00"
	EOT
	certtool --generate-certificate --load-privkey "$T/srv.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/expired.tmpl" --outfile "$T/expired.pem" 2>/dev/null
}

# serve NAME CERT S_SERVER_ARGS...: an s_server on a fresh port.
serve() {
	local name=$1 cert=$2
	shift 2
	next_port
	start_server "$T/$name.server.log" openssl s_server -accept "$PORT" \
		-cert "$cert" -key "$T/srv.key" -www -quiet "$@" ||
		{ echo "FAIL: $name: server did not start"; exit 1; }
}

# probe NAME [OPTIONS]: --json report in $T/NAME.json, exit code in RC.
probe() {
	local name=$1
	shift
	ktls-probe --json --timeout 20 --ca "$T/ca.pem" --sni probe.test "$@" \
		"127.0.0.1:$PORT" >"$T/$name.json" 2>"$T/$name.err"
	RC=$?
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	echo "  $name: exit $RC: $(cat "$T/$name.json")"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/$name.json" ||
		fail_later "$name: report is not JSON (stderr: $(cat "$T/$name.err"))"
}

# expect NAME PYTHON-EXPR WANT: the expression over the report `j` is WANT.
expect() {
	local got
	got=$(python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)' "$T/$1.json" "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		ok "$1: $2 = $3"
	else
		fail_later "$1: $2 is \"$got\", want \"$3\""
	fi
}

expect_match() {
	local got
	got=$(python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/$1.json" "$2" 2>&1)
	if echo "$got" | grep -Eq -- "$3"; then
		ok "$1: $2 ~ /$3/"
	else
		fail_later "$1: $2 is \"$got\", want /$3/"
	fi
}

probe_certs || { echo "FAIL: cannot make certificates"; exit 1; }

# 1. Modern: TLS 1.3 preferred, ECDHE, tickets, resumption, offload.
serve modern "$T/srv.pem"
tx0=$(tls_stat TlsTxSw)
probe modern
tx1=$(tls_stat TlsTxSw)
[ "$RC" = 0 ] && ok "modern: exit 0" || fail_later "modern: exit $RC, want 0"
expect modern 'j["handshake"]["accepted"]' true
expect modern 'j["target"]["sni"]' probe.test
expect modern 'j["handshake"]["version"]' TLS1.3
expect modern 'j["handshake"]["kx"]' ECDHE
expect_match modern 'j["handshake"]["cipher"]' '^(AES-(128|256)-GCM|CHACHA20-POLY1305)$'
expect_match modern 'j["handshake"]["group"]' '^(X25519|SECP256R1|SECP384R1|X448|SECP521R1)$'
expect_match modern 'j["handshake"]["signature"]' '^RSA-'
expect modern 'j["chain_length"]' 1
expect modern 'j["certificates"][0]["subject"]' CN=probe.test
expect modern 'j["certificates"][0]["issuer"]' "CN=probe test CA"
expect modern 'j["certificates"][0]["expired"]' false
expect modern 'j["verification"]["trusted"]' true
expect modern 'j["session_ticket"]' true
expect modern 'j["resumption"]["resumed"]' true
expect modern 'j["ktls"]["tried"]' true
expect modern 'j["ktls"]["offloadable"]' true
expect modern 'j["ktls"]["reason"]' null
expect modern '"AES-128-GCM" in j["ktls"]["kernel_ciphers"]' true
expect modern 'j["old_protocols"]["tls1_0_1_1"]["accepted"]' false
expect_match modern 'j["old_protocols"]["tls1_0_1_1"]["error"]' '.'
# OpenSSL's default list still has AES-GCM with RSA key exchange.
expect modern 'j["old_protocols"]["rsa_kx_tls1_2"]["accepted"]' true
expect modern 'j["old_protocols"]["rsa_kx_tls1_2"]["kx"]' RSA
expect modern 'j["tlshd"]["accepts"]' true
expect modern 'j["tlshd"]["reason"]' null
[ "$tx1" -gt "$tx0" ] && ok "modern: TlsTxSw $tx0 -> $tx1: keys were installed" ||
	fail_later "modern: TlsTxSw stayed $tx0: the offload try installed nothing"

# The same server in text form.
serve modern-text "$T/srv.pem"
ktls-probe --timeout 20 --ca "$T/ca.pem" --sni probe.test "127.0.0.1:$PORT" \
	>"$T/text.out" 2>&1
RC=$?
kill "$SERVER_PID" 2>/dev/null
sed 's/^/  text: /' "$T/text.out"
[ "$RC" = 0 ] || fail_later "text: exit $RC"
for re in '^version +TLS1\.3$' '^verification +trusted' \
	'^session ticket +yes$' '^resumption +yes$' '^kTLS offload +yes$' \
	'^TLS 1\.0/1\.1 offer +refused' '^certificate 0 +subject CN=probe\.test$' \
	'^tlshd accepts +yes$'; do
	grep -Eq "$re" "$T/text.out" && ok "text: /$re/" || fail_later "text: no line /$re/"
done

# A name the certificate does not carry: described, but not trusted.
serve mismatch "$T/srv.pem"
probe mismatch --sni other.test
[ "$RC" = 1 ] && ok "mismatch: exit 1" || fail_later "mismatch: exit $RC, want 1"
expect mismatch 'j["target"]["sni"]' other.test
expect mismatch 'j["handshake"]["accepted"]' true
expect mismatch 'j["certificates"][0]["subject"]' CN=probe.test
expect mismatch 'j["verification"]["trusted"]' false
expect mismatch 'j["verification"]["name"]' other.test
expect_match mismatch 'j["verification"]["status"]' 'does not match'

# 2. TLS 1.0 only: the modern offer fails, the old one is accepted.
serve tls10 "$T/srv.pem" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
probe tls10
[ "$RC" = 4 ] && ok "tls10: exit 4" || fail_later "tls10: exit $RC, want 4"
expect tls10 'j["handshake"]["accepted"]' false
expect_match tls10 'j["handshake"]["error"]' 'version'
expect tls10 'j["ktls"]["offloadable"]' false
expect_match tls10 'j["ktls"]["reason"]' 'handshake failed'
expect tls10 'j["old_protocols"]["tls1_0_1_1"]["accepted"]' true
expect tls10 'j["old_protocols"]["tls1_0_1_1"]["version"]' TLS1.0
expect_match tls10 'j["old_protocols"]["tls1_0_1_1"]["cipher"]' 'CBC'
expect tls10 'j["old_protocols"]["rsa_kx_tls1_2"]["accepted"]' false
expect tls10 'j["tlshd"]["accepts"]' false
expect_match tls10 'j["tlshd"]["reason"]' '^the server offers only TLS1\.0; tlshd needs TLS 1\.2 or 1\.3$'

# 3. RSA key exchange only (TLS 1.2): no group, no signature, still
# kTLS-able, but tlshd's default policy refuses it: exit 6.
serve rsakx "$T/srv.pem" -no_tls1_3 -cipher AES128-GCM-SHA256
probe rsakx
[ "$RC" = 6 ] && ok "rsakx: exit 6" || fail_later "rsakx: exit $RC, want 6"
expect rsakx 'j["tlshd"]["accepts"]' false
expect_match rsakx 'j["tlshd"]["reason"]' '^the server offers only RSA key exchange \(no forward secrecy\); tlshd allows it only with \[tlshd\] allow_rsa_kx=true$'

expect rsakx 'j["handshake"]["version"]' TLS1.2
expect rsakx 'j["handshake"]["kx"]' RSA
expect rsakx 'j["handshake"]["cipher"]' AES-128-GCM
expect rsakx 'j["handshake"]["group"]' null
expect rsakx 'j["handshake"]["signature"]' null
expect rsakx 'j["ktls"]["offloadable"]' true
expect rsakx 'j["old_protocols"]["rsa_kx_tls1_2"]["accepted"]' true
expect rsakx 'j["old_protocols"]["rsa_kx_tls1_2"]["cipher"]' AES-128-GCM
expect rsakx 'j["old_protocols"]["tls1_0_1_1"]["accepted"]' false

# 4. Expired certificate: described, flagged, not trusted, exit 1.
serve expired "$T/expired.pem"
probe expired
[ "$RC" = 1 ] && ok "expired: exit 1" || fail_later "expired: exit $RC, want 1"
expect expired 'j["handshake"]["accepted"]' true
expect expired 'j["certificates"][0]["expired"]' true
expect expired 'j["certificates"][0]["not_before"]' 2020-01-01T00:00:00Z
expect expired 'j["certificates"][0]["not_after"]' 2021-01-01T00:00:00Z
expect expired 'j["verification"]["trusted"]' false
expect expired 'j["tlshd"]["accepts"]' false
expect_match expired 'j["tlshd"]["reason"]' '^its certificate chain does not verify'
expect_match expired 'j["verification"]["status"]' 'expired'
# Whether the chain verifies has nothing to do with the record layer.
expect expired 'j["ktls"]["offloadable"]' true

# Nothing listening: exit 3 with the cause; bad usage: exit 2.
next_port
ktls-probe --timeout 5 "127.0.0.1:$PORT" >"$T/closed.out" 2>&1
RC=$?
[ "$RC" = 3 ] && ok "closed port: exit 3" || fail_later "closed port: exit $RC, want 3"
grep -q 'Connection refused' "$T/closed.out" && ok "closed port: cause named" ||
	fail_later "closed port: no cause in: $(cat "$T/closed.out")"
ktls-probe --timeout x 127.0.0.1:1 >/dev/null 2>&1
RC=$?
[ "$RC" = 2 ] && ok "bad --timeout: exit 2" || fail_later "bad --timeout: exit $RC, want 2"
finish
