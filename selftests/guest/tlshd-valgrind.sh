#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full soak
# timeout: 600
# soak-timeout: 1800
# Leaks and memory errors: tlshd under valgrind memcheck over VG_HS (200 in
# make soak, 50 in make check)
# handshakes through the kernel upcall: a quarter full handshakes, a
# quarter to a server whose tickets tlshd's session cache keeps (most
# resume), half refused (an untrusted server certificate: alert, DONE with
# EACCES). Valgrind must report no invalid access, no uninitialised use
# and no definite leak, and every handshake must have the outcome
# expected of it. (The load and leak soak at volume is tlshd-soak.sh.)
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
command -v valgrind >/dev/null || fail "valgrind missing (scripts/deps.sh installs it)"
command -v hs-load >/dev/null || fail "hs-load not built"
make_pki
# Under valgrind a ticket comes late; the wait ends when it does.
patient_tickets
[ "${TEST_SIZE:-check}" = soak ] && vg_default=200 || vg_default=50
vg_hs=${VG_HS:-$vg_default}
quarter=$((vg_hs / 4))
refused=$((vg_hs - 2 * quarter))

# The echo servers wait as long as a handshake under valgrind takes;
# openssl s_server does too (gnutls-serv would drop the connection).
start_echo_server 4700 0	# no tickets: full handshakes
start_echo_server 4701		# tickets: tlshd's client resumes
start_server 4703 openssl s_server -www -accept 4703 \
	-cert "$T/rogue-srv.pem" -key "$T/rogue-srv.key"

ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# 1. Memcheck. Both the success path (offload) and a failure path
# (untrusted certificate, alert, DONE with an error) run many times.
rm -f "$T/ready"
t0=$(ms)
valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
	--log-file="$T/vg.log" \
	tlshd -s -c "$T/tlshd.conf" --ready-file "$T/ready" >>"$T/tlshd.log" 2>&1 &
TLSHD_PID=$!
for i in $(seq 3000); do
	[ -e "$T/ready" ] && break
	kill -0 "$TLSHD_PID" 2>/dev/null || fail "tlshd under valgrind exited: $(tail "$T/vg.log")"
	sleep 0.1
done
[ -e "$T/ready" ] || fail "tlshd under valgrind not ready after 300 s"
echo "  tlshd ready under valgrind after $(($(ms) - t0)) ms"
t0=$(ms)
hs-load --connect 127.0.0.1:4700 --count "$quarter" --concurrency 1 \
	--peername localhost --timeout-ms 120000 >"$T/vg-full.out" 2>&1 ||
	fail "full handshakes under valgrind: $(tail -n 3 "$T/vg-full.out")"
hs-load --connect 127.0.0.1:4701 --count "$quarter" --concurrency 1 \
	--peername localhost --timeout-ms 120000 >"$T/vg-resumed.out" 2>&1 ||
	fail "resumed handshakes under valgrind: $(tail -n 3 "$T/vg-resumed.out")"
hs-load --connect 127.0.0.1:4703 --count "$refused" --concurrency 1 \
	--peername localhost --timeout-ms 120000 --no-echo >"$T/vg-refused.out" 2>&1
grep -qx "status=EACCES: $refused" "$T/vg-refused.out" ||
	fail "refused handshakes under valgrind: $(tail -n 3 "$T/vg-refused.out")"
cat "$T"/vg-*.out | grep '^count=' | sed 's/^/  hs-load: /'
el=$(($(ms) - t0))
echo "  $vg_hs handshakes under valgrind in $el ms ($((el / vg_hs)) ms each)"
kill -TERM "$TLSHD_PID"
wait "$TLSHD_PID"
rc=$?
TLSHD_PID=
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|in use at exit' "$T/vg.log" |
	sed 's/^==[0-9]*== /  valgrind: /'
if grep -qE 'Invalid (read|write|free)|uninitialised|Mismatched free|overlap' "$T/vg.log" ||
   [ "$rc" != 0 ]; then
	sed -n '/Invalid\|uninitialised\|definitely lost in/,+25p' "$T/vg.log" | head -n 80
	fail "valgrind found errors or leaks (tlshd exit status $rc)"
fi
grep -q 'ERROR SUMMARY: 0 errors' "$T/vg.log" || fail "no clean valgrind error summary"
ok=$(grep -c 'handshake ok: peer localhost 127\.0\.0\.1:470[01]' "$T/tlshd.log")
resumed=$(grep 'handshake ok: peer localhost 127\.0\.0\.1:4701' "$T/tlshd.log" | grep -c ', resumed')
bad=$(grep -c 'handshake failed: peer localhost 127\.0\.0\.1:4703' "$T/tlshd.log")
echo "  tlshd under valgrind: $ok ok ($resumed resumed), $bad refused"
[ "$ok" = $((2 * quarter)) ] || fail "$ok 'handshake ok' lines under valgrind"
[ "$bad" = "$refused" ] || fail "$bad 'handshake failed' lines for $refused refusals"
[ "$resumed" -ge $((quarter / 2)) ] ||
	fail "only $resumed of $quarter handshakes to the ticket server resumed"
echo "PASS"

