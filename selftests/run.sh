#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test runner behind make check, check-quick and soak: host tests, then
# one guest boot per kernel running that kernel's share of the tier, then one
# summary of them all (selftests/summary.sh).
#
#   run.sh [--build DIR] [--results DIR] [--tier quick|check|soak|any]
#          [--kernels "6.12 6.1"] [--filter REGEX] [--budget SECONDS]
#          [--start EPOCH] [--lanes 1|2]
#
# --filter runs the matching tests whatever their tier (unless --tier is
# given too). --budget bounds the whole run, counted from --start (default:
# now): no test is started that could end past it, a guest gets only what is
# left, and whatever did not run is reported "not run (budget)". The summary
# always prints. --lanes 2 (the default) runs the host tests and the primary
# kernel's guest beside the other kernels' guests, each printing only its
# per-test lines live; the whole TAP streams are in the results directory.
set -u
build=build kernels="6.12 6.1" filter= res= target= budget= start= lanes=2
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--results) res=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--tier) target=$2; shift 2 ;;
	--budget) budget=$2; shift 2 ;;
	--start) start=$2; shift 2 ;;
	--lanes) lanes=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.." || exit 2
. selftests/lib/tiers.bash
if [ -z "$target" ]; then
	[ -n "$filter" ] && target=any || target=check
fi
res=${res:-$build/results}
rm -rf "$res"
mkdir -p "$res"
export BUILD=$build
deadline=
[ -n "$budget" ] && deadline=$((${start:-$(date +%s)} + budget))

# not_run SUITE REASON FILE...: record tests that could not be run.
not_run()
{
	local suite=$1 why=$2 f name tab=$'\t'
	shift 2
	for f in "$@"; do
		name=$(basename "$f" .sh)
		grep -q "^[a-z]*$tab$suite$tab$name$tab" "$res/$suite.txt" 2>/dev/null && continue
		printf 'notrun\t%s\t%s\t%s\t0\n' "$suite" "$name" "$why" >>"$res/$suite.txt"
	done
}

# run_host [QUIET]: the host tests, compiled unit tests and scripts.
run_host()
{
	local -a host
	mapfile -t host < <(tier_select "$target" "" "$filter" \
		$(ls "$build"/selftests/host/* 2>/dev/null | grep -v '\.d$') selftests/host/*.sh)
	echo "== host: ${#host[@]} tests ($target)"
	[ ${#host[@]} -gt 0 ] || return 0
	if [ -n "${1:-}" ]; then
		selftests/runner.sh --suite host --results "$res/host.txt" --logs "$res/logs/host" \
			${deadline:+--deadline "$deadline"} "${host[@]}" >"$res/host.tap"
		grep -E '^# (\[|==)' "$res/host.tap"
	else
		selftests/runner.sh --suite host --results "$res/host.txt" --logs "$res/logs/host" \
			${deadline:+--deadline "$deadline"} "${host[@]}" | tee "$res/host.tap"
	fi
}

# boot_guest KERNEL OUT LIMIT [QUIET]: one boot of a kernel's suite; the
# guest's exit status. The guest stops starting tests 90 s before its own
# limit: boot and shutdown fit in that, so it is never killed before it
# reports. Beside another guest (QUIET) only the per-test lines show, live.
boot_guest()
{
	local k=$1 out=$2 limit=$3 quiet=${4:-} ko
	local -a mods=()
	# compat_handshake first: on kernels without net/handshake the
	# consumer module links against it.
	for ko in "$build"/kmod/"$k"/kmod/compat/compat_handshake.ko \
		"$build"/kmod/"$k"/kmod/*.ko; do
		[ -e "$ko" ] && mods+=(-i "$ko")
	done
	if [ -n "$quiet" ]; then
		selftests/vm/run-guest.sh -k "$k" -t "$limit" -o "$res/$out" -n \
			"${share_opt[@]}" "${mods[@]}" -- \
			selftests/guest-suite.sh "$build" "$target" "$filter" "$((limit - 90))" |
			grep --line-buffered -E '^# (\[|==)|^run-guest|^vm'
		return "${PIPESTATUS[0]}"
	fi
	selftests/vm/run-guest.sh -k "$k" -t "$limit" -o "$res/$out" -n \
		"${share_opt[@]}" "${mods[@]}" -- \
		selftests/guest-suite.sh "$build" "$target" "$filter" "$((limit - 90))"
}

# guest_started DIR: did the boot writing DIR start a test?
guest_started()
{
	[ -s "$1/results.txt" ] || compgen -G "$1/logs/*.log" >/dev/null
}

# run_guest KERNEL [QUIET] [PART]: one boot running that kernel's share of
# the tier. PART names a further boot of the same kernel that takes, through
# the claims in $share, the tests no other boot of it has started.
run_guest()
{
	local k=$1 quiet=${2:-} part=${3:-} suite=guest-$1 out limit=5400 left rc
	local -a guest share_opt=()
	out=$suite${part:+-$part}
	mapfile -t guest < <(tier_select "$target" "$k" "$filter" selftests/guest/*.sh)
	[ ${#guest[@]} -gt 0 ] || return 0
	if [ -n "$share" ] && [ "$k" = "$primary" ]; then
		share_opt=(-s "$share")
		[ -n "$part" ] && [ "$(unclaimed "${guest[@]}")" -eq 0 ] && return 0
	fi
	if [ -n "$deadline" ]; then
		left=$((deadline - $(date +%s)))
		limit=$left
		if [ "$left" -lt 180 ]; then
			echo "run.sh: ${left} s left of the budget: the $k guest is not booted" >&2
			[ ${#share_opt[@]} -eq 0 ] && not_run "$suite" "not run (budget)" "${guest[@]}"
			return 0
		fi
	fi
	echo "== $out: ${#guest[@]} tests ($target)${share_opt[*]:+, shared by claims}"
	boot_guest "$k" "$out" "$limit" "$quiet"
	rc=$?
	# A guest that dies before its first test (a TCG boot panic, seen once
	# in hundreds of boots) is booted once more, if the budget allows.
	if [ $rc -ne 0 ] && ! guest_started "$res/$out"; then
		limit=5400
		[ -n "$deadline" ] && limit=$((deadline - $(date +%s)))
		if [ "$limit" -ge 180 ]; then
			echo "run.sh: the $out guest died before its first test (exit $rc): booting it once more" >&2
			boot_guest "$k" "$out" "$limit" "$quiet"
			rc=$?
		fi
	fi
	[ -f "$res/$out/results.txt" ] && cp "$res/$out/results.txt" "$res/$out.txt"
	[ -f "$res/$out/$suite.tap" ] && cp "$res/$out/$suite.tap" "$res/$out.tap"
	if [ $rc -ne 0 ]; then
		echo "run.sh: the $out guest run failed (exit $rc)" >&2
		# A shared list is checked once every boot of it has ended.
		[ ${#share_opt[@]} -eq 0 ] &&
			not_run "$suite" "not run: the $k guest did not finish (exit $rc)" "${guest[@]}"
	fi
}

# unclaimed TEST...: how many of these no boot has taken yet.
unclaimed()
{
	local f c=0
	for f in "$@"; do
		[ -d "$share/claims/$(basename "$f" .sh)" ] || c=$((c + 1))
	done
	echo "$c"
}

# Two lanes by default: the host tests and then the primary kernel's full
# suite, beside the other kernels' focused sets. A test mostly keeps one
# CPU busy, so two lanes on two cores finish well before one. The primary
# kernel's suite is the longest, so the second lane, once its kernels are
# done, boots the primary kernel again and takes the tests the first has not
# started yet (claims in a directory both guests share).
primary= others= share=
for k in $kernels; do
	if [ "$k" = "$PRIMARY_KERNEL" ] && [ "$lanes" -gt 1 ]; then
		primary=$k
	else
		others="$others $k"
	fi
done
if [ "$lanes" -gt 1 ] && [ -n "${others// /}" ]; then
	if [ -n "$primary" ]; then
		share=$res/share
		mkdir -p "$share/claims"
	fi
	{
		run_host quiet
		[ -n "$primary" ] && run_guest "$primary" quiet
	} &
	lane=$!
	for k in $others; do
		run_guest "$k" quiet
	done
	[ -n "$primary" ] && run_guest "$primary" quiet 2
	wait "$lane"
	if [ -n "$primary" ]; then
		# What no boot of the primary kernel reported: a guest died, or
		# the budget ran out before a boot could take it.
		mapfile -t guest < <(tier_select "$target" "$primary" "$filter" selftests/guest/*.sh)
		cat "$res/guest-$primary-2.txt" >>"$res/guest-$primary.txt" 2>/dev/null
		rm -f "$res/guest-$primary-2.txt"
		why="not run: no $primary guest finished it"
		[ -n "$deadline" ] && [ "$(date +%s)" -ge $((deadline - 180)) ] &&
			why="not run (budget)"
		not_run "guest-$primary" "$why" "${guest[@]}"
	fi
else
	run_host
	for k in $kernels; do
		run_guest "$k"
	done
fi

files=()
for f in "$res/host.txt" $(for k in $kernels; do echo "$res/guest-$k.txt"; done); do
	[ -f "$f" ] && files+=("$f")
done
# A failed test's own words, where CI shows them: the end of its log.
awk -F'\t' '$1 == "fail" { print $2 "\t" $3 }' "${files[@]+"${files[@]}"}" </dev/null |
while IFS=$'\t' read -r suite name; do
	for log in "$res/logs/$suite/$name.log" "$res/$suite/logs/$name.log" \
		   "$res/$suite-2/logs/$name.log"; do
		[ -f "$log" ] || continue
		echo "--- $suite $name: the last 40 lines of ${log#"$res"/}"
		tail -n 40 "$log"
	done
done
selftests/summary.sh "${files[@]+"${files[@]}"}" </dev/null | tee "$res/summary.txt"
exit "${PIPESTATUS[0]}"
