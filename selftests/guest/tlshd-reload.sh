#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# SIGHUP and SIGUSR1 reload tlshd's configuration (as in ktls-utils).
# Config A (trust our CA, TLS 1.2 allowed) handshakes with a TLS
# 1.2-only gnutls-serv. A file with a bad value is refused with its cause
# logged, and A keeps working. One whose trust store is missing is taken:
# client handshakes fail with ENOKEY naming the file until a reload finds
# it. Config B (min_version=1.3) then
# makes the next handshake with the same server fail, while a TLS 1.3
# server still works; config C (trust another CA) makes verification
# fail. A handshake in flight during a reload (held up by a slow relay)
# finishes with the credentials it started with.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

LIVE=$T/live.conf
write_a() {
	cat >"$LIVE" <<-EOT
	[debug]
	loglevel=1
	[authenticate.client]
	x509.truststore=$T/ca.pem
	EOT
}

# last_hs: the newest handshake result line of the log.


# hs_ok PORT VERSION: an HTTP exchange over kTLS; the log names VERSION.
hs_ok() {
	local port=$1 version=$2
	consumer --connect 127.0.0.1:"$port" --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' ||
		fail "handshake with port $port failed: $(last_hs)"
	grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" ||
		fail "no HTTP answer through kTLS from port $port"
	last_hs | grep -q "handshake ok: peer localhost 127\.0\.0\.1:$port, client, auth anon, $version " ||
		fail "port $port: expected $version: $(last_hs)"
	echo "  hs: $(last_hs)"
}

start_server 4460 gnutls-serv --http -p 4460 \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4461 gnutls-serv --http -p 4461 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"

write_a
start_tlshd "$LIVE"
pid0=$TLSHD_PID
hs_ok 4460 'TLSv1\.2'

# Broken: a bad value. Refused, named, A stays.
cat >"$LIVE" <<EOT
[authenticate.client]
x509.truststore=$T/ca.pem
[tlshd]
min_version=1.1
EOT
reload_tlshd 'reload of .*live\.conf failed: keeping the previous configuration'
grep -qF "$LIVE:4: key 'min_version': expected 1.2 or 1.3" "$T/tlshd.log" ||
	fail "the log does not name file:line: key of the bad value"
kill -0 "$pid0" 2>/dev/null || fail "tlshd died on a bad reload"
hs_ok 4460 'TLSv1\.2'

# It parses, but its trust store can't be loaded: taken, with a warning;
# client handshakes fail with ENOKEY and the cause.
cat >"$LIVE" <<EOT
[tlshd]
min_version=1.3
[authenticate.client]
x509.truststore=$T/no-such-ca.pem
EOT
reload_tlshd 'reloaded the configuration from .*live\.conf'
grep -qF "warning: $LIVE:4: [authenticate.client] x509.truststore $T/no-such-ca.pem: No such file or directory" "$T/tlshd.log" ||
	fail "the log does not name the missing trust store"
consumer --connect 127.0.0.1:4461 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --expect-status ENOKEY ||
	fail "with the trust store missing: expected ENOKEY"
last_hs | grep -qF "status ENOKEY: $LIVE:4: [authenticate.client] x509.truststore $T/no-such-ca.pem: No such file or directory" ||
	fail "no precise failure line: $(last_hs)"
echo "  hs: $(last_hs)"

# B: TLS 1.3 only, through SIGUSR1. The TLS 1.2-only server is now refused.
cat >"$LIVE" <<EOT
[debug]
loglevel=1
[tlshd]
min_version=1.3
[authenticate.client]
x509.truststore=$T/ca.pem
EOT
reload_tlshd 'reloaded the configuration from .*live\.conf' USR1
grep -q 'SIGUSR1: reloading the configuration' "$T/tlshd.log" ||
	fail "no SIGUSR1 reload line"
consumer --connect 127.0.0.1:4460 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --expect-status EACCES ||
	fail "min_version=1.3 against a TLS 1.2-only server: expected EACCES"
last_hs | grep -q 'handshake failed: peer localhost 127\.0\.0\.1:4460, client, auth anon, .*status EACCES' ||
	fail "no failure line for port 4460: $(last_hs)"
echo "  hs: $(last_hs)"
hs_ok 4461 'TLSv1\.3'

# C: trust the other CA only: our server's certificate no longer verifies.
cat >"$LIVE" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/rogue.pem
EOT
reload_tlshd 'reloaded the configuration from .*live\.conf'
consumer --connect 127.0.0.1:4461 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --expect-status EACCES ||
	fail "after trusting only the rogue CA: expected EACCES"
echo "  hs: $(last_hs)"

# In flight across a reload: a relay holds the ClientHello for 3 s while
# tlshd switches from A (trusts our CA) to C (does not). The handshake
# began under A, so it must succeed; the next one, under C, must fail.
write_a
reload_tlshd 'reloaded the configuration from .*live\.conf'
cat >"$T/relay.py" <<'EOT'
import socket, sys, threading, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(4)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    print("accepted", flush=True)
    time.sleep(float(sys.argv[3]))
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOT
start_server 4462 python3 "$T/relay.py" 4462 4461 3
hs-consumer --connect 127.0.0.1:4462 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' >"$T/inflight.out" 2>&1 &
cpid=$!
for i in $(seq 50); do
	grep -q accepted "$T/server-4462.log" && break
	sleep 0.1
done
grep -q accepted "$T/server-4462.log" || fail "the relay got no connection"
cat >"$LIVE" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/rogue.pem
EOT
reload_tlshd 'reloaded the configuration from .*live\.conf'
wait "$cpid"
rc=$?
sed 's/^/  in flight: /' "$T/inflight.out" | head -n 3
[ "$rc" = 0 ] || fail "the handshake in flight during the reload failed: $(last_hs)"
grep -q 'HTTP/1.0 200 OK' "$T/inflight.out" || fail "in flight: no HTTP answer"
grep -q 'handshake ok: peer localhost 127\.0\.0\.1:4462' "$T/tlshd.log" ||
	fail "in flight: no success line"
consumer --connect 127.0.0.1:4461 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --expect-status EACCES ||
	fail "after the in-flight reload: expected EACCES under C"

st=$(tlshd_status)
echo "  status: $st"
echo "$st" | grep -qE '^0 handshakes in flight, .* ok, [0-9]+ failed' ||
	fail "tlshd --status: $st"
[ "$TLSHD_PID" = "$pid0" ] && kill -0 "$pid0" || fail "tlshd restarted or died"
stop_tlshd
echo "PASS"
