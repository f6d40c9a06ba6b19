#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 900
# Conformance scan of ktls-serve over kTLS with sslscan, judged by
# selftests/lib/scan-check.py: no SSLv2/3, TLS 1.0/1.1, CBC, static RSA or
# CCM_8, no heartbleed, compression or insecure renegotiation. Every scan
# connection is handed to the kernel, so the server must also come through
# the scanner's odd clients alive and still serving. The scans are kept in
# $VM_OUT/scan-ktls*/.
# Then testssl.sh -p -s -P -U (protocols, cipher categories, server cipher
# order, vulnerabilities), judged also for a server cipher order and no
# finding of MEDIUM or above. It is too slow to run inside the guest under
# emulation (-p -P alone takes 150 s on a busy host, several times that in
# the guest), so by default it runs on the host against this guest's server
# over the guest's forwarded port (run-guest.sh --net, SCAN_FROM=host),
# about 100 s: the records are still this kernel's kTLS. scan-ktls-full.sh
# (soak tier) runs the whole testssl scan the same way; SCAN_FROM=guest
# runs it inside the guest.
. "$(dirname "$0")/serve-common.bash"
SCAN_TESTSSL=${SCAN_TESTSSL--p -s -P -U} SCAN_FROM=${SCAN_FROM:-host}
need_ktls
need_tool sslscan
[ -n "$SCAN_TESTSSL" ] && [ "$SCAN_FROM" = guest ] && need_tool testssl
sfx=
[ "$SCAN_TESTSSL" = all ] && sfx=-full
OUT=${VM_OUT:-$B/results}/scan-ktls$sfx
mkdir -p "$OUT" || exit 1
serve_certs || { echo "could not make certificates"; exit 1; }
serve_files
if [ "$SCAN_FROM" = host ]; then
	# The port and address that run-guest.sh --net forwards to.
	start_serve --bind 0.0.0.0 --port "${VM_COMPANION_PORT:-4433}" \
		--cert "$T/server.pem" --key "$T/server.key" --quiet || exit 1
else
	start_serve --bind 127.0.0.1 --cert "$T/server.pem" \
		--key "$T/server.key" --quiet || exit 1
fi
hs0=$(tls_stat TlsTxSw)

scan_sslscan "$OUT" 300

# testssl_scan: the checks of $SCAN_TESTSSL, from the host or from here.
testssl_scan() {
	local checks=() rc

	# shellcheck disable=SC2206
	[ "$SCAN_TESTSSL" = all ] || checks=($SCAN_TESTSSL)
	if [ "$SCAN_FROM" = guest ]; then
		scan_testssl "$OUT" "${SCAN_TIMEOUT:-3000}" "${checks[@]}"
		return
	fi
	host_companion testssl testssl "${SCAN_TIMEOUT:-900}" "${checks[@]}"
	rc=$?
	cp "$VM_COMPANION"/testssl/testssl.* "$OUT"/ 2>/dev/null
	scan_judge_testssl "$OUT" "$rc" "testssl ${checks[*]:-(all checks)} (from the host)"
}
[ -n "$SCAN_TESTSSL" ] && testssl_scan

# Scanned over kTLS, and still serving after all that.
hs1=$(tls_stat TlsTxSw)
[ "$hs1" -gt "$hs0" ] && ok "$((hs1 - hs0)) scan connections went to kTLS" ||
	fail_later "no scan connection reached kTLS (TlsTxSw $hs0 -> $hs1)"
got=$("${CURL[@]}" "$(URL /f1048576)" | sha)
[ "$got" = "$(file_sha "$ROOT/f1048576")" ] && ok "still serving after the scans" ||
	fail_later "1 MiB after the scans: $got"
cp "$SERVER_LOG" "$OUT/server.log"
stop_serve || fail_later "ktls-serve exit status $?"
finish
