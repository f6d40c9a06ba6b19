#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make run`: boot the 6.12 guest and show the whole path once.
#   demo.sh [--build DIR]
set -euo pipefail
build=build
[ "${1:-}" = --build ] && build=$2
cd "$(dirname "$0")/.."
mods=()
for ko in "$build"/kmod/6.12/kmod/*.ko; do
	[ -e "$ko" ] && mods+=(-i "$ko")
done
exec selftests/vm/run-guest.sh -k 6.12 -t 300 "${mods[@]}" -- scripts/demo-guest.sh "$build"
