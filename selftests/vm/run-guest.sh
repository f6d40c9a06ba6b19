#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot a Debian kernel under qemu (TCG), run one command inside and return
# its output and exit status.
#
#   run-guest.sh [options] -- COMMAND [ARGS...]
#     -k, --kernel 6.12|6.1|7.3  kernel series (default 6.12)
#     -m, --mem MiB           guest memory (default 2048, at most 8192)
#     -c, --cpus N            vCPUs (default 2)
#     -t, --timeout SEC       wall-clock limit; a guest still running is
#                             killed and reported as a failure (default 900)
#     -i, --insmod FILE.ko    load a module of ours after kTLS (repeatable)
#     -p, --modprobe NAME     modprobe a stock module too (repeatable)
#     -o, --out DIR           copy what the command leaves in $VM_OUT to DIR
#     -q, --quiet             don't echo the command's output live
#     -s, --share DIR         a host directory the guest may write at
#                             $VM_SHARE, shared with other guests given it
#     -n, --net               a NIC on a restricted user-mode network (no
#                             way out) whose guest port 4433 the host
#                             reaches at 127.0.0.1:PORT, and the host
#                             companion (host-companion.sh) that runs
#                             selftests/companion/ scripts the guest asks
#                             for at $VM_COMPANION
#
# The command runs as root in the repository's directory, on the host's root
# file system (read-only, under a tmpfs overlay), with kTLS and its AEADs
# loaded. Exit status: the command's own, 124 for a timeout, 125 for a guest
# that died before the command finished.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD:-$repo/build}

series=6.12 mem=2048 cpus=2 timeout=900 quiet=0 out= share= net=0
insmods=() modprobes=()
while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) series=$2; shift 2 ;;
	-m|--mem) mem=$2; shift 2 ;;
	-c|--cpus) cpus=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	-i|--insmod) insmods+=("$(realpath "$2")"); shift 2 ;;
	-p|--modprobe) modprobes+=("$2"); shift 2 ;;
	-o|--out) out=$2; shift 2 ;;
	-q|--quiet) quiet=1; shift ;;
	-s|--share) share=$(realpath "$2"); shift 2 ;;
	-n|--net) net=1; shift ;;
	--) shift; break ;;
	*) echo "run-guest: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "run-guest: no command given" >&2; exit 2; }
[ "$mem" -le 8192 ] || { echo "run-guest: --mem is capped at 8192 MiB" >&2; exit 2; }

kcache=${KCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tlshd/kernels}
"$here/kernel-fetch.sh" "$series" "$kcache"
kdir=$(cd "$kcache/$series" && pwd)
rel=$(cat "$kdir/release")
modroot=$kdir/root/lib/modules/$rel

# The initramfs: busybox, the modules needed to reach the root, and /init.
initrd=$build/vm/initrd-$series.img
if [ ! -s "$initrd" ] || [ "$here/initramfs-init.sh" -nt "$initrd" ] ||
   [ "$0" -nt "$initrd" ]; then
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,proc,sys,dev,mods}
	cp /bin/busybox "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	cp "$here/initramfs-init.sh" "$stage/init"
	# 7.x has virtio_pci built in, and its modules.builtin is not shipped.
	case $series in
	7.*) boot_mods="9pnet_virtio 9p overlay" ;;
	*) boot_mods="virtio_pci 9pnet_virtio 9p overlay" ;;
	esac
	for m in $boot_mods; do
		modprobe -d "$kdir/root" -S "$rel" --show-depends "$m"
	done | awk '$1 == "insmod" {print $2}' | while read -r ko; do
		name=$(basename "$ko")
		case $name in
		*.xz) xz -dc "$ko" >"$stage/mods/${name%.xz}"; name=${name%.xz} ;;
		*) cp "$ko" "$stage/mods/$name" ;;
		esac
		# modprobe prints dependencies first: keep that order, once each.
		grep -qx "$name" "$stage/modules.list" 2>/dev/null || echo "$name" >>"$stage/modules.list"
	done
	mkdir -p "$build/vm"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
fi

mkdir -p "$build/vm/runs"
run=$(mktemp -d "$build/vm/runs/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
printf '%q ' "$@" >"$run/cmd"
echo >>"$run/cmd"
printf '%s\n' "${insmods[@]+"${insmods[@]}"}" | sed '/^$/d' >"$run/insmod.list"
printf '%s\n' "${modprobes[@]+"${modprobes[@]}"}" >"$run/modprobe.extra"
: >"$run/output"
mkdir -p "$run/out"

tailpid=
if [ "$quiet" = 0 ]; then
	tail -n +1 -F "$run/output" 2>/dev/null &
	tailpid=$!
fi

share_args=()
[ -n "$share" ] && share_args=(-fsdev "local,id=fs2,path=$share,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=fs2,mount_tag=share)

net_args=() companion=
if [ "$net" = 1 ]; then
	hostport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	net_args=(-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$hostport-10.0.2.15:4433"
		-device virtio-net-pci,netdev=n0)
	mkdir -p "$run/out/companion"
	"$here/host-companion.sh" "$run/out/companion" "$hostport" "$$" &
	companion=$!
fi

set +e
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-machine q35 -cpu max -m "$mem" -smp "$cpus" \
	-nographic -no-reboot -nodefaults -serial stdio -monitor none \
	-kernel "$kdir/root/boot/vmlinuz-$rel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 vm.repo=$repo vm.series=$series vm.kdir=$kdir vm.net=$net" \
	-fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot \
	-fsdev local,id=fs1,path="$run",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=fs1,mount_tag=results \
	"${share_args[@]}" "${net_args[@]}" \
	</dev/null >"$run/console.log" 2>&1
qrc=$?
set -e
[ -n "$companion" ] && { kill "$companion" 2>/dev/null; wait "$companion" 2>/dev/null || true; }
[ -n "$tailpid" ] && { sleep 0.3; kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null || true; }
[ "$quiet" = 1 ] && cat "$run/output"

console_tail() {
	# Drop the firmware's terminal escapes; keep the kernel's words.
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$run/console.log" | tail -n "$1" >&2
}

if [ -n "$out" ]; then
	mkdir -p "$out"
	cp -a "$run/out/." "$out/"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-guest: TIMEOUT: $series guest killed after ${timeout}s" >&2
	console_tail 20
	exit 124
fi
if [ ! -s "$run/status" ]; then
	echo "run-guest: the $series guest died before the command finished (qemu rc $qrc); console:" >&2
	console_tail 40
	exit 125
fi
if [ -s "$run/modprobe.err" ]; then
	sed 's/^/run-guest: modprobe: /' "$run/modprobe.err" >&2
fi
exit "$(cat "$run/status")"
