#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the guest's overlay root: prepares the system (mounts, loopback,
# module tree, kTLS and its ciphers, the project's modules), runs the command
# from the results share and records its output and exit status there.
repo=$1
series=$2
kdir=$3
res=/run/vm-results
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

finish() {
	sync
	echo "vm-stage2: command exited $1" >/dev/console
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# No tmpfs on /tmp: the overlay's upper layer is already RAM, and the
# repository itself may live under the host's /tmp (CI clones do).
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname ktls-guest

rel=$(uname -r)
# The host may own a /lib/modules/REL of its own (headers only): replace it.
rm -rf "/lib/modules/$rel"
mkdir -p /lib/modules
ln -sfn "$kdir/root/lib/modules/$rel" "/lib/modules/$rel"

ip link set lo up
# run-guest.sh --net: the restricted user-mode NIC, at the address its
# host port forward names, and the host companion's request directory.
if grep -qw 'vm.net=1' /proc/cmdline; then
	modprobe virtio_net 2>>"$res/modprobe.err"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		nic=$(ls /sys/class/net | grep -vx lo | head -n1)
		[ -n "$nic" ] && break
		sleep 0.2
	done
	if [ -n "$nic" ] && ip addr add 10.0.2.15/24 dev "$nic" &&
	   ip link set "$nic" up; then
		export VM_COMPANION=$res/out/companion VM_COMPANION_PORT=4433
	else
		echo "vm: --net: no NIC came up" >>"$res/modprobe.err"
	fi
fi

# Automatic loading of the AEADs does not happen: load them by name. The
# list is per kernel: 7.x has GHASH built in (no ghash_clmulni_intel).
case $series in
7.*) crypto="gcm ccm chacha20poly1305 aesni_intel" ;;
*) crypto="gcm ccm chacha20poly1305 aesni_intel ghash_clmulni_intel" ;;
esac
modprobe -a tls $crypto inet_diag tcp_diag 2>>"$res/modprobe.err"
extra=$(cat "$res/modprobe.extra" 2>/dev/null)
[ -n "$extra" ] && modprobe -a $extra 2>>"$res/modprobe.err"
if [ -s "$res/insmod.list" ]; then
	while read -r ko; do
		insmod "$ko" 2>>"$res/modprobe.err" || {
			echo "vm: insmod $ko failed: $(tail -n1 "$res/modprobe.err")" >"$res/output"
			echo 1 >"$res/status"
			finish 1
		}
	done <"$res/insmod.list"
fi

cd "$repo" || finish 1
export VM_SERIES=$series VM_OUT=$res/out
[ -d /run/vm-share ] && export VM_SHARE=/run/vm-share
bash "$res/cmd" >"$res/output" 2>&1 </dev/null
rc=$?
echo "$rc" >"$res/status"
finish "$rc"
