#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# With kTLS, file bodies never pass through ktls-serve's user space: under
# strace, serving 4 MiB makes no read()-family call on the file and sends only
# a few KiB (handshake, alerts) through write/send syscalls, while the
# kernel offloads TX (TlsTxSw +1) and the ring's splices carry every body
# byte. The same measurement on --tls=user (GnuTLS in user space) must show
# the opposite - pread() of the whole file and as much through sendmsg -
# so that the check is known to be able to fail.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls
need_tool curl
need_tool strace
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files || { echo "cannot make test files"; exit 1; }
SIZE=$((4 << 20))
head -c $SIZE /dev/urandom >"$ROOT/f4m"

# Per syscall name: calls and bytes (sum of positive results).
summarize() {
	awk '
	{
		name = ""
		if (match($0, /^[0-9]+ +[a-z0-9_]+\(/)) {
			s = substr($0, RSTART, RLENGTH - 1)
			sub(/^[0-9]+ +/, "", s)
			name = s
		}
		if (match($0, /<\.\.\. [a-z0-9_]+ resumed>/)) {
			s = substr($0, RSTART + 4, RLENGTH - 4)
			sub(/ resumed>/, "", s)
			name = s
		}
		if (name == "" || $0 ~ /<unfinished \.\.\.>$/)
			next
		calls[name]++
		if (match($0, /= [0-9]+$/))
			bytes[name] += substr($0, RSTART + 2)
	}
	END { for (n in calls) printf "%s %d %d\n", n, calls[n], bytes[n] }' "$1"
}

# measure MODE: fetch f4m once under strace; sets READS READ_BYTES SENT TX.
measure() {
	local mode=$1 tx0 i
	start_serve --tls="$mode" --cert "$T/server.pem" --key "$T/server.key" || return 1
	strace -f -qq -y -p "$SERVER_PID" -o "$T/trace.$mode" \
		-e trace=read,pread64,readv,preadv,preadv2,write,writev,sendto,sendmsg,recvfrom,recvmsg,splice,sendfile,io_uring_enter &
	local tracer=$!
	for i in $(seq 100); do
		[ "$(awk '/^TracerPid/ {print $2}' "/proc/$SERVER_PID/status")" != 0 ] && break
		sleep 0.1
	done
	tx0=$(tls_stat TlsTxSw)
	if [ "$("${CURL[@]}" "$(URL /f4m)" | sha)" = "$(file_sha "$ROOT/f4m")" ]; then
		ok "$mode: 4 MiB under strace, sha256 matches"
	else
		fail_later "$mode: 4 MiB under strace: wrong body"
	fi
	TX=$(( $(tls_stat TlsTxSw) - tx0 ))
	sleep 0.5
	kill -INT "$tracer"
	wait "$tracer"
	summarize "$T/trace.$mode" | sort >"$T/sum.$mode"
	echo "   $mode: syscalls during the fetch (name calls bytes):" $(cat "$T/sum.$mode")
	# Reads of the served file itself (strace -y names each descriptor).
	grep -E '(read|pread64|readv|preadv|preadv2)\([0-9]+<[^>]*/f4m>' "$T/trace.$mode" \
		>"$T/reads.$mode"
	READS=$(grep -c . "$T/reads.$mode")
	READ_BYTES=$(summarize "$T/reads.$mode" | awk '{n += $3} END {print n + 0}')
	grep -E '(read|pread64|readv|preadv|preadv2)\(' "$T/trace.$mode" |
		grep -v '/f4m>' | sed 's/^/   other read: /' | head -5
	SENT=$(awk '$1 ~ /^(write|writev|sendto|sendmsg)$/ {n += $3} END {print n + 0}' "$T/sum.$mode")
	stop_serve
	STATS=$(grep 'exiting:' "$SERVER_LOG")
	echo "   $STATS"
}

measure ktls || exit 1
[ "$READS" -eq 0 ] && ok "ktls: no read()-family syscall on the served file" ||
	fail_later "ktls: $READS read()-family syscalls on the file, $READ_BYTES bytes"
[ "$SENT" -lt 65536 ] && ok "ktls: $SENT bytes through write/send syscalls for a $SIZE-byte body" ||
	fail_later "ktls: $SENT bytes through write/send syscalls"
[ "$TX" -eq 1 ] && ok "ktls: TlsTxSw +1 (TX offloaded)" || fail_later "ktls: TlsTxSw +$TX, want +1"
echo "$STATS" | grep -q " $SIZE body bytes by splice, 0 body bytes copied" &&
	ok "ktls: the ring spliced all $SIZE body bytes" || fail_later "ktls: $STATS"
grep -q io_uring_enter "$T/sum.ktls" || fail_later "ktls: no io_uring_enter under strace?"

measure user || exit 1
[ "$READ_BYTES" -ge "$SIZE" ] && ok "user: control: $READ_BYTES bytes read() into user space" ||
	fail_later "user: control: only $READ_BYTES bytes read"
[ "$SENT" -ge "$SIZE" ] && ok "user: control: $SENT bytes through send syscalls" ||
	fail_later "user: control: only $SENT bytes sent by syscalls"
[ "$TX" -eq 0 ] && ok "user: control: TlsTxSw unchanged" || fail_later "user: TlsTxSw +$TX"
echo "$STATS" | grep -q " 0 body bytes by splice, $SIZE body bytes copied" ||
	fail_later "user: $STATS"
finish
