#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside a guest (see selftests/vm/run-guest.sh): the in-guest tests of
# one tier (selftests/lib/tiers.bash) through runner.sh. Results, the TAP
# stream and each test's log go to $VM_OUT.
#   guest-suite.sh BUILD TARGET [FILTER] [SECONDS]
# SECONDS is the time this suite may take, counted from its start here.
build=$1
target=${2:-check}
filter=${3:-}
budget=${4:-}
cd "$(dirname "$0")/.." || exit 2
. selftests/lib/tiers.bash
export BUILD=$build
export PATH=$PWD/$build/bin:$PWD/$build/selftests/bin:$PATH
# The soak tier runs the long tests at full size; make check at CI size.
[ "$target" = soak ] && export TEST_SIZE=soak || export TEST_SIZE=${TEST_SIZE:-check}
suite=guest-$VM_SERIES
deadline=
[ -n "$budget" ] && deadline=$(($(date +%s) + budget))
mapfile -t tests < <(tier_select "$target" "$VM_SERIES" "$filter" selftests/guest/*.sh)
echo "# == $suite: ${#tests[@]} tests ($target) on $(uname -r)"
: >"$VM_OUT/results.txt"
[ ${#tests[@]} -gt 0 ] || exit 0
# A second guest of the same kernel may share the list (run.sh's lanes).
claim=
[ -n "${VM_SHARE:-}" ] && [ -d "$VM_SHARE/claims" ] && claim=$VM_SHARE/claims
selftests/runner.sh --suite "$suite" --results "$VM_OUT/results.txt" \
	--logs "$VM_OUT/logs" ${deadline:+--deadline "$deadline"} \
	${claim:+--claim "$claim"} "${tests[@]}" |
	tee "$VM_OUT/$suite.tap"
exit 0
