#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Bad requests fail cleanly, with a precise errno, before anything reaches
# the handshake upcall: bad fds, sockets that are not connected TCP,
# invalid parameters, a caller without CAP_NET_ADMIN.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup
port=45311
kmod_sink "$port"
kmod_trace_start

# expect ERRNAME WHAT HS-CONSUMER-ARGS...
expect() {
	local want=$1 what=$2 out

	shift 2
	out=$("$@" 2>&1)
	echo "$what: $out" | head -n 2
	grep -q "status=$want .*source=ioctl" <<<"$out" ||
		fail "$what: want $want from the ioctl"
}

c="hs-consumer --type client --auth anon"
expect EBADF "closed fd" $c --fd 99
expect EBADF "negative fd" $c --fd -1
expect ENOTSOCK "regular file" $c --fd 0
exec 5<>/dev/udp/127.0.0.1/9
expect EPROTOTYPE "UDP socket" $c --fd 5
exec 5>&-

# Sockets bash can't make: python makes them and execs hs-consumer on them.
py_sock() {
	/usr/bin/python3 - "$@" <<'PY'
import os, socket, sys

kind, args = sys.argv[1], sys.argv[2:]
if kind == "unix":
    s, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
elif kind == "listen":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
elif kind == "unconnected":
    s = socket.socket()
os.set_inheritable(s.fileno(), True)
os.execvp(args[0], args + ["--fd", str(s.fileno())])
PY
}
expect EPROTOTYPE "AF_UNIX stream socket" py_sock unix $c
expect ENOTCONN "listening TCP socket" py_sock listen $c
expect ENOTCONN "unconnected TCP socket" py_sock unconnected $c

t="127.0.0.1:$port"
expect EINVAL "anonymous server" hs-consumer --connect "$t" --type server --auth anon
expect EINVAL "PSK without an identity" hs-consumer --connect "$t" --type client --auth psk
expect EINVAL "unterminated peername" $c --connect "$t" --peername "$(printf 'a%.0s' {1..300})"
expect EPERM "caller without CAP_NET_ADMIN" \
	setpriv --bounding-set -net_admin $c --connect "$t"

kmod_trace_expect 'handshake_submit[a-z_]*' . 0 "a bad request reached the upcall"
kmod_check_dmesg
echo "bad requests fail cleanly before the upcall"
