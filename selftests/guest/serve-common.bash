# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by selftests/guest/serve-*.sh: a CA and server certificate made
# at run time, test files, ktls-serve start/stop, descriptor counts and
# /proc/net/tls_stat counters.
set -u
B=${BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
PATH=$B/selftests/bin:$B/bin:$PATH
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d /tmp/serve.XXXXXX)
ROOT=$T/root
mkdir -p "$ROOT"
SERVER_PID=
SERVER_LOG=$T/server.log

serve_cleanup() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap serve_cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"
ok() { echo "ok: $*"; }
finish() {
	# Word-bounded: the log names temporary paths (serve.XXXXXX) whose
	# random letters once spelled "BUg".
	grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|(^|[^A-Za-z])BUG:' "$SERVER_LOG" &&
		fail_later "the server reported a bug"
	if [ "$FAILS" -gt 0 ]; then
		echo "--- server log (last 100 lines)"
		tail -n 100 "$SERVER_LOG"
		echo "$FAILS checks failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

need_ktls() {
	if [ ! -r /proc/net/tls_stat ]; then
		echo "kernel has no kTLS (/proc/net/tls_stat missing)"
		exit 77
	fi
}

need_tool() {
	command -v "$1" >/dev/null || {
		echo "$1 is not installed (scripts/deps.sh installs it)"
		exit 77
	}
}

# An ECDSA P-256 CA and a server certificate for localhost and 127.0.0.1.
serve_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
		-subj "/CN=ktls-serve test CA" 2>/dev/null || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext.cnf"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/server.key" -out "$T/server.csr" \
		-subj "/CN=localhost" 2>/dev/null || return 1
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" \
		-CAkey "$T/ca.key" -CAcreateserial -days 2 \
		-extfile "$T/ext.cnf" -out "$T/server.pem" 2>/dev/null
}

# Files whose bytes differ everywhere, so that a wrong offset shows.
# The 256 MiB one is sparse with random blocks scattered through it:
# real data where it matters, almost no RAM on the guest's tmpfs.
serve_files() {
	local s off
	for s in 0 1 16383 16384 16385 1048576; do
		head -c "$s" /dev/urandom >"$ROOT/f$s"
	done
	if [ "${1:-}" = big ]; then
		truncate -s $((256 << 20)) "$ROOT/f268435456"
		for off in 1 4095 16384 1048577 $((64 << 20)) $((128 << 20)) \
			   $((200 << 20)) $(((256 << 20) - 8192)); do
			dd if=/dev/urandom of="$ROOT/f268435456" bs=8192 count=1 \
				seek="$off" oflag=seek_bytes conv=notrunc \
				status=none || return 1
		done
	fi
	echo "<h1>ktls-serve</h1>" >"$ROOT/index.html"
	echo "secret" >"$T/secret"
	ln -s ../secret "$ROOT/escape"
}

# start_serve ARGS...: ktls-serve on a free port; sets SERVER_PID, PORT.
# KTLS_SERVE=path runs another build of it (an ASan one, say).
start_serve() {
	local i
	: >"$SERVER_LOG"
	${KTLS_SERVE:-ktls-serve} --port 0 --root "$ROOT" "$@" >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 100); do
		PORT=$(sed -n 's/.*listening on .*:\([0-9]*\) (.*/\1/p' "$SERVER_LOG")
		[ -n "$PORT" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "ktls-serve did not start: $*"
	cat "$SERVER_LOG"
	return 1
}

# stop_serve: SIGTERM, then the server's exit status (bounded in time).
stop_serve() {
	local i
	kill -TERM "$SERVER_PID" 2>/dev/null
	for i in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID"
}

fd_count() { ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l; }

# wait_fds N: until the server holds N descriptors again (up to 10 s).
wait_fds() {
	local i
	for i in $(seq 100); do
		[ "$(fd_count)" -eq "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_log PATTERN [SECONDS]: until the server log has a line matching it.
wait_log() {
	local i
	for i in $(seq $((${2:-10} * 10))); do
		grep -q -- "$1" "$SERVER_LOG" && return 0
		sleep 0.1
	done
	return 1
}

sha() { sha256sum | cut -d' ' -f1; }
file_sha() { sha256sum <"$1" | cut -d' ' -f1; }

# The client side of the failure tests (close_notify, garbage, ...).
clients() { python3 "$HERE/serve-clients.py" "$@"; }

URL() { echo "https://localhost:$PORT$1"; }
CURL=(curl -sS --cacert "$T/ca.pem")

# Conformance scans of the server on $PORT (scan-ktls.sh in the guest,
# scan_conformance.sh on the host), judged by selftests/lib/scan-check.py.
SCAN_CHECK=$HERE/../lib/scan-check.py

# scan_sslscan DIR SECONDS: sslscan, its XML kept in DIR.
scan_sslscan() {
	if timeout "$2" sslscan --no-colour --xml="$1/sslscan.xml" \
		127.0.0.1:"$PORT" >"$1/sslscan.txt" 2>&1; then
		python3 "$SCAN_CHECK" sslscan "$1/sslscan.xml" && ok "sslscan" ||
			fail_later "sslscan findings (above)"
	else
		fail_later "sslscan exited $? (see $1/sslscan.txt)"
	fi
}

# scan_testssl DIR SECONDS CHECK...: testssl.sh from here, through the
# script the host companion runs for a guest, so both scan alike.
scan_testssl() {
	local dir=$1 rc
	shift
	"$HERE/../companion/testssl.sh" "$PORT" "$dir" "$@"
	rc=$?
	scan_judge_testssl "$dir" "$rc" "testssl ${*:2}"
}

# scan_judge_testssl DIR EXIT WHAT: judge the JSON testssl left in DIR.
scan_judge_testssl() {
	if [ ! -s "$1/testssl.json" ]; then
		fail_later "$3 wrote no JSON (exit $2, see $1/testssl.txt)"
	elif python3 "$SCAN_CHECK" testssl "$1/testssl.json"; then
		ok "$3"
	else
		fail_later "$3: findings (above)"
	fi
}
