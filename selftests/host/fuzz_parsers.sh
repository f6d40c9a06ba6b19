#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# The libFuzzer harnesses of selftests/fuzz/ under ASan and UBSan: every
# seed (regression inputs included) once, then FUZZ_SECONDS (default 10) of
# new inputs per harness (0: the seeds only, never "forever"). Any crash, leak, sanitizer report or broken
# invariant fails the test and names the reproducer.
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${BUILD:-build}
secs=${FUZZ_SECONDS:-10}
fuzz_cc=${FUZZ_CC:-clang}

if ! command -v "$fuzz_cc" >/dev/null; then
	echo "fuzz_parsers: $fuzz_cc not found (scripts/deps.sh installs clang)"
	exit 1
fi
if ! make -s --no-print-directory BUILD="$build" FUZZ_CC="$fuzz_cc" fuzz-build; then
	echo "fuzz_parsers: building the harnesses failed"
	exit 1
fi

names=()
for src in selftests/fuzz/fuzz_*.c; do
	n=${src#selftests/fuzz/fuzz_}
	names+=("${n%.c}")
done
[ ${#names[@]} -gt 0 ] || { echo "fuzz_parsers: no harness found"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Logs of their own: make fuzz or another run may be going at the same time.
mkdir -p "$build/fuzz" || exit 1
logs=$(mktemp -d "$build/fuzz/check.XXXXXX") || exit 1
fail=0
for n in "${names[@]}"; do
	bin=$build/fuzz/fuzz_$n
	seeds=selftests/fuzz/corpus/$n
	work=$build/fuzz/corpus/$n
	art=$build/fuzz/artifacts/$n/
	log=$logs/$n.log
	mkdir -p "$work" "$art"

	shopt -s nullglob
	files=("$seeds"/*)
	shopt -u nullglob
	if [ ${#files[@]} -eq 0 ]; then
		echo "FAIL $n: no seed in $seeds"
		fail=1
		continue
	fi

	# The seeds one by one first: a regression input names itself.
	if ! "$bin" -runs=1 "${files[@]}" >"$log" 2>&1; then
		tail -n 40 "$log"
		seed=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
		echo "FAIL $n: seed ${seed:-?} fails; see $log"
		fail=1
		continue
	fi

	if [ "$secs" -le 0 ]; then
		echo "ok $n: ${#files[@]} seeds"
		continue
	fi
	start=$SECONDS
	"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -ne 0 ]; then
		tail -n 40 "$log"
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "FAIL $n: exit $rc, reproducer ${repro:-not written}"
		[ -n "$repro" ] && echo "  replay: $bin $repro"
		fail=1
		continue
	fi
	if [ -z "$runs" ] || [ "$runs" -le "${#files[@]}" ]; then
		tail -n 20 "$log"
		echo "FAIL $n: the fuzzer ran no new inputs"
		fail=1
		continue
	fi
	echo "ok $n: $runs inputs in $((SECONDS - start))s," \
		"$(find "$work" -type f | wc -l) in its corpus"
done
# Failed runs keep their logs for the report above.
[ $fail -eq 0 ] && rm -rf "$logs"
exit $fail
