#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host side of run-guest.sh --net: runs, on the host, the scripts that a
# guest test asks for, against the guest's port 4433 forwarded to
# 127.0.0.1:PORT. For tools too slow under emulation (testssl.sh): the
# server stays in the guest, on the guest's kernel.
#
#   host-companion.sh DIR PORT PARENT_PID
#
# A request is DIR/NAME.req, one line: SCRIPT [ARGS...], where SCRIPT names
# selftests/companion/SCRIPT.sh. It runs as
#   SCRIPT.sh PORT DIR/NAME [ARGS...]
# (DIR/NAME is its directory for artefacts), its output goes to DIR/NAME.out
# and its exit status, once it ends, to DIR/NAME.rc.
set -u
dir=$1 port=$2 parent=$3
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

companion_run() {
	local req=$1 name script rest args=()

	name=$(basename "$req" .req)
	read -r script rest <"$req" || true
	# shellcheck disable=SC2206
	args=($rest)
	if ! [[ $name =~ ^[A-Za-z0-9_-]+$ && $script =~ ^[a-z0-9-]+$ ]] ||
	   [ ! -x "$repo/selftests/companion/$script.sh" ]; then
		echo "host-companion: no such companion script: '$script'" >"$dir/$name.out"
		echo 127 >"$dir/$name.rc"
		return
	fi
	mkdir -p "$dir/$name"
	(cd "$repo" && timeout --kill-after=10 1800 \
		"selftests/companion/$script.sh" "$port" "$dir/$name" "${args[@]}") \
		>"$dir/$name.out" 2>&1 </dev/null
	echo $? >"$dir/$name.rc.tmp"
	mv "$dir/$name.rc.tmp" "$dir/$name.rc"
}

while kill -0 "$parent" 2>/dev/null; do
	for req in "$dir"/*.req; do
		[ -e "$req" ] || continue
		name=$(basename "$req" .req)
		[ -e "$dir/$name.taken" ] && continue
		: >"$dir/$name.taken"
		companion_run "$req"
	done
	sleep 0.5
done
