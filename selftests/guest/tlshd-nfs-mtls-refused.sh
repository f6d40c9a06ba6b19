#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# The headline bug of mutual TLS with the real consumers: an NFS
# xprtsec=mtls mount whose client certificate (from CA "ca") goes to an
# nfsd whose tlshd trusts only another CA ("rogue") must fail. The client
# presents its certificate whatever CAs the server names, the server
# refuses it (EACCES, the cause in tlshd's log on both sides), the kernel
# tracepoint reports the failures, and no file is reachable. Then the same
# server trusting "ca" mounts: the refusal was the CA, nothing else.
. "$(dirname "$0")/nfs-common.bash"
nfs_require
make_pki
nfs_conf rogue
nfs_mounts
start_tlshd "$T/nfs.conf"
nfs_start

timeout 90 mount -t nfs -o vers=4.2,xprtsec=mtls,soft,timeo=50,retrans=1 \
	localhost:/ "$MNT" >"$T/mount.out" 2>&1 &&
	fail "mtls mount succeeded against a server that does not trust our CA"
echo "  mount.nfs: $(tail -n 1 "$T/mount.out")"
mountpoint -q "$MNT" && fail "something is mounted at $MNT"
grep -q 'handshake failed: .*, server, auth x509.*status EACCES' "$T/tlshd.log" ||
	fail "the server side did not refuse with EACCES"
expect_log 'handshake failed: .*, server, auth x509.*status EACCES'
expect_log 'handshake failed: .*, client, auth x509.*status EACCES'
grep 'handshake failed: .*, client, auth x509' "$T/tlshd.log" | tail -n 1 |
	grep -qi 'alert\|rejected' || fail "the client's cause does not name the server's refusal"
grep 'handshake ok:.*, server, ' "$T/tlshd.log" | grep -q 'verified' &&
	fail "a server handshake verified a client"
grep -q "handshake_complete.*status=-13" "$TRACE/trace" ||
	fail "no handshake_complete with status -13 (EACCES) in the trace: $(grep handshake_complete "$TRACE/trace" | head -n 3)"
echo "  trace: $(grep -c "handshake_complete.*status=-13" "$TRACE/trace") handshakes completed with -EACCES"

# The same server trusting our CA: the mount works.
nfs_conf ca
kill -HUP "$TLSHD_PID"
for _ in $(seq 100); do
	grep -q 'reloaded the configuration' "$T/tlshd.log" && break
	sleep 0.1
done
expect_log 'reloaded the configuration from'
nfs_mount_once mtls
rpc.nfsd 0
stop_tlshd
echo "PASS"
