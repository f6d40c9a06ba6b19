#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# testssl.sh on the host against the guest's server (host-companion.sh).
#   testssl.sh PORT DIR CHECK...   (e.g. -p -s -P -U)
# The JSON and the text report go to DIR; the guest judges them.
set -u
port=$1 dir=$2
shift 2
command -v testssl >/dev/null || { echo "testssl.sh is not installed on the host"; exit 127; }
t0=$(date +%s)
timeout 900 testssl --quiet --color 0 --nodns none --warnings off \
	--openssl /usr/bin/openssl --connect-timeout 30 --openssl-timeout 30 \
	"$@" --jsonfile "$dir/testssl.json" 127.0.0.1:"$port" \
	>"$dir/testssl.txt" 2>&1
rc=$?
echo "testssl $*: exit $rc after $(($(date +%s) - t0)) s on the host"
exit $rc
