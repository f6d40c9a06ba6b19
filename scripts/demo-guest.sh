#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The `make run` demo, inside the 6.12 guest (scripts/demo.sh boots it):
#  1. tlshd starts and joins the kernel's "handshake" family;
#  2. a kernel consumer (ktls_test_consumer, as NFS or NVMe would) hands a
#     connected socket to the upcall; tlshd handshakes with a GnuTLS server
#     and installs the keys; the consumer then moves data through kTLS;
#  3. ktls-serve sends a file over kTLS with io_uring splice, fetched by curl.
# Then it prints what was negotiated, the bytes moved and the kTLS counters.
build=${1:-build}
export BUILD=$build
export PATH=$PWD/$build/bin:$PWD/$build/selftests/bin:$PATH
. selftests/guest/tlshd-common.bash

say() { printf '%s\n' "$*"; }
ECHO_BYTES=$((4 << 20))
FILE_BYTES=$((8 << 20))

require_handshake
make_pki
tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)

start_tlshd
say "$(tlshd --version 2>&1 | head -n 1) is up (pid $TLSHD_PID) on $(uname -r), joined multicast group \"tlshd\""

start_server 4433 echo-gnutls serve 4433 --cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
say "a GnuTLS echo server listens on 127.0.0.1:4433 (certificate for localhost)"
say ""
say "== kernel consumer: handshake through the upcall, then $ECHO_BYTES bytes each way through kTLS"
consumer --connect 127.0.0.1:4433 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --echo-bytes "$ECHO_BYTES" ||
	fail "the consumer's handshake or echo failed"
sleep 0.2
line=$(grep 'handshake ok' "$T/tlshd.log" | tail -n 1)
say "tlshd:    ${line#*handshake ok: }"

say ""
say "== ktls-serve: an $FILE_BYTES-byte file over kTLS (io_uring, splice file->pipe->socket), fetched by curl"
mkdir -p "$T/www"
head -c "$FILE_BYTES" /dev/urandom >"$T/www/demo.bin"
start_server 8443 ktls-serve --port 8443 --root "$T/www" \
	--cert "$T/ca-srv.pem" --key "$T/ca-srv.key" --quiet
want=$(sha256sum <"$T/www/demo.bin" | cut -d' ' -f1)
got=$(curl -sS --cacert "$T/ca.pem" https://localhost:8443/demo.bin | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "curl's copy differs from the file (sha256 $got, want $want)"
say "curl:     sha256 $got matches the file"
info=$(curl -sS -o /dev/null --cacert "$T/ca.pem" -w '%{http_version} %{size_download} bytes in %{time_total}s' https://localhost:8443/demo.bin)
say "curl:     HTTP/$info"

tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
say ""
say "== /proc/net/tls_stat (this boot)"
say "TlsTxSw  $tx0 -> $tx1   sockets given a kTLS transmit key (each process's cipher probe adds 4)"
say "TlsRxSw  $rx0 -> $rx1   sockets given a kTLS receive key: the consumer's, then one per curl connection to ktls-serve"
grep -E 'TlsDecryptError|TlsRxNoPadViolation|TlsDecryptRetry' /proc/net/tls_stat | sed 's/^/         /'
stop_tlshd
say ""
say "demo complete"
