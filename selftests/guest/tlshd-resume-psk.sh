#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# TLS 1.3 PSK client through tlshd, twice, against gnutls-serv: the second
# handshake resumes from the server's ticket with ECDHE still run
# (psk_dhe_ke), DONE still names the PSK key the consumer gave, the server
# reports the resumption itself, and the HTTP exchange goes through kTLS.
# (tlshd's own PSK servers issue tickets only with tickets=true.)
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
modprobe nvme-keyring 2>/dev/null
hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex('$hex'))" >"$T/psk.bin"
id=tlshd-resume-psk
key=$(keyctl padd psk "$id" @u <"$T/psk.bin" 2>/dev/null) ||
	key=$(keyctl padd user "$id" @u <"$T/psk.bin") || fail "keyctl padd"
echo "$id:$hex" >"$T/psk.passwd"

start_server 4506 gnutls-serv --http -p 4506 --pskpasswd "$T/psk.passwd" \
	--priority 'NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK'
patient_tickets
start_tlshd
for want in "full handshake" resumed; do
	consumer --connect 127.0.0.1:4506 --type client --auth psk \
		--peerid "$key" --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' || fail "$want: consumer failed"
	grep -q "^status=0 peerid=$key " "$T/consumer.out" ||
		fail "$want: DONE does not name key $key"
	grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" ||
		fail "$want: no HTTP answer through kTLS"
	line=$(grep 'handshake ok\|handshake failed' "$T/tlshd.log" | tail -n 1)
	echo "  log: $line"
	case "$line" in
	*"client, auth psk, TLSv1.3 "*", group "[A-Z]*", $want, identity $id"*) ;;
	*) fail "not a $want with ECDHE and identity $id" ;;
	esac
done
expect_log 'session cache: hits 1, misses 1, resumed 1, rejected 0'
[ "$(server_count 'This is a resumed session' "$T/server-4506.log" 1)" = 1 ] ||
	fail "gnutls-serv does not report one resumed session"
keyctl unlink "$key" @u >/dev/null
stop_tlshd
echo "PASS"
