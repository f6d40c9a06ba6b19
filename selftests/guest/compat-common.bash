# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the compat-*.sh in-guest tests: the handshake layer under test
# (compat_handshake.ko on 6.1, net/handshake on 6.12), the test consumers,
# helpers to run the agent side, and the kernel-log check every test ends
# with. Each test leaves the modules as it found them.

BUILD=${BUILD:-build}
export PATH=$PWD/$BUILD/bin:$PWD/$BUILD/selftests/bin:$PATH
KMOD=${COMPAT_KMOD:-$BUILD/kmod/${VM_SERIES:-6.1}/kmod}
COMPAT_KO=$KMOD/compat/compat_handshake.ko
CONSUMER_KO=$KMOD/ktls_test_consumer.ko
SELFTEST_KO=$KMOD/compat/compat_handshake_selftest.ko
HST=/sys/kernel/debug/handshake_selftest
T=$(mktemp -d /tmp/compat.XXXXXX)
compat_pids=()
compat_dmesg_start=$(dmesg | wc -l)

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

# True when the kernel has no net/handshake of its own.
compat_kernel() {
	[ "${VM_SERIES:-}" = 6.1 ]
}

compat_cleanup() {
	local p
	for p in "${compat_pids[@]+"${compat_pids[@]}"}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${compat_pids[@]+"${compat_pids[@]}"}"; do
		wait "$p" 2>/dev/null
	done
	lsmod | grep -q '^compat_handshake_selftest ' &&
		rmmod compat_handshake_selftest
	# Later tests expect the layer and the consumer loaded, as we found them.
	if compat_kernel && ! lsmod | grep -q '^compat_handshake '; then
		insmod "$COMPAT_KO"
	fi
	lsmod | grep -q '^ktls_test_consumer ' || insmod "$CONSUMER_KO"
	rm -rf "$T"
}
trap compat_cleanup EXIT

# The handshake layer and the user-socket consumer, loaded if missing.
compat_load() {
	if compat_kernel && ! lsmod | grep -q '^compat_handshake '; then
		insmod "$COMPAT_KO" || fail "insmod $COMPAT_KO"
	fi
	if ! lsmod | grep -q '^ktls_test_consumer '; then
		insmod "$CONSUMER_KO" || fail "insmod $CONSUMER_KO"
	fi
	genl-ctrl-list 2>/dev/null | grep -q 'handshake version 1' ||
		fail "no handshake family after loading"
}

selftest_load() {
	lsmod | grep -q '^compat_handshake_selftest ' && return 0
	insmod "$SELFTEST_KO" || fail "insmod $SELFTEST_KO"
	[ -w "$HST/ctl" ] || fail "no $HST/ctl"
}

# hst CMD: one selftest-module command; its errno name is in $hst_err.
hst() {
	echo "$*" >"$HST/ctl" 2>/dev/null
	hst_err=$(sed -n 's/^last=//p' "$HST/state")
}

# hst_slot I: the state line of slot I.
hst_slot() {
	grep "^$1 " "$HST/state"
}

wait_file() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1"
}

# wait_grep PATTERN FILE [TENTHS]
wait_grep() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "timed out waiting for '$1' in $2: $(tail -n 3 "$2" 2>/dev/null)"
}

# bg NAME CMD...: run in the background, output in $T/NAME, pid in $bg_pid.
bg() {
	local name=$1
	shift
	"$@" >"$T/$name" 2>&1 &
	bg_pid=$!
	compat_pids+=("$bg_pid")
}

stop_bg() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

start_sink() {
	bg sink hs-nl sink --port "$1" --ready-file "$T/sink.ready"
	sink_pid=$bg_pid
	wait_file "$T/sink.ready"
}

# start_agent NAME hs-nl-ARGS...: listen or serve, once it has joined.
start_agent() {
	local name=$1
	shift
	rm -f "$T/$name.ready"
	bg "$name" hs-nl "$@" --ready-file "$T/$name.ready"
	wait_file "$T/$name.ready"
}

# The pending-request cap, upstream's formula from the guest's memory.
compat_cap() {
	local pages
	pages=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 4))
	local cap=$((pages / (25 * 4096)))
	((cap < 3)) && cap=3
	((cap > 50)) && cap=50
	echo "$cap"
}

# Nothing in the kernel log since the test began may look like a crash.
dmesg_check() {
	local bad
	bad=$(dmesg | tail -n +"$((compat_dmesg_start + 1))" |
		grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount_t:|UBSAN|KASAN|list_(add|del) corruption|kernel BUG|leaked')
	[ -z "$bad" ] || fail "kernel log: $bad"
}
