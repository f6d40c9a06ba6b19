#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libktls against itself on loopback TCP (ktls-selftest, public API only):
#   matrix    TLS 1.2 and 1.3 x the four ciphers, both sides offloaded,
#             TLS_TX/TLS_RX read back from the kernel, 256 KiB each way
#             checksummed, one TlsTxSw per socket
#   control   alert and handshake records after offload: typed on the wire,
#             skipped by ktls_recv; close_notify gives 0; a fatal alert
#             gives ECONNABORTED
#   nonblock  both handshakes driven by one poll loop
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/engine-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }

for t in matrix control nonblock; do
	echo "# $t"
	ktls-selftest "$T/ca.pem" "$T/server.pem" "$T/server.key" $t
	rc=$?
	[ $rc = 0 ] || fail "ktls-selftest $t exited $rc"
done
finish
