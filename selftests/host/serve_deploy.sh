#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# ktls-serve on the build machine, the HTTP a deployer expects: ETag and
# Last-Modified, 304 for If-None-Match and If-Modified-Since, If-Range
# with ranges, 301 for a directory without its slash, 414 for a long
# target; the connection limits (serve_limits.py); and a TCP connect
# without a ClientHello (a load balancer's probe) not logged as a failed
# handshake (--tls=user: no kTLS needed).
# Clients: curl, openssl s_client, python sockets.
# KTLS_SERVE=path runs another build (an ASan one, say).
set -u
SECONDS=0
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
SERVE=${KTLS_SERVE:-$B/bin/ktls-serve}
T=$(mktemp -d /tmp/serve_deploy.XXXXXX)
ROOT=$T/root
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
. selftests/lib/common.bash
ok() { echo "ok: $*"; }

for t in curl openssl python3; do
	command -v $t >/dev/null || { echo "$t is not installed (scripts/deps.sh installs it)"; exit 77; }
done
[ -x "$SERVE" ] || { echo "$SERVE not built"; exit 1; }

mkdir -p "$ROOT/dir" "$ROOT/noindex"
head -c 16385 /dev/urandom >"$ROOT/f"
echo index >"$ROOT/dir/index.html"
touch -d '2020-02-03 04:05:06 UTC' "$ROOT/f"

# serve LOG ARGS...: start a server; sets PORT (and PID) or fails.
serve() {
	local log=$1 i
	shift
	: >"$log"
	"$SERVE" --port 0 --bind 127.0.0.1 --root "$ROOT" "$@" >"$log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	PORT=
	for i in $(seq 50); do
		PORT=$(sed -n 's/.*listening on .*:\([0-9]*\) (.*/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q 'io_uring:' "$log"; then
		echo "no io_uring here: $(cat "$log")"
		exit 77
	fi
	echo "ktls-serve did not start: $(cat "$log")"
	exit 1
}

LOG=$T/plain.log
serve "$LOG" --tls=off --max-header 4096 --access-log "$T/access.log"
U=http://127.0.0.1:$PORT

# status WANT CURL-ARGS...: the status, and the headers in $T/h.
status() {
	local want=$1 code what
	shift
	what=$(echo "$*" | cut -c1-90)
	rm -f "$T/body"
	code=$(curl -sS -m 5 -D "$T/h" -o "$T/body" -w '%{http_code}' "$@")
	[ "$code" = "$want" ] && ok "$want for $what" ||
		fail_later "$what: status $code, want $want"
}
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$T/h"; }

status 200 "$U/f"
etag=$(header ETag)
lm=$(header Last-Modified)
[[ $etag =~ ^\"[0-9a-f]+-4001-[0-9a-f]+\"$ ]] && ok "strong ETag $etag" ||
	fail_later "ETag '$etag'"
[ "$lm" = "Mon, 03 Feb 2020 04:05:06 GMT" ] && ok "Last-Modified $lm" ||
	fail_later "Last-Modified '$lm'"
status 206 -r 0-9 "$U/f"
[ "$(header ETag)" = "$etag" ] && [ "$(header Last-Modified)" = "$lm" ] &&
	ok "206 carries ETag and Last-Modified" || fail_later "206 validators: $(cat "$T/h")"

# 304: no body, the validators kept, the connection too.
not_modified() {
	status 304 "$@"
	[ ! -s "$T/body" ] && [ "$(header ETag)" = "$etag" ] &&
		[ "$(header Last-Modified)" = "$lm" ] && ! grep -qi '^Content-Length' "$T/h" ||
		fail_later "304 for $*: $(cat "$T/h")"
}
not_modified -H "If-None-Match: $etag" "$U/f"
not_modified -H "If-None-Match: \"nope\", W/$etag" "$U/f"
not_modified -H "If-None-Match: \"a\"" -H "If-None-Match: $etag" "$U/f"
not_modified -H 'If-None-Match: *' "$U/f"
not_modified -H "If-Modified-Since: $lm" "$U/f"
not_modified -H 'If-Modified-Since: Sunday, 01-Mar-20 00:00:00 GMT' "$U/f"
status 304 -I -H "If-None-Match: $etag" "$U/f"
[ "$(header ETag)" = "$etag" ] || fail_later "304 to HEAD: $(cat "$T/h")"
status 200 -H 'If-None-Match: "other"' "$U/f"
# If-None-Match decides alone, even with a later If-Modified-Since.
status 200 -H 'If-None-Match: "other"' -H "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT" "$U/f"
status 200 -H 'If-Modified-Since: Mon, 03 Feb 2020 04:05:05 GMT' "$U/f"
status 200 -H 'If-Modified-Since: yesterday' "$U/f"
[ "$(stat -c %s "$T/body")" = 16385 ] || fail_later "200 after a bad date: $(stat -c %s "$T/body") bytes"
out=$(curl -sS -w '%{http_code} %{num_connects}\n' -o /dev/null -H "If-None-Match: $etag" \
	"$U/f" --next -sS -w '%{http_code} %{num_connects}\n' -o /dev/null "$U/f")
[ "$(echo "$out" | tr '\n' ' ')" = "304 1 200 0 " ] && ok "keep-alive after a 304" ||
	fail_later "keep-alive after 304: $out"

# If-Range: the range if the validator is current, else the whole file.
status 206 -r 0-9 -H "If-Range: $etag" "$U/f"
status 206 -r 0-9 -H "If-Range: $lm" "$U/f"
status 200 -r 0-9 -H 'If-Range: "stale"' "$U/f"
[ "$(stat -c %s "$T/body")" = 16385 ] && cmp -s "$T/body" "$ROOT/f" &&
	ok "If-Range mismatch: the whole file" || fail_later "If-Range mismatch: wrong body"
status 200 -r 0-9 -H "If-Range: W/$etag" "$U/f"
status 200 -r 0-9 -H 'If-Range: Mon, 03 Feb 2020 04:05:07 GMT' "$U/f"
grep -q 'If-Range does not match' "$LOG" || fail_later "If-Range mismatch not logged"

# A directory without its slash: 301 to it, query kept.
status 301 "$U/dir"
[ "$(header Location)" = "/dir/" ] && ok "Location: /dir/" || fail_later "301: $(cat "$T/h")"
status 301 "$U/dir?a=1&b"
[ "$(header Location)" = "/dir/?a=1&b" ] && ok "Location keeps the query" ||
	fail_later "301 with query: $(cat "$T/h")"
status 301 "$U/noindex"
status 200 -L "$U/dir"
[ "$(cat "$T/body")" = index ] || fail_later "following the 301: $(cat "$T/body")"
status 200 "$U/dir/"

# 414: a target over 2 KiB, and a request line longer than --max-header.
status 414 "$U/$(head -c 2100 /dev/zero | tr '\0' a)"
status 414 "$U/x?$(head -c 5000 /dev/zero | tr '\0' a)"
status 404 "$U/$(head -c 1000 /dev/zero | tr '\0' a)"
kill -TERM "$PID"
wait "$PID" || fail_later "the plain server exited with $?"
# The access log: one common log format line per response.
clf='^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\] '
for l in '"GET /f HTTP/1\.1" 200 16385$' '"GET /f HTTP/1\.1" 206 10$' \
	 '"GET /f HTTP/1\.1" 304 -$' '"HEAD /f HTTP/1\.1" 304 -$' \
	 '"GET /dir\?a=1&b HTTP/1\.1" 301 22$' '"-" 414 17$'; do
	grep -qE "$clf$l" "$T/access.log" || fail_later "access log: no line like $l"
done
n=$(grep -c . "$T/access.log")
m=$(grep -c '#[0-9]* "' "$LOG")
[ "$n" = "$m" ] && ! grep -qvE "$clf" "$T/access.log" && ok "access log: $n lines, common log format" ||
	fail_later "access log: $n lines for $m requests, or a line out of format"

# The limits: room made by closing an idle connection, else a 503, both
# within 2 s; per client address and globally; log lines rate-limited.
LLOG=$T/limits.log
serve "$LLOG" --tls=off --max-conns 3 --max-conns-per-client 2
python3 selftests/host/serve_limits.py "$PORT" >"$T/limits.out" 2>&1 ||
	fail_later "limits: $(grep -v '^ok' "$T/limits.out")"
grep '^ok' "$T/limits.out"
grep -q '^ktls-serve: per-client connection limit (2) reached: closing idle connection [0-9]* (127.0.0.2:[0-9]*) to make room for 127.0.0.2$' "$LLOG" ||
	fail_later "limits: per-client eviction not logged"
grep -q '^ktls-serve: connection limit (3) reached: closing idle connection [0-9]* (127.0.0.3:[0-9]*) to make room for 127.0.0.4$' "$LLOG" ||
	fail_later "limits: global eviction not logged"
# Two 503s of each kind within a second: one line each.
for l in 'per-client connection limit (2) reached and no idle connection to close: 127.0.0.2 turned away (503, Retry-After: 1)' \
	 '^ktls-serve: connection limit (3) reached and no idle connection to close: 127.0.0.4 turned away (503'; do
	[ "$(grep -c "$l" "$LLOG")" = 1 ] || fail_later "limits: not one log line '$l'"
done
grep -q 'closing idle connection after 1 request: room for a new client' "$LLOG" ||
	fail_later "an evicted connection does not say why it closes"
kill -TERM "$PID"
wait "$PID" || fail_later "the limits server exited with $?"
grep -q 'at the limits [0-9]* idle connections closed, 4 clients turned away' "$LLOG" ||
	fail_later "limits: exit counters: $(grep exiting "$LLOG")"

# A probe: connect and close (or reset) without a ClientHello. Only a
# real handshake failure is logged as one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost \
	2>/dev/null || { echo "openssl cannot make a certificate"; exit 1; }
TLOG=$T/tls.log
serve "$TLOG" --tls=user --cert "$T/cert.pem" --key "$T/key.pem" \
	--priority TLS1.3:AES-256-GCM:+CHACHA20-POLY1305
python3 - "$PORT" <<'EOF'
import socket, struct, sys, time
for rst in (False, True):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.2)
    if rst:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\n\r\n")
s.recv(100)
s.close()
EOF
openssl s_client -connect "127.0.0.1:$PORT" </dev/null >/dev/null 2>&1
for i in $(seq 30); do [ "$(grep -c 'closed after' "$TLOG")" -ge 4 ] && break; sleep 0.1; done
n=$(grep -c 'handshake failed' "$TLOG")
[ "$n" = 1 ] && grep -q 'conn 3 .*handshake failed' "$TLOG" &&
	ok "probes not logged as failures; garbage is: $(grep 'handshake failed' "$TLOG" | sed 's/^ktls-serve: //')" ||
	fail_later "probe logging: $n 'handshake failed' lines"
grep -q 'conn 4 .*TLS1\.3' "$TLOG" && ok "openssl s_client handshake" ||
	fail_later "openssl s_client did not complete a handshake"
# --priority narrows: TLS 1.3 with AES-256-GCM or ChaCha20 only.
openssl s_client -connect "127.0.0.1:$PORT" </dev/null >"$T/sc.out" 2>&1
grep -q 'Cipher is TLS_AES_256_GCM_SHA384' "$T/sc.out" && ok "--priority: AES-256-GCM chosen" ||
	fail_later "--priority: $(grep 'Cipher is' "$T/sc.out")"
for a in -tls1_2 '-ciphersuites TLS_AES_128_GCM_SHA256'; do
	# shellcheck disable=SC2086
	openssl s_client -connect "127.0.0.1:$PORT" $a </dev/null >"$T/sc.out" 2>&1
	grep -q 'Cipher is TLS' "$T/sc.out" && fail_later "--priority: s_client $a got through" ||
		ok "--priority: s_client $a refused"
done
kill -TERM "$PID"
wait "$PID" || fail_later "the TLS server exited with $?"
# It cannot widen: a GnuTLS priority string or an old version is refused.
for p in NORMAL:+3DES-CBC TLS1.1 AES-128-CBC; do
	"$SERVE" --port 0 --tls=user --cert "$T/cert.pem" --key "$T/key.pem" \
		--priority "$p" --root "$ROOT" >"$T/prio.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q "^ktls-serve: --priority $p: '[^']*' is neither TLS1.2, TLS1.3 nor a cipher" "$T/prio.out" &&
		ok "--priority $p refused" || fail_later "--priority $p: exit $rc, $(cat "$T/prio.out")"
done

# TLS at the limit with nothing idle: closed at once, no handshake spent.
KLOG=$T/tls-limit.log
serve "$KLOG" --tls=user --cert "$T/cert.pem" --key "$T/key.pem" --max-conns 1
python3 - "$PORT" >"$T/hold.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("held", flush=True)
time.sleep(4)
EOF
hold=$!
for i in $(seq 50); do grep -q held "$T/hold.out" && break; sleep 0.1; done
sleep 0.2
t0=$(date +%s%N)
timeout 5 openssl s_client -connect "127.0.0.1:$PORT" </dev/null >"$T/sc.out" 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 2000 ] && ! grep -q 'Cipher is TLS' "$T/sc.out" &&
	grep -q 'limit (1) reached and no idle connection to close: 127.0.0.1 turned away (closed at once)' "$KLOG" &&
	ok "TLS at the limit: s_client closed in $ms ms" ||
	fail_later "TLS at the limit: $ms ms, $(tail -3 "$T/sc.out")"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
kill -TERM "$PID"
wait "$PID" || fail_later "the TLS limit server exited with $?"

for l in "$LOG" "$LLOG" "$TLOG" "$KLOG"; do
	grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|(^|[^A-Za-z])BUG:' "$l" &&
		fail_later "server log $l shows a bug"
done
if [ "$FAILS" -gt 0 ]; then
	echo "--- server logs"
	cat "$LOG" "$LLOG" "$TLOG" "$KLOG"
	echo "$FAILS checks failed"
	exit 1
fi
echo "all checks passed in ${SECONDS} s"
