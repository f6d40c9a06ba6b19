#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch and unpack a Debian kernel (image, modules, headers, kbuild) for the
# guest harness, without installing it on the host.
#
#   kernel-fetch.sh SERIES CACHE      SERIES: 6.12 | 6.1 | 7.3
#
# 7.3 (Debian's newest 7.x, from trixie-backports) is packaged differently
# and needs a trixie build root: kernel-fetch-trixie.sh does it.
#
# Leaves CACHE/SERIES/{release,root/} behind:
#   release                 the uname -r of the kernel, e.g. 6.12.117+deb12-amd64
#   root/boot/vmlinuz-REL   the kernel
#   root/lib/modules/REL    its modules, depmod'ed
#   root/usr/src/linux-headers-REL   a tree to build out-of-tree modules against
# The version is resolved from the package lists, since Debian security
# updates move it; a complete cache is reused as it is.
set -euo pipefail

series=${1:?usage: kernel-fetch.sh 6.12|6.1|7.3 CACHE}
cache=${2:?usage: kernel-fetch.sh 6.12|6.1|7.3 CACHE}
case $series in
7.*) exec "$(dirname "$0")/kernel-fetch-trixie.sh" "$series" "$cache" ;;
esac
dir=$cache/$series
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ -s "$dir/release" ] && [ -e "$dir/complete" ]; then
	exit 0
fi

case $series in
6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
6.1)  pattern='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
*)    echo "kernel-fetch: unknown series '$series' (want 6.12, 6.1 or 7.3)" >&2; exit 2 ;;
esac

resolve() {
	apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1
}

image=$(resolve)
if [ -z "$image" ]; then
	echo "kernel-fetch: refreshing package lists" >&2
	apt-get update -qq
	image=$(resolve)
fi
if [ -z "$image" ]; then
	echo "kernel-fetch: no package matches $pattern (is the bookworm-security suite configured?)" >&2
	exit 1
fi

release=${image#linux-image-}
release=${release%-unsigned}
headers=linux-headers-$release
# The common headers and kbuild package names differ by series: ask apt.
mapfile -t deps < <(apt-cache depends "$headers" |
	awk '/Depends: linux-(headers|kbuild)-/ {print $2}')
[ ${#deps[@]} -ge 2 ] || { echo "kernel-fetch: cannot resolve dependencies of $headers" >&2; exit 1; }

echo "kernel-fetch: $release (${image} ${headers} ${deps[*]})" >&2
mkdir -p "$dir/debs"
(cd "$dir/debs" && apt-get download -q "$image" "$headers" "${deps[@]}" >/dev/null)

# What the extracted kbuild tools need at run time (libelf, pahole...).
kbuild=$(printf '%s\n' "${deps[@]}" | grep '^linux-kbuild-' || true)
if [ -n "$kbuild" ]; then
	mapfile -t rt < <(apt-cache depends "$kbuild" | awk '/ Depends:/ {print $2}' | grep -v '^<')
	need=()
	for p in "${rt[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || need+=("$p")
	done
	if [ ${#need[@]} -gt 0 ]; then
		echo "kernel-fetch: installing kbuild runtime needs: ${need[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
fi

rm -rf "$dir/root"
mkdir -p "$dir/root"
for deb in "$dir"/debs/*.deb; do
	dpkg -x "$deb" "$dir/root"
done

# The arch headers include the common ones by absolute path: point it here.
mk=$dir/root/usr/src/$headers/Makefile
sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$mk"
# ...and they find scripts/tools through symlinks into /usr/lib/linux-kbuild-*.
for l in $(find "$dir/root/usr/src" -maxdepth 2 -type l); do
	t=$(readlink "$l")
	case $t in
	/*) ln -sfn "$dir/root$t" "$l" ;;
	esac
done

depmod -b "$dir/root" "$release"
echo "$release" >"$dir/release"
rm -rf "$dir/debs"
touch "$dir/complete"
