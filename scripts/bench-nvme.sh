#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench-nvme` (and the end of `make bench`): NVMe/TCP PSK connects
# through tlshd with each key-exchange group, in one 6.12 guest run,
# rounds interleaved. The kernel's NVMe host and target in one guest over
# loopback, a retained PSK in .nvme; tlshd does both ends' handshakes
# (psk_dhe_ke). Writes nvme.txt and nvme.json into BUILD/bench/.
#
#   bench-nvme.sh [--build DIR] [--rounds N] [--connects N] [--timeout SEC]
#                 [--groups "G1 G2 ..."]
#
#   defaults: 5 rounds of 3 connects per group, groups "X25519 FFDHE2048"
#   (the first is the one compared with the others), 900 s for the guest
#
# Per connect: the handshake times tlshd logs for the host and the target
# end of every queue (admin and 2 I/O queues), and the connect's wall time
# (write to /dev/nvme-fabrics until its reply). tlshd is restarted with
# "[tlshd] groups=G" for each group in each round; the log must show that
# group negotiated on every handshake.
set -euo pipefail

build=build rounds=5 connects=3 timeout=900 guest=0 groups="X25519 FFDHE2048"
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--connects) connects=$2; shift 2 ;;
	--groups) groups=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--in-guest) guest=1; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-nvme.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."

if [ "$guest" = 0 ]; then
	[ -x "$build/bin/tlshd" ] || { echo "bench-nvme.sh: $build/bin/tlshd missing: run make" >&2; exit 1; }
	out=$build/bench
	mkdir -p "$out"
	rm -f "$out"/nvme.{txt,json}
	mods=()
	for ko in "$build"/kmod/6.12/kmod/*.ko; do
		[ -e "$ko" ] && mods+=(-i "$ko")
	done
	echo "bench-nvme.sh: 6.12 guest, $rounds rounds x $connects connects per group ($groups); at most $timeout s" >&2
	start=$(date +%s)
	set +e
	selftests/vm/run-guest.sh -k 6.12 -t "$timeout" -o "$out" "${mods[@]}" -- \
		scripts/bench-nvme.sh --in-guest --build "$build" --rounds "$rounds" \
		--connects "$connects" --groups "$groups"
	rc=$?
	set -e
	echo "bench-nvme.sh: $(( $(date +%s) - start )) s; results in $out/nvme.txt" >&2
	exit $rc
fi

# ---- inside the guest ----
export BUILD=$build
export PATH=$PWD/$build/bin:$PWD/$build/selftests/bin:$PATH
vmout=${VM_OUT:-/tmp}
set +e
. selftests/guest/nvme-common.bash
nvme_require
nvme_psk
nvme_target 4420 required
OPTS="transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$SUBNQN,hostnqn=$HOSTNQN,hostid=$HOSTID,nr_io_queues=2,tls"

# bench_connect GROUP ROUND: one connect and disconnect; appends
# "GROUP ROUND END MS" per handshake and "GROUP ROUND connect MS" to
# $T/samples.
bench_connect()
{
	local g=$1 r=$2 n0 t0 reply ms
	n0=$(grep -c 'handshake ok:' "$T/tlshd.log")
	t0=$(date +%s%N)
	reply=$(timeout 60 bash -c "$(declare -f nvme_connect); nvme_connect '$OPTS'") ||
		fail "connect ($g) failed: $(dmesg | grep -i nvme | tail -n 5)"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	CTRL=nvme$(echo "$reply" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
	[ "$CTRL" != nvme ] || fail "no instance in '$reply'"
	echo "$g $r connect $ms" >>"$T/samples"
	echo 1 >"/sys/class/nvme/$CTRL/delete_controller" || fail "disconnect"
	CTRL=
	tail -n +"$((n0 + 1))" <(grep 'handshake ok:' "$T/tlshd.log") >"$T/new"
	grep -v ", group $g, " "$T/new" &&
		fail "a handshake did not negotiate $g (above)"
	[ "$(wc -l <"$T/new")" -ge 2 ] || fail "$g: $(wc -l <"$T/new") handshakes logged for a connect"
	sed -nE "s/.*, (client|server), auth psk, .*, ([0-9]+) ms$/$g $r \1 \2/p" "$T/new" \
		>>"$T/samples"
}

: >"$T/samples"
for ((r = 1; r <= rounds; r++)); do
	# Interleaved, and the order turned round every other round.
	order=$groups
	[ $((r % 2)) = 0 ] && order=$(echo "$groups" | tr ' ' '\n' | tac | tr '\n' ' ')
	for g in $order; do
		printf '[debug]\nloglevel=1\n[tlshd]\ngroups=%s\n' "$g" >"$T/nvme.conf"
		start_tlshd "$T/nvme.conf"
		for ((i = 0; i < connects; i++)); do
			bench_connect "$g" "$r"
		done
		stop_tlshd
	done
	echo "round $r/$rounds done" >&2
done
keyctl unlink "$PSK_KEY" "$PSK_RING" >/dev/null
PSK_KEY=

python3 - "$T/samples" "$vmout/nvme.txt" "$vmout/nvme.json" "$groups" \
	"$rounds" "$connects" "$(uname -r)" <<'EOT'
import json, statistics as st, sys
samples, txt, js, groups, rounds, connects, kernel = sys.argv[1:]
groups = groups.split()
data = {}   # (group, round, kind) -> [ms]
for line in open(samples):
    g, r, kind, ms = line.split()
    data.setdefault((g, int(r), kind), []).append(float(ms))
kinds = ("client", "server", "connect")
names = {"client": "handshake, host end", "server": "handshake, target end",
         "connect": "connect (wall)"}
base = groups[0]
out = {"kernel": kernel, "rounds": int(rounds), "connects": int(connects),
       "groups": groups, "median_ms": {}, "ratio": {}}
lines = [f"NVMe/TCP PSK connects through tlshd, {kernel}, {rounds} rounds x "
         f"{connects} connects per group, interleaved",
         f"ratios: {base} / other, median of per-round medians (min-max)", ""]
head = f"{'':24}" + "".join(f"{g + ' ms':>16}" for g in groups)
head += "".join(f"{base + ' / ' + g:>26}" for g in groups[1:])
lines.append(head)
for k in kinds:
    row = f"{names[k]:24}"
    for g in groups:
        allv = [v for (gg, r, kk), vs in data.items() if gg == g and kk == k for v in vs]
        m = st.median(allv)
        out["median_ms"].setdefault(g, {})[k] = m
        row += f"{m:16.1f}"
    for g in groups[1:]:
        per = [st.median(data[(base, r, k)]) / st.median(data[(g, r, k)])
               for r in range(1, int(rounds) + 1)
               if (base, r, k) in data and (g, r, k) in data]
        out["ratio"].setdefault(g, {})[k] = {"median": st.median(per),
                                             "min": min(per), "max": max(per)}
        row += f"{'%.2f (%.2f-%.2f)' % (st.median(per), min(per), max(per)):>26}"
    lines.append(row)
open(txt, "w").write("\n".join(lines) + "\n")
json.dump(out, open(js, "w"), indent=1)
print("\n".join(lines))
EOT
