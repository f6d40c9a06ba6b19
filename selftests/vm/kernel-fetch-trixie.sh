#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch Debian's newest 7.x kernel from trixie-backports for the guest
# harness, and a trixie build root to build our modules against it.
# Nothing is installed on the host and its apt configuration is not
# touched: a private sources list and private state and cache directories.
#
#   kernel-fetch-trixie.sh SERIES CACHE      SERIES: 7.3 (the newest 7.x)
#
# Leaves, like kernel-fetch.sh:
#   CACHE/SERIES/release, root/boot/vmlinuz-REL, root/lib/modules/REL
# and the build root CACHE/../trixie-root (debootstrap minbase with gcc-14,
# the kernel's own toolchain) holding /usr/src/linux-headers-REL.
set -euo pipefail

series=${1:?usage: kernel-fetch-trixie.sh 7.3 CACHE}
cache=${2:?usage: kernel-fetch-trixie.sh 7.3 CACHE}
mkdir -p "$cache/$series"
cache=$(cd "$cache" && pwd)
dir=$cache/$series
buildroot=$(dirname "$cache")/trixie-root

if [ -s "$dir/release" ] && [ -e "$dir/complete" ] &&
   [ -e "$buildroot/.headers-$(cat "$dir/release")" ]; then
	exit 0
fi

# The host's own Debian mirror (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\?$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

apt=$cache/apt-trixie
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt/sources.list" <<EOT
deb [signed-by=$key] $mirror trixie main
deb [signed-by=$key] $mirror trixie-backports main
EOT
opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
	-o APT::Sandbox::User=root)
echo "kernel-fetch: trixie package lists from $mirror" >&2
apt-get "${opts[@]}" update -qq

major=${series%%.*}
binary=$(apt-cache "${opts[@]}" search --names-only \
	"^linux-binary-$major\\.[0-9]+\\.[0-9]+\\+deb13-amd64\$" |
	awk '{print $1}' | sort -V | tail -n 1)
[ -n "$binary" ] || { echo "kernel-fetch: no linux-binary-$major.x in trixie-backports" >&2; exit 1; }
release=${binary#linux-binary-}
[ "${release%.*}" = "$series" ] || [ "${release%.*.*}" = "$series" ] ||
	echo "kernel-fetch: asked for $series, the newest $major.x is $release" >&2
headers=linux-headers-$release
mapfile -t hdeps < <(apt-cache "${opts[@]}" depends "$headers" |
	awk '/Depends: linux-(headers|kbuild|base)-/ {print $2}')
echo "kernel-fetch: $release ($binary linux-modules-$release $headers ${hdeps[*]})" >&2

rm -rf "$dir/debs" && mkdir -p "$dir/debs"
(cd "$dir/debs" && apt-get "${opts[@]}" download -q "$binary" "linux-modules-$release" \
	"$headers" "${hdeps[@]}" >/dev/null)

rm -rf "$dir/root"
mkdir -p "$dir/root/usr/lib" "$dir/root/boot"
ln -s usr/lib "$dir/root/lib"
dpkg -x "$dir"/debs/linux-binary-*.deb "$dir/root"
dpkg -x "$dir"/debs/linux-modules-*.deb "$dir/root"
ln -sfn "../usr/lib/modules/$release/vmlinuz" "$dir/root/boot/vmlinuz-$release"
depmod -b "$dir/root" "$release"

# The build root: trixie's gcc-14 and glibc for the headers' prebuilt tools.
if [ ! -e "$buildroot/.complete" ]; then
	command -v debootstrap >/dev/null || {
		echo "kernel-fetch: installing debootstrap" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			debootstrap >/dev/null
	}
	echo "kernel-fetch: building the trixie build root in $buildroot" >&2
	rm -rf "$buildroot"
	debootstrap --variant=minbase \
		--include=gcc-14,make,libc6-dev,libelf1t64,libssl3t64,zlib1g,pahole,kmod,xz-utils \
		trixie "$buildroot" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
	touch "$buildroot/.complete"
fi
for deb in "$dir"/debs/linux-headers-*.deb "$dir"/debs/linux-kbuild-*.deb \
	"$dir"/debs/linux-base-*.deb; do
	[ -e "$deb" ] && dpkg -x "$deb" "$buildroot"
done
touch "$buildroot/.headers-$release"

echo "$release" >"$dir/release"
rm -rf "$dir/debs"
touch "$dir/complete"
