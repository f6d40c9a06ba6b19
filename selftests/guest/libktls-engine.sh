#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick focused
# libktls against itself on loopback TCP (ktls-selftest, public API only):
#   matrix    TLS 1.2 and 1.3 x the four ciphers, both sides offloaded,
#             TLS_TX/TLS_RX read back from the kernel, 256 KiB each way
#             checksummed, one TlsTxSw per socket
#   control   alert and handshake records after offload: typed on the wire,
#             skipped by ktls_recv; close_notify gives 0; a fatal alert
#             gives ECONNABORTED; a KeyUpdate gives EKEYEXPIRED
#   keyring   credentials from kernel keys only: chain+key and CA (cert
#             handshake), PSK (server by config, client by serial), data
#             both ways; bad keys give ENOKEY/EKEYREJECTED/EKEYREVOKED/EACCES
#   nonblock  both handshakes driven by one poll loop
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }

for t in matrix control keyring nonblock; do
	echo "# $t"
	ktls-selftest "$T/ca.pem" "$T/server.pem" "$T/server.key" $t
	rc=$?
	[ $rc = 0 ] || fail_later "ktls-selftest $t exited $rc"
done
finish
