#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside a guest (see selftests/vm/run-guest.sh): every in-guest test
# through prove, results into $VM_OUT/results.txt.
#   guest-suite.sh BUILD [PATTERN]
build=$1
pattern=${2:-}
export BUILD=$build
export TEST_SUITE=guest-$VM_SERIES
export TEST_RESULTS=$VM_OUT/results.txt
export PATH=$PWD/$build/bin:$PWD/$build/selftests/bin:$PATH
: >"$TEST_RESULTS"
mapfile -t tests < <(ls selftests/guest/*.sh 2>/dev/null | grep -E -- "${pattern:-.}")
echo "== $TEST_SUITE: ${#tests[@]} tests on $(uname -r)"
[ ${#tests[@]} -gt 0 ] || exit 0
prove --exec selftests/tap-wrap.sh "${tests[@]}"
exit 0
