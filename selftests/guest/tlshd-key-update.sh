#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# A TLS 1.3 KeyUpdate sent to a consumer's socket after tlshd's DONE, on
# every kernel (doc/keyupdate.md): openssl s_server sends it to the test
# consumer, which reads with ktls_recv. Nobody can follow it there today,
# so the consumer must stop with EKEYEXPIRED, before any record under the
# new key, and not hang. A kernel that can rekey (7.3) must also have seen
# the KeyUpdate (TlsRxRekeyReceived); tlshd goes on serving.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
start_tlshd
fds0=$(tlshd_fds)

tls_counter() { awk -v k="$1" '$1 == k {print $2}' /proc/net/tls_stat; }
rekey=$(tls_counter TlsRxRekeyReceived)
post_handshake_case "TLS 1.3 KeyUpdate" 4555 k error -tls1_3
if [ -n "$rekey" ]; then
	got=$(($(tls_counter TlsRxRekeyReceived) - rekey))
	[ "$got" -ge 1 ] || fail "this kernel counts rekeys, but TlsRxRekeyReceived rose by $got"
	echo "  $(uname -r): the kernel saw the KeyUpdate (TlsRxRekeyReceived +$got); reads fail with EKEYEXPIRED until a new TLS_RX"
else
	echo "  $(uname -r): no rekey in this kernel's kTLS; ktls_recv stops at the KeyUpdate with EKEYEXPIRED"
fi
kill -0 "$TLSHD_PID" || fail "tlshd died"
[ "$(tlshd_fds)" = "$fds0" ] || fail "tlshd fd count $(tlshd_fds), was $fds0"
grep -q 'handshake ok:' "$T/tlshd.log" || fail "no handshake logged"
stop_tlshd
echo "PASS"
