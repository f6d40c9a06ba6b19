#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A Debian trixie root with ktls-utils' tlshd (Debian's package, unmodified)
# for side-by-side handshake benchmarks: scripts/bench.sh --versus runs it
# in the guest with chroot, interleaved with ours (ktls-bench --daemon).
#
#   ktls-utils-root.sh [CACHE]   (default ~/.cache/tlshd): prints the root
#
# Made once with debootstrap (minbase plus ktls-utils, about 200 MB and a
# few minutes), then reused.
set -euo pipefail
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/tlshd}
root=$cache/ktls-utils-root
if [ -e "$root/.complete" ]; then
	echo "$root"
	exit 0
fi
command -v debootstrap >/dev/null || {
	echo "ktls-utils-root: installing debootstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		debootstrap >/dev/null
}
# The host's own Debian mirror (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\?$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}
echo "ktls-utils-root: debootstrap trixie with ktls-utils into $root" >&2
rm -rf "$root"
mkdir -p "$cache"
debootstrap --variant=minbase --include=ktls-utils trixie "$root" "$mirror" \
	>"$cache/ktls-utils-debootstrap.log" 2>&1 ||
	{ tail -n 20 "$cache/ktls-utils-debootstrap.log" >&2; exit 1; }
[ -x "$root/usr/sbin/tlshd" ] || { echo "ktls-utils-root: no usr/sbin/tlshd in the root" >&2; exit 1; }
touch "$root/.complete"
echo "$root"
