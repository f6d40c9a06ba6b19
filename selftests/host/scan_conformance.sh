#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 720
# Conformance scans of ktls-serve --tls=user on the build machine (no kTLS
# needed: GnuTLS keeps the records, the negotiation is libktls's): sslscan,
# then testssl.sh with protocols, cipher categories, server preference and
# vulnerabilities (-p -s -P -U: 2-3 minutes on an idle machine, up to ten
# beside busy guests). selftests/lib/scan-check.py judges
# both (no SSLv2/3, TLS 1.0/1.1, CBC, static RSA or CCM_8; a server cipher
# order; no testssl finding of MEDIUM or above). The scans are kept in
# BUILD/results/scan-host/.
set -u
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
OUT=$B/results/scan-host
CHECK=selftests/lib/scan-check.py

need_tool sslscan
need_tool testssl
need_tool python3
mkdir -p "$OUT" && rm -f "$OUT"/* || exit 1
serve_certs || { echo "could not make test certificates"; exit 1; }
serve_files
start_serve --bind 127.0.0.1 --tls=user --cert "$T/server.pem" \
	--key "$T/server.key" --quiet || exit 1

# The server runs where kTLS is absent: it must still answer.
got=$("${CURL[@]}" "$(URL /f16385)" | sha)
[ "$got" = "$(file_sha "$ROOT/f16385")" ] &&
	ok "--tls=user serves without kTLS" ||
	fail_later "--tls=user transfer: $got"

if timeout 120 sslscan --no-colour --xml="$OUT/sslscan.xml" \
	127.0.0.1:"$PORT" >"$OUT/sslscan.txt" 2>&1; then
	python3 "$CHECK" sslscan "$OUT/sslscan.xml" && ok "sslscan" ||
		fail_later "sslscan findings (above)"
else
	fail_later "sslscan exited $? (see $OUT/sslscan.txt)"
fi

# Not the full run (many minutes); no DNS here.
t0=$(date +%s)
timeout 600 testssl --quiet --color 0 --nodns none --warnings off \
	--openssl /usr/bin/openssl --connect-timeout 10 --openssl-timeout 10 \
	-p -s -P -U --jsonfile "$OUT/testssl.json" 127.0.0.1:"$PORT" \
	>"$OUT/testssl.txt" 2>&1
rc=$?
echo "testssl: exit $rc after $(($(date +%s) - t0)) s"
if [ ! -s "$OUT/testssl.json" ]; then
	fail_later "testssl wrote no JSON (exit $rc, see $OUT/testssl.txt)"
else
	python3 "$CHECK" testssl "$OUT/testssl.json" && ok "testssl" ||
		fail_later "testssl findings (above)"
fi
cp "$SERVER_LOG" "$OUT/server.log"
stop_serve || fail_later "ktls-serve exit status $?"
finish
