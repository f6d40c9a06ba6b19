#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# A signal during the wait cancels the request cleanly: while it is still
# pending, once an agent has accepted it, and when the caller is killed.
# A DONE that comes after the cancel is ignored, every cancelled socket
# is destroyed in the end, and the module goes on working.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45351
kmod_sink "$port"
t=127.0.0.1:$port

# consume NAME ARGS...: hs-consumer in the background, pid in CONS_PID.
consume() {
	local name=$1

	shift
	hs-consumer --connect "$t" --type client --auth anon "$@" \
		>"$KMOD_TMP/$name.cons" 2>&1 &
	CONS_PID=$!
}

# wait_destruct N: N sockets destroyed (within 10 s).
wait_destruct() {
	kmod_trace_expect handshake_destruct . "$1" "a cancelled socket was not released"
}

echo "== SIGUSR1 while the request is pending"
kmod_trace_start
kmod_agent pending --listen-only --count 1
consume pending --timeout-ms 60000 --expect-status EINTR
kmod_wait_for "$KMOD_TMP/pending.out" '^ready class=1' 10 || fail "no READY"
kill -USR1 "$CONS_PID"
wait "$CONS_PID"
cat "$KMOD_TMP/pending.cons"
has_status() {
	grep -q "status=$2 .*source=$3" "$KMOD_TMP/$1.cons" ||
		fail "$1: want status $2 from $3"
}
has_status pending EINTR ioctl
kmod_trace_expect handshake_cancel . 1 "the pending request was not cancelled"
wait_destruct 1

echo "== SIGUSR1 after the agent accepted; its late DONE is ignored"
kmod_trace_start
kmod_agent late --count 1 --hold-ms 3000 --done-status 0
consume late --timeout-ms 60000 --expect-status EINTR
kmod_wait_for "$KMOD_TMP/late.out" '^accept ' 10 || fail "no ACCEPT"
kill -USR1 "$CONS_PID"
wait "$CONS_PID"
cat "$KMOD_TMP/late.cons"
has_status late EINTR ioctl
wait "$KMOD_AGENT_PID" || fail "the late DONE was refused"
cat "$KMOD_TMP/late.out"
grep -q '^done .*result=0' "$KMOD_TMP/late.out" || fail "no late DONE sent"
kmod_trace_expect handshake_cancel . 1 "the accepted request was not cancelled"
kmod_trace_expect handshake_cmd_done . 1 "the late DONE did not arrive"
kmod_trace_expect handshake_complete . 0 "a cancelled request completed"
wait_destruct 1

echo "== SIGKILL while an agent holds the request, never answering"
kmod_trace_start
kmod_agent hold --count 1 --no-done
consume hold --timeout-ms 60000
kmod_wait_for "$KMOD_TMP/hold.out" '^accept ' 10 || fail "no ACCEPT"
kill -KILL "$CONS_PID"
wait "$CONS_PID" 2>/dev/null
kmod_trace_expect handshake_cancel . 1 "killed caller: no cancel"
# The agent still holds its fd: the socket lives until it lets go.
sleep 2.5
kmod_trace_expect handshake_destruct . 0 "the socket went while the agent held it"
kill "$KMOD_AGENT_PID"
wait "$KMOD_AGENT_PID"
wait_destruct 1

echo "== the module still serves requests"
kmod_trace_start
kmod_agent after --count 1 --done-status 0 --remote-auth 9
consume after --timeout-ms 5000
wait "$CONS_PID" || { cat "$KMOD_TMP/after.cons"; fail "request after the cancels"; }
cat "$KMOD_TMP/after.cons"
has_status after 0 done

kmod_check_dmesg
echo "signals cancel cleanly, sockets are released"
