#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the harness initramfs (busybox). Mounts the host's / read-only over
# 9p, puts a tmpfs overlay on it, mounts the results share and hands over to
# stage2 inside the new root. Parameters come on the kernel command line.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

die() {
	echo "vm-init: $*" >/dev/console
	poweroff -f
}

for m in $(cat /modules.list); do
	insmod "/mods/$m" || die "insmod $m failed"
done

repo= ; series= ; kdir=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vm.repo=*) repo=${arg#vm.repo=} ;;
	vm.series=*) series=${arg#vm.series=} ;;
	vm.kdir=*) kdir=${arg#vm.kdir=} ;;
	esac
done

mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /lower ||
	die "cannot mount the host root"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	die "cannot mount the overlay"
mkdir -p /newroot/run/vm-results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /newroot/run/vm-results ||
	die "cannot mount the results share"
# Optional: a directory shared by guests running one suite together.
mkdir -p /newroot/run/vm-share
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /newroot/run/vm-share 2>/dev/null ||
	rmdir /newroot/run/vm-share

exec chroot /newroot /bin/bash "$repo/selftests/vm/guest-stage2.sh" "$repo" "$series" "$kdir"
