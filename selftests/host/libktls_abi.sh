#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# libktls's ABI: the shared library exports exactly the functions ktls.h
# declares, each with a version from lib/libktls.map, and the map lists
# nothing else, and each has its manual page. A function added to ktls.h but not to the map (or made
# visible by mistake) fails here, not in a user's build.
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${BUILD:-build}
so=$build/lib/libktls.so.0
. selftests/lib/common.bash
[ -e "$so" ] || fail "no $so: build first"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# What ktls.h declares: names of functions at the start of a declaration.
sed -n -E 's/^[a-z][a-z0-9_ ]*[ *]+(ktls_[a-z0-9_]+)\(.*/\1/p' lib/include/ktls.h |
	sort -u >"$T/header"
# What the map lists.
sed -n -E 's/^[[:space:]]+(ktls_[a-z0-9_]+);.*/\1/p' lib/libktls.map | sort -u >"$T/map"
# What the library exports, and with which version.
objdump -T "$so" | awk '$4 == ".text" {print $7, $6}' | sort -u >"$T/exported"
cut -d' ' -f1 "$T/exported" >"$T/names"

[ -s "$T/header" ] || fail "found no function in ktls.h"
diff -u "$T/header" "$T/map" >"$T/d1" ||
	fail "ktls.h and lib/libktls.map differ (- header, + map): $(grep '^[-+]k' "$T/d1" | tr '\n' ' ')"
diff -u "$T/map" "$T/names" >"$T/d2" ||
	fail "the map and what $so exports differ (- map, + exported): $(grep '^[-+]k' "$T/d2" | tr '\n' ' ')"
for f in $(cat "$T/names"); do
	[ -e "lib/man/$f.3" ] || fail "$f has no manual page (lib/man/$f.3)"
done
bad=$(awk '$2 !~ /^KTLS_[0-9]+\.[0-9]+$/' "$T/exported")
[ -z "$bad" ] || fail "exported without a KTLS_ version: $bad"
echo "libktls ABI: $(wc -l <"$T/names") functions, each in ktls.h, the map and the library, versioned $(awk '{print $2}' "$T/exported" | sort -u | tr '\n' ' ')"
