#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 600
# Record size limits over kTLS, TLS 1.2 and 1.3, against peers that
# enforce them (gnutls-cli --recordsize=512: record_size_limit and
# max_fragment_length; openssl s_client -maxfraglen 512), against
# ktls-serve (kTLS) and against tlshd serving the test consumer, 100,000
# bytes each. Kernels without TLS_TX_MAX_PAYLOAD_LEN (6.1, 6.12) write
# 16 KiB records whatever GnuTLS agreed to, so the limit must be declined:
# no extension echoed, full-size records the peer accepts. Kernels with it
# (7.x) keep it: the extension echoed, every record within 512 bytes (the
# peer aborts on a larger one), byte-exact. tlshd as a client, told by a
# server (gnutls-serv --recordsize=512) that it takes only 512-byte
# records, refuses the offload on the old kernels (EOPNOTSUPP, the limit
# named) and keeps the limit on the new ones (an echo of 100,000 bytes).
. "$(dirname "$0")/serve-common.bash"
need_ktls
need_tool openssl
need_tool gnutls-cli
need_tool gnutls-serv
SIZE=100000

# body OUTFILE: the HTTP body in a client's output (Content-Length bytes
# after the head), compared with the file served.
body_ok() {
	python3 - "$1" "$ROOT/f$SIZE" <<'PY'
import re, sys
out = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
i = out.find(b"HTTP/1.")
if i < 0:
    sys.exit("no HTTP response")
j = out.find(b"\r\n\r\n", i)
m = re.search(rb"content-length: *([0-9]+)", out[i:j], re.I)
if j < 0 or not m:
    sys.exit("no complete head")
body = out[j + 4:j + 4 + int(m.group(1))]
if body != want:
    sys.exit("body differs: %d bytes, want %d" % (len(body), len(want)))
PY
}

# client_wait FILE BYTES: stdin for a client, open until FILE holds BYTES.
client_wait() {
	local i
	printf 'GET /f%s HTTP/1.0\r\n\r\n' "$SIZE"
	for i in $(seq 600); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && break
		sleep 0.1
	done
	sleep 0.5
}

# Does this kernel's kTLS take TLS_TX_MAX_PAYLOAD_LEN? Asked directly on a
# loopback socket with an all-zero AES-128-GCM key, not from libktls.
KEEPS=$(python3 - <<'PY'
import socket, struct
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname())
c.setsockopt(socket.IPPROTO_TCP, 31, b"tls")           # TCP_ULP
c.setsockopt(282, 1, struct.pack("<HH", 0x0304, 51) + bytes(36))  # TLS_TX
try:
    c.setsockopt(282, 5, struct.pack("<H", 4096))       # TLS_TX_MAX_PAYLOAD_LEN
    print(1)
except OSError:
    print(0)
PY
)
[ "$KEEPS" = 1 ] && WANT=kept || WANT=declined
echo "  kernel $(uname -r): TLS_TX_MAX_PAYLOAD_LEN $( [ "$KEEPS" = 1 ] && echo taken || echo refused): limits $WANT"

serve_certs || { echo "could not make certificates"; exit 1; }
head -c "$SIZE" /dev/urandom >"$ROOT/f$SIZE"

echo "== ktls-serve, kTLS ($(date +%T))"
start_serve --bind 127.0.0.1 --cert "$T/server.pem" --key "$T/server.key" ||
	exit 1
for v in 1.2 1.3; do
	o=$T/ossl-$v.out
	client_wait "$o" "$SIZE" |
		timeout 120 openssl s_client -connect 127.0.0.1:"$PORT" \
			-tls${v/./_} -maxfraglen 512 -tlsextdebug -ign_eof \
			-CAfile "$T/ca.pem" >"$o" 2>&1
	if grep -q 'data length too long' "$o"; then
		fail_later "openssl TLS $v: $(grep -m1 'data length too long' "$o")"
	elif [ "$KEEPS" = 0 ] && grep -q 'max fragment length' "$o"; then
		fail_later "openssl TLS $v: max fragment length echoed by a kernel that cannot keep it"
	elif [ "$KEEPS" = 1 ] && ! grep -q 'max fragment length' "$o"; then
		fail_later "openssl TLS $v: max fragment length not echoed, though this kernel keeps it"
	elif why=$(body_ok "$o" 2>&1); then
		ok "openssl -maxfraglen 512, TLS $v: $WANT, $SIZE bytes exact"
	else
		fail_later "openssl TLS $v: $why"; tail -n 5 "$o"
	fi
	o=$T/gnutls-$v.out
	pr=NORMAL:-VERS-ALL:+VERS-TLS$v
	client_wait "$o" "$SIZE" |
		timeout 120 gnutls-cli -d 4 --recordsize=512 --priority "$pr" \
			--x509cafile "$T/ca.pem" --logfile "$T/gnutls-$v.info" \
			-p "$PORT" 127.0.0.1 >"$o" 2>"$T/gnutls-$v.debug"
	if grep -q 'illegal length' "$T/gnutls-$v.debug" "$o"; then
		fail_later "gnutls-cli TLS $v: $(grep -m1 -h 'illegal length' "$T/gnutls-$v.debug" "$o")"
	elif [ "$KEEPS" = 0 ] && grep -q 'record_size_limit .* negotiated' "$T/gnutls-$v.debug"; then
		fail_later "gnutls-cli TLS $v: record_size_limit negotiated by a kernel that cannot keep it"
	elif [ "$KEEPS" = 1 ] && ! grep -q 'record_size_limit .* negotiated' "$T/gnutls-$v.debug"; then
		fail_later "gnutls-cli TLS $v: record_size_limit not negotiated, though this kernel keeps it"
	elif why=$(body_ok "$o" 2>&1); then
		ok "gnutls-cli --recordsize=512, TLS $v: $WANT, $SIZE bytes exact"
	else
		fail_later "gnutls-cli TLS $v: $why"; tail -n 5 "$T/gnutls-$v.debug"
	fi
done
n=$(grep -c "asked for records of at most 512 bytes: $WANT" "$SERVER_LOG")
[ "$n" -ge 4 ] && ok "ktls-serve logged $n $WANT limits" ||
	fail_later "ktls-serve logged $n $WANT limits, want 4"
stop_serve || fail_later "ktls-serve exit status $?"

echo "== tlshd, through the test consumer ($(date +%T))"
if ! genl-ctrl-list 2>/dev/null | grep -qw handshake || [ ! -e /dev/ktls_test ]; then
	fail_later "no handshake family or /dev/ktls_test (modules not loaded?)"
	finish
fi
TLOG=$T/tlshd.log
cat >"$T/tlshd.conf" <<EOT
[authenticate.server]
x509.certificate=$T/server.pem
x509.private_key=$T/server.key
[authenticate.client]
x509.truststore=$T/ca.pem
EOT
tlshd -s -c "$T/tlshd.conf" --ready-file "$T/ready" >>"$TLOG" 2>&1 &
TPID=$!
for i in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || { fail_later "tlshd not ready"; cat "$TLOG"; finish; }
# 100,000 base64 characters (no backslash for the consumer's unescape).
DATA=$(head -c 75000 /dev/urandom | base64 -w0)
port=4490
for v in 1.2 1.3; do
	for c in openssl gnutls; do
		port=$((port + 1))
		hs-consumer --fd-from-listen $port --type server --auth x509 \
			--timeout-ms 30000 --io-timeout-ms 60000 \
			--request "$DATA" >"$T/cons-$c-$v.out" 2>&1 &
		cpid=$!
		for i in $(seq 100); do
			grep -q "listening port=$port" "$T/cons-$c-$v.out" && break
			sleep 0.1
		done
		o=$T/tc-$c-$v.out
		if [ $c = openssl ]; then
			( echo reply; for i in $(seq 600); do
				grep -qF "$DATA" "$o" 2>/dev/null && break
				sleep 0.1; done ) |
			timeout 120 openssl s_client -connect 127.0.0.1:$port \
				-tls${v/./_} -maxfraglen 512 -tlsextdebug \
				-CAfile "$T/ca.pem" >"$o" 2>&1
		else
			( echo reply; for i in $(seq 600); do
				grep -qF "$DATA" "$o" 2>/dev/null && break
				sleep 0.1; done ) |
			timeout 120 gnutls-cli -d 4 --recordsize=512 \
				--priority NORMAL:-VERS-ALL:+VERS-TLS$v \
				--x509cafile "$T/ca.pem" --logfile "$T/tc-$c-$v.info" \
				-p $port 127.0.0.1 >"$o" 2>"$T/tc-$c-$v.debug"
		fi
		wait $cpid
		crc=$?
		if grep -q 'data length too long\|illegal length' \
			"$o" "$T/tc-$c-$v.debug" 2>/dev/null; then
			fail_later "$c TLS $v against tlshd: a record over the limit"
		elif [ "$KEEPS" = 0 ] && grep -q 'max fragment length\|record_size_limit .* negotiated' \
			"$o" "$T/tc-$c-$v.debug" 2>/dev/null; then
			fail_later "$c TLS $v against tlshd: limit echoed by a kernel that cannot keep it"
		elif [ "$KEEPS" = 1 ] && ! grep -q 'max fragment length\|record_size_limit .* negotiated' \
			"$o" "$T/tc-$c-$v.debug" 2>/dev/null; then
			fail_later "$c TLS $v against tlshd: limit not echoed, though this kernel keeps it"
		elif ! grep -qF "$DATA" "$o"; then
			fail_later "$c TLS $v against tlshd: the ${#DATA} bytes did not arrive intact"
			tail -n 3 "$o"
		elif [ $crc != 0 ] || ! grep -q '^status=0 ' "$T/cons-$c-$v.out"; then
			fail_later "$c TLS $v: consumer: $(head -c 300 "$T/cons-$c-$v.out")"
		else
			ok "$c, TLS $v, tlshd server: limit $WANT, ${#DATA} bytes exact"
		fi
	done
done
n=$(grep -c "asked for records of at most 512 bytes: $WANT" "$TLOG")
[ "$n" -ge 4 ] && ok "tlshd logged $n $WANT limits" ||
	fail_later "tlshd logged $n $WANT limits, want 4"

# tlshd as a client: the server takes only 512-byte records. Refused.
echo "== tlshd client ($(date +%T))"
for v in 1.2 1.3; do
	port=$((port + 1))
	gnutls-serv --recordsize=512 --echo -p $port \
		--priority NORMAL:-VERS-ALL:+VERS-TLS$v \
		--x509certfile "$T/server.pem" --x509keyfile "$T/server.key" \
		>"$T/gserv-$v.log" 2>&1 &
	spid=$!
	for i in $(seq 150); do
		ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	before=$(grep -c 'status EOPNOTSUPP' "$TLOG")
	if [ "$KEEPS" = 1 ]; then
		# gnutls-serv refuses a record over 512 bytes ("illegal
		# length"): none of the records carrying ${#DATA} bytes may
		# draw that, on a connection tlshd logged as keeping the limit.
		# (Its --echo never closes: the consumer stops after 8 s.)
		hs-consumer --connect 127.0.0.1:$port --type client --auth anon \
			--peername localhost --timeout-ms 30000 --io-timeout-ms 8000 \
			--request "$DATA" >"$T/cc-$v.out" 2>"$T/cc-$v.err"
		if grep -q '^status=0 ' "$T/cc-$v.out" &&
		   ! grep -qi 'illegal length\|overflow' "$T/gserv-$v.log" &&
		   grep -q "peer localhost 127.0.0.1:$port asked for records of at most 512 bytes: kept" "$TLOG"; then
			ok "tlshd client, TLS $v: limit kept, ${#DATA} bytes taken by gnutls-serv --recordsize=512 ($(wc -c <"$T/cc-$v.out") bytes echoed)"
		else
			fail_later "tlshd client, TLS $v: $(head -c 200 "$T/cc-$v.err"); $(tail -n 2 "$T/gserv-$v.log"); $(tail -n 2 "$TLOG")"
		fi
	elif hs-consumer --connect 127.0.0.1:$port --type client --auth anon \
		--peername localhost --timeout-ms 30000 \
		--expect-status EOPNOTSUPP >"$T/cc-$v.out" 2>&1; then
		for i in $(seq 50); do
			[ "$(grep -c 'status EOPNOTSUPP' "$TLOG")" -gt "$before" ] && break
			sleep 0.1
		done
		if grep 'status EOPNOTSUPP' "$TLOG" | tail -n 1 |
			grep -q 'peer limits records to 512 bytes'; then
			ok "tlshd client, TLS $v: refused: $(grep 'status EOPNOTSUPP' "$TLOG" | tail -n 1 | sed 's/.*status //')"
		else
			fail_later "tlshd client, TLS $v: cause not named: $(tail -n 2 "$TLOG")"
		fi
	else
		fail_later "tlshd client, TLS $v: $(head -c 300 "$T/cc-$v.out")"
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
done
kill -TERM "$TPID"
wait "$TPID" || fail_later "tlshd exit status $?"
if [ "$FAILS" -gt 0 ]; then
	echo "--- tlshd log"
	tail -n 40 "$TLOG"
fi
finish
