#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused soak
# A bounded netlink fuzz run (COMPAT_FUZZ_SECONDS: 20 s in make check, 60 in
# make soak) against
# the handshake family while consumers keep real requests coming, which the
# fuzzer accepts, completes or abandons at random. The kernel must answer
# every message and log nothing alarming.
. "$(dirname "$0")/compat-common.bash"
compat_load
[ "${TEST_SIZE:-check}" = soak ] && fuzz_default=60 || fuzz_default=20
seconds=${COMPAT_FUZZ_SECONDS:-$fuzz_default}
port=5706
start_sink $port
# Someone must listen, or requests fail with ESRCH before the fuzzer sees
# them; this agent never accepts.
start_agent listen listen

loads=()
for ((j = 0; j < 4; j++)); do
	(
		end=$((SECONDS + seconds))
		while [ $SECONDS -lt $end ]; do
			hs-consumer --connect 127.0.0.1:$port --type client \
				--auth anon --timeout-ms 300 >/dev/null 2>&1
		done
	) &
	compat_pids+=($!)
	loads+=($!)
done
hs-nl-fuzz --seconds "$seconds" ${COMPAT_FUZZ_SEED:+--seed $COMPAT_FUZZ_SEED} >"$T/fuzz" 2>&1
rc=$?
cat "$T/fuzz"
wait "${loads[@]}"
if [ $rc != 0 ]; then
	# A SIGKILL (137) with no cause of its own: show what the kernel saw
	# (the OOM killer, an oops) and the memory left.
	dmesg | tail -n +"$((compat_dmesg_start + 1))" | tail -n 40
	grep -E 'MemFree|MemAvailable|Slab' /proc/meminfo
	fail "the fuzzer: rc $rc"
fi
grep -qE '^sent=[1-9].* accepted=[1-9]' "$T/fuzz" ||
	fail "the fuzzer never got hold of a real request"
# The layer still works.
hs-nl accept >/dev/null
start_agent serve serve --count 1
hs-consumer --connect 127.0.0.1:$port --type client --auth anon >"$T/after" 2>&1 ||
	fail "after the fuzz run: $(cat "$T/after")"
dmesg_check
echo "PASS"
