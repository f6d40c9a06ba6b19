#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# NFS over TLS, end to end with real kernel consumers: the kernel nfsd
# exports a tmpfs, the kernel NFS client mounts it over loopback with
# xprtsec=tls and then xprtsec=mtls, and tlshd serves both handshakes of
# each mount (the client's and the server's). A file written through the
# mount must read back identical from the export, the kernel's own
# tracepoints must report status=0, and kTLS must carry the traffic.
. "$(dirname "$0")/nfs-common.bash"
nfs_require
make_pki
nfs_conf

nfs_mounts
start_tlshd "$T/nfs.conf"
nfs_start

nfs_mount_once tls
nfs_mount_once mtls

nfs_trace_check 4
grep -q 'handshake failed' "$T/tlshd.log" && fail "tlshd logged a failed handshake"

rpc.nfsd 0
stop_tlshd
echo "PASS"
