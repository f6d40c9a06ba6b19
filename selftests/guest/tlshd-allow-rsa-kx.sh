#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# RSA key exchange (no forward secrecy) is refused by default
# (tlshd-refusals.sh); an operator may opt in with [tlshd] allow_rsa_kx,
# and then every use is logged as a warning. Against an OpenSSL server
# that offers only TLS_RSA_WITH_AES_128_GCM_SHA256: off, refused; on, two
# handshakes succeed, data flows over kTLS, and two warnings are logged.
# Skipped, with the reason, while tlshd doesn't accept the key.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

cat >"$T/rsa.conf" <<EOT
[debug]
loglevel=1
[tlshd]
allow_rsa_kx=true
[authenticate.client]
x509.truststore=$T/ca.pem
EOT
if ! tlshd --check-config -c "$T/rsa.conf" >"$T/check.out" 2>&1 ||
   grep -qiE 'unknown|ignored' "$T/check.out"; then
	skip "tlshd --check-config does not accept [tlshd] allow_rsa_kx=true (not implemented yet?): $(grep -v '^$' "$T/check.out" | head -n 1)"
fi

certtool --generate-privkey --key-type rsa --bits 2048 \
	--outfile "$T/rsa.key" 2>/dev/null || fail "certtool rsa key"
cat >"$T/rsa.tmpl" <<EOT
cn = "localhost"
dns_name = "localhost"
tls_www_server
signing_key
encryption_key
expiration_days = 2
EOT
certtool --generate-certificate --load-privkey "$T/rsa.key" \
	--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/rsa.tmpl" --outfile "$T/rsa.pem" 2>/dev/null ||
	fail "certtool RSA server certificate"
start_server 4620 openssl s_server -accept 4620 -www -tls1_2 \
	-cipher AES128-GCM-SHA256 -cert "$T/rsa.pem" -key "$T/rsa.key"

# Off (the default): refused.
start_tlshd
consumer --connect 127.0.0.1:4620 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --expect-status EACCES ||
	fail "allow_rsa_kx unset: expected EACCES"
grep -qi 'warning.*rsa' "$T/tlshd.log" &&
	fail "a warning about RSA key exchange without the opt-in"
stop_tlshd

# On: works, with a warning each time.
: >"$T/tlshd.log"
start_tlshd "$T/rsa.conf"
for i in 1 2; do
	consumer --connect 127.0.0.1:4620 --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' ||
		fail "allow_rsa_kx=true: handshake $i failed"
	grep -q 'HTTP/1.0 200 ok' "$T/consumer.out" ||
		fail "allow_rsa_kx=true: no HTTP answer through kTLS"
done
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4620, client, auth anon, TLSv1\.2 AES-128-GCM'
W='warning: peer localhost 127\.0\.0\.1:4620: RSA key exchange without forward secrecy'
n=$(grep -cE "$W" "$T/tlshd.log")
[ "$n" = 2 ] ||
	fail "allow_rsa_kx=true: $n warnings /$W/ for 2 uses: $(grep -i warn "$T/tlshd.log" | tail -n 2)"
echo "  log: $(grep -E "$W" "$T/tlshd.log" | tail -n 1)"
stop_tlshd
echo "PASS"
