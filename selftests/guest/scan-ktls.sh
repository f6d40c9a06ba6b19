#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 600
# Conformance scan of ktls-serve over kTLS with sslscan, judged by
# selftests/lib/scan-check.py: no SSLv2/3, TLS 1.0/1.1, CBC, static RSA or
# CCM_8, no heartbleed, compression or insecure renegotiation. Every scan
# connection is handed to the kernel, so the server must also come through
# the scanner's odd clients alive and still serving. The scans are kept in
# $VM_OUT/scan-ktls*/.
# testssl.sh is too slow for this tier under emulation (its -p -P alone
# takes 150 s on a busy host, and several times that in the guest):
# SCAN_TESTSSL="-p -s -P -U" (scan-ktls-testssl.sh) or SCAN_TESTSSL=all
# (scan-ktls-full.sh) add it, judged also for a server cipher order and
# no finding of MEDIUM or above; both are in the soak tier.
. "$(dirname "$0")/serve-common.bash"
SCAN_TESTSSL=${SCAN_TESTSSL:-}
need_ktls
need_tool sslscan
[ -n "$SCAN_TESTSSL" ] && need_tool testssl
case $SCAN_TESTSSL in
'') sfx= ;;
all) sfx=-full ;;
*) sfx=-testssl ;;
esac
OUT=${VM_OUT:-$B/results}/scan-ktls$sfx
CHECK=$HERE/../lib/scan-check.py
mkdir -p "$OUT" || exit 1
serve_certs || { echo "could not make certificates"; exit 1; }
serve_files
start_serve --bind 127.0.0.1 --cert "$T/server.pem" --key "$T/server.key" \
	--quiet || exit 1
hs0=$(tls_stat TlsTxSw)

if timeout 300 sslscan --no-colour --xml="$OUT/sslscan.xml" \
	127.0.0.1:"$PORT" >"$OUT/sslscan.txt" 2>&1; then
	python3 "$CHECK" sslscan "$OUT/sslscan.xml" && ok "sslscan" ||
		fail_later "sslscan findings (above)"
else
	fail_later "sslscan exited $? (see $OUT/sslscan.txt)"
fi

testssl_scan() {
	local checks=() t0 rc

	# shellcheck disable=SC2206
	[ "$SCAN_TESTSSL" = all ] || checks=($SCAN_TESTSSL)
	t0=$(date +%s)
	timeout "${SCAN_TIMEOUT:-3000}" testssl --quiet --color 0 \
		--nodns none --warnings off --openssl /usr/bin/openssl \
		--connect-timeout 30 --openssl-timeout 30 "${checks[@]}" \
		--jsonfile "$OUT/testssl.json" 127.0.0.1:"$PORT" \
		>"$OUT/testssl.txt" 2>&1
	rc=$?
	echo "testssl ${checks[*]:-(all checks)}: exit $rc after $(($(date +%s) - t0)) s"
	if [ ! -s "$OUT/testssl.json" ]; then
		fail_later "testssl wrote no JSON (exit $rc, see $OUT/testssl.txt)"
	elif python3 "$CHECK" testssl "$OUT/testssl.json"; then
		ok "testssl"
	else
		fail_later "testssl findings (above)"
	fi
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
