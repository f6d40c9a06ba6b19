#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# ktls-bench on a tiny, fast configuration: correctness, not timing.
# - every TX and RX path delivers exactly the bytes sent, with the stream
#   hash computed by the receiver after decryption equal to the sender's;
# - the kernel reports, through getsockopt(SOL_TLS, TLS_TX), the cipher and
#   version that were asked for (TLS 1.3 and 1.2);
# - plain TCP is not slower than every TLS path;
# - a corrupted hash (--inject-mismatch) fails the run: the check is live;
# - handshakes complete, and resumed ones really resume;
# - the resumption rows (ktls-bench resume, ECDSA and RSA servers, TLS 1.2
#   and 1.3): every "resumed" handshake resumed and no "full" one did, in
#   process and, where the kernel has the handshake upcall, through tlshd,
#   whose log must say "resumed" for them;
# - upcall --daemon/--ours: ktls-bench starts each daemon per sample in a
#   cgroup of its own, reports its first handshake and its CPU, and leaves
#   neither a daemon nor a cgroup behind.
set -u
B=${BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
PATH=$B/bin:$PATH
T=$(mktemp -d /tmp/bench-sanity.XXXXXX)
tlshd_pid=
trap '[ -n "$tlshd_pid" ] && kill "$tlshd_pid" 2>/dev/null; rm -rf "$T"' EXIT

[ -r /proc/net/tls_stat ] || { echo "kernel $(uname -r) has no kTLS (tls module)"; exit 77; }
command -v ktls-bench >/dev/null || { echo "FAIL: ktls-bench not built"; exit 1; }

tiny=(-q --no-warmup -r 1 -d 0.2 -f 1M -w 16k --no-kernel-aead)

check() {
	# check JSON CIPHERS VERSION: stream and cipher checks on every result
	python3 - "$@" <<'EOF'
import json, sys
path, ciphers, version = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
r = json.load(open(path))
bad = []
seen = set()
for x in r["results"]:
    if x["kind"] not in ("tx", "rx"):
        continue
    name = "%s %s %s TLS %s" % (x["kind"], x["path"], x["cipher"], x["tls"])
    seen.add((x["kind"], x["cipher"]))
    if x["error"] and x["error"].startswith("skipped:") and not x["n"]:
        print("  skip: %s: %s" % (name, x["error"]))
        continue
    if x["error"] or not x["n"]:
        bad.append("%s: %s" % (name, x["error"] or "no sample"))
        continue
    for s in x["streams"]:
        if s["received"] == 0:
            bad.append(name + ": nothing received")
        if s["sent"] != s["received"] or s["hash_sent"] != s["hash_received"]:
            bad.append("%s: sent %d (%s), received %d (%s)" % (name, s["sent"],
                       s["hash_sent"], s["received"], s["hash_received"]))
    if x["path"].startswith("tcp"):
        continue
    if x["kernel_cipher"] != x["cipher"] or x["kernel_tls"] != version:
        bad.append("%s: kernel says %s TLS %s" % (name, x["kernel_cipher"], x["kernel_tls"]))
    print("  ok: %-26s %-18s TLS %s: %d bytes, hash %s, kernel %s" % (
        x["kind"] + " " + x["path"], x["cipher"], x["tls"],
        x["streams"][0]["received"], x["streams"][0]["hash_received"], x["kernel_cipher"]))
for kind in ("tx", "rx"):
    for c in ciphers:
        if (kind, c) not in seen:
            bad.append("no %s result for %s" % (kind, c))
        tcp = [x["median"] for x in r["results"] if x["kind"] == kind and
               x["path"] == "tcp" and x["cipher"] == c and x["n"]]
        tls = [x["median"] for x in r["results"] if x["kind"] == kind and
               not x["path"].startswith("tcp") and x["cipher"] == c and x["n"]]
        if tcp and tls and tcp[0] < min(tls):
            bad.append("%s %s: plain TCP (%.1f MiB/s) slower than every TLS path (min %.1f)"
                       % (kind, c, tcp[0], min(tls)))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
}

echo "== TLS 1.3, AES-128-GCM and CHACHA20-POLY1305, every path"
ktls-bench throughput "${tiny[@]}" -c aes128gcm,chacha20 --json="$T/a.json" \
	>"$T/a.txt" 2>&1 || { cat "$T/a.txt"; echo "FAIL: ktls-bench exited non-zero"; exit 1; }
check "$T/a.json" AES-128-GCM,CHACHA20-POLY1305 1.3 || exit 1

echo "== TLS 1.2, AES-256-GCM and AES-128-CCM"
ktls-bench throughput "${tiny[@]}" -V 1.2 -c aes256gcm,aes128ccm \
	--tx-paths tcp,user,ktls-sendfile,ktls-uring --rx-paths tcp,user,ktls-read,ktls-uring \
	--json="$T/b.json" >"$T/b.txt" 2>&1 ||
	{ cat "$T/b.txt"; echo "FAIL: ktls-bench exited non-zero"; exit 1; }
check "$T/b.json" AES-256-GCM,AES-128-CCM 1.2 || exit 1

echo "== a corrupted stream hash must fail the run"
if ktls-bench tx "${tiny[@]}" -c aes128gcm --tx-paths ktls-sendfile \
	--inject-mismatch --json="$T/c.json" >"$T/c.txt" 2>&1; then
	cat "$T/c.txt"
	echo "FAIL: --inject-mismatch went unnoticed"
	exit 1
fi
grep -q 'stream check failed' "$T/c.json" ||
	{ cat "$T/c.txt"; echo "FAIL: no 'stream check failed' in the report"; exit 1; }
grep -q '"verified": false' "$T/c.json" ||
	{ echo "FAIL: the report still says verified"; exit 1; }
echo "  ok: $(grep -o 'stream check failed[^"]*' "$T/c.json" | head -n 1)"

echo "== handshakes, full and resumed"
ktls-bench handshake -q --no-warmup -r 1 --hs-duration 0.3 -C 1 \
	--json="$T/h.json" >"$T/h.txt" 2>&1 ||
	{ cat "$T/h.txt"; echo "FAIL: ktls-bench handshake exited non-zero"; exit 1; }
python3 - "$T/h.json" <<'EOF' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
hs = [x for x in r["results"] if x["kind"] == "handshake"]
for want in [(i, m) for i in ("libktls", "gnutls") for m in ("full", "resumed")]:
    x = [h for h in hs if (h["path"], h["mode"]) == want]
    if not x or not x[0]["n"] or x[0]["handshakes"] < 1:
        bad.append("%s %s: no handshake: %s" % (want + ((x[0]["error"] if x else "missing"),)))
        continue
    x = x[0]
    want_resumed = x["handshakes"] if want[1] == "resumed" else 0
    if x["resumed"] != want_resumed:
        bad.append("%s %s: %d of %d resumed" % (want + (x["resumed"], x["handshakes"])))
    print("  ok: %-8s %-8s %d handshakes, %d resumed, p50 %.1f ms" % (
        want + (x["handshakes"], x["resumed"], x["p50_ms"])))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
echo "== resumption rows: resumed ones resumed, full ones did not"
rargs=(-q --no-warmup -r 1 --hs-duration 0.3 --hs-max 6 -C 1)
upcall=0
if [ -e /dev/ktls_test ] && command -v tlshd >/dev/null &&
	genl-ctrl-list 2>/dev/null | grep -qw handshake; then
	upcall=1
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$T/ca.key" 2>/dev/null
	printf 'cn = "bench CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$T/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$T/ca.key" \
		--template "$T/ca.tmpl" --outfile "$T/ca.pem" 2>/dev/null
	printf 'cn = "localhost"\ndns_name = "localhost"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$T/srv.tmpl"
	for k in ecdsa rsa; do
		if [ $k = rsa ]; then kt=(--key-type rsa --bits 2048); else kt=(--key-type ecdsa --curve secp256r1); fi
		certtool --generate-privkey "${kt[@]}" --outfile "$T/$k.key" 2>/dev/null
		certtool --generate-certificate --load-privkey "$T/$k.key" \
			--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
			--template "$T/srv.tmpl" --outfile "$T/$k.pem" 2>/dev/null ||
			{ echo "FAIL: certtool $k"; exit 1; }
	done
	# A late ticket under load must not fail the resumed rows.
	printf '[authenticate.client]\nx509.truststore=%s\n[resumption]\nticket_wait_ms=5000\n' "$T/ca.pem" >"$T/tlshd.conf"
	tlshd -s -c "$T/tlshd.conf" --ready-file "$T/ready" >"$T/tlshd.log" 2>&1 &
	tlshd_pid=$!
	for _ in $(seq 100); do
		[ -e "$T/ready" ] && break
		sleep 0.1
	done
	[ -e "$T/ready" ] || { cat "$T/tlshd.log"; echo "FAIL: tlshd not ready"; exit 1; }
	rargs+=(--ca "$T/ca.pem" --ecdsa-cert "$T/ecdsa.pem" --ecdsa-key "$T/ecdsa.key"
		--rsa-cert "$T/rsa.pem" --rsa-key "$T/rsa.key")
else
	echo "  (no handshake upcall here: in-process rows only)"
fi
ktls-bench resume "${rargs[@]}" --json="$T/r.json" >"$T/r.txt" 2>&1
rc=$?
python3 - "$T/r.json" "$upcall" "$T/tlshd.log" <<'EOF' || { cat "$T/r.txt"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
upcall = sys.argv[2] == "1"
bad = []
rows = [x for x in r["results"] if x.get("key")]
want = [(p, v, k, m) for p in ["libktls"] + (["upcall"] if upcall else [])
        for v in ("1.2", "1.3") for k in ("ecdsa", "rsa") for m in ("full", "resumed")]
got = 0
for w in want:
    x = [h for h in rows if (h["path"], h["tls"], h["key"], h["mode"]) == w]
    if not x or not x[0]["n"] or x[0].get("handshakes", 0) < 1:
        bad.append("%s TLS %s %s %s: no handshake: %s" % (w + ((x[0]["error"] if x else "missing"),)))
        continue
    x = x[0]
    n, res = x["handshakes"], x["resumed"]
    if res != (n if w[3] == "resumed" else 0):
        bad.append("%s TLS %s %s %s: %d of %d resumed" % (w + (res, n)))
    if w[0] == "upcall" and w[3] == "resumed":
        got += res
    print("  ok: %-7s TLS %s %-5s %-7s %d handshakes, %d resumed" % (w + (n, res)))
if upcall:
    seen = sum(1 for l in open(sys.argv[3]) if "handshake ok:" in l and ", resumed" in l)
    if seen < got:
        bad.append("tlshd logged %d resumed handshakes, the servers counted %d" % (seen, got))
    else:
        print("  ok: tlshd logged %d resumed handshakes (servers counted %d in resumed rows)" % (seen, got))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
[ "$rc" = 0 ] || { cat "$T/r.txt"; echo "FAIL: ktls-bench resume exited $rc"; exit 1; }

if [ "$upcall" = 1 ]; then
	echo "== upcall --daemon: two daemons started per sample (tlshd twice here)"
	kill "$tlshd_pid"; wait "$tlshd_pid" 2>/dev/null; tlshd_pid=
	self=$(command -v tlshd)
	ktls-bench upcall --daemon "$self" --ours "$self" -q --no-warmup -r 1 \
		--hs-duration 0.5 -C 1 --cert "$T/ecdsa.pem" --key "$T/ecdsa.key" \
		--ca "$T/ca.pem" --json="$T/d.json" >"$T/d.txt" 2>&1 ||
		{ cat "$T/d.txt"; echo "FAIL: ktls-bench upcall --daemon exited $?"; exit 1; }
	python3 - "$T/d.json" <<'EOF' || { cat "$T/d.txt"; exit 1; }
import json, sys
rows = {x["path"]: x for x in json.load(open(sys.argv[1]))["results"] if x["kind"] == "upcall"}
bad = []
for p in ("upcall", "upcall-daemon"):
    x = rows.get(p)
    if not x or x.get("handshakes", 0) < 1:
        bad.append("%s: no handshake (%s)" % (p, x and x["error"]))
        continue
    if not x.get("daemon") or not x.get("first_ms") or not x.get("daemon_cpu_us"):
        bad.append("%s: daemon %r, first_ms %r, daemon_cpu_us %r" % (p, x.get("daemon"), x.get("first_ms"), x.get("daemon_cpu_us")))
        continue
    print("  ok: %-13s %d handshakes, first after start %.1f ms, daemon CPU %.1f ms/hs" % (p, x["handshakes"], x["first_ms"], x["daemon_cpu_us"] / 1e3))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
	pgrep -x tlshd >/dev/null && { pgrep -ax tlshd; echo "FAIL: a daemon outlived ktls-bench"; exit 1; }
	left=$(ls -d /sys/fs/cgroup/ktls-bench-* 2>/dev/null)
	[ -z "$left" ] || { echo "FAIL: cgroups left behind: $left"; exit 1; }
	echo "  ok: no daemon and no cgroup left"
fi
echo "PASS"
