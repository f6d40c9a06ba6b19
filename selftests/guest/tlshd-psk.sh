#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# A PSK client handshake, the way NVMe/TCP asks for one: the kernel names
# the key by serial; its description is the identity, its payload the key.
# tlshd reports the key it used as the remote identity, and the session
# carries 1 MiB each way. A wrong key fails with the server's alert named.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

# NVMe's key type if the kernel has it, else a user key: tlshd only reads.
modprobe nvme-keyring 2>/dev/null
id="NVMe0R01 nqn.2014-08.org.nvmexpress:host nqn.2014-08.org.nvmexpress:sub"
hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '%s' "$hex" | xxd -r -p >"$T/psk.bin" 2>/dev/null ||
	python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex('$hex'))" >"$T/psk.bin"
[ "$(stat -c %s "$T/psk.bin")" = 32 ] || fail "could not make a 32-byte PSK"
ktype=psk
good=$(keyctl padd psk "$id" @u <"$T/psk.bin" 2>/dev/null) || {
	ktype=user
	good=$(keyctl padd user "$id" @u <"$T/psk.bin") || fail "keyctl padd"
}
head -c 32 /dev/urandom >"$T/wrong.bin"
# An identity gnutls-serv's password file can hold, with the wrong key.
wrong=$(keyctl padd "$ktype" tlshd-test-psk @u <"$T/wrong.bin") || fail "keyctl padd wrong key"
echo "tlshd-test-psk:$hex" >"$T/psk.passwd"
echo "  keys ($ktype): good $good, wrong $wrong"

start_tlshd
fds0=$(tlshd_fds)
start_server 4470 echo-gnutls serve 4470 --count 10 \
	--psk-identity "$id" --psk-key "$hex"

consumer --connect 127.0.0.1:4470 --type client --auth psk --peerid "$good" \
	--timeout-ms 20000 --echo-bytes 1048576 || fail "PSK handshake or echo failed"
grep -q "^status=0 peerid=$good " "$T/consumer.out" ||
	fail "the remote identity is not key $good"
grep -q 'echo bytes=1048576 verified' "$T/consumer.out" || fail "echo not verified"
expect_log "handshake ok: peer - 127\.0\.0\.1:4470, client, auth psk, TLSv1\.3"
grep 'handshake ok: peer - 127\.0\.0\.1:4470' "$T/tlshd.log" | tail -n 1 |
	grep -q ', group X25519, ' || fail "the default PSK group is not X25519"
# [tlshd] groups, applied by a reload: P-384 alone is what gets negotiated.
printf '[tlshd]\ngroups=P-384\n' >>"$T/tlshd.conf"
reload_tlshd 'reloaded the configuration'
consumer --connect 127.0.0.1:4470 --type client --auth psk --peerid "$good" \
	--timeout-ms 20000 --echo-bytes 4096 || fail "PSK handshake on P-384 failed"
grep 'handshake ok: peer - 127\.0\.0\.1:4470' "$T/tlshd.log" | tail -n 1 |
	grep -q ', group SECP384R1, ' || fail "groups=P-384 was not negotiated"
expect_log "handshake ok: peer - 127\.0\.0\.1:4470, client, auth psk, TLSv1\.3 [^,]*, group SECP384R1"

start_server 4471 gnutls-serv -p 4471 --pskpasswd "$T/psk.passwd" \
	--priority 'NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK'
# The right key for that identity (in its own keyring: same description)
# gets in, so the refusal below is about the key alone.
ring=$(keyctl newring tlshd-test-ring @u) || fail "keyctl newring"
right=$(keyctl padd "$ktype" tlshd-test-psk "$ring" <"$T/psk.bin") || fail "keyctl padd"
consumer --connect 127.0.0.1:4471 --type client --auth psk --peerid "$right" \
	--timeout-ms 20000 || fail "gnutls-serv with the right PSK: failed"
# GnuTLS answers a bad binder with illegal_parameter, not decrypt_error:
# the status may be EACCES or EIO, the log names the alert either way.
consumer --connect 127.0.0.1:4471 --type client --auth psk --peerid "$wrong" \
	--timeout-ms 20000 && fail "wrong PSK: handshake succeeded"
grep -Eq '^status=(EACCES|EIO) ' "$T/consumer.out" || fail "wrong PSK: expected EACCES or EIO"
expect_log "peer - 127\.0\.0\.1:4471, client, auth psk, [0-9]+ ms, status (EACCES|EIO): peer sent fatal alert"

# A serial that is no key at all.
consumer --connect 127.0.0.1:4470 --type client --auth psk --peerid 12345 \
	--timeout-ms 20000 --expect-status ENOKEY || fail "missing key: expected ENOKEY"
expect_log "auth psk, [0-9]+ ms, status ENOKEY: no usable PSK: key 12345: "

fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
keyctl unlink "$good" @u >/dev/null
keyctl unlink "$wrong" @u >/dev/null
keyctl unlink "$ring" @u >/dev/null
stop_tlshd
echo "PASS"
