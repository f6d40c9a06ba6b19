# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by selftests/guest/libktls-*.sh: certificates made at run time,
# server start-up, /proc/net/tls_stat counters, verdicts.
set -u
B=${BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
PATH=$B/selftests/bin:$B/bin:$PATH
T=$(mktemp -d /tmp/engine.XXXXXX)
PORT=${ENGINE_PORT_BASE:-20000}

engine_cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap engine_cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"
ok() { echo "ok: $*"; }
finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS checks failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

# An ECDSA P-256 CA, a server certificate for localhost/127.0.0.1 and a
# client certificate it signed, and an unrelated CA for the wrong trust.
engine_certs() {
	local ext=$T/ext.cnf
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
		-subj "/CN=engine test CA" 2>/dev/null || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/other.key" -out "$T/other.pem" -days 2 \
		-subj "/CN=some other CA" 2>/dev/null || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$ext"
	for who in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$T/$who.key" -out "$T/$who.csr" \
			-subj "/CN=localhost" 2>/dev/null || return 1
		openssl x509 -req -in "$T/$who.csr" -CA "$T/ca.pem" \
			-CAkey "$T/ca.key" -CAcreateserial -days 2 \
			-extfile "$ext" -out "$T/$who.pem" 2>/dev/null || return 1
	done
}

next_port() { PORT=$((PORT + 1)); }

# start_server LOG CMD...: run CMD in the background, wait until something
# listens on $PORT.
start_server() {
	local log=$1 i
	shift
	"$@" >"$log" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$PORT")" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "server did not start: $*"
	cat "$log"
	return 1
}

# wait_server: the server's exit status (bounded in time).
wait_server() {
	local i
	for i in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID"
}

need_ktls() {
	if [ ! -r /proc/net/tls_stat ]; then
		echo "kernel has no kTLS (/proc/net/tls_stat missing)"
		exit 77
	fi
}

VERSIONS="tls1.2 tls1.3"
CIPHERS="aes128gcm aes256gcm chacha20 aes128ccm"
MIB=1048576
