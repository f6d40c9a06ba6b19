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

scan_sslscan "$OUT" 120
# Not the full run (many minutes).
scan_testssl "$OUT" 600 -p -s -P -U
cp "$SERVER_LOG" "$OUT/server.log"
stop_serve || fail_later "ktls-serve exit status $?"
finish
