#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# The test runner itself (selftests/runner.sh, summary.sh) on fixture tests:
# a hang is killed at its 5 s limit and the run goes on to the next test,
# with a TAP 13 stream, one line per finished test and a summary; with a
# deadline too close for the next test, the rest are "not run (budget)" and
# the run still summarises and exits non-zero; a test without a tier line
# fails; two runners sharing a list through claims run each test once.
set -u
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. selftests/lib/common.bash

fixture()	# name body [extra declaration]
{
	printf '#!/bin/sh\n# tier: quick\n%s\n%s\n' "${3:-}" "$2" >"$T/$1.sh"
	chmod +x "$T/$1.sh"
}
fixture a-pass 'echo fine; exit 0' '# timeout: 2'
fixture b-hang 'echo about to hang; exec sleep 1000'
fixture c-skip 'echo "no widget on this kernel"; exit 77'
fixture d-fail 'echo "FAIL: the widget broke"; exit 1'
fixture e-pass 'exit 0'
fixture f-long 'sleep 2; exit 0' '# timeout: 3'
printf '#!/bin/sh\nexit 0\n' >"$T/g-untiered.sh"
chmod +x "$T/g-untiered.sh"

# 1. A hang with a 5 s limit.
start=$(date +%s)
selftests/runner.sh --suite fixture --timeout 5 --results "$T/res1.txt" --logs "$T/logs1" \
	"$T/a-pass.sh" "$T/b-hang.sh" "$T/c-skip.sh" "$T/d-fail.sh" "$T/e-pass.sh" \
	"$T/f-long.sh" "$T/g-untiered.sh" >"$T/tap1" 2>&1
rc=$?
took=$(($(date +%s) - start))
cat "$T/tap1"
[ $rc -ne 0 ] || fail "runner exit 0 with failures"
[ "$took" -ge 5 ] && [ "$took" -lt 25 ] || fail "the run took ${took} s (hang limit 5 s)"
head -n 2 "$T/tap1" | tr '\n' '|' | grep -qx 'TAP version 13|1\.\.7|' ||
	fail "no TAP 13 header and plan"
grep -qx 'ok 1 a-pass' "$T/tap1" || fail "a-pass not reported ok"
grep -qx 'not ok 2 b-hang' "$T/tap1" || fail "the hang not reported not ok"
grep -q '^# \[fixture\] b-hang: fail [0-9.]* s (killed at its timeout (5 s))$' "$T/tap1" ||
	fail "the hang's line does not say it was killed at 5 s"
grep -qx 'ok 3 c-skip # SKIP no widget on this kernel' "$T/tap1" || fail "skip not in TAP form"
grep -qx 'not ok 4 d-fail' "$T/tap1" || fail "d-fail not reported not ok"
grep -qx 'ok 5 e-pass' "$T/tap1" || fail "the run did not go on after the hang"
grep -qx 'ok 6 f-long' "$T/tap1" || fail "a test's own timeout line was not honoured"
grep -q '^not ok 7 g-untiered # no tier line' "$T/tap1" || fail "an untiered test was not failed"
pgrep -f "$T/b-hang.sh" >/dev/null && fail "the hang survived its timeout"

selftests/summary.sh "$T/res1.txt" >"$T/sum1"
src=$?
cat "$T/sum1"
[ $src -ne 0 ] || fail "summary exit 0 with failures"
grep -q '^  FAILED b-hang on fixture: killed at its timeout' "$T/sum1" || fail "summary lacks the hang's cause"
grep -q '^  FAILED d-fail on fixture: exit 1: FAIL: the widget broke' "$T/sum1" || fail "summary lacks d-fail's cause"
grep -q '^slowest:' "$T/sum1" || fail "summary lacks the slowest tests"
grep -A1 '^slowest:' "$T/sum1" | grep -q 'b-hang' || fail "the hang is not the slowest"
grep -q '^time by family' "$T/sum1" || fail "summary lacks time by family"
grep -qx '3 passed, 3 failed, 1 skipped' "$T/sum1" || fail "wrong closing line"

# 2. A whole-run deadline 4 s away: a-pass (2 s limit) runs, b-hang (5 s)
# would end past it, so it and everything after are not started.
selftests/runner.sh --suite budget --timeout 5 --deadline $(($(date +%s) + 4)) \
	--results "$T/res2.txt" --logs "$T/logs2" \
	"$T/a-pass.sh" "$T/b-hang.sh" "$T/c-skip.sh" >"$T/tap2" 2>&1
rc=$?
cat "$T/tap2"
[ $rc -ne 0 ] || fail "runner exit 0 with tests not run"
grep -qx 'ok 1 a-pass' "$T/tap2" || fail "a-pass did not run before the deadline"
grep -qx 'not ok 2 b-hang # not run (budget)' "$T/tap2" || fail "b-hang not marked not run"
grep -qx 'not ok 3 c-skip # not run (budget)' "$T/tap2" || fail "c-skip not marked not run"
selftests/summary.sh "$T/res2.txt" >"$T/sum2"
src=$?
cat "$T/sum2"
[ $src -ne 0 ] || fail "summary exit 0 with tests not run"
grep -q '^  NOT RUN b-hang on budget: not run (budget)' "$T/sum2" || fail "summary lacks not run (budget)"
grep -qx '1 passed, 2 failed, 0 skipped' "$T/sum2" || fail "wrong closing line for a budget stop"
# 3. At full size a test's soak-timeout replaces its timeout.
fixture h-slow 'sleep 2; exit 0' '# timeout: 1
# soak-timeout: 5'
selftests/runner.sh --suite size "$T/h-slow.sh" >"$T/tap3" 2>&1 &&
	fail "a 2 s test passed its 1 s timeout"
TEST_SIZE=soak selftests/runner.sh --suite size "$T/h-slow.sh" >"$T/tap4" 2>&1 ||
	fail "soak-timeout not used at TEST_SIZE=soak: $(cat "$T/tap4")"

# 4. Two runners sharing one list through claims (run.sh's two boots of the
# primary kernel): each test runs exactly once, the idle runner takes what the
# busy one has not started, and each TAP stream ends with its own plan.
for i in 1 2 3 4 5 6; do
	fixture "q$i" "echo \$\$ >>$T/ran.$i; sleep 1; exit 0"
done
mkdir "$T/claims"
q=()
for i in 1 2 3 4 5 6; do q+=("$T/q$i.sh"); done
selftests/runner.sh --suite shared --claim "$T/claims" --results "$T/res5.txt" \
	"${q[@]}" >"$T/tap5a" 2>&1 &
sleep 0.5
selftests/runner.sh --suite shared --claim "$T/claims" --results "$T/res5.txt" \
	"${q[@]}" >"$T/tap5b" 2>&1 ||
	fail "the second claiming runner failed: $(cat "$T/tap5b")"
wait $! || fail "the first claiming runner failed: $(cat "$T/tap5a")"
cat "$T/tap5a" "$T/tap5b"
for i in 1 2 3 4 5 6; do
	[ "$(wc -l <"$T/ran.$i" 2>/dev/null)" = 1 ] || fail "q$i ran $(cat "$T/ran.$i" 2>/dev/null | wc -l) times"
done
[ "$(grep -c '^ok ' "$T/tap5a")" -ge 2 ] && [ "$(grep -c '^ok ' "$T/tap5b")" -ge 2 ] ||
	fail "one runner took (nearly) all: $(grep -c '^ok ' "$T/tap5a") / $(grep -c '^ok ' "$T/tap5b")"
na=$(grep -c '^ok ' "$T/tap5a")
tail -n 1 "$T/tap5a" | grep -qx "1\.\.$na" || fail "the first stream does not end with its plan"
tail -n 1 "$T/tap5b" | grep -qx "1\.\.$((6 - na))" || fail "the second stream does not end with its plan"
selftests/summary.sh "$T/res5.txt" >"$T/sum5" || fail "summary of the shared list failed"
grep -qx '6 passed, 0 failed, 0 skipped' "$T/sum5" || fail "shared list: wrong closing line"
echo "runner: hang killed at 5 s, run went on, budget stop summarised, soak-timeout honoured, shared list run once each"
