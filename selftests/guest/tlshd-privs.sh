#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Least privilege: tlshd runs as nobody (uid/gid 65534, no groups) with
# CAP_NET_ADMIN as its only (ambient) capability and a bounding set of just
# that. It serves a kernel consumer's handshake, 1 MiB goes each way, and
# /proc shows uid 65534, CapEff = CapPrm = CapBnd = CAP_NET_ADMIN, nothing
# inheritable or ambient, no_new_privs.
# Keyring PSKs in that mode: a key root owns with the default permissions
# is not readable by uid 65534 (ENOKEY, named in the log); once the key
# grants that uid read access, the PSK handshake works. That is the limit:
# a consumer's keys (and keyrings named in [authenticate] keyrings) must
# grant tlshd's uid view/read/search, or be possessed through its session
# keyring; root's keys with default permissions are out of reach.
# Without CAP_NET_ADMIN, tlshd refuses to start and says why.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"

NOBODY=65534
NET_ADMIN=0000000000001000
# The files tlshd reads and the ready file's directory: nobody's to reach.
chmod 755 "$T"
chmod 644 "$T"/*
mkdir "$T/run" && chown $NOBODY:$NOBODY "$T/run"

# start_tlshd_as CAPS: tlshd as nobody, holding CAPS (setpriv syntax).
start_tlshd_as()
{
	local caps=$1 i
	rm -f "$T/run/ready"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		--bounding-set="-all${caps:+,$caps}" \
		--inh-caps="-all${caps:+,$caps}" \
		--ambient-caps="-all${caps:+,$caps}" -- \
		tlshd -s -c "$T/tlshd.conf" --ready-file "$T/run/ready" \
		>>"$T/tlshd.log" 2>&1 &
	TLSHD_PID=$!
	for i in $(seq 100); do
		[ -e "$T/run/ready" ] && return 0
		kill -0 "$TLSHD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	fail "tlshd not ready after 10 s"
}

status_field()
{
	awk -v k="$1:" '$1 == k {print $2}' "/proc/$TLSHD_PID/status"
}

# 1. Unprivileged, with CAP_NET_ADMIN only.
start_tlshd_as +net_admin || fail "tlshd as uid $NOBODY with CAP_NET_ADMIN exited at start"
start_server 4490 echo-gnutls serve 4490 \
	--cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
consumer --connect 127.0.0.1:4490 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--echo-bytes 1048576 || fail "handshake through unprivileged tlshd failed"
grep -q 'echo bytes=1048576 verified' "$T/consumer.out" || fail "echo not verified"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4490, client'

uids=$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "/proc/$TLSHD_PID/status")
gids=$(awk '$1 == "Gid:" {print $2, $3, $4, $5}' "/proc/$TLSHD_PID/status")
groups=$(awk '$1 == "Groups:" {print $2}' "/proc/$TLSHD_PID/status")
echo "  tlshd Uid $uids, Gid $gids, Groups '${groups}'"
for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs; do
	eval "$f=\$(status_field $f)"
	echo "  tlshd $f ${!f}"
done
[ "$uids" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] || fail "tlshd's uids are $uids"
[ "$gids" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] || fail "tlshd's gids are $gids"
[ -z "$groups" ] || fail "tlshd keeps supplementary groups $groups"
[ "$CapEff" = $NET_ADMIN ] || fail "CapEff $CapEff, not CAP_NET_ADMIN alone"
[ "$CapPrm" = $NET_ADMIN ] || fail "CapPrm $CapPrm, not CAP_NET_ADMIN alone"
[ "$CapBnd" = $NET_ADMIN ] || fail "CapBnd $CapBnd, not CAP_NET_ADMIN alone"
[ "$CapInh" = 0000000000000000 ] || fail "CapInh $CapInh: tlshd passes capabilities on"
[ "$CapAmb" = 0000000000000000 ] || fail "CapAmb $CapAmb: tlshd passes capabilities on"
[ "$NoNewPrivs" = 1 ] || fail "tlshd runs without no_new_privs"

# 2. A PSK in a keyring, named by serial as NVMe does.
id=tlshd-privs-psk
hex=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex('$hex'))" >"$T/psk.bin"
key=$(keyctl padd user "$id" @u <"$T/psk.bin") || fail "keyctl padd"
start_server 4491 echo-gnutls serve 4491 --count 2 \
	--psk-identity "$id" --psk-key "$hex"
consumer --connect 127.0.0.1:4491 --type client --auth psk --peerid "$key" \
	--timeout-ms 20000 --expect-status ENOKEY ||
	fail "a key uid $NOBODY may not read: expected ENOKEY"
expect_log "status ENOKEY: no usable PSK: key $key: "
# Hand it to tlshd's uid, with read access for the owner.
keyctl chown "$key" $NOBODY >/dev/null || fail "keyctl chown"
keyctl setperm "$key" 0x3f0b0000 || fail "keyctl setperm"
consumer --connect 127.0.0.1:4491 --type client --auth psk --peerid "$key" \
	--timeout-ms 20000 --echo-bytes 65536 ||
	fail "PSK handshake with a key readable by uid $NOBODY failed"
grep -q "^status=0 peerid=$key " "$T/consumer.out" || fail "remote identity is not key $key"
grep -q 'echo bytes=65536 verified' "$T/consumer.out" || fail "PSK echo not verified"
keyctl unlink "$key" @u >/dev/null
stop_tlshd

# 3. No CAP_NET_ADMIN: no start, and a message that says what is missing.
: >"$T/tlshd.log"
start_tlshd_as "" && fail "tlshd without CAP_NET_ADMIN got ready"
wait "$TLSHD_PID"
rc=$?
TLSHD_PID=
[ "$rc" != 0 ] || fail "tlshd without CAP_NET_ADMIN exited 0"
expect_log "needs CAP_NET_ADMIN"
echo "  tlshd without CAP_NET_ADMIN: exit $rc"
echo "PASS"
