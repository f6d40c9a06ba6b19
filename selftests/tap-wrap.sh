#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# prove --exec wrapper: runs one standalone test and speaks TAP for it.
# Test convention (as liburing's): exit 0 pass, 77 skip, anything else fail.
# A skipping test prints its reason as its last line of output.
# Each result is also appended to $TEST_RESULTS as "status<TAB>suite<TAB>name<TAB>note".
test=$1
name=${test#./}
suite=${TEST_SUITE:-host}
# A test that needs longer than 600 s says so in a "# timeout: SECONDS" line.
limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$test" 2>/dev/null | head -n 1)
limit=${TEST_TIMEOUT:-${limit:-600}}
log=$(mktemp)
start=$(date +%s.%N)
timeout --signal=TERM --kill-after=10 "$limit" "$test" >"$log" 2>&1 </dev/null
rc=$?
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)

echo "1..1"
case $rc in
0)
	echo "ok 1 - $name (${secs}s)"
	status=pass note= ;;
77)
	echo "ok 1 - $name # SKIP ${last:-no reason given}"
	status=skip note=$last ;;
*)
	[ $rc = 124 ] && echo "# $name: killed after ${limit}s" >&2
	echo "not ok 1 - $name (exit $rc, ${secs}s)"
	sed 's/^/# /' "$log" | tail -n 60 >&2
	# The failure's own words, so that a summary tail names the cause.
	# A test's own "FAIL:" line comes first: log dumps after it may
	# hold other error lines.
	why=$(grep -m 1 '^FAIL' "$log")
	[ -n "$why" ] ||
		why=$(grep -E 'FAIL|[Ee]rror|not ok' "$log" | tail -n 1)
	why=$(printf '%s' "${why:-$last}" | tr '\t' ' ' | cut -c1-200)
	status=fail note="exit $rc: $why" ;;
esac
[ -n "${TEST_RESULTS:-}" ] && printf '%s\t%s\t%s\t%s\n' "$status" "$suite" "$name" "$note" >>"$TEST_RESULTS"
rm -f "$log"
exit 0
