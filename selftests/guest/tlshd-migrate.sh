#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# Switching from ktls-utils' tlshd. Its shipped example configuration (its
# sections and keys, all commented out; written here from those facts)
# passes --check-config and starts tlshd. A configuration with a stale
# server certificate path and a "# comment" after a value starts too: the
# client handshake that needs no certificate is served, the server one
# fails with ENOKEY naming the file, and after the file is back SIGUSR1
# reloads it and the server handshake succeeds. -s logs to stderr and
# syslog (facility auth); a failed handshake is found by a priority
# filter (warning or above) and a success is not. tlshd --status answers.
# Where journald listens, the handshake lines carry fields (PEER, ROLE,
# AUTH, VERSION, CIPHER, GROUP, RESULT, ERRNO, MS), checked against a
# stand-in journald socket.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

# ktls-utils' example: these sections and keys, every value commented out.
cat >"$T/ktls-utils.conf" <<'EOT'
[debug]
#loglevel=0
#tls=0
#nl=0

[authenticate]
#keyrings= <keyring>;<keyring>;<keyring>

[authenticate.client]
#x509.truststore= <pathname>
#x509.certificate= <pathname>
#x509.private_key= <pathname>

[authenticate.server]
#x509.truststore= <pathname>
#x509.certificate= <pathname>
#x509.private_key= <pathname>
EOT
tlshd --check-config -c "$T/ktls-utils.conf" >"$T/check.out" 2>&1 ||
	fail "--check-config on ktls-utils' example: $(cat "$T/check.out")"
grep -q "^$T/ktls-utils.conf: ok" "$T/check.out" ||
	fail "--check-config said: $(cat "$T/check.out")"
grep -q 'error' "$T/check.out" && fail "errors: $(cat "$T/check.out")"
echo "  check: $(grep "ok" "$T/check.out")"
start_tlshd "$T/ktls-utils.conf"
echo "  ktls-utils' example config: tlshd started"
stop_tlshd

# A syslog listener on /dev/log: "<PRI>..." datagrams, one per line.
[ -e /dev/log ] && skip "/dev/log exists already in this guest"
cat >"$T/syslog.py" <<'EOT'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
print("bound", flush=True)
with open(sys.argv[1], "a") as out:
    while True:
        d = s.recv(65536).decode(errors="replace").rstrip("\n")
        out.write(d.replace("\n", " ") + "\n")
        out.flush()
EOT
python3 "$T/syslog.py" "$T/syslog.txt" >"$T/syslogd.out" 2>&1 &
BG_PIDS+=($!)
for i in $(seq 100); do
	grep -q bound "$T/syslogd.out" && break
	sleep 0.1
done
grep -q bound "$T/syslogd.out" || fail "syslog listener: $(cat "$T/syslogd.out")"
trap 'rm -f /dev/log; tlshd_cleanup' EXIT

# A stale certificate path and a trailing comment: starts, with warnings.
cat >"$T/stale.conf" <<EOT
[debug]
loglevel=1 # chatty
[authenticate.client]
x509.truststore=$T/ca.pem
[authenticate.server]
x509.certificate=$T/moved-srv.pem
x509.private_key=$T/ca-srv.key
EOT
tlshd --check-config -c "$T/stale.conf" >"$T/check.out" 2>&1 ||
	fail "--check-config with warnings only must exit 0: $(cat "$T/check.out")"
tlshd --check-config --strict -c "$T/stale.conf" >/dev/null 2>&1 &&
	fail "--check-config --strict passed a stale certificate path"
start_tlshd "$T/stale.conf"
expect_log "warning: $T/stale\.conf:2: key 'loglevel': text from '#' on taken as a comment"
expect_log "warning: $T/stale\.conf:6: \[authenticate\.server\] x509\.certificate $T/moved-srv\.pem: No such file or directory"

start_server 4750 gnutls-serv --http -p 4750 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
consumer --connect 127.0.0.1:4750 --type client --auth anon \
	--peername localhost --timeout-ms 20000 \
	--request 'GET / HTTP/1.0\r\n\r\n' ||
	fail "a client handshake (needs no certificate) failed"
expect_log "handshake ok: peer localhost 127\.0\.0\.1:4750, client"

# server_hs PORT STATUS: a server handshake against an OpenSSL client.
server_hs() {
	local port=$1 want=$2 cpid i
	hs-consumer --fd-from-listen "$port" --type server --auth x509 \
		--timeout-ms 20000 --expect-status "$want" \
		>"$T/consumer-$port.out" 2>&1 &
	cpid=$!
	for i in $(seq 100); do
		grep -q "listening port=$port" "$T/consumer-$port.out" && break
		sleep 0.1
	done
	echo | timeout 30 openssl s_client -connect 127.0.0.1:"$port" \
		-CAfile "$T/ca.pem" -servername localhost >"$T/client-$port.out" 2>&1
	wait "$cpid" || fail "server handshake on $port: expected $want: $(head -n 3 "$T/consumer-$port.out")"
}
server_hs 4751 ENOKEY
expect_log "handshake failed: peer - 127\.0\.0\.1:[0-9]+, server, auth x509, [0-9]+ ms, status ENOKEY: $T/stale\.conf:6: \[authenticate\.server\] x509\.certificate $T/moved-srv\.pem: No such file or directory"

# Priority filter: the failure is at warning (facility auth), the success
# at info. "<PRI>": facility auth is 4, so PRI = 32 + severity.
sleep 0.5
awk '/handshake failed: peer - /' "$T/syslog.txt" | head -n 1 | sed 's/^/  syslog: /'
fails=$(awk -F'[<>]' '/handshake failed: peer - / && $2 >= 32 && $2 <= 36' "$T/syslog.txt" | wc -l)
[ "$fails" -ge 1 ] || fail "no failed handshake at auth.warning or above in syslog: $(tail -n 5 "$T/syslog.txt")"
oks=$(awk -F'[<>]' '/handshake ok: peer localhost/ {print $2}' "$T/syslog.txt" | sort -u)
[ "$oks" = 38 ] || fail "handshake ok lines at PRI '$oks', want 38 (auth.info)"
warn_hs=$(awk -F'[<>]' '$2 <= 36 && /handshake ok/' "$T/syslog.txt" | wc -l)
[ "$warn_hs" = 0 ] || fail "a success passes a warning filter"
# -s: the same line on stderr.
expect_log "tlshd\[[0-9]+\]: warning: handshake failed: peer - 127\.0\.0\.1"

# The file is back: SIGUSR1 reloads it, the server handshake works.
cp "$T/ca-srv.pem" "$T/moved-srv.pem"
n0=$(grep -c 'reloaded the configuration' "$T/tlshd.log")
kill -USR1 "$TLSHD_PID"
for i in $(seq 100); do
	[ "$(grep -c 'reloaded the configuration' "$T/tlshd.log")" -gt "$n0" ] && break
	sleep 0.1
done
expect_log "SIGUSR1: reloading the configuration"
expect_log "reloaded the configuration from $T/stale\.conf"
server_hs 4752 0
expect_log "handshake ok: peer - 127\.0\.0\.1:[0-9]+, server, auth x509, TLSv1\.3"

st=$(tlshd_status)
echo "  status: $st"
echo "$st" | grep -qE '^0 handshakes in flight, [0-9]+ GnuTLS sessions open, heap [0-9]+ kB in use; since start 2 ok, 1 failed' ||
	fail "tlshd --status: '$st'"
stop_tlshd

# Where journald runs, its native protocol: the same line as MESSAGE, and
# fields to filter on. A stand-in journald socket receives the datagrams.
[ -e /run/systemd/journal/socket ] &&
	skip "a journald socket exists in this guest; the fields are not checked"
mkdir -p /run/systemd/journal
n_sys=$(grep -c 'handshake' "$T/syslog.txt")
cat >"$T/journald.py" <<'EOT'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
print("bound", flush=True)
with open(sys.argv[1], "a") as out:
    while True:
        d = s.recv(65536).decode(errors="replace").rstrip("\n")
        out.write(d.replace("\n", "|") + "\n")
        out.flush()
EOT
python3 "$T/journald.py" "$T/journal.txt" >"$T/journald.out" 2>&1 &
BG_PIDS+=($!)
for i in $(seq 100); do
	grep -q bound "$T/journald.out" && break
	sleep 0.1
done
grep -q bound "$T/journald.out" || fail "journald stand-in: $(cat "$T/journald.out")"
trap 'rm -f /dev/log /run/systemd/journal/socket; tlshd_cleanup' EXIT
rm "$T/moved-srv.pem"
start_tlshd "$T/stale.conf"
consumer --connect 127.0.0.1:4750 --type client --auth anon \
	--peername localhost --timeout-ms 20000 ||
	fail "client handshake with the journald stand-in"
server_hs 4753 ENOKEY
sleep 0.5
j_ok=$(grep '^MESSAGE=handshake ok: peer localhost 127\.0\.0\.1:4750' "$T/journal.txt" | tail -n 1)
j_bad=$(grep '^MESSAGE=handshake failed: peer - 127\.0\.0\.1:[0-9]*, server' "$T/journal.txt" | tail -n 1)
echo "  journal: $j_ok"
echo "  journal: $j_bad"
for f in 'PRIORITY=6' 'SYSLOG_FACILITY=4' 'SYSLOG_IDENTIFIER=tlshd' \
	'PEER=localhost 127\.0\.0\.1:4750' 'ROLE=client' 'AUTH=anon' \
	'VERSION=TLSv1\.3' 'CIPHER=[A-Z0-9-]+' 'GROUP=[A-Z0-9]+' \
	'RESULT=ok' 'ERRNO=0' 'MS=[0-9]+'; do
	echo "$j_ok" | grep -qE "\|$f(\||$)" || fail "journal: no $f in the success: $j_ok"
done
for f in 'PRIORITY=4' 'SYSLOG_FACILITY=4' 'PEER=- 127\.0\.0\.1:[0-9]+' \
	'ROLE=server' 'AUTH=x509' 'RESULT=failed' 'ERRNO=126' 'MS=[0-9]+'; do
	echo "$j_bad" | grep -qE "\|$f(\||$)" || fail "journal: no $f in the failure: $j_bad"
done
[ "$(grep -c 'handshake' "$T/syslog.txt")" = "$n_sys" ] ||
	fail "with journald present, handshake lines went to syslog too"
stop_tlshd
echo "PASS"
