#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Without tlshd listening, a request fails at once with ESRCH: before tlshd
# starts, and again after it exits on SIGTERM (it must leave the group).
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

start_server 4441 gnutls-serv --http -p 4441 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"

check_esrch()
{
	consumer --connect 127.0.0.1:4441 --type client --auth anon \
		--peername localhost --timeout-ms 5000 --expect-status ESRCH ||
		fail "$1: expected ESRCH"
	local ms
	ms=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$T/consumer.out")
	[ "$ms" -lt 1000 ] || fail "$1: ESRCH took $ms ms, not at once"
}

check_esrch "before tlshd started"
start_tlshd
consumer --connect 127.0.0.1:4441 --type client --auth anon \
	--peername localhost --timeout-ms 20000 || fail "with tlshd: handshake failed"
stop_tlshd
check_esrch "after tlshd stopped"
echo "PASS"
