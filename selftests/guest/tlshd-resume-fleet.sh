#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Two tlshd servers sharing one ticket key file ([resumption] ticket_key):
# a session issued by the first resumes at the second (its log says
# "resumed", the client says so too, data flows through kTLS); a server
# with another key gives a full handshake for the same ticket.
# (ticket_rotation=600: tickets live 200 s, room enough for a slow guest;
# waiting out a rotation period is too long for a test.)
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
head -c 64 /dev/urandom >"$T/fleet.key"
head -c 64 /dev/urandom >"$T/other.key"
for k in fleet other; do
	cat >"$T/$k.conf" <<-EOT
	[authenticate.server]
	x509.certificate=$T/ca-srv.pem
	x509.private_key=$T/ca-srv.key
	[resumption]
	ticket_key=$T/$k.key
	ticket_rotation=600
	EOT
done

# The client: one TLS 1.3 session, offered again on every connection.
cat >"$T/client.py" <<'EOT'
import os, socket, ssl, sys, time
d, ca, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
sess = None
for i, port in enumerate(ports):
    while not os.path.exists("%s/go-%d" % (d, i)):
        time.sleep(0.05)
    raw = socket.create_connection(("127.0.0.1", int(port)))
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=sess)
    s.sendall(b"client-%d\n" % i)
    got = b""
    while not got.endswith(b"\n"):
        b = s.recv(4096)
        if not b:
            break
        got += b
    print("conn %d resumed=%d got=%s" % (i, s.session_reused, got.decode().strip()), flush=True)
    if sess is None:
        sess = s.session
    s.close()
    open("%s/done-%d" % (d, i), "w").close()
EOT

# Step $1: tlshd with config $2 answers on port $3; expect $4 in its log.
step()
{
	local i=$1 conf=$2 port=$3 want=$4 n
	start_tlshd "$conf"
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --request "server-$i\n" \
		>"$T/srv-$i.out" 2>&1 &
	BG_PIDS+=($!)
	for n in $(seq 100); do
		grep -q "listening port=$port" "$T/srv-$i.out" && break
		sleep 0.1
	done
	touch "$T/go-$i"
	for n in $(seq 300); do
		[ -e "$T/done-$i" ] && break
		sleep 0.1
	done
	wait "${BG_PIDS[-1]}" || fail "step $i: server consumer failed: $(cat "$T/srv-$i.out")"
	grep -q "client-$i" "$T/srv-$i.out" || fail "step $i: the client's data did not arrive"
	grep -q "^conn $i resumed=.* got=server-$i\$" "$T/client.out" ||
		fail "step $i: the client got no data: $(cat "$T/client.out")"
	sleep 0.2
	stop_tlshd
	line=$(grep 'handshake ok' "$T/tlshd.log" | tail -n 1)
	echo "  step $i: $line"
	case "$line" in
	*"server, auth x509, TLSv1.3 "*", $want,"*) ;;
	*) fail "step $i: expected a $want handshake" ;;
	esac
}

python3 "$T/client.py" "$T" "$T/ca.pem" 4501 4502 4503 \
	>"$T/client.out" 2>&1 &
BG_PIDS+=($!)
step 0 "$T/fleet.conf" 4501 "full handshake"
step 1 "$T/fleet.conf" 4502 resumed
grep -q '^conn 1 resumed=1 ' "$T/client.out" || fail "the client did not resume at the second server"
step 2 "$T/other.conf" 4503 "full handshake"
grep -q '^conn 2 resumed=0 ' "$T/client.out" || fail "a server with another key resumed"
sed 's/^/  client: /' "$T/client.out"

# A key file of the wrong size: the server issues no tickets, and says so.
head -c 32 /dev/urandom >"$T/fleet.key"
start_tlshd "$T/fleet.conf"
hs-consumer --fd-from-listen 4505 --type server --auth x509 \
	--timeout-ms 20000 --request "server\n" >"$T/srv-5.out" 2>&1 &
BG_PIDS+=($!)
for n in $(seq 100); do
	grep -q "listening port=4505" "$T/srv-5.out" && break
	sleep 0.1
done
echo | timeout 20 gnutls-cli -p 4505 --x509cafile "$T/ca.pem" localhost \
	>"$T/cli-5.out" 2>&1
wait "${BG_PIDS[-1]}"
expect_log "ticket_key $T/fleet.key: must hold exactly 64 bytes .*: this server issues no session tickets"
stop_tlshd
echo "PASS"
