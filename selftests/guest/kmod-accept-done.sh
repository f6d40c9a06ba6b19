#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Every field of a request reaches the agent's ACCEPT as the kernel's
# netlink attributes, and every DONE comes back to the caller: status,
# remote identity, a DONE without status (EIO), an ACCEPT the kernel
# could not answer (EIO). hs-agent stands in for tlshd: it runs no TLS,
# so a "successful" DONE leaves plain TCP, over which hs-consumer's echo
# check must pass, and must fail when a byte comes back wrong.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45341
echo_port=45342
corrupt_port=45343
reply_port=45344
kmod_sink "$port"
kmod_sink "$echo_port" echo
kmod_sink "$corrupt_port" corrupt
kmod_sink "$reply_port" reply
t=127.0.0.1:$port

# request NAME AGENT-ARGS... -- HS-CONSUMER-ARGS...: one request against a
# fresh agent; outputs in $KMOD_TMP/NAME.{out,cons}.
request() {
	local name=$1 aargs=() rc

	shift
	while [ "$1" != -- ]; do
		aargs+=("$1")
		shift
	done
	shift
	kmod_agent "$name" --count 1 --idle-timeout-ms 20000 "${aargs[@]}"
	"$@" >"$KMOD_TMP/$name.cons" 2>&1
	rc=$?
	wait "$KMOD_AGENT_PID"
	AGENT_RC=$?
	sed "s/^/$name consumer: /" "$KMOD_TMP/$name.cons"
	sed "s/^/$name agent: /" "$KMOD_TMP/$name.out"
	return $rc
}

# has NAME.SUFFIX WORD...: each word must appear in the file.
has() {
	local file=$KMOD_TMP/$1 w

	shift
	for w in "$@"; do
		grep -qw -- "$w" "$file" || fail "$file lacks '$w'"
	done
}

kmod_trace_start
request psk --done-status EACCES --remote-auth 4242 -- \
	hs-consumer --connect "$t" --type client --auth psk --peername server.example \
	--timeout-ms 5000 --peerid 101 --peerid 102 --peerid 103 --expect-status EACCES ||
	fail "client PSK request"
has psk.out type=clienthello auth=psk timeout_ms=5000 peerids=101,102,103 \
	peername=server.example sock=tcp
has psk.cons status=EACCES peerid=4242 submits=1 source=done
kmod_trace_expect handshake_complete 'status=-?13$' 1 "no completion with EACCES (13)"

request x509 --done-status none -- \
	hs-consumer --connect "$t" --type client --auth x509 --cert 111 --key 222 \
	--expect-status EIO || fail "client x509 request"
has x509.out type=clienthello auth=x509 cert=111 privkey=222
grep -qE 'peername=|timeout_ms=' "$KMOD_TMP/x509.out" &&
	fail "peername or timeout sent though none was given"
has x509.cons status=EIO peerid=0 source=done

# Server side: the consumer accepts a connection, then hands it over.
hs-consumer --fd-from-listen 0 --type server --auth psk --peerid 301 \
	>"$KMOD_TMP/srv.cons" 2>&1 &
cons=$!
kmod_wait_for "$KMOD_TMP/srv.cons" '^listening port=' 10 || fail "server did not listen"
lport=$(kmod_field "$KMOD_TMP/srv.cons" port)
kmod_agent srv --count 1 --done-status 0 --remote-auth 77
exec 7<>"/dev/tcp/127.0.0.1/$lport"
wait "$cons" || { cat "$KMOD_TMP/srv.cons"; fail "server PSK request"; }
wait "$KMOD_AGENT_PID" || fail "hs-agent srv"
exec 7>&-
cat "$KMOD_TMP/srv.cons" "$KMOD_TMP/srv.out"
has srv.out type=serverhello auth=psk peerids=301
has srv.cons status=0 peerid=77

request srvx509 --done-status ETIMEDOUT -- \
	hs-consumer --connect "$t" --type server --auth x509 --cert 5 --key 6 \
	--timeout-ms 100 --expect-status ETIMEDOUT || fail "server x509 request"
has srvx509.out type=serverhello auth=x509 cert=5 privkey=6 timeout_ms=100
has srvx509.cons status=ETIMEDOUT source=done

# 6.12 links the keyring into the accepting agent's process keyring.
kr=$(keyctl newring ktls-test-kr @u) || fail "keyctl newring"
request keyring --done-status 0 -- \
	hs-consumer --connect "$t" --type client --auth anon --keyring "$kr" ||
	fail "request with a keyring"
grep -qE "proc_keyring=([0-9]+,)*$kr(,|$)" "$KMOD_TMP/keyring.out" ||
	fail "keyring $kr was not linked into the agent's process keyring"

# A keyring the agent can't link: the kernel fails its ACCEPT and
# completes the request itself with EIO.
request badkr -- \
	hs-consumer --connect "$t" --type client --auth anon --keyring 2147480000 \
	--expect-status EIO || fail "request with a bogus keyring"
has badkr.out "accept error=ENOKEY"
has badkr.cons status=EIO source=done

# One request per socket: the kernel keeps it until the socket is closed.
exec 7<>"/dev/tcp/127.0.0.1/$port"
request once --done-status 0 -- \
	hs-consumer --fd 7 --type client --auth anon || fail "first request on a socket"
out=$(hs-consumer --fd 7 --type client --auth anon --expect-status EBUSY) ||
	fail "second request on one socket: $out"
echo "second request on one socket: $out"
exec 7>&-

request echo --done-status 0 -- \
	hs-consumer --connect "127.0.0.1:$echo_port" --type client --auth anon \
	--echo-bytes 300000 || fail "echo check over the handed-back socket"
has echo.cons "bytes=300000" verified

request corrupt --done-status 0 -- \
	hs-consumer --connect "127.0.0.1:$corrupt_port" --type client --auth anon \
	--echo-bytes 300000 && fail "a corrupted echo passed the check"
has corrupt.cons "differs at byte 1000"

request reply --done-status 0 -- \
	hs-consumer --connect "127.0.0.1:$reply_port" --type client --auth anon \
	--request 'ping 42\r\n' || fail "request and answer over the handed-back socket"
grep -qx 'pong: ping 42' "$KMOD_TMP/reply.cons" || fail "no answer to --request"

kmod_check_dmesg
echo "requests carry every field; every DONE comes back"
