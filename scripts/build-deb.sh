#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian packages from a copy of the work tree, so that neither
# the tree nor its build/ is touched:
#   build-deb.sh OUTDIR
# OUTDIR gets the .debs, .dsc, .tar.xz, .changes and build.log; the copy
# it built in is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
ver=$(dpkg-parsechangelog -S Version)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src/tlshd-$ver
rm -rf "$out/src" "$out/stamp" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out"/*.dsc "$out"/*.tar.*
mkdir -p "$src"
# What git knows (tracked, or new and not ignored); without git, all but
# the build and VCS directories.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | xargs -0 -r ls -d 2>/dev/null |
		tar -cf - -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C "$src"
fi
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -j"$(nproc)") >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
# dpkg-buildpackage writes beside the source directory.
find "$out/src" -maxdepth 1 -type f -exec mv -t "$out" {} +
rm -rf "$out/src"
echo "build-deb: packages in $out ($(($(date +%s) - start)) s)"
