#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 450
# tls_handshake_cancel() before the agent accepts (the request leaves the
# queue), after it accepted (a late DONE finds nothing to complete), after
# completion (returns false), and racing ACCEPT in a loop: exactly one of
# callback and successful cancel, every time.
. "$(dirname "$0")/compat-common.bash"
compat_load
selftest_load
port=5703
start_sink $port

# Before ACCEPT, through the user-socket consumer (SIGUSR1 cancels).
start_agent listen listen
listen_pid=$bg_pid
bg c1 hs-consumer --connect 127.0.0.1:$port --type client --auth anon
c1=$bg_pid
wait_grep '^ready' "$T/listen"
kill -USR1 "$c1"
wait "$c1"
grep -q '^status=EINTR.*source=ioctl' "$T/c1" || fail "cancel before accept: $(cat "$T/c1")"
hs-nl accept --expect EAGAIN || fail "the cancelled request is still queued"

# Before ACCEPT, through the selftest module: cancel returns true.
hst kern
[ "$hst_err" = 0 ] || fail "kern submit: $hst_err"
hst cancel 0
hst_slot 0 | grep -q 'state=cancelled .*cancel=1' || fail "slot 0: $(hst_slot 0)"
hs-nl accept --expect EAGAIN || fail "the cancelled kernel request is still queued"
hst cancel 0
hst_slot 0 | grep -q 'cancel=0' || fail "a second cancel returned true: $(hst_slot 0)"
stop_bg "$listen_pid"

# After ACCEPT, before DONE: the cancel wins, the late DONE finds the
# request completed and is answered 0 (as upstream), no callback.
start_agent late serve --count 1 --done-after "$T/go"
bg c2 hs-consumer --connect 127.0.0.1:$port --type client --auth anon
c2=$bg_pid
wait_grep '^accept' "$T/late"
kill -USR1 "$c2"
wait "$c2"
grep -q '^status=EINTR' "$T/c2" || fail "cancel after accept: $(cat "$T/c2")"
touch "$T/go"
wait_grep '^done .*result=0' "$T/late" 50

exec 7<>/dev/tcp/127.0.0.1/$port
rm -f "$T/go"
start_agent late2 serve --count 1 --done-after "$T/go" --remote 9
hst fd 7
[ "$hst_err" = 0 ] || fail "fd submit: $hst_err"
wait_grep '^accept' "$T/late2"
hst cancel 1
hst_slot 1 | grep -q 'state=cancelled .*cancel=1' || fail "slot 1: $(hst_slot 1)"
touch "$T/go"
wait_grep '^done .*result=0' "$T/late2" 50
sleep 0.2
hst_slot 1 | grep -q 'state=cancelled kern=0 status=0 peerid=0 cancel=1' ||
	fail "a callback after a successful cancel: $(hst_slot 1)"

# After completion: cancel returns false, a new request is EBUSY.
exec 8<>/dev/tcp/127.0.0.1/$port
start_agent served serve --count 1 --remote 5
hst fd 8
wait_grep '^done .*result=0' "$T/served" 50
for ((i = 0; i < 50; i++)); do
	hst_slot 2 | grep -q 'state=done' && break
	sleep 0.1
done
hst_slot 2 | grep -q 'state=done kern=0 status=0 peerid=5' || fail "slot 2: $(hst_slot 2)"
hst cancel 2
hst_slot 2 | grep -q 'state=done .*cancel=0' || fail "cancel after completion: $(hst_slot 2)"
hst again 2
[ "$hst_err" = -16 ] || fail "a second request after completion: $hst_err, want EBUSY"
exec 7>&- 8>&-

# Racing, through the user-socket consumer: cancel at a random moment
# around the agent's ACCEPT; the outcome is the callback or the cancel.
start_agent race serve --hold-ms 5 --remote 9
race_pid=$bg_pid
outcomes=
for ((i = 0; i < 30; i++)); do
	hs-consumer --connect 127.0.0.1:$port --type client --auth anon >"$T/r$i" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	o=$(grep -oE '^status=[A-Z0-9]+' "$T/r$i")
	case $o in
	status=0 | status=EINTR) outcomes+=" ${o#status=}" ;;
	# The signal came before the request: before the program set its
	# handler up, or during its connect().
	"") [ $rc = $((128 + 10)) ] ||
		grep -q 'connect.*Interrupted' "$T/r$i" ||
		fail "race $i: rc $rc $(cat "$T/r$i")"
		outcomes+=" early" ;;
	*) fail "race $i: $(cat "$T/r$i")" ;;
	esac
done
echo "consumer race outcomes:$outcomes"

# Racing, through the selftest module: 40 kernel requests, each cancelled
# after 0 to 900 ms, against an agent that answers 500 ms after accepting.
# Each slot ends cancelled with no callback, or done with the agent's
# answer and a failed cancel.
stop_bg "$race_pid"
start_agent race2 serve --hold-ms 500 --remote 9
race_pid=$bg_pid
first=3
for ((i = 0; i < 40; i++)); do
	hst kern
	[ "$hst_err" = 0 ] || fail "race kern $i: $hst_err"
	sleep "0.$((RANDOM % 10))"
	hst cancel $((first + i))
done
sleep 2
won=0 lost=0
for ((i = 0; i < 40; i++)); do
	l=$(hst_slot $((first + i)))
	if grep -q 'state=cancelled kern=1 status=0 peerid=0 cancel=1' <<<"$l"; then
		won=$((won + 1))
	elif grep -q 'state=done kern=1 status=0 peerid=9 cancel=0' <<<"$l"; then
		lost=$((lost + 1))
	else
		fail "race slot $((first + i)): $l"
	fi
done
echo "module race: $won cancelled, $lost completed"
stop_bg "$race_pid"
hs-nl accept --expect EAGAIN || fail "a request was left queued"
dmesg_check
echo "PASS"
