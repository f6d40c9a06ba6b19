#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Many requests at once, more than the kernel keeps pending (4 on a 2 GiB
# guest): every one is served by tlshd's workers, none leaks an fd.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
start_tlshd
fds0=$(tlshd_fds)

start_server 4460 gnutls-serv --http -p 4460 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
n=16
for i in $(seq $n); do
	hs-consumer --connect 127.0.0.1:4460 --type client --auth anon \
		--peername localhost --timeout-ms 60000 \
		--request 'GET / HTTP/1.0\r\n\r\n' >"$T/c$i.out" 2>&1 &
	pids[$i]=$!
done
bad=0
for i in $(seq $n); do
	wait "${pids[$i]}" || { bad=$((bad + 1)); head -n 3 "$T/c$i.out"; }
done
[ $bad = 0 ] || fail "$bad of $n concurrent handshakes failed"
ok=$(grep -c 'handshake ok: peer localhost 127\.0\.0\.1:4460' "$T/tlshd.log")
[ "$ok" = $n ] || fail "$ok 'handshake ok' log lines for $n handshakes"
echo "  $n concurrent handshakes ok; submits: $(grep -ho 'submits=[0-9]*' "$T"/c*.out | sort | uniq -c | tr '\n' ' ')"
fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
stop_tlshd
echo "PASS"
