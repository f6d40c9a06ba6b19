#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs standalone tests one after another and speaks TAP 13 for them.
#
#   runner.sh --suite NAME [--results FILE] [--logs DIR] [--deadline EPOCH]
#             [--timeout SECONDS] [--claim DIR] TEST...
#
# Test convention (as liburing's): exit 0 pass, 77 skip (the last line of
# output says why), anything else fails. Each test is killed at its own
# "timeout:" declaration (selftests/lib/tiers.bash), or --timeout (300 s).
# A test that would not end before the deadline is not started: it and all
# after it are reported "not run (budget)", so the summary always prints.
#
# stdout is the TAP stream; "#" lines carry one line per finished test
# ("# [suite] name: pass 12.3 s"), a progress line every 60 s of a long test,
# and the tail of a failed test's output. Results are appended to FILE as
# "status<TAB>suite<TAB>name<TAB>note<TAB>seconds"; each test's whole output
# is kept in DIR/NAME.log. Exit 0 when nothing failed.
#
# --claim DIR lets several runners (in several guests) share one list: a
# runner takes a test only if it creates DIR/NAME first (mkdir is atomic, also
# through 9p), so each test runs once and an idle runner takes the next one.
# The TAP plan then comes last, when the count is known.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tiers.bash"

suite=host results= logs= deadline= default_limit=300 claim=
while [ $# -gt 0 ]; do
	case $1 in
	--suite) suite=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--logs) logs=$2; shift 2 ;;
	--deadline) deadline=$2; shift 2 ;;
	--timeout) default_limit=$2; shift 2 ;;
	--claim) claim=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "runner: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
logs=${logs:-$(mktemp -d)}
mkdir -p "$logs"

record()	# status name note secs
{
	[ -n "$results" ] || return 0
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$suite" "$2" "$(printf '%s' "$3" |
		tr '\t\n' '  ' | cut -c1-200)" "$4" >>"$results"
}

echo "TAP version 13"
[ -n "$claim" ] || echo "1..$#"
n=0 failed=0 budget_out=0
for test in "$@"; do
	name=$(basename "$test")
	name=${name%.sh}
	if [ -n "$claim" ] && ! mkdir "$claim/$name" 2>/dev/null; then
		continue
	fi
	n=$((n + 1))
	log=$logs/$name.log

	if [ -z "$(test_decl "$test" tier)" ]; then
		echo "not ok $n $name # no tier line in $(test_source "$test")"
		record fail "$name" "no tier line in $(test_source "$test")" 0
		failed=1
		continue
	fi
	limit=
	# At full size (make soak) a test may need longer than in make check.
	[ "${TEST_SIZE:-}" = soak ] && limit=$(test_decl "$test" soak-timeout)
	limit=${TEST_TIMEOUT:-${limit:-$(test_decl "$test" timeout)}}
	limit=${limit:-$default_limit}
	now=$(date +%s)
	if [ $budget_out = 0 ] && [ -n "$deadline" ] && [ $((now + limit)) -gt "$deadline" ]; then
		budget_out=1
		echo "# [$suite] the run's deadline is $((deadline - now)) s away:" \
			"$name and the tests after it are not started"
	fi
	if [ $budget_out = 1 ]; then
		echo "not ok $n $name # not run (budget)"
		record notrun "$name" "not run (budget)" 0
		failed=1
		continue
	fi

	start=$(date +%s.%N)
	timeout --signal=TERM --kill-after=10 "$limit" "$test" >"$log" 2>&1 </dev/null &
	pid=$!
	(
		t=0
		while sleep 60 >/dev/null 2>&1; do
			t=$((t + 60))
			echo "# [$suite] $name: still running, ${t} s:" \
				"$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-120)"
		done
	) &
	beat=$!
	wait "$pid"
	rc=$?
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
	last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)

	case $rc in
	0)
		echo "ok $n $name"
		status=pass note= ;;
	77)
		echo "ok $n $name # SKIP ${last:-no reason given}"
		status=skip note=$last ;;
	*)
		echo "not ok $n $name"
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			why="killed at its timeout (${limit} s)"
		else
			# The test's own FAIL line first: log dumps after it
			# may hold other error lines.
			why=$(grep -m 1 '^FAIL' "$log")
			[ -n "$why" ] ||
				why=$(grep -E 'FAIL|[Ee]rror|not ok' "$log" | tail -n 1)
			why="exit $rc: ${why:-$last}"
		fi
		tail -n 60 "$log" | sed 's/^/#   /'
		status=fail note=$why
		failed=1 ;;
	esac
	echo "# [$suite] $name: $status $secs s${note:+ ($note)}"
	record "$status" "$name" "$note" "$secs"
done
[ -z "$claim" ] || echo "1..$n"
exit $failed
