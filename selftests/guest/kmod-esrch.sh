#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# With no handshake agent listening, a request fails at once with ESRCH
# (the kernel finds no member of the tlshd group), leaves nothing behind
# on the socket, and the socket keeps working as plain TCP.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45321
kmod_sink "$port" echo
kmod_trace_start

out=$(hs-consumer --connect "127.0.0.1:$port" --type client --auth anon \
	--timeout-ms 5000 --expect-status ESRCH) || fail "want ESRCH: $out"
echo "$out"
grep -q 'source=ioctl' <<<"$out" || fail "ESRCH must come from the submit"
ms=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' <<<"$out")
[ "$ms" -lt 1000 ] || fail "ESRCH took $ms ms, want at once"

kmod_trace_expect handshake_notify_err 'err=-3$' 1 "no READY failed with ESRCH"
kmod_trace_expect handshake_submit_err 'err=-3$' 1 "no submit failed with ESRCH"
kmod_trace_expect handshake_submit . 0 "a request was queued"

# The same socket twice: a failed submit must not leave a request (EBUSY).
exec 7<>"/dev/tcp/127.0.0.1/$port"
for try in 1 2; do
	out=$(hs-consumer --fd 7 --type client --auth x509 --expect-status ESRCH) ||
		fail "try $try on one socket: $out"
	echo "same socket, try $try: $out"
done
printf 'still plain TCP' >&7
read -r -t 5 -N 15 reply <&7
[ "$reply" = "still plain TCP" ] || fail "the socket no longer echoes: '$reply'"
exec 7>&-

kmod_check_dmesg
echo "no agent: ESRCH at once, socket untouched"
