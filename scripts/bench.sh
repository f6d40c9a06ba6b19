#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: the standard ktls-bench suite in a 6.12 guest, bounded in
# time. Writes bench.txt (table), bench.json, bench.csv, bench.png,
# resume.txt, resume.json, resume.csv (resumed against full handshakes,
# ECDSA and RSA servers, in process and through tlshd) and profile.txt
# (syscall counts of the main paths) into BUILD/bench/.
#
#   bench.sh [--build DIR] [--mem MiB] [--concurrency LIST] [--rounds N]
#            [--duration SEC] [--timeout SEC] [--quick] [--resume-only]
#            [--rekey-only [--rekey-every SIZE]] [--profile-only] [--versus]
#            [--system-trust-only]
#
#   defaults: 2048 MiB, concurrency 1,8, 6 rounds after a warm-up, 1 s
#   samples, 870 s for the whole guest run
#
#   --mem 8192 --concurrency 1,8,64   the 64-way upcall load (the kernel
#                                     keeps only ~4 requests pending per
#                                     2 GiB; 8 GiB lifts that to ~20)
#   --quick                           one cipher, 2 rounds: a smoke run
#   --resume-only                     only the resumption rows (resume.*),
#                                     for up to --timeout minus boot
#   --rekey-only                      in a 7.3 guest (kTLS rekey), TLS 1.3
#                                     TX with a KeyUpdate every SIZE (default
#                                     1M) against none, every cipher, and the
#                                     cost of one update (rekey.*)
#   --versus                          upcall handshakes through our tlshd
#                                     against ktls-utils' (Debian trixie's
#                                     package, run chrooted in its root from
#                                     scripts/ktls-utils-root.sh), each
#                                     started per sample, interleaved
#                                     (ktls-bench --daemon): versus.*
#   --profile-only                    only profile.txt: syscalls per MiB
#                                     of each path, and tlshd's syscalls
#                                     and wake-ups per upcall handshake
#   --system-trust-only               only the upcall against plain GnuTLS
#                                     with the system trust store on both
#                                     (upcall-system.*; also part of the
#                                     full run)
#
# The suite stops beginning rounds when the next one would not fit.
#
# Inside the guest (run by the script itself): a CA and a server
# certificate, tlshd started with a config that trusts the CA, then
# ktls-bench with that certificate so that every client, tlshd's included,
# verifies the same chain.
set -euo pipefail

build=build mem=2048 conc=1,8 rounds=6 duration=1 timeout=870 quick=0
guest=0 limit=0 ronly=0 rekey=0 rekey_every=1M ponly=0 versus= sonly=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--concurrency) conc=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--quick) quick=1; rounds=2; shift ;;
	--resume-only) ronly=1; shift ;;
	--rekey-only) rekey=1; shift ;;
	--rekey-every) rekey_every=$2; shift 2 ;;
	--profile-only) ponly=1; shift ;;
	--system-trust-only) sonly=1; shift ;;
	--versus) versus=host; shift ;;
	--versus-root) versus=$2; shift 2 ;;
	--in-guest) guest=1; shift ;;
	--time-limit) limit=$2; shift 2 ;;
	-h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."

if [ "$guest" = 0 ] && [ "$rekey" = 1 ]; then
	ko=$build/kmod/7.3/kmod/ktls_test_consumer.ko
	[ -e "$ko" ] || { echo "bench.sh: $ko missing: run make modules SERIES=7.3" >&2; exit 1; }
	out=$build/bench
	mkdir -p "$out"
	rm -f "$out"/rekey.{txt,json}
	echo "bench.sh: 7.3 guest, KeyUpdate every $rekey_every against none, $rounds rounds; at most ${timeout} s" >&2
	start=$(date +%s)
	set +e
	selftests/vm/run-guest.sh -k 7.3 -m "$mem" -t "$timeout" -i "$ko" \
		-o "$out" -- scripts/bench.sh --in-guest --rekey-only \
		--rekey-every "$rekey_every" --build "$build" --rounds "$rounds" \
		--duration "$duration" --time-limit $((timeout - 120))
	rc=$?
	set -e
	echo "bench.sh: $(( $(date +%s) - start )) s; results in $out/rekey.txt" >&2
	exit $rc
fi
if [ "$guest" = 0 ]; then
	ko=$build/kmod/6.12/kmod/ktls_test_consumer.ko
	[ -e "$ko" ] || { echo "bench.sh: $ko missing: run make modules" >&2; exit 1; }
	[ -x "$build/bin/ktls-bench" ] || { echo "bench.sh: $build/bin/ktls-bench missing: run make" >&2; exit 1; }
	command -v gnuplot >/dev/null ||
		echo "bench.sh: gnuplot missing (scripts/deps.sh installs gnuplot-nox): no bench.png" >&2
	out=$build/bench
	mkdir -p "$out"
	rm -f "$out"/resume.{txt,json,csv} "$out"/tlshd.log
	[ "$ronly" = 1 ] || rm -f "$out"/bench.{txt,json,csv,png} "$out"/profile.txt
	# The suite stops beginning rounds in time to leave room for boot,
	# the resumption rows (200 s), the syscall profile and the copy back.
	args=()
	[ "$quick" = 1 ] && args+=(--quick)
	[ "$ronly" = 1 ] && args+=(--resume-only)
	[ "$ponly" = 1 ] && args+=(--profile-only)
	[ "$sonly" = 1 ] && args+=(--system-trust-only)
	rm -f "$out"/upcall-system.{txt,json}
	if [ "$versus" = host ]; then
		args+=(--versus-root "$(scripts/ktls-utils-root.sh)")
		rm -f "$out"/versus.{txt,json}
	fi
	args+=(--build "$build" --concurrency "$conc" --rounds "$rounds"
		--duration "$duration" --time-limit $((timeout - 370)))
	echo "bench.sh: 6.12 guest, ${mem} MiB, upcall concurrency $conc, $rounds rounds; at most ${timeout} s" >&2
	start=$(date +%s)
	set +e
	selftests/vm/run-guest.sh -k 6.12 -m "$mem" -t "$timeout" -i "$ko" -p algif_aead \
		-o "$out" -- scripts/bench.sh --in-guest "${args[@]}"
	rc=$?
	set -e
	echo "bench.sh: $(( $(date +%s) - start )) s; results in $out/:" \
		"$(cd "$out" && ls bench.* resume.* versus.* upcall-system.* profile.txt 2>/dev/null | tr '\n' ' ')" >&2
	exit $rc
fi

# ---- inside the guest ----
export PATH=$PWD/$build/bin:$PATH
vmout=${VM_OUT:-/tmp}
if [ "$rekey" = 1 ]; then
	# Rekeying against not, in the same rounds: the sender's ktls_key_update
	# and the receiver's follow, both through the kernel (6.14+).
	kargs=(--tx-paths ktls-write,ktls-rekey --rekey-every "$rekey_every"
		--tls 1.3 --rounds "$rounds" --duration "$duration")
	[ "$limit" -gt 0 ] && kargs+=(--time-limit "$limit")
	echo "== ktls-bench tx ${kargs[*]}"
	grep Rekey /proc/net/tls_stat >"$vmout/rekey-stat-before.txt" || true
	rc=0
	ktls-bench tx "${kargs[@]}" --json="$vmout/rekey.json" \
		--table "$vmout/rekey.txt" || rc=$?
	cat "$vmout/rekey.txt"
	echo "tls_stat after:"
	grep Rekey /proc/net/tls_stat | tee "$vmout/rekey-stat-after.txt"
	exit $rc
fi
T=$(mktemp -d /tmp/bench.XXXXXX)
tlshd_pid=
cleanup() {
	[ -n "$tlshd_pid" ] && kill "$tlshd_pid" 2>/dev/null && wait "$tlshd_pid" 2>/dev/null
	if [ -s "$T/tlshd.log" ]; then
		# Every failure's cause, whatever the tail keeps.
		{ { grep -E 'handshake failed|error:' "$T/tlshd.log" || :; } | tail -n 100
		  echo "--- last 200 lines"
		  tail -n 200 "$T/tlshd.log"; } >"$vmout/tlshd.log"
	fi
	rm -rf "$T"
}
trap cleanup EXIT

certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	--outfile "$T/ca.key" 2>/dev/null
printf 'cn = "ktls-bench CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$T/ca.tmpl"
certtool --generate-self-signed --load-privkey "$T/ca.key" \
	--template "$T/ca.tmpl" --outfile "$T/ca.pem" 2>/dev/null
certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	--outfile "$T/srv.key" 2>/dev/null
printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$T/srv.tmpl"
certtool --generate-certificate --load-privkey "$T/srv.key" \
	--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/srv.tmpl" --outfile "$T/srv.pem" 2>/dev/null
# The resumption rows' RSA-2048 server, signed by the same CA.
certtool --generate-privkey --key-type rsa --bits 2048 \
	--outfile "$T/rsa.key" 2>/dev/null
printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n' >"$T/rsa.tmpl"
certtool --generate-certificate --load-privkey "$T/rsa.key" \
	--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/rsa.tmpl" --outfile "$T/rsa.pem" 2>/dev/null

# versus_run: ours against ktls-utils' tlshd, each started by ktls-bench
# for each of its samples, in the same rounds.
versus_run() {
	local root=$versus vrc=0

	[ -x "$root/usr/sbin/tlshd" ] || { echo "bench.sh: no ktls-utils tlshd in $root"; return 1; }
	# ktls-bench runs PATH -s -c CONF: the config and the CA it names are
	# copied into the root at the same paths, then tlshd runs chrooted.
	cat >"$T/ktls-utils-tlshd" <<-EOW
	#!/bin/sh
	root=$root
	conf=\$3
	ca=\$(sed -n 's/^x509.truststore=//p' "\$conf")
	mkdir -p "\$root\$(dirname "\$conf")" "\$root\$(dirname "\$ca")"
	cp "\$conf" "\$root\$conf" && cp "\$ca" "\$root\$ca" || exit 1
	mountpoint -q "\$root/proc" || mount -t proc proc "\$root/proc"
	exec chroot "\$root" /usr/sbin/tlshd "\$@"
	EOW
	chmod +x "$T/ktls-utils-tlshd"
	echo "== ktls-bench upcall: tlshd ($(command -v tlshd)) against ktls-utils $(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' ktls-utils 2>/dev/null)"
	ktls-bench upcall --daemon "$T/ktls-utils-tlshd" --ours "$(command -v tlshd)" \
		--cert "$T/srv.pem" --key "$T/srv.key" --ca "$T/ca.pem" \
		--concurrency "$conc" --rounds "$rounds" --hs-duration 1.5 \
		${limit:+--time-limit "$limit"} --json="$vmout/versus.json" \
		--table "$T/versus.txt" || vrc=$?
	cat "$T/versus.txt"
	cp "$T/versus.txt" "$vmout/versus.txt"
	umount "$root/proc" 2>/dev/null
	return $vrc
}

cat >"$T/tlshd.conf" <<EOT
[authenticate.client]
x509.truststore=$T/ca.pem
EOT
if [ -n "$versus" ]; then
	versus_run
	exit $?
fi
tlshd -s -c "$T/tlshd.conf" --ready-file "$T/ready" >"$T/tlshd.log" 2>&1 &
tlshd_pid=$!
for _ in $(seq 100); do
	[ -e "$T/ready" ] && break
	kill -0 "$tlshd_pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -e "$T/ready" ]; then
	echo "bench.sh: tlshd did not get ready; upcall rows will be missing"
	tail -n 5 "$T/tlshd.log"
fi

# system_trust_run: tlshd with no x509.truststore (so the system store,
# loaded once at start) against plain GnuTLS clients that load the system
# store too, the bench's CA appended to it (this guest's overlay only):
# upcall / plain GnuTLS with 145 anchors instead of one.
system_trust_run() {
	local src=/etc/ssl/certs/ca-certificates.crt urc=0 pid
	[ -r "$src" ] || { echo "bench.sh: no system trust store at $src"; return 1; }
	cat "$T/ca.pem" >>"$src"
	echo "== tlshd and ktls-bench on the system trust store ($(grep -c 'BEGIN CERTIFICATE' "$src") anchors)"
	printf '[debug]\nloglevel=0\n' >"$T/tlshd-system.conf"
	kill "$tlshd_pid" 2>/dev/null; wait "$tlshd_pid" 2>/dev/null || true
	rm -f "$T/ready"
	tlshd -s -c "$T/tlshd-system.conf" --ready-file "$T/ready" >>"$T/tlshd.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
	ktls-bench upcall --system-trust --cert "$T/srv.pem" \
		--key "$T/srv.key" --ca "$T/ca.pem" --concurrency "$conc" \
		--rounds "$rounds" --hs-duration 1.5 --json="$vmout/upcall-system.json" \
		--table "$T/upcall-system.txt" || urc=$?
	cat "$T/upcall-system.txt"
	cp "$T/upcall-system.txt" "$vmout/upcall-system.txt"
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
	# Back to the CA file for what follows (the syscall profile).
	rm -f "$T/ready"
	tlshd -s -c "$T/tlshd.conf" --ready-file "$T/ready" >>"$T/tlshd.log" 2>&1 &
	tlshd_pid=$!
	for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
	return $urc
}
if [ "$sonly" = 1 ]; then
	system_trust_run
	exit $?
fi

bargs=(--cert "$T/srv.pem" --key "$T/srv.key" --ca "$T/ca.pem"
	--concurrency "$conc" --rounds "$rounds" --duration "$duration"
	--hs-duration 1.5)
[ "$limit" -gt 0 ] && bargs+=(--time-limit "$limit")
[ "$quick" = 1 ] && bargs+=(-c aes128gcm)
rc=0
rlimit=200
if [ "$ronly" = 1 ]; then
	# all the suite's time, less the profile's
	rlimit=$((limit > 0 ? limit + 200 : 400))
elif [ "$ponly" = 0 ]; then
	echo "== ktls-bench all ${bargs[*]}"
	ktls-bench all "${bargs[@]}" --json="$vmout/bench.json" --csv="$vmout/bench.csv" \
		--plot "$vmout/bench.png" --table "$T/bench.txt" || rc=$?
	cat "$T/bench.txt"
	cp "$T/bench.txt" "$vmout/bench.txt"
fi

# Resumed against full handshakes, side by side: TLS 1.2 and 1.3, ECDSA and
# RSA servers, libktls in process and tlshd through the upcall. Bounded to
# about 200 s; fails if a "resumed" row did not really resume.
rargs=(--ca "$T/ca.pem" --ecdsa-cert "$T/srv.pem" --ecdsa-key "$T/srv.key"
	--rsa-cert "$T/rsa.pem" --rsa-key "$T/rsa.key" --concurrency "$conc"
	--rounds "$rounds" --hs-duration 1 --time-limit "$rlimit")
if [ "$ponly" = 0 ]; then
	echo "== ktls-bench resume ${rargs[*]}"
	ktls-bench resume "${rargs[@]}" --json="$vmout/resume.json" \
		--csv="$vmout/resume.csv" --table "$T/resume.txt" || rc=$?
	cat "$T/resume.txt"
	cp "$T/resume.txt" "$vmout/resume.txt"
fi
[ "$ponly" = 0 ] && [ "$ronly" = 0 ] && { system_trust_run || rc=$?; }
[ "$ronly" = 1 ] && exit $rc

# upcall_syscalls CONC: strace -c attached to tlshd while ktls-bench drives
# upcall handshakes at CONC concurrent; prints syscalls and wake-ups (poll
# and epoll_wait returns) per handshake tlshd logged as done, its busiest
# calls, and whether the total is within $SYSCALL_BUDGET.
SYSCALL_BUDGET=40
upcall_syscalls() {
	local conc=$1 n0 n1 spid

	n0=$(grep -c 'handshake ok' "$T/tlshd.log" || true)
	strace -c -f -p "$tlshd_pid" -o "$T/st-upcall-$conc.txt" 2>/dev/null &
	spid=$!
	sleep 1
	ktls-bench upcall -q --no-warmup -r 1 --hs-duration 3 --tls 1.3 \
		--concurrency "$conc" --cert "$T/srv.pem" --key "$T/srv.key" \
		--ca "$T/ca.pem" >"$T/st-upcall-$conc.out" 2>&1 ||
		{ echo "  $conc concurrent: ktls-bench upcall failed:"; tail -n 5 "$T/st-upcall-$conc.out"; }
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null || true
	n1=$(grep -c 'handshake ok' "$T/tlshd.log" || true)
	python3 - "$conc" "$((n1 - n0))" "$T/st-upcall-$conc.txt" "$SYSCALL_BUDGET" <<'PY' || true
import sys
sys.path.insert(0, "scripts")
from strace_count import calls as strace_calls
conc, n, st, budget = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
calls = strace_calls(st)
if not n:
    print("  %s concurrent: tlshd logged no handshake" % conc)
    sys.exit(0)
tot = sum(c for c, _ in calls)
wake = sum(c for c, name in calls if name in ("poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2", "select", "pselect6"))
print("  %s concurrent: %d handshakes, %.1f syscalls and %.1f wake-ups per handshake (%s): %s" % (
    conc, n, tot / n, wake / n, "within budget" if tot / n <= budget else "OVER BUDGET",
    ", ".join("%s %.1f" % (name, c / n) for c, name in calls[:8])))
PY
}

# Where the time goes. strace -c -f counts the syscalls of each main path
# (it slows every call down, so rates under it mean nothing; counts per MiB
# delivered do). tlshd's own per-handshake times against the upcall
# latencies split the upcall into daemon work and the path around it.
{
	echo "Syscalls per MiB delivered (strace -c -f, both ends, AES-128-GCM, TLS 1.3, one 1.5 s sample each)"
	for p in tx:user tx:ktls-sendfile tx:ktls-uring rx:user rx:ktls-read rx:ktls-uring; do
		dir=${p%%:*} path=${p#*:}
		strace -c -f -o "$T/st-$dir-$path.txt" ktls-bench "$dir" -q --no-warmup -r 1 -d 1.5 \
			-c aes128gcm --no-kernel-aead --"$dir"-paths "$path" \
			--cert "$T/srv.pem" --key "$T/srv.key" --ca "$T/ca.pem" \
			--json="$T/st-$dir-$path.json" >/dev/null 2>&1
		python3 - "$dir" "$path" "$T/st-$dir-$path.txt" "$T/st-$dir-$path.json" <<'PY' || true
import json, sys
sys.path.insert(0, "scripts")
from strace_count import calls as strace_calls
d, p, st, js = sys.argv[1:]
r = [x for x in json.load(open(js))["results"] if x["kind"] == d and x["path"] == p]
mib = r[0]["streams"][0]["received"] / 2**20 if r and r[0]["n"] else 0
calls = strace_calls(st)
tot = sum(c for c, _ in calls)
if not mib:
    print("\n%s %s: no data went through" % (d, p))
    sys.exit(0)
print("\n%s %-14s %6.1f MiB, %6.0f syscalls/MiB: %s" % (d, p, mib, tot / mib,
      ", ".join("%s %.0f" % (n, c / mib) for c, n in calls[:5])))
PY
	done
	echo
	echo "tlshd's own handshake times (its log) against the upcall latencies in bench.txt:"
	python3 - "$T/tlshd.log" <<'PY' || true
import re, sys
ms = sorted(int(m.group(1)) for m in
            (re.search(r"handshake ok: .*, (\d+) ms$", l) for l in open(sys.argv[1])) if m)
if ms:
    q = lambda f: ms[min(len(ms) - 1, int(f * (len(ms) - 1) + 0.5))]
    print("  %d handshakes: p50 %d ms, p90 %d ms, p99 %d ms (all concurrency levels)" % (len(ms), q(.5), q(.9), q(.99)))
else:
    print("  none logged")
PY
	echo
	echo "tlshd's syscalls and wake-ups per upcall handshake (strace -c -f attached to tlshd, TLS 1.3, one 3 s sample; budget: $SYSCALL_BUDGET):"
	for c in 1 8; do
		upcall_syscalls "$c"
	done
} >"$vmout/profile.txt" 2>&1
exit $rc
