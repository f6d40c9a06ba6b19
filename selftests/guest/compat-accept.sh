#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# What a consumer asks for reaches the agent in the ACCEPT reply, and the
# agent's DONE reaches the consumer: every request kind, the optional
# attributes present only when set, the socket installed close-on-exec,
# DONE's status (absent: EIO) and first remote identity, the consumer's
# keyring linked into the agent's process keyring.
. "$(dirname "$0")/compat-common.bash"
compat_load
port=5701
start_sink $port

# hsreq NAME AGENT-ARGS -- CONSUMER-ARGS: one request, both sides logged.
hsreq() {
	local name=$1 agent=() consumer=()
	shift
	while [ "$1" != -- ]; do agent+=("$1"); shift; done
	shift
	consumer=("$@")
	start_agent "$name.agent" serve --count 1 --idle-timeout-ms 20000 "${agent[@]}"
	local apid=$bg_pid
	hs-consumer --connect 127.0.0.1:$port "${consumer[@]}" >"$T/$name.consumer" 2>&1 ||
		fail "$name: consumer: $(cat "$T/$name.consumer")"
	wait "$apid" || fail "$name: agent: $(cat "$T/$name.agent")"
	echo "$name: $(grep '^accept' "$T/$name.agent")"
	echo "$name: $(grep '^status' "$T/$name.consumer")"
}

# agent_has NAME REGEX / agent_lacks NAME REGEX: on the accept line.
agent_has() {
	grep '^accept' "$T/$1.agent" | grep -qE -- "$2" || fail "$1: accept lacks /$2/"
}
agent_lacks() {
	grep '^accept' "$T/$1.agent" | grep -qE -- "$2" && fail "$1: accept has /$2/"
	return 0
}
consumer_has() {
	grep -qE -- "$2" "$T/$1.consumer" || fail "$1: consumer lacks /$2/: $(cat "$T/$1.consumer")"
}

hsreq anon --remote 4242 -- --type client --auth anon --peername foo.example --timeout-ms 1500
agent_has anon ' type=1 auth=1 timeout=1500 peername=foo.example '
agent_has anon 'sock=stream cloexec=1$'
agent_lacks anon 'peerids=|cert=|privkey=|keyring=|unknown='
consumer_has anon '^status=0 peerid=4242 '

hsreq x509 --status EACCES -- --type client --auth x509 --cert 11 --key 12 --expect-status EACCES
agent_has x509 ' type=1 auth=3 cert=11 privkey=12 '
agent_lacks x509 'timeout=|peername=|peerids='
consumer_has x509 '^status=EACCES peerid=0 '

hsreq x509-none -- --type client --auth x509
agent_has x509-none ' type=1 auth=3 sock='
agent_lacks x509-none 'cert=|privkey='

hsreq psk --status none --remote 7 --remote 8 -- --type client --auth psk --peerid 21 --peerid 22 --peerid 23 --expect-status EIO
agent_has psk ' type=1 auth=2 peerids=21,22,23 '
consumer_has psk '^status=EIO peerid=7 '

hsreq server-x509 --status ETIMEDOUT -- --type server --auth x509 --cert 31 --key 32 --expect-status ETIMEDOUT
agent_has server-x509 ' type=2 auth=3 cert=31 privkey=32 '

hsreq server-psk -- --type server --auth psk --peerid 41
agent_has server-psk ' type=2 auth=2 peerids=41 '

# The consumer's keyring: linked into the agent's process keyring (hs-nl
# lists that keyring as linked=), and its serial in KEYRING (upstream
# added that attribute after 6.12; the compat module sends it).
ring=$(keyctl newring compat-test @u) || fail "keyctl newring"
hsreq keyring -- --type client --auth anon --keyring "$ring"
agent_has keyring "linked=([0-9,]*,)?$ring(,|$| )"
if compat_kernel; then
	agent_has keyring " keyring=$ring "
elif ! grep '^accept' "$T/keyring.agent" | grep -q " keyring=$ring "; then
	echo "note: this kernel sends no KEYRING attribute"
fi

dmesg_check
echo "PASS"
