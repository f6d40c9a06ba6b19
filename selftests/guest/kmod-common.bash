# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by selftests/guest/kmod-*.sh, the tests of the test consumer module
# (kmod/, /dev/ktls_test). Gives: the skip rule and module check, a TCP peer
# to connect to, hs-agent in the background, capture of the kernel's
# handshake tracepoints, and the kernel log check every test ends with.
# (Not a test itself: the suite runs only *.sh.)

KMOD_NAME=ktls_test_consumer
KMOD_DEV=/dev/ktls_test
KMOD_KO=${BUILD:-build}/kmod/${VM_SERIES:-6.12}/kmod/$KMOD_NAME.ko
TRACEFS=/sys/kernel/tracing
KMOD_TMP=$(mktemp -d)
KMOD_PIDS=()
KMOD_DMESG_START=0

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

kmod_cleanup() {
	local p

	for p in "${KMOD_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -w "$TRACEFS/events/handshake/enable" ] &&
		echo 0 >"$TRACEFS/events/handshake/enable"
	rm -rf "$KMOD_TMP"
}
trap kmod_cleanup EXIT

# Skip where the kernel has no handshake upcall; make sure the module is in.
kmod_setup() {
	if ! genl-ctrl-list 2>/dev/null | grep -qw handshake; then
		skip "kernel lacks net/handshake; compat module not built"
	fi
	if [ ! -c "$KMOD_DEV" ]; then
		[ -f "$KMOD_KO" ] ||
			fail "$KMOD_NAME not loaded and $KMOD_KO missing (make modules)"
		insmod "$KMOD_KO" || fail "insmod $KMOD_KO"
	fi
	[ -c "$KMOD_DEV" ] || fail "$KMOD_DEV missing with $KMOD_NAME loaded"
	KMOD_DMESG_START=$(dmesg | wc -l)
}

# Anything alarming the kernel logged since kmod_setup fails the test.
kmod_check_dmesg() {
	local bad

	bad=$(dmesg | tail -n "+$((KMOD_DMESG_START + 1))" |
		grep -E '(^|[^A-Z])BUG[: ]|WARNING:|Oops|general protection|RIP:|Call Trace|refcount_t|KASAN|UBSAN|list_(add|del) corruption|stack-protector|unreferenced object|hung_task|soft lockup')
	[ -z "$bad" ] || fail "the kernel logged: $bad"
}

# Poll until FILE holds a line matching REGEX, for up to SECS seconds.
kmod_wait_for() {
	local file=$1 regex=$2 secs=${3:-10} i

	for ((i = 0; i < secs * 20; i++)); do
		grep -qE -- "$regex" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

kmod_wait_file() {
	local i

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# kmod_sink PORT [hold|echo|corrupt|reply]: a TCP server on 127.0.0.1:PORT
# that holds every connection open, echoes, echoes with byte 1000 flipped,
# or answers one line with "pong: LINE" and closes.
kmod_sink() {
	local port=$1 mode=${2:-hold} ready=$KMOD_TMP/sink-$1.ready

	/usr/bin/python3 - "$port" "$mode" "$ready" <<'EOF' &
import socket, sys, threading

port, mode, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
open(ready, "w").close()
held = []

def echo(c, corrupt):
    n = 0
    while True:
        try:
            d = c.recv(65536)
        except OSError:
            break
        if not d:
            break
        if corrupt and n <= 1000 < n + len(d):
            i = 1000 - n
            d = d[:i] + bytes([d[i] ^ 0xff]) + d[i + 1:]
        n += len(d)
        try:
            c.sendall(d)
        except OSError:
            break
    c.close()

def reply(c):
    line = c.makefile("rb").readline().rstrip(b"\r\n")
    c.sendall(b"pong: " + line + b"\n")
    c.close()

while True:
    c, _ = srv.accept()
    if mode == "hold":
        held.append(c)
    elif mode == "reply":
        threading.Thread(target=reply, args=(c,), daemon=True).start()
    else:
        threading.Thread(target=echo, args=(c, mode == "corrupt"),
                         daemon=True).start()
EOF
	KMOD_PIDS+=($!)
	kmod_wait_file "$ready" 10 || fail "TCP sink on port $port did not start"
}

# kmod_agent NAME ARGS...: hs-agent in the background, its output in
# $KMOD_TMP/NAME.out, its pid in KMOD_AGENT_PID; returns once it has
# joined the tlshd group.
kmod_agent() {
	local name=$1 ready=$KMOD_TMP/$1.ready i

	shift
	rm -f "$ready"
	hs-agent --ready-file "$ready" "$@" >"$KMOD_TMP/$name.out" 2>&1 &
	KMOD_AGENT_PID=$!
	KMOD_PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		[ -e "$ready" ] && return 0
		kill -0 "$KMOD_AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$KMOD_TMP/$name.out"
	fail "hs-agent $name did not join the tlshd group"
}

# The value of KEY=VALUE in the first line of FILE that has it.
kmod_field() {
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" | head -n 1
}

# The kernel's net/handshake has tracepoints; a compat module may not.
# Without them, tests check outcomes only (KMOD_TRACE=0).
KMOD_TRACE=
kmod_trace_start() {
	if [ ! -d "$TRACEFS/events/handshake" ]; then
		[ -z "$KMOD_TRACE" ] &&
			echo "note: no handshake tracepoints: trace checks left out"
		KMOD_TRACE=0
		return
	fi
	KMOD_TRACE=1
	echo 0 >"$TRACEFS/tracing_on"
	echo >"$TRACEFS/trace"
	echo 1 >"$TRACEFS/events/handshake/enable"
	echo 1 >"$TRACEFS/tracing_on"
}

# How many EVENT lines (matching REGEX too, if given) the trace holds.
kmod_trace_count() {
	grep -E ": $1:" "$TRACEFS/trace" | grep -cE -- "${2:-.}"
}

kmod_trace_show() {
	[ "$KMOD_TRACE" = 1 ] || return 0
	grep -v '^#' "$TRACEFS/trace" | sed 's/^ *//' | cut -c1-160
}

# kmod_trace_expect EVENT REGEX N WHY: the trace holds N such events
# (within 10 s); nothing to check without tracepoints.
kmod_trace_expect() {
	local i n

	[ "$KMOD_TRACE" = 1 ] || return 0
	for ((i = 0; i < 100; i++)); do
		n=$(kmod_trace_count "$1" "$2")
		[ "$n" = "$3" ] && return 0
		sleep 0.1
	done
	kmod_trace_show
	fail "$4 (trace: $n $1, want $3)"
}
