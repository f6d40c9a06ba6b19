#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# The kernel queues only a few unaccepted requests per netns (about 4 on a
# 2 GiB guest) and refuses more with EAGAIN. The module retries with
# backoff, so 8 callers at once all get through to their DONE.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45361
n=8
kmod_sink "$port"
kmod_trace_start
# The agent waits before each round of ACCEPTs, so requests pile up.
kmod_agent slow --count "$n" --accept-delay-ms 3000 --done-status EACCES \
	--remote-auth 5 --idle-timeout-ms 30000

pids=()
for ((i = 0; i < n; i++)); do
	hs-consumer --connect "127.0.0.1:$port" --type client --auth anon \
		--expect-status EACCES >"$KMOD_TMP/c$i.cons" 2>&1 &
	pids+=($!)
done
failed=0
for ((i = 0; i < n; i++)); do
	wait "${pids[$i]}" || failed=$((failed + 1))
	cat "$KMOD_TMP/c$i.cons"
done
wait "$KMOD_AGENT_PID" || {
	cat "$KMOD_TMP/slow.out"
	fail "hs-agent did not handle $n requests"
}
[ "$failed" = 0 ] || fail "$failed of $n callers did not get their DONE"

retried=$(cat "$KMOD_TMP"/c*.cons | grep -c 'submits=[2-9]\|submits=[1-9][0-9]')
echo "$retried callers retried after EAGAIN"
[ "$retried" -ge 1 ] || fail "no caller met the pending cap: the test proves nothing"
if [ "$KMOD_TRACE" = 1 ]; then
	refused=$(kmod_trace_count handshake_submit_err 'err=-11$')
	echo "the kernel refused $refused submits with EAGAIN"
	[ "$refused" -ge 1 ] || fail "no EAGAIN in the trace"
fi
kmod_trace_expect handshake_complete 'status=-?13$' "$n" "want $n completions"

kmod_check_dmesg
echo "EAGAIN from the pending cap is retried until every request is served"
