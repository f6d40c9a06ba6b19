#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# A request reaches user space: the kernel queues it (handshake_submit)
# and multicasts READY with handler class TLSHD (1) to the "tlshd" group.
# Nobody accepts it here, so the module gives up after its own wait
# (3 x TIMEOUT + 2 s), cancels the still-pending request and reports
# ETIMEDOUT; the socket is released afterwards.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45331
kmod_sink "$port"

genl-ctrl-list -d 2>/dev/null | grep -A8 -w handshake | grep -qw tlshd ||
	fail "genl-ctrl-list shows no tlshd group in the handshake family"

kmod_trace_start
kmod_agent listener --listen-only --count 1
out=$(hs-consumer --connect "127.0.0.1:$port" --type client --auth anon \
	--timeout-ms 300 --expect-status ETIMEDOUT) || fail "want ETIMEDOUT: $out"
echo "$out"
cat "$KMOD_TMP/listener.out"
grep -q 'source=ioctl' <<<"$out" || fail "the module's own timeout, not a DONE"
ms=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' <<<"$out")
[ "$ms" -ge 2850 ] && [ "$ms" -lt 10000 ] ||
	fail "gave up after $ms ms, want 3 x 300 + 2000"

kmod_wait_for "$KMOD_TMP/listener.out" '^ready class=1$' 5 ||
	fail "no READY with handler class 1 (TLSHD) reached the listener"
wait "$KMOD_AGENT_PID" || fail "hs-agent failed"

kmod_trace_show
kmod_trace_expect handshake_submit . 1 "want one request queued"
kmod_trace_expect handshake_cancel . 1 "want the pending request withdrawn"
kmod_trace_expect handshake_complete . 0 "a cancelled request completed"
# The socket goes once its last reference does: ours lingers 2 s.
kmod_trace_expect handshake_destruct . 1 "the cancelled socket was never destroyed"

kmod_check_dmesg
echo "READY reached the tlshd group; the unanswered request was cancelled"
