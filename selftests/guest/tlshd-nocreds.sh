#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# Requests tlshd has no credentials for end in ENOKEY with the cause named:
# x509 without a configured client certificate, a PSK server hello with no
# PSK in its keyrings. No fd leaks.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki
start_tlshd
fds0=$(tlshd_fds)

start_server 4442 gnutls-serv --http -p 4442 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"

consumer --connect 127.0.0.1:4442 --type client --auth x509 \
	--peername localhost --timeout-ms 5000 --expect-status ENOKEY ||
	fail "x509 without a certificate: expected ENOKEY"
expect_log "auth x509, [0-9]+ ms, status ENOKEY: x509 authentication requested, but no client certificate is configured"

# A server-side PSK request whose keyring holds no "psk" key.
ring=$(keyctl newring tlshd-test-empty @u) || fail "keyctl newring"
( sleep 1; exec python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 4443))
time.sleep(5)
' ) &
BG_PIDS+=($!)
consumer --fd-from-listen 4443 --type server --auth psk --peerid 1234 \
	--keyring "$ring" --timeout-ms 5000 --expect-status ENOKEY ||
	fail "PSK server hello without keys: expected ENOKEY"
expect_log "peer - 127\.0\.0\.1:[0-9]+, server, auth psk, [0-9]+ ms, status ENOKEY: no PSK for a server handshake"
keyctl unlink "$ring" @u >/dev/null

fds1=$(tlshd_fds)
[ "$fds0" = "$fds1" ] || fail "tlshd fd count went from $fds0 to $fds1"
stop_tlshd
echo "PASS"
