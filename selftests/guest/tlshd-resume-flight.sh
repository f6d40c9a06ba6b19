#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# A TLS 1.3 server (Python's ssl, i.e. OpenSSL) that sends its first
# application data right behind its NewSessionTickets: tlshd takes the
# tickets off the kTLS socket and leaves every byte of the data, in order,
# to the kernel consumer; the next connection resumes with the ticket (the
# server says so itself).
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
command -v python3 >/dev/null || fail "python3 missing"

cat >"$T/flight.py" <<'EOT'
import socket, ssl, sys
port, cert, key, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
for i in range(n):
    c, _ = ls.accept()
    s = ctx.wrap_socket(c, server_side=True)
    # Tickets went out at the end of the handshake; the greeting follows
    # at once, more than one record of it.
    greet = "GREETING-%d:" % i + "".join("%05d," % j for j in range(4000)) + ":END\n"
    s.sendall(greet.encode())
    req = s.recv(4096)
    s.sendall(b"REPLY to %s resumed=%d\n" % (req.strip(), s.session_reused))
    print("conn %d resumed=%d" % (i, s.session_reused), flush=True)
    s.close()
EOT

expected()
{
	python3 -c 'import sys; i=int(sys.argv[1]); print("GREETING-%d:" % i + "".join("%05d," % j for j in range(4000)) + ":END")' "$1"
}

patient_tickets
start_tlshd
start_server 4495 python3 "$T/flight.py" 4495 "$T/ca-srv.pem" "$T/ca-srv.key" 2
for i in 0 1; do
	consumer --connect 127.0.0.1:4495 --type client --auth anon \
		--peername localhost --timeout-ms 20000 --request "hello-$i\n" ||
		fail "connection $i: consumer failed"
	exp=$(expected $i)
	[ "$(grep -cxF -- "$exp" "$T/consumer.out")" = 1 ] ||
		fail "connection $i: the greeting did not arrive intact ($(wc -c <"$T/consumer.out") bytes of output)"
	grep -q "^REPLY to hello-$i resumed=$i\$" "$T/consumer.out" ||
		fail "connection $i: no reply, or resumed is not $i: $(grep REPLY "$T/consumer.out")"
	echo "  connection $i: greeting of ${#exp} bytes intact, $(grep REPLY "$T/consumer.out")"
done
[ "$(server_count 'conn 1 resumed=1' "$T/server-4495.log" 1)" = 1 ] ||
	fail "the server did not see a resumed session: $(cat "$T/server-4495.log")"
expect_log 'client, auth anon, TLSv1\.3 .*, full handshake'
expect_log 'client, auth anon, TLSv1\.3 .*, resumed'
expect_log 'session cache: hits 1, misses 1, resumed 1, rejected 0'
stop_tlshd
echo "PASS"
