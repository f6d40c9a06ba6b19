#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 300
# TLS 1.3 KeyUpdate between two libktls sessions on kTLS (ktls-rekey):
#   pair      client and server exchange 64 MiB (32 MiB each way, at
#             once), byte-exact,
#             each calling ktls_key_update every 1 MiB, every other one
#             with update_requested (answered), AES-128-GCM; then 8 MiB,
#             all update_requested, AES-256-GCM (SHA-384 secrets);
#             library counts equal the kernel's tls_stat TlsTxRekeyOk,
#             TlsRxRekeyOk, TlsRxRekeyReceived; rekey errors 0
#   auto      no explicit call: a key-usage limit of 16 records per key
#             (ChaCha20-Poly1305) updates on its own
#   malformed bad length / request value: decode_error, illegal_parameter
# On a kernel that cannot rekey (6.1, 6.12) pair and auto check instead
# that ktls_key_update is refused with nothing sent and a peer's KeyUpdate
# gives EKEYEXPIRED with a named cause. Whether the kernel can is probed
# by libktls; it must agree with tls_stat having the rekey counters.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }
MIB_EACH=${KEY_UPDATE_MIB:-32}

run() {
	echo "# ktls-rekey $*"
	ktls-rekey "$T/ca.pem" "$T/server.pem" "$T/server.key" "$@" \
		>"$T/out" 2>&1
	rc=$?
	cat "$T/out"
	[ $rc = 0 ] || fail "ktls-rekey $* exited $rc"
}

run malformed
can=$(sed -n 's/^kernel can rekey: //p' "$T/out")
if [ -n "$(tls_stat TlsTxRekeyOk)" ]; then stat=yes; else stat=no; fi
[ "$can" = "$stat" ] ||
	fail "libktls says the kernel can rekey: '$can', tls_stat rekey counters: $stat"
ok "rekey support probed: $can (kernel $(uname -r))"

run pair "$MIB_EACH" 1024 2 aes128gcm
run pair 8 1024 1 aes256gcm
run auto 4 16 chacha
finish
