#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Server hello with PSK, the way an NVMe/TCP target asks for one: the
# request names a keyring; tlshd offers its "psk" keys (description =
# identity), an OpenSSL client picks one, data flows over kTLS, and the
# key the client proved it holds comes back as the remote identity.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
modprobe nvme-keyring 2>/dev/null
hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex('$hex'))" >"$T/psk.bin"
head -c 32 /dev/urandom >"$T/other.bin"
ring=$(keyctl newring tlshd-test-srv @u) || fail "keyctl newring"
id="NVMe0R01 nqn.2014-08.org.nvmexpress:host nqn.2014-08.org.nvmexpress:sub"
# Servers look PSKs up among keys of type "psk" (nvme-keyring, 6.7+).
key=$(keyctl padd psk "$id" "$ring" <"$T/psk.bin" 2>"$T/keyctl.err") || {
	grep -q 'No such device' "$T/keyctl.err" &&
		skip "kernel $(uname -r) has no \"psk\" key type (nvme-keyring came in 6.7)"
	fail "keyctl padd psk: $(cat "$T/keyctl.err")"
}
# Another identity, named by the request itself.
other=$(keyctl padd psk "tlshd other identity" @u <"$T/other.bin") || fail "keyctl padd"

start_tlshd
fds0=$(tlshd_fds)
hs-consumer --fd-from-listen 4490 --type server --auth psk --peerid "$other" \
	--keyring "$ring" --timeout-ms 20000 --request 'hello over psk\n' \
	>"$T/consumer.out" 2>&1 &
cpid=$!
BG_PIDS+=($cpid)
for i in $(seq 100); do
	grep -q 'listening port=4490' "$T/consumer.out" && break
	sleep 0.1
done
# openssl quits at the end of its input: keep it open until our data
# came (a fixed wait lost it on a busy host), 30 s at most.
( echo "reply from openssl"; for _ in $(seq 300); do
	grep -q 'hello over psk' "$T/client.out" 2>/dev/null && break
	sleep 0.1; done; sleep 0.3 ) |
	timeout 30 openssl s_client -connect 127.0.0.1:4490 -tls1_3 \
		-psk "$hex" -psk_identity "$id" -quiet -no_ign_eof \
		>"$T/client.out" 2>&1
crc=$?
wait $cpid
rc=$?
sed 's/^/  consumer: /' "$T/consumer.out"
sed 's/^/  client: /' "$T/client.out"
[ $crc = 0 ] || fail "openssl s_client failed ($crc)"
[ $rc = 0 ] || fail "hs-consumer failed"
grep -q "^status=0 peerid=$key " "$T/consumer.out" ||
	fail "status not 0 or the remote identity is not key $key"
grep -q 'hello over psk' "$T/client.out" || fail "client did not get our data"
grep -q 'reply from openssl' "$T/consumer.out" || fail "we did not get the client's data"
expect_log "handshake ok: peer - 127\.0\.0\.1:[0-9]+, server, auth psk, TLSv1\.3 .*identity $id"

fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
keyctl unlink "$ring" @u >/dev/null
keyctl unlink "$other" @u >/dev/null
stop_tlshd
echo "PASS"
