#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# testssl.sh against a server on 127.0.0.1:PORT, the one command line every
# scan uses: on the host against a guest's server (host-companion.sh), and
# where scanner and server share a machine (serve-common.bash's
# scan_testssl).
#   testssl.sh PORT DIR SECONDS [CHECK...]   (e.g. -p -s -P -U; none: all)
# The JSON and the text report go to DIR; the caller judges them.
set -u
port=$1 dir=$2 secs=$3
shift 3
command -v testssl >/dev/null || { echo "testssl.sh is not installed here"; exit 127; }
t0=$(date +%s)
# No DNS: there is none in the guests, and none to ask on loopback.
timeout "$secs" testssl --quiet --color 0 --nodns none --warnings off \
	--openssl /usr/bin/openssl --connect-timeout 30 --openssl-timeout 30 \
	"$@" --jsonfile "$dir/testssl.json" 127.0.0.1:"$port" \
	>"$dir/testssl.txt" 2>&1
rc=$?
echo "testssl ${*:-(all checks)}: exit $rc after $(($(date +%s) - t0)) s"
exit $rc
