# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the selftests/guest/tlshd-nvme*.sh tests (sourced, not a test):
# NVMe/TCP over TLS 1.3 with a retained PSK, host and target in one kernel
# over loopback.
#   nvme_require          skip on a kernel without NVMe/TCP TLS
#   nvme_psk              a retained PSK for HOSTNQN/SUBNQN in .nvme
#                         ($PSK_RING, $PSK_KEY; the raw key in $T/psk)
#   nvme_target PORT TLS  a file-backed namespace behind 127.0.0.1:PORT;
#                         TLS "required" (tls1.3) or "none" (plain TCP)
#   nvme_connect OPTS     connect through /dev/nvme-fabrics, print the reply
#   nvme_ns_dev           $NS_DEV: the namespace's block device, once it shows
. "$(dirname "${BASH_SOURCE[0]}")/tlshd-common.bash"

CFG=/sys/kernel/config
NVMET=$CFG/nvmet
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6f1c5c1c-8d36-4f0e-9d3e-6a3b2f1d0a01
HOSTID=6f1c5c1c-8d36-4f0e-9d3e-6a3b2f1d0a01
SUBNQN=nqn.2026-11.test.tlshd:nvme-tls
CTRL= PSK_RING= PSK_KEY=

nvme_cleanup()
{
	[ -n "$CTRL" ] && [ -e "/sys/class/nvme/$CTRL/delete_controller" ] &&
		echo 1 >"/sys/class/nvme/$CTRL/delete_controller"
	rm -f "$NVMET/ports/1/subsystems/$SUBNQN" 2>/dev/null
	rm -f "$NVMET/subsystems/$SUBNQN/allowed_hosts/$HOSTNQN" 2>/dev/null
	rmdir "$NVMET/subsystems/$SUBNQN/namespaces/1" 2>/dev/null
	rmdir "$NVMET/subsystems/$SUBNQN" "$NVMET/ports/1" \
		"$NVMET/hosts/$HOSTNQN" 2>/dev/null
	[ -n "$PSK_KEY" ] && keyctl unlink "$PSK_KEY" "$PSK_RING" >/dev/null 2>&1
	umount "$T/ns" 2>/dev/null
	tlshd_cleanup
}
trap nvme_cleanup EXIT

nvme_require()
{
	local m
	require_handshake
	for m in nvme-keyring nvme-fabrics nvme-tcp nvmet nvmet-tcp; do
		modprobe "$m" 2>/dev/null ||
			skip "kernel $(uname -r) has no $m module (NVMe/TCP TLS came in 6.7)"
	done
	grep -qw nvme_tls_psk_default /proc/kallsyms ||
		skip "kernel $(uname -r): NVMe/TCP has no TLS support (came in 6.7)"
	command -v keyctl >/dev/null || fail "keyctl missing"
	mountpoint -q "$CFG" || mount -t configfs configfs "$CFG" || fail "configfs"
	[ -d "$NVMET" ] || fail "$NVMET missing after loading nvmet"
}

nvme_psk()
{
	PSK_RING=$(awk '$9 == ".nvme:" || $9 == ".nvme" {print $1}' /proc/keys | head -n 1)
	[ -n "$PSK_RING" ] || fail "no .nvme keyring in /proc/keys: $(grep -i nvme /proc/keys)"
	PSK_RING=$((16#$PSK_RING))
	# A retained PSK, SHA-256 (01), shared by host and target (one kernel).
	head -c 32 /dev/urandom >"$T/psk"
	PSK_KEY=$(keyctl padd psk "NVMe0R01 $HOSTNQN $SUBNQN" "$PSK_RING" <"$T/psk") ||
		fail "keyctl padd into .nvme ($PSK_RING)"
	echo "  psk key $PSK_KEY in .nvme keyring $PSK_RING"
}

nvme_target()
{
	local port=$1 tls=$2
	# The image lives on tmpfs: the guest's /tmp is the host's over 9p,
	# where the target's writes fail with ENOSPC.
	mkdir "$T/ns" && mount -t tmpfs -o size=48M nvme-ns "$T/ns" ||
		fail "tmpfs for the namespace"
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
	if [ "$tls" = required ]; then
		echo tls1.3 >"$NVMET/ports/1/addr_tsas" || fail "addr_tsas tls1.3"
		echo required >"$NVMET/ports/1/addr_treq" || fail "addr_treq"
	fi
	echo ipv4 >"$NVMET/ports/1/addr_adrfam"
	echo 127.0.0.1 >"$NVMET/ports/1/addr_traddr"
	echo "$port" >"$NVMET/ports/1/addr_trsvcid"
	ln -s "$NVMET/subsystems/$SUBNQN" "$NVMET/ports/1/subsystems/" ||
		fail "link subsystem to port"
}

# Connect: the reply names the controller ("instance=N,cntlid=...").
nvme_connect()
{
	exec 5<>/dev/nvme-fabrics || return 1
	printf '%s' "$1" >&5 || { exec 5<&-; return 1; }
	read -r reply <&5
	exec 5<&-
	echo "$reply"
}

# The block device: the multipath head under the subsystem, else nvmeXnY.
nvme_ns_dev()
{
	local dev i
	for i in $(seq 50); do
		dev=$(ls -d /sys/class/nvme-subsystem/*/nvme*n1 2>/dev/null | head -n 1)
		[ -n "$dev" ] || dev=$(ls -d "/sys/class/nvme/$CTRL/${CTRL}n1" 2>/dev/null)
		[ -n "$dev" ] && [ -b "/dev/$(basename "$dev")" ] && break
		dev=
		sleep 0.1
	done
	[ -n "$dev" ] || fail "no namespace block device for $CTRL"
	NS_DEV=/dev/$(basename "$dev")
}
