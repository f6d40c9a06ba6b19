#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Key material never reaches the log. tlshd runs at its most verbose
# ([debug] loglevel=9, tls=9: GnuTLS's own debug output included) for a
# TLS 1.3 and a TLS 1.2 client handshake and a TLS 1.3 server handshake.
# The peers write their secrets to SSLKEYLOGFILE (GnuTLS and OpenSSL do);
# from the TLS 1.3 traffic secrets the record keys and IVs the kernel got
# are derived (HKDF-Expand-Label). None of them, as hex (either case, plain,
# spaced or colon-separated, whole or its first 12 bytes) or base64, may
# appear in tlshd's log. The same search must find a secret planted in a
# copy of the log, so it can fail.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
cat >"$T/secrets.conf" <<EOT
[debug]
loglevel=9
tls=9
[authenticate.client]
x509.truststore=$T/ca.pem
[authenticate.server]
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
start_tlshd "$T/secrets.conf"

# 1, 2: client handshakes against echo-gnutls, secrets logged by GnuTLS.
for v in tls1.3 tls1.2; do
	port=$([ $v = tls1.3 ] && echo 4495 || echo 4496)
	SSLKEYLOGFILE=$T/keylog-$v start_server $port \
		echo-gnutls serve $port --$v --cipher aes128gcm \
		--cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
	consumer --connect 127.0.0.1:$port --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--echo-bytes 65536 || fail "$v client handshake failed"
	grep -q 'echo bytes=65536 verified' "$T/consumer.out" || fail "$v echo not verified"
done

# 3: a server handshake against openssl s_client, which logs its secrets.
hs-consumer --fd-from-listen 4497 --type server --auth x509 \
	--timeout-ms 20000 --request 'hello from the kernel side\n' \
	>"$T/consumer.out" 2>&1 &
cpid=$!
BG_PIDS+=($cpid)
for i in $(seq 100); do
	grep -q 'listening port=4497' "$T/consumer.out" && break
	sleep 0.1
done
# openssl quits at the end of its input: keep it open until our data
# came (a fixed wait lost it on a busy host), 30 s at most.
( echo "reply from openssl"; for _ in $(seq 300); do
	grep -q 'hello from the kernel side' "$T/client.out" 2>/dev/null && break
	sleep 0.1; done; sleep 0.3 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:4497 -CAfile "$T/ca.pem" \
		-servername localhost -verify_return_error -ciphersuites TLS_AES_128_GCM_SHA256 \
		-keylogfile "$T/keylog-server" -quiet -no_ign_eof >"$T/client.out" 2>&1 ||
	fail "openssl s_client failed"
wait $cpid || fail "hs-consumer (server) failed: $(cat "$T/consumer.out")"
grep -q 'reply from openssl' "$T/consumer.out" || fail "server side got no data"
stop_tlshd

for f in keylog-tls1.3 keylog-tls1.2 keylog-server; do
	[ -s "$T/$f" ] || fail "the peer wrote no $f (SSLKEYLOGFILE not honoured?)"
done
lines=$(wc -l <"$T/tlshd.log")
gnutls_lines=$(grep -c 'gnutls\[' "$T/tlshd.log")
echo "  tlshd log: $lines lines, $gnutls_lines from GnuTLS"
[ "$gnutls_lines" -gt 100 ] || fail "GnuTLS debug output missing from the log: [debug] tls=9 not in effect"

cat >"$T/search.py" <<'EOF_PY'
import base64, hashlib, hmac, sys

def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\0"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]

def material(keylogs):
    for path in keylogs:
        for line in open(path):
            f = line.split()
            if len(f) != 3:
                continue
            secret = bytes.fromhex(f[2])
            yield f"{path.rsplit('/', 1)[-1]} {f[0]}", secret
            if f[0].endswith("TRAFFIC_SECRET_0") and len(secret) == 32:
                yield f"{f[0]} key", expand_label(secret, b"key", 16)
                yield f"{f[0]} iv", expand_label(secret, b"iv", 12)

def forms(b):
    for part in (b, b[:12]):
        h = part.hex()
        for s in (h, " ".join(h[i:i + 2] for i in range(0, len(h), 2)),
                  ":".join(h[i:i + 2] for i in range(0, len(h), 2))):
            yield s
    yield base64.b64encode(b).decode()
    yield base64.b64encode(b).decode().rstrip("=")

def found(log, b):
    return [s for s in forms(b) if s.lower() in log]

log = open(sys.argv[1], errors="replace").read().lower()
n = hits = 0
for what, b in material(sys.argv[2:]):
    n += 1
    f = found(log, b)
    if f:
        hits += 1
        print(f"LEAK: {what} in the log as {f[0]}")
print(f"searched {n} secrets and keys")
# The control: the same search must find a key planted in the log.
planted = list(material(sys.argv[2:]))[-1][1]
for s in (planted.hex().upper(), base64.b64encode(planted).decode()):
    if not found(log + "\nplanted " + s.lower() + "\n", planted):
        print("CONTROL FAILED: a planted key was not found")
        sys.exit(2)
print("control: a planted key is found in hex and base64")
sys.exit(1 if hits or n < 12 else 0)
EOF_PY
python3 "$T/search.py" "$T/tlshd.log" "$T/keylog-tls1.3" "$T/keylog-tls1.2" "$T/keylog-server"
rc=$?
[ $rc = 0 ] || fail "key material in tlshd's log, or too little of it searched (search exit $rc)"
echo "PASS"
