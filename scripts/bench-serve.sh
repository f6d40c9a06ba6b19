#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench-serve` (and the end of `make bench`): ktls-serve against
# Debian's nginx, with kTLS and in user space, in one 6.12 guest run,
# rounds interleaved. Writes serve.txt and serve.json into BUILD/bench/.
#
#   bench-serve.sh [--build DIR] [--rounds N] [--duration SEC] [--timeout SEC]
#
#   defaults: 5 rounds, 4 s per wrk run (whole seconds; twice that for the
#   64 MiB and the 64-connection workloads, whose handshakes and first
#   bodies take seconds under emulation), 1200 s for the whole guest run
#
# Workloads (wrk, TLS 1.3 AES-128-GCM pinned on every server): a 1 MiB
# file on one connection, 64 MiB on one connection, 1 MiB on 64
# connections, 16 KiB files on 8 keep-alive connections, and a new TLS
# connection per request (Connection: close, 4 clients). Before the rounds
# every server's bodies are checked by sha256 and its use of kTLS (or not)
# by /proc/net/tls_stat; each wrk run must end without errors or non-2xx.
set -euo pipefail

build=build rounds=5 duration=4 timeout=1200 guest=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--in-guest) guest=1; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-serve.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."

if [ "$guest" = 0 ]; then
	[ -x "$build/bin/ktls-serve" ] || { echo "bench-serve.sh: $build/bin/ktls-serve missing: run make" >&2; exit 1; }
	for p in nginx:nginx-light wrk:wrk; do
		command -v "${p%%:*}" >/dev/null && continue
		echo "bench-serve.sh: installing ${p#*:}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${p#*:}" >/dev/null
	done
	out=$build/bench
	mkdir -p "$out"
	rm -f "$out"/serve.{txt,json}
	echo "bench-serve.sh: 6.12 guest, $rounds rounds of ${duration} s runs; at most ${timeout} s" >&2
	start=$(date +%s)
	set +e
	selftests/vm/run-guest.sh -k 6.12 -t "$timeout" -o "$out" -- \
		scripts/bench-serve.sh --in-guest --build "$build" \
		--rounds "$rounds" --duration "$duration"
	rc=$?
	set -e
	echo "bench-serve.sh: $(( $(date +%s) - start )) s; results in $out/serve.txt" >&2
	exit $rc
fi

# ---- inside the guest ----
export PATH=$PWD/$build/bin:$PATH
vmout=${VM_OUT:-/tmp}
T=$(mktemp -d /tmp/bench-serve.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]+"${pids[@]}"}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	--outfile "$T/srv.key" 2>/dev/null
printf 'cn = "localhost"\ndns_name = "localhost"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$T/srv.tmpl"
certtool --generate-self-signed --load-privkey "$T/srv.key" \
	--template "$T/srv.tmpl" --outfile "$T/srv.pem" 2>/dev/null
mkdir -p "$T/www"
head -c $((1 << 20)) /dev/urandom >"$T/www/f1m"
head -c $((64 << 20)) /dev/urandom >"$T/www/f64m"
for i in 0 1 2 3 4 5 6 7; do
	head -c $((16 << 10)) /dev/urandom >"$T/www/s$i"
done

# The three servers, each on its own port.
KS_PORT=18443 NG_PORT=18444 NU_PORT=18445
ktls-serve --port "$KS_PORT" --bind 127.0.0.1 --root "$T/www" --quiet \
	--cert "$T/srv.pem" --key "$T/srv.key" --priority TLS1.3:AES-128-GCM \
	>"$T/ktls-serve.log" 2>&1 &
pids+=($!)
nginx_conf() {
	# nginx_conf PORT KTLS(on|off)
	cat <<-EOT
	user root;
	worker_processes auto;
	error_log $T/nginx-$1.err;
	pid $T/nginx-$1.pid;
	events { worker_connections 1024; }
	http {
		access_log off;
		sendfile on;
		tcp_nopush on;
		keepalive_requests 1000000;
		default_type application/octet-stream;
		client_body_temp_path $T/nginx-$1-tmp;
		server {
			listen 127.0.0.1:$1 ssl;
			ssl_certificate $T/srv.pem;
			ssl_certificate_key $T/srv.key;
			ssl_protocols TLSv1.3;
			ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
			$([ "$2" = on ] && echo "ssl_conf_command Options KTLS;")
			root $T/www;
		}
	}
	EOT
}
for p in "$NG_PORT:on" "$NU_PORT:off"; do
	nginx_conf "${p%%:*}" "${p#*:}" >"$T/nginx-${p%%:*}.conf"
	nginx -e "$T/nginx-${p%%:*}.err" -c "$T/nginx-${p%%:*}.conf" -g 'daemon off;' \
		>>"$T/nginx-${p%%:*}.log" 2>&1 &
	pids+=($!)
done
for port in $KS_PORT $NG_PORT $NU_PORT; do
	for _ in $(seq 100); do
		curl -sk -o /dev/null "https://127.0.0.1:$port/s0" && break
		sleep 0.2
	done
done

tls_stat() { awk -v k="$1" '$1 == k {print $2}' /proc/net/tls_stat; }
rc=0
# Bodies and kTLS, before any timing.
for s in ktls-serve:$KS_PORT:ktls nginx-ktls:$NG_PORT:ktls nginx-user:$NU_PORT:user; do
	IFS=: read -r name port mode <<<"$s"
	tx0=$(tls_stat TlsTxSw)
	for f in f1m f64m s3; do
		got=$(curl -sk "https://127.0.0.1:$port/$f" | sha256sum | cut -d' ' -f1)
		want=$(sha256sum <"$T/www/$f" | cut -d' ' -f1)
		[ "$got" = "$want" ] || { echo "bench-serve: $name: /$f body differs"; rc=1; }
	done
	proto=$(curl -sk -o /dev/null -w '%{scheme}' "https://127.0.0.1:$port/s0")
	tx1=$(tls_stat TlsTxSw)
	if [ "$mode" = ktls ] && [ "$tx1" -le "$tx0" ]; then
		echo "bench-serve: $name did not use kTLS (TlsTxSw $tx0 -> $tx1)"; rc=1
	elif [ "$mode" = user ] && [ "$tx1" -gt "$tx0" ]; then
		echo "bench-serve: $name used kTLS although it should not"; rc=1
	else
		echo "bench-serve: $name: bodies verified, kTLS ${mode/user/not used} ($proto)"
	fi
done
openssl s_client -connect 127.0.0.1:$KS_PORT -brief </dev/null 2>&1 | grep -E 'Protocol|Ciphersuite' | sed 's/^/  ktls-serve: /'
openssl s_client -connect 127.0.0.1:$NG_PORT -brief </dev/null 2>&1 | grep -E 'Protocol|Ciphersuite' | sed 's/^/  nginx: /'
[ "$rc" = 0 ] || exit 1

# run_wrk NAME PORT WORKLOAD: one wrk run; appends "round workload name
# req/s MiB/s" to $T/rows.
run_wrk() {
	local name=$1 port=$2 w=$3 args=() url=https://127.0.0.1:$2 o d=$duration
	case $w in 64m-1c|1m-64c) d=$((duration * 2)) ;; esac
	case $w in
	1m-1c) args=(-t1 -c1); url+=/f1m ;;
	64m-1c) args=(-t1 -c1); url+=/f64m ;;
	1m-64c) args=(-t2 -c64); url+=/f1m ;;
	16k-8c) args=(-t2 -c8 -s "$T/small.lua") ;;
	new-conn) args=(-t2 -c4 -H 'Connection: close'); url+=/s0 ;;
	esac
	o=$(wrk "${args[@]}" -d "${d}s" --timeout 30s "$url" 2>&1) ||
		{ echo "bench-serve: wrk $name $w: $o"; return 1; }
	if grep -qE 'Socket errors|Non-2xx' <<<"$o"; then
		echo "bench-serve: wrk $name $w: $(grep -E 'Socket errors|Non-2xx' <<<"$o")"
		return 1
	fi
	printf '%s\n' "$o" >"$T/wrk.out"
	python3 - "$r" "$w" "$name" "$T/wrk.out" >>"$T/rows" <<'PY'
import re, sys
t = open(sys.argv[4]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", t)
mib = float(m.group(1)) * {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}[m.group(2)]
print(sys.argv[1], sys.argv[2], sys.argv[3], rps, mib)
PY
}
# 16 KiB files: each request a different one of eight.
cat >"$T/small.lua" <<'EOT'
local i = 0
request = function()
	i = (i + 1) % 8
	return wrk.format("GET", "/s" .. i)
end
EOT

: >"$T/rows"
workloads="1m-1c 64m-1c 1m-64c 16k-8c new-conn"
for ((r = 1; r <= rounds; r++)); do
	for w in $workloads; do
		# Alternate who goes first, so neither always gets a warm cache.
		if [ $((r % 2)) = 1 ]; then
			order="ktls-serve:$KS_PORT nginx-ktls:$NG_PORT nginx-user:$NU_PORT"
		else
			order="nginx-user:$NU_PORT nginx-ktls:$NG_PORT ktls-serve:$KS_PORT"
		fi
		for s in $order; do
			run_wrk "${s%%:*}" "${s#*:}" "$w" || rc=1
		done
	done
	echo "bench-serve: round $r of $rounds done"
done

python3 - "$T/rows" "$rounds" "$duration" "$vmout/serve.json" <<'PY' | tee "$vmout/serve.txt"
import json, statistics, sys
val = {}
for r, w, name, rps, mib in (l.split() for l in open(sys.argv[1])):
    val[(int(r), w, name)] = (float(rps), float(mib))
# Large bodies are compared by bytes delivered (a 64 MiB request may not
# end inside one run), small ones by requests.
ws = [("1m-1c", "1 MiB, 1 connection", 1), ("64m-1c", "64 MiB, 1 connection", 1),
      ("1m-64c", "1 MiB, 64 connections", 1), ("16k-8c", "16 KiB files, 8 keep-alive", 0),
      ("new-conn", "new TLS connection per request", 0)]
names = ("ktls-serve", "nginx-ktls", "nginx-user")
out = {"rounds": int(sys.argv[2]), "seconds": float(sys.argv[3]), "workloads": []}
print("ktls-serve against nginx 1.22 (Debian), TLS 1.3 AES-128-GCM, wrk, %s rounds of %s s, interleaved"
      % (sys.argv[2], sys.argv[3]))
print("ratios: median of per-round ratios [min-max]; target ktls-serve / nginx+kTLS >= 1.0\n")
print("%-31s %13s %13s %13s  %-18s %-18s" % ("workload", "ktls-serve", "nginx+kTLS", "nginx user",
      "/ nginx+kTLS", "/ nginx user"))
for w, desc, by_bytes in ws:
    k = 1 if by_bytes else 0
    unit = "MiB/s" if by_bytes else "req/s"
    rs = sorted({r for (r, ww, n) in val if ww == w})
    med = {n: statistics.median(val[(r, w, n)][k] for r in rs if (r, w, n) in val)
           for n in names if any((r, w, n) in val for r in rs)}
    rat = {}
    for d in names[1:]:
        q = [val[(r, w, "ktls-serve")][k] / val[(r, w, d)][k] for r in rs
             if (r, w, "ktls-serve") in val and (r, w, d) in val and val[(r, w, d)][k]]
        rat[d] = (statistics.median(q), min(q), max(q)) if q else None
    f = lambda x: "%.2f [%.2f-%.2f]" % x if x else "-"
    print("%-31s %s  %-18s %-18s" % (desc, " ".join("%7.1f %-5s" % (med.get(n, 0), unit) for n in names),
          f(rat["nginx-ktls"]), f(rat["nginx-user"])))
    out["workloads"].append({"name": w, "unit": unit, "median": med,
                             "ratio_nginx_ktls": rat["nginx-ktls"], "ratio_nginx_user": rat["nginx-user"]})
json.dump(out, open(sys.argv[4], "w"), indent=1)
PY
exit $rc
