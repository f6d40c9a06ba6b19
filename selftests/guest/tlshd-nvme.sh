#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# NVMe/TCP over TLS 1.3 with a retained PSK, host and target in one
# kernel over loopback: tlshd serves every handshake (admin and I/O
# queues, both ends), O_DIRECT I/O through the namespace round-trips, and
# a connect while tlshd is down fails at once instead of timing out.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
for m in nvme-keyring nvme-fabrics nvme-tcp nvmet nvmet-tcp; do
	modprobe "$m" 2>/dev/null ||
		skip "kernel $(uname -r) has no $m module (NVMe/TCP TLS came in 6.7)"
done
grep -qw nvme_tls_psk_default /proc/kallsyms ||
	skip "kernel $(uname -r): NVMe/TCP has no TLS support (came in 6.7)"
command -v keyctl >/dev/null || fail "keyctl missing"

CFG=/sys/kernel/config
NVMET=$CFG/nvmet
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6f1c5c1c-8d36-4f0e-9d3e-6a3b2f1d0a01
HOSTID=6f1c5c1c-8d36-4f0e-9d3e-6a3b2f1d0a01
SUBNQN=nqn.2026-11.test.tlshd:nvme-tls
CTRL=

nvme_cleanup()
{
	[ -n "$CTRL" ] && [ -e "/sys/class/nvme/$CTRL/delete_controller" ] &&
		echo 1 >"/sys/class/nvme/$CTRL/delete_controller"
	rm -f "$NVMET/ports/1/subsystems/$SUBNQN" 2>/dev/null
	rm -f "$NVMET/subsystems/$SUBNQN/allowed_hosts/$HOSTNQN" 2>/dev/null
	rmdir "$NVMET/subsystems/$SUBNQN/namespaces/1" 2>/dev/null
	rmdir "$NVMET/subsystems/$SUBNQN" "$NVMET/ports/1" \
		"$NVMET/hosts/$HOSTNQN" 2>/dev/null
	umount "$T/ns" 2>/dev/null
	tlshd_cleanup
}
trap nvme_cleanup EXIT

mountpoint -q "$CFG" || mount -t configfs configfs "$CFG" || fail "configfs"
[ -d "$NVMET" ] || fail "$NVMET missing after loading nvmet"
ring=$(awk '$9 == ".nvme:" || $9 == ".nvme" {print $1}' /proc/keys | head -n 1)
[ -n "$ring" ] || fail "no .nvme keyring in /proc/keys: $(grep -i nvme /proc/keys)"
ring=$((16#$ring))
# A retained PSK, SHA-256 (01), shared by host and target (one kernel).
head -c 32 /dev/urandom >"$T/psk"
psk=$(keyctl padd psk "NVMe0R01 $HOSTNQN $SUBNQN" "$ring" <"$T/psk") ||
	fail "keyctl padd into .nvme ($ring)"
echo "  psk key $psk in .nvme keyring $ring"

# The target: a file-backed namespace behind a TLS-required port. The
# image lives on tmpfs: the guest's /tmp is the host's over 9p, where the
# target's writes fail with ENOSPC.
mkdir "$T/ns" && mount -t tmpfs -o size=48M nvme-ns "$T/ns" || fail "tmpfs for the namespace"
truncate -s 32M "$T/ns/ns.img"
mkdir "$NVMET/hosts/$HOSTNQN" "$NVMET/subsystems/$SUBNQN" || fail "nvmet mkdir"
echo 0 >"$NVMET/subsystems/$SUBNQN/attr_allow_any_host"
ln -s "$NVMET/hosts/$HOSTNQN" "$NVMET/subsystems/$SUBNQN/allowed_hosts/" ||
	fail "allowed host"
mkdir "$NVMET/subsystems/$SUBNQN/namespaces/1" || fail "namespace"
echo -n "$T/ns/ns.img" >"$NVMET/subsystems/$SUBNQN/namespaces/1/device_path"
# Page-cache I/O on the target side: tmpfs may refuse O_DIRECT opens.
echo 1 >"$NVMET/subsystems/$SUBNQN/namespaces/1/buffered_io" 2>/dev/null
echo 1 >"$NVMET/subsystems/$SUBNQN/namespaces/1/enable" || fail "ns enable"
mkdir "$NVMET/ports/1" || fail "port"
# trtype first: writing it resets tsas.
echo tcp >"$NVMET/ports/1/addr_trtype"
echo tls1.3 >"$NVMET/ports/1/addr_tsas" || fail "addr_tsas tls1.3"
echo required >"$NVMET/ports/1/addr_treq" || fail "addr_treq"
echo ipv4 >"$NVMET/ports/1/addr_adrfam"
echo 127.0.0.1 >"$NVMET/ports/1/addr_traddr"
echo 4420 >"$NVMET/ports/1/addr_trsvcid"
ln -s "$NVMET/subsystems/$SUBNQN" "$NVMET/ports/1/subsystems/" ||
	fail "link subsystem to port"

OPTS="transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$SUBNQN,hostnqn=$HOSTNQN,hostid=$HOSTID,nr_io_queues=2,tls"

# Connect: the reply names the controller ("instance=N,cntlid=...").
nvme_connect()
{
	exec 5<>/dev/nvme-fabrics || return 1
	printf '%s' "$OPTS" >&5 || { exec 5<&-; return 1; }
	read -r reply <&5
	exec 5<&-
	echo "$reply"
}

# Without tlshd: the kernel gets ESRCH from net/handshake at once.
t0=$(date +%s%N)
timeout 60 bash -c "$(declare -f nvme_connect); OPTS='$OPTS'; nvme_connect" \
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
expect_log "linked keyring '\.nvme' \($((ring))\)"
reply=$(timeout 60 bash -c "$(declare -f nvme_connect); OPTS='$OPTS'; nvme_connect") ||
	fail "connect with tlshd failed: $(dmesg | grep -i nvme | tail -n 5)"
echo "  connect: $reply"
CTRL=nvme$(echo "$reply" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
[ "$CTRL" != nvme ] || fail "no instance in '$reply'"

# The block device: the multipath head under the subsystem, else nvmeXnY.
dev=
for i in $(seq 50); do
	dev=$(ls -d /sys/class/nvme-subsystem/*/nvme*n1 2>/dev/null | head -n 1)
	[ -n "$dev" ] || dev=$(ls -d "/sys/class/nvme/$CTRL/${CTRL}n1" 2>/dev/null)
	[ -n "$dev" ] && [ -b "/dev/$(basename "$dev")" ] && break
	dev=
	sleep 0.1
done
[ -n "$dev" ] || fail "no namespace block device for $CTRL"
dev=/dev/$(basename "$dev")
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

echo 1 >"/sys/class/nvme/$CTRL/delete_controller" || fail "disconnect"
CTRL=
keyctl unlink "$psk" "$ring" >/dev/null
stop_tlshd
echo "PASS"
