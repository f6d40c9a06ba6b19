# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the selftests/guest/tlshd-*.sh tests (sourced, not a test):
# a scratch PKI, tlshd started and stopped, TLS servers, assertions.
# Tests exit 0 pass, 77 skip (last line: why), anything else fail.

set -u
T=$(mktemp -d /tmp/tlshd-test.XXXXXX)
TLSHD_PID=
BG_PIDS=()

tlshd_cleanup()
{
	local p
	for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}" $TLSHD_PID; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap tlshd_cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

fail_hook()
{
	if [ -s "$T/tlshd.log" ]; then
		echo "--- tlshd log:"
		tail -n 30 "$T/tlshd.log"
	fi
}

# Only kernels with net/handshake (6.4+) can run these tests.
require_handshake()
{
	if ! genl-ctrl-list 2>/dev/null | grep -qw handshake; then
		skip "kernel $(uname -r) has no \"handshake\" netlink family (net/handshake came in 6.4)"
	fi
	[ -e /dev/ktls_test ] ||
		fail "/dev/ktls_test missing: ktls_test_consumer.ko was not loaded (make modules?)"
	command -v tlshd >/dev/null || fail "tlshd not built"
	command -v hs-consumer >/dev/null || fail "hs-consumer not built"
}

# A CA, a server certificate for localhost/127.0.0.1 signed by it, and a
# second, untrusted CA with a server certificate for the same names.
# make_pki: two CAs (ca, rogue), a server certificate from each and a
# client certificate from ca, in $T. Generated once per guest boot and
# copied after that: certtool costs seconds under emulation, and no test
# depends on its keys being its own.
PKI_CACHE=/tmp/tlshd-test-pki
make_pki()
{
	if [ -e "$PKI_CACHE/complete" ]; then
		cp "$PKI_CACHE"/*.pem "$PKI_CACHE"/*.key "$PKI_CACHE"/*.tmpl "$T/" ||
			fail "cannot copy the cached PKI"
	else
		make_pki_new
		mkdir -p "$PKI_CACHE.$$" &&
			cp "$T"/*.pem "$T"/*.key "$T"/*.tmpl "$PKI_CACHE.$$/" &&
			touch "$PKI_CACHE.$$/complete" &&
			mv -T "$PKI_CACHE.$$" "$PKI_CACHE" 2>/dev/null || rm -rf "$PKI_CACHE.$$"
	fi
	cat >"$T/tlshd.conf" <<-EOT
	[debug]
	loglevel=1
	[authenticate.client]
	x509.truststore=$T/ca.pem
	EOT
}

make_pki_new()
{
	local ca
	for ca in ca rogue; do
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
			--outfile "$T/$ca.key" 2>/dev/null || fail "certtool"
		cat >"$T/$ca.tmpl" <<-EOT
		cn = "tlshd test $ca"
		ca
		cert_signing_key
		expiration_days = 2
		EOT
		certtool --generate-self-signed --load-privkey "$T/$ca.key" \
			--template "$T/$ca.tmpl" --outfile "$T/$ca.pem" \
			2>/dev/null || fail "certtool self-signed"
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
			--outfile "$T/$ca-srv.key" 2>/dev/null || fail "certtool"
		cat >"$T/$ca-srv.tmpl" <<-EOT
		cn = "localhost"
		dns_name = "localhost"
		ip_address = "127.0.0.1"
		tls_www_server
		signing_key
		expiration_days = 2
		EOT
		certtool --generate-certificate --load-privkey "$T/$ca-srv.key" \
			--load-ca-certificate "$T/$ca.pem" \
			--load-ca-privkey "$T/$ca.key" \
			--template "$T/$ca-srv.tmpl" --outfile "$T/$ca-srv.pem" \
			2>/dev/null || fail "certtool server certificate"
	done
	# A client certificate for mutual TLS, signed by the trusted CA.
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$T/client.key" 2>/dev/null || fail "certtool"
	cat >"$T/client.tmpl" <<-EOT
	cn = "tlshd test client"
	tls_www_client
	signing_key
	expiration_days = 2
	EOT
	certtool --generate-certificate --load-privkey "$T/client.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/client.tmpl" --outfile "$T/client.pem" \
		2>/dev/null || fail "certtool client certificate"
}

# start_echo_server PORT [TICKETS]: the asyncio TLS echo server, one
# process per CPU so that the peer keeps up with tlshd; TICKETS 0 makes
# every handshake a full one. Python can take long to start in a busy
# emulated guest: wait up to a minute.
start_echo_server()
{
	local port=$1 log=$T/server-$1.log i

	python3 selftests/bin/tls-echo-server.py "$port" "$T/ca-srv.pem" \
		"$T/ca-srv.key" "$(nproc)" "${2:-2}" >"$log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	for i in $(seq 600); do
		grep -q "^listening on $port" "$log" && return 0
		kill -0 "${BG_PIDS[-1]}" 2>/dev/null ||
			fail "echo server exited: $(tail -n 5 "$log")"
		sleep 0.1
	done
	fail "echo server not listening after 60 s"
}

# Tests that count on a TLS 1.3 ticket reaching tlshd's client before DONE:
# on a loaded emulated host it can come later than the adaptive wait
# (twice the hello round trip, 10-300 ms). The wait ends when it comes.
patient_tickets()
{
	printf '[resumption]\nticket_wait_ms=5000\n' >>"${1:-$T/tlshd.conf}"
}

# Send SIGHUP (or $2) and wait until the log has one more line matching $1.
reload_tlshd()
{
	local want=$1 sig=${2:-HUP} n0 i
	n0=$(grep -cE -- "$want" "$T/tlshd.log")
	kill -"$sig" "$TLSHD_PID" || fail "SIG$sig: tlshd is gone"
	for i in $(seq 100); do
		[ "$(grep -cE -- "$want" "$T/tlshd.log")" -gt "$n0" ] && {
			echo "  log: $(grep -E -- "$want" "$T/tlshd.log" | tail -n 1)"
			return 0
		}
		sleep 0.1
	done
	fail "no /$want/ in the log 10 s after SIGHUP"
}

# Start tlshd and wait until it is ready (joined the multicast group).
start_tlshd()
{
	local conf=${1:-$T/tlshd.conf} i
	rm -f "$T/ready"
	tlshd -s -c "$conf" --ready-file "$T/ready" \
		--status-socket "$T/status.sock" >>"$T/tlshd.log" 2>&1 &
	TLSHD_PID=$!
	for i in $(seq 100); do
		[ -e "$T/ready" ] && return 0
		kill -0 "$TLSHD_PID" 2>/dev/null || fail "tlshd exited at start"
		sleep 0.1
	done
	fail "tlshd not ready after 10 s"
}

stop_tlshd()
{
	local rc
	[ -n "$TLSHD_PID" ] || return 0
	kill -TERM "$TLSHD_PID"
	wait "$TLSHD_PID"
	rc=$?
	TLSHD_PID=
	[ "$rc" = 0 ] || fail "tlshd exited with status $rc after SIGTERM"
	[ ! -e "$T/ready" ] || fail "tlshd left its ready file behind"
}

tlshd_fds()
{
	ls "/proc/$TLSHD_PID/fd" | wc -l
}

# tlshd_rss: tlshd's resident set, kB.
tlshd_rss()
{
	awk '$1 == "VmRSS:" {print $2}' "/proc/$TLSHD_PID/status"
}

# tlshd_oks PORT: handshakes tlshd logged ok with 127.0.0.1:PORT.
tlshd_oks()
{
	grep -c "handshake ok: peer localhost 127\.0\.0\.1:$1" "$T/tlshd.log"
}

# The load tests' baseline after common.bash's warm_up: tlshd's fds and
# resident set.
baseline_hook()
{
	FDS0=$(tlshd_fds)
	RSS0=$(tlshd_rss)
}

# tlshd_warm_up PORT COUNT: COUNT handshakes (hs-load) against the echo
# server on PORT, then the baseline: FDS0, RSS0 and OK0, every warm-up
# handshake logged ok.
tlshd_warm_up()
{
	warm_up "$2 handshakes" hs-load --connect "127.0.0.1:$1" --count "$2" \
		--peername localhost --timeout-ms 60000
	OK0=$(tlshd_oks "$1")
	[ "$OK0" = "$2" ] || fail "$OK0 'handshake ok' log lines for $2 warm-up handshakes"
}

# tlshd_status: the running daemon's status line (from "N handshakes in
# flight" on), asked through tlshd --status.
tlshd_status()
{
	local line
	kill -0 "$TLSHD_PID" 2>/dev/null || fail "tlshd is gone"
	line=$(tlshd --status --status-socket "$T/status.sock") ||
		fail "tlshd --status failed: $line"
	echo "$line" | sed -n 's/^status: //p'
}

# status_of LINE WHAT: the number before WHAT in a status line
# ("handshakes in flight", "GnuTLS sessions open", "kB in use" (heap)).
status_of()
{
	local v
	v=$(echo "$1" | sed -n "s/.*\(^\|[ ,;]\)\([0-9][0-9]*\) $2.*/\2/p")
	[ -n "$v" ] || fail "no '$2' in tlshd's status line: $1"
	echo "$v"
}

# Run a server in the background; wait until PORT listens.
start_server()
{
	local port=$1 i
	shift
	"$@" >>"$T/server-$port.log" 2>&1 </dev/null &
	BG_PIDS+=($!)
	for i in $(seq 150); do
		ss -Hltn "sport = :$port" | grep -q . && return 0
		kill -0 "${BG_PIDS[-1]}" 2>/dev/null ||
			fail "server on port $port exited: $(tail -n 5 "$T/server-$port.log")"
		sleep 0.1
	done
	fail "nothing listens on port $port after 15 s"
}

# server_count PATTERN FILE N: how many lines of a server's log match,
# once at least N do or after 20 s (servers log after they answer, and
# a busy emulated guest can run them late).
server_count()
{
	local i n
	for i in $(seq 200); do
		n=$(grep -c -- "$1" "$2")
		[ "$n" -ge "$3" ] && break
		sleep 0.1
	done
	# Room for a line too many to show up.
	sleep 0.2
	grep -c -- "$1" "$2"
}

# hs-consumer with its output kept in $T/consumer.out; echoes it too.
consumer()
{
	hs-consumer "$@" >"$T/consumer.out" 2>&1
	local rc=$?
	# The status line and a little more; the rest is in the file.
	head -n 4 "$T/consumer.out" | sed 's/^/  consumer: /'
	return $rc
}

# last_hs: the last handshake line tlshd logged.
last_hs() { grep -E 'handshake (ok|failed):' "$T/tlshd.log" | tail -n 1; }

# get_via_consumer PORT WANT [VERSION]: one HTTP/1.0 GET through a
# consumer's upcall handshake to an HTTP server at PORT; tlshd's line must
# say WANT ("full handshake" or "resumed") and, if given, VERSION
# ("TLSv1.3").
get_via_consumer()
{
	local port=$1 want=$2 version=${3:-} line
	consumer --connect 127.0.0.1:$port --type client --auth anon \
		--peername localhost --timeout-ms 20000 \
		--request 'GET / HTTP/1.0\r\n\r\n' ||
		fail "port $port ($want): consumer failed"
	grep -q 'HTTP/1.0 200 OK' "$T/consumer.out" ||
		fail "port $port ($want): no HTTP answer through kTLS"
	line=$(last_hs)
	echo "  log: $line"
	case "$line" in
	*"peer localhost 127.0.0.1:$port, client,"*"$version"*", $want"*) ;;
	*) fail "port $port: expected a ${version:+$version }$want handshake" ;;
	esac
}

expect_log()
{
	grep -qE -- "$1" "$T/tlshd.log" || fail "tlshd's log lacks /$1/"
	echo "  log: $(grep -E -- "$1" "$T/tlshd.log" | tail -n 1)"
}

# post_handshake_case NAME PORT CMD WANT [S_SERVER OPTS]: after the
# handover, openssl s_server (which takes its commands on stdin) sends CMD
# (k: a KeyUpdate, r: a renegotiation) to a consumer reading with
# ktls_recv. The consumer must not hang; with WANT=error it must stop with
# EKEYEXPIRED before any record it cannot decrypt. A test may define
# good_after NAME to check that tlshd still serves.
post_handshake_case()
{
	local name=$1 port=$2 cmd=$3 want=$4 i t0 rc
	shift 4
	echo "# $name $(date +%T)"
	mkfifo "$T/ph$port.fifo"
	openssl s_server -accept $port -cert "$T/ca-srv.pem" -key "$T/ca-srv.key" \
		"$@" <"$T/ph$port.fifo" >"$T/ph$port.log" 2>&1 &
	BG_PIDS+=($!)
	exec 7<>"$T/ph$port.fifo"
	for i in $(seq 100); do
		ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	t0=$(date +%s)
	hs-consumer --connect 127.0.0.1:$port --type client --auth anon \
		--peername localhost --timeout-ms 20000 --io-timeout-ms 8000 \
		--request 'ping\n' >"$T/ph.out" 2>&1 &
	local cpid=$!
	for i in $(seq 200); do
		grep -q '^ping' "$T/ph$port.log" && break
		sleep 0.1
	done
	grep -q '^ping' "$T/ph$port.log" || fail "$name: no data through kTLS before the test"
	printf '%s\n' "$cmd" >&7
	sleep 1
	printf 'pong\n' >&7
	sleep 0.5
	printf 'Q\n' >&7
	wait $cpid
	rc=$?
	exec 7>&-
	sed 's/^/  consumer: /' "$T/ph.out" | head -n 4
	grep -E 'KEYUPDATE|KeyUpdate|RENEGOTIAT|[Rr]enegotiat|HelloRequest' "$T/ph$port.log" | head -n 2 | sed 's/^/  server: /'
	grep -q '^status=0 ' "$T/ph.out" || fail "$name: handshake failed"
	! grep -q 'no answer in' "$T/ph.out" || fail "$name: the consumer hung until its I/O timeout"
	[ $(($(date +%s) - t0)) -le 20 ] || fail "$name: the consumer took too long"
	if [ "$want" = error ]; then
		# The kernel can't rekey: ktls_recv stops at the KeyUpdate
		# with EKEYEXPIRED, before a record that cannot decrypt.
		[ $rc != 0 ] && ! grep -q '^pong' "$T/ph.out" ||
			fail "$name: the consumer took data after a $name it cannot follow"
		grep -q 'receive: Key has expired' "$T/ph.out" ||
			fail "$name: expected EKEYEXPIRED from ktls_recv on it"
	fi
	if declare -F good_after >/dev/null; then good_after "$name"; fi
}
