#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# ktls-bench's rekey measurement (TLS 1.3 KeyUpdate, kernels that can
# rekey): in the same rounds, ktls-write (no rekey) and ktls-rekey (a
# KeyUpdate every 1 MiB, the receiver following each) each deliver the
# exact stream; ktls-rekey sent one update per MiB sent, the kernel's
# tls_stat counts every one on both sides (TlsTxRekeyOk, TlsRxRekeyOk,
# TlsRxRekeyReceived), the table reports the cost of an update and the
# throughput ratio to ktls-write. Where the kernel cannot rekey, the
# ktls-rekey row says so and ktls-write still passes.
set -u
. "$(dirname "$0")/../lib/common.bash"
B=${BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
PATH=$B/bin:$PATH
T=$(mktemp -d /tmp/bench-rekey.XXXXXX)
trap 'rm -rf "$T"' EXIT

[ -r /proc/net/tls_stat ] || skip "kernel $(uname -r) has no kTLS (tls module)"
command -v ktls-bench >/dev/null || fail "ktls-bench not built"

rounds=3 bytes=$((16 << 20)) every=$((1 << 20))
# A kernel that cannot rekey has no rekey counters: one short round shows
# the row's cause.
[ -n "$(tls_stat TlsTxRekeyOk)" ] || rounds=1 bytes=$((2 << 20))
tx0=$(tls_stat TlsTxRekeyOk) rx0=$(tls_stat TlsRxRekeyOk)
rcv0=$(tls_stat TlsRxRekeyReceived)
ktls-bench tx -q --no-warmup -r "$rounds" -b "$bytes" -w 64k -f 8M \
	--no-kernel-aead -c aes128gcm --tls 1.3 \
	--tx-paths ktls-write,ktls-rekey --rekey-every 1M \
	--json="$T/r.json" --table "$T/r.txt" >"$T/out" 2>&1 ||
	fail "ktls-bench exited non-zero: $(tail -n 5 "$T/out")"

python3 - "$T/r.json" "$rounds" "$bytes" "$every" >"$T/check" <<'EOF'
import json, sys
path, rounds, nbytes, every = sys.argv[1], *map(int, sys.argv[2:])
r = json.load(open(path))
rows = {x["path"]: x for x in r["results"] if x["kind"] == "tx"}
bad = []
for p in ("ktls-write", "ktls-rekey"):
    x = rows.get(p)
    if not x:
        bad.append("no %s row" % p)
        continue
    if x["error"] and x["error"].startswith("skipped:") and not x["n"]:
        print("skipped %s: %s" % (p, x["error"]))
        continue
    if x["error"] or x["n"] != rounds:
        bad.append("%s: %s" % (p, x["error"] or "%d samples" % x["n"]))
        continue
    for s in x["streams"]:
        if s["sent"] != nbytes or s["received"] != nbytes or \
           s["hash_sent"] != s["hash_received"]:
            bad.append("%s: sent %d (%s), received %d (%s)" % (p, s["sent"],
                       s["hash_sent"], s["received"], s["hash_received"]))
    print("ok %s: %d x %d bytes byte-exact, %.1f MiB/s" % (p, x["n"], nbytes, x["median"]))
x = rows.get("ktls-rekey")
if x and x["n"]:
    want = rounds * (nbytes // every)
    if x.get("rekeys") != want:
        bad.append("ktls-rekey: %s KeyUpdates sent, want %d" % (x.get("rekeys"), want))
    elif not x.get("rekey_us", 0) > 0:
        bad.append("ktls-rekey: no time measured in ktls_key_update")
    else:
        print("rekeys %d (%.1f us each)" % (x["rekeys"], x["rekey_us"]))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
rc=$?
cat "$T/check"
[ $rc = 0 ] || fail "ktls-bench's rows are wrong (above); table: $(cat "$T/r.txt")"

if grep -q '^skipped ktls-rekey' "$T/check"; then
	[ -z "$(tls_stat TlsTxRekeyOk)" ] ||
		fail "the kernel counts rekeys (TlsTxRekeyOk) but ktls-bench did not rekey"
	skip "kernel $(uname -r): kTLS cannot rekey (no TlsTxRekeyOk in tls_stat; 6.14 and later can)"
fi

want=$(awk '/^rekeys /{print $2}' "$T/check")
case $want in '' | *[!0-9]*) fail "no KeyUpdate count in: $(cat "$T/check")" ;; esac
dtx=$(($(tls_stat TlsTxRekeyOk) - tx0)) drx=$(($(tls_stat TlsRxRekeyOk) - rx0))
drcv=$(($(tls_stat TlsRxRekeyReceived) - rcv0))
echo "  tls_stat: TlsTxRekeyOk +$dtx, TlsRxRekeyOk +$drx, TlsRxRekeyReceived +$drcv"
# libktls's kernel probe rekeys one socket once per process (TX only).
[ "$dtx" = $((want + 1)) ] && [ "$drx" = "$want" ] && [ "$drcv" = "$want" ] ||
	fail "tls_stat counted TX $dtx (want $want + 1 for libktls's probe), RX $drx, received $drcv; ktls-bench sent $want"
[ "$(tls_stat TlsTxRekeyError)" = 0 ] && [ "$(tls_stat TlsRxRekeyError)" = 0 ] ||
	fail "tls_stat counts rekey errors: $(grep Rekey /proc/net/tls_stat | tr '\n' ' ')"

grep -A3 'ktls-rekey, aes128gcm: a KeyUpdate every 1048576 bytes' "$T/r.txt" ||
	fail "the table has no rekey note: $(cat "$T/r.txt")"
grep -q 'ktls-rekey TX / ktls-write TX' "$T/r.txt" ||
	fail "the table has no ktls-rekey / ktls-write ratio"
grep 'ktls-rekey TX / ktls-write TX' "$T/r.txt"
echo "PASS"
