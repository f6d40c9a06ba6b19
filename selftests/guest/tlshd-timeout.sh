#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# A peer that accepts the TCP connection but never answers: tlshd gives up
# at the request's TIMEOUT and reports ETIMEDOUT, within TIMEOUT + 10%.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
start_tlshd

# One real handshake first, so the silent peer's clock doesn't include
# anything done once per process.
start_server 4439 gnutls-serv --http -p 4439 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
consumer --connect 127.0.0.1:4439 --type client --auth anon \
	--peername localhost --timeout-ms 20000 || fail "warm-up handshake failed"
fds0=$(tlshd_fds)

start_server 4440 python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4440))
s.listen(8)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
'
timeout_ms=5000
consumer --connect 127.0.0.1:4440 --type client --auth anon \
	--peername localhost --timeout-ms $timeout_ms --expect-status ETIMEDOUT ||
	fail "silent peer: expected ETIMEDOUT"
elapsed=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$T/consumer.out")
grep -q 'source=done' "$T/consumer.out" || fail "the timeout did not come from tlshd's DONE"
[ "$elapsed" -ge "$timeout_ms" ] || fail "ETIMEDOUT after $elapsed ms, before the $timeout_ms ms timeout"
[ "$elapsed" -le $((timeout_ms * 11 / 10)) ] ||
	fail "ETIMEDOUT after $elapsed ms, later than $timeout_ms ms + 10%"
expect_log "handshake failed: peer localhost 127\.0\.0\.1:4440, .*status ETIMEDOUT: handshake timed out after $timeout_ms ms"

fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
stop_tlshd
echo "PASS"
