#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test runner behind `make check`: host tests, then the in-guest suite on
# each kernel, then one summary of them all.
#   run.sh [--build DIR] [--results DIR] [--kernels "6.12 6.1"] [--filter REGEX]
set -u
build=build kernels="6.12 6.1" filter= res=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--results) res=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.." || exit 2
res=${res:-$build/results}
rm -rf "$res"
mkdir -p "$res"
export BUILD=$build

# Host tests: compiled unit tests and scripts.
mapfile -t host < <( { ls "$build"/selftests/host/* 2>/dev/null; ls selftests/host/*.sh 2>/dev/null; } |
	grep -v '\.d$' | grep -E -- "${filter:-.}")
echo "== host: ${#host[@]} tests"
if [ ${#host[@]} -gt 0 ]; then
	TEST_SUITE=host TEST_RESULTS=$res/host.txt prove --exec selftests/tap-wrap.sh "${host[@]}"
fi

guest_fail=()
for k in $kernels; do
	mods=()
	# compat_handshake first: on kernels without net/handshake the
	# consumer module links against it.
	for ko in "$build"/kmod/"$k"/kmod/compat/compat_handshake.ko \
		"$build"/kmod/"$k"/kmod/*.ko; do
		[ -e "$ko" ] && mods+=(-i "$ko")
	done
	selftests/vm/run-guest.sh -k "$k" -t 4800 -o "$res/guest-$k" "${mods[@]}" -- \
		selftests/guest-suite.sh "$build" "$filter"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "run.sh: the $k guest run failed (exit $rc)" >&2
		guest_fail+=("$k")
	fi
	[ -f "$res/guest-$k/results.txt" ] && cp "$res/guest-$k/results.txt" "$res/guest-$k.txt"
done

files=()
for f in "$res/host.txt" $(for k in $kernels; do echo "$res/guest-$k.txt"; done); do
	[ -f "$f" ] && files+=("$f")
done
selftests/summary.sh "${files[@]+"${files[@]}"}" </dev/null
rc=$?
for k in "${guest_fail[@]+"${guest_fail[@]}"}"; do
	echo "FAIL: the $k guest did not complete its suite"
	rc=1
done
exit $rc
