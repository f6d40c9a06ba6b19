#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# NVMe/TCP over TLS 1.3 with a retained PSK, host and target in one
# kernel over loopback: tlshd serves every handshake (admin and I/O
# queues, both ends), O_DIRECT I/O through the namespace round-trips, and
# a connect while tlshd is down fails at once instead of timing out.
. "$(dirname "$0")/nvme-common.bash"
nvme_require
nvme_psk
nvme_target 4420 required

OPTS="transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$SUBNQN,hostnqn=$HOSTNQN,hostid=$HOSTID,nr_io_queues=2,tls"

# Without tlshd: the kernel gets ESRCH from net/handshake at once.
t0=$(date +%s%N)
timeout 60 bash -c "$(declare -f nvme_connect); nvme_connect '$OPTS'" \
	>"$T/connect0.out" 2>&1 && fail "connect without tlshd succeeded: $(cat "$T/connect0.out")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "  connect without tlshd: failed in $ms ms: $(tail -n 1 "$T/connect0.out")"
[ "$ms" -lt 10000 ] || fail "connect without tlshd took $ms ms (a timeout, not a refusal)"
dmesg | grep -qi 'failed to start TLS: -3' ||
	fail "kernel did not report ESRCH: $(dmesg | grep -i nvme | tail -n 3)"

ok0=$(grep -c 'handshake ok:' "$T/tlshd.log" 2>/dev/null)
# No [authenticate] keyrings= line: like ktls-utils, tlshd links the
# kernel's .nvme keyring by itself, and the target finds its PSK there.
cat >"$T/nvme.conf" <<EOT
[debug]
loglevel=1
EOT
start_tlshd "$T/nvme.conf"
expect_log "linked keyring '\.nvme' \($((PSK_RING))\)"
reply=$(timeout 60 bash -c "$(declare -f nvme_connect); nvme_connect '$OPTS'") ||
	fail "connect with tlshd failed: $(dmesg | grep -i nvme | tail -n 5)"
echo "  connect: $reply"
CTRL=nvme$(echo "$reply" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
[ "$CTRL" != nvme ] || fail "no instance in '$reply'"

nvme_ns_dev
dev=$NS_DEV
echo "  namespace: $dev"

head -c 8M /dev/urandom >"$T/data"
want=$(sha256sum <"$T/data" | cut -d' ' -f1)
timeout 60 dd if="$T/data" of="$dev" bs=1M count=8 oflag=direct status=none ||
	fail "O_DIRECT write"
got=$(timeout 60 dd if="$dev" bs=1M count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "read back differs ($got vs $want)"
echo "  8 MiB O_DIRECT write+read: sha256 $want ok"

n=$(( $(grep -c 'handshake ok:' "$T/tlshd.log") - ok0 ))
grep 'handshake ok:' "$T/tlshd.log" | sed 's/^/  log: /' | head -n 6
nc=$(grep 'handshake ok:' "$T/tlshd.log" | grep -c ', client, auth psk, TLSv1\.3')
ns=$(grep 'handshake ok:' "$T/tlshd.log" | grep -c ', server, auth psk, TLSv1\.3')
echo "  handshakes: $n ok ($nc host side, $ns target side)"
# One admin queue plus the I/O queues, each with a host and a target end.
[ "$nc" -ge 2 ] && [ "$nc" = "$ns" ] ||
	fail "want matching host and target PSK handshakes (admin + I/O), got $nc/$ns"
grep 'handshake ok:' "$T/tlshd.log" | grep -q "identity NVMe0R01 $HOSTNQN $SUBNQN" ||
	fail "PSK identity not logged"
grep -q 'handshake failed' "$T/tlshd.log" && fail "tlshd logged a failed handshake"
# psk_dhe_ke on the default groups: X25519 at both ends, not FFDHE2048.
grep 'handshake ok:' "$T/tlshd.log" | grep ', auth psk, ' | grep -v ', group X25519, ' &&
	fail "a PSK handshake did not negotiate X25519"

echo 1 >"/sys/class/nvme/$CTRL/delete_controller" || fail "disconnect"
CTRL=
keyctl unlink "$PSK_KEY" "$PSK_RING" >/dev/null
PSK_KEY=
stop_tlshd
echo "PASS"
