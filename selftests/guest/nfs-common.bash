# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the selftests/guest/tlshd-nfs*.sh tests (sourced, not a test):
# the kernel nfsd exporting a tmpfs over loopback, the kernel NFS client
# mounting it, the handshake tracepoints, and one mount's round trip.
#   nfs_require         skip on a kernel without NFS over TLS
#   nfs_conf [CA]       $T/nfs.conf: the client with make_pki's client
#                       certificate, the server trusting CA (default ca)
#   nfs_start           mount the helpers' file systems, start nfsd and export
#   nfs_mount_once SEC [OPTS] [CLIENT_CN]
#                       mount with xprtsec=SEC (and OPTS), write and read
#                       back a file, check tlshd's log, kTLS, umount
. "$(dirname "${BASH_SOURCE[0]}")/tlshd-common.bash"

EXPORT=$T/export
MNT=$T/mnt
TRACE=/sys/kernel/tracing
NFS_PIDS=()
NFS_GRACE0=
MOUNTED_NFSD= MOUNTED_PIPEFS=

nfs_require()
{
	local c m
	require_handshake
	for c in rpc.nfsd rpc.mountd exportfs rpcbind nfsdcld mount.nfs; do
		command -v "$c" >/dev/null ||
			fail "$c missing: scripts/deps.sh installs nfs-kernel-server nfs-common"
	done
	for m in sunrpc nfsd nfs nfsv4; do
		modprobe "$m" 2>/dev/null ||
			skip "kernel $(uname -r) has no $m module"
	done
	# RPC-with-TLS (xprtsec=) came in 6.5; 6.1's SUNRPC has no TLS
	# transport even when the compat module provides the family.
	grep -qw xs_tls_handshake_done /proc/kallsyms ||
		skip "kernel $(uname -r): SUNRPC has no xprtsec (RPC-with-TLS came in 6.5)"
}

nfs_conf()
{
	cat >"$T/nfs.conf" <<EOT
[debug]
loglevel=1
[authenticate.client]
x509.truststore=$T/ca.pem
x509.certificate=$T/client.pem
x509.private_key=$T/client.key
[authenticate.server]
x509.truststore=$T/${1:-ca}.pem
x509.certificate=$T/ca-srv.pem
x509.private_key=$T/ca-srv.key
EOT
}

nfs_cleanup()
{
	local p
	mountpoint -q "$MNT" 2>/dev/null && timeout 30 umount -f "$MNT"
	# Only if threads run: rpc.nfsd 0 on a stopped server opens its
	# listeners, which starts nfsd's state and a grace period that the
	# next test's first write would sit out.
	[ "$(cat /proc/fs/nfsd/threads 2>/dev/null || echo 0)" = 0 ] ||
		rpc.nfsd 0 2>/dev/null
	exportfs -ua 2>/dev/null
	for p in "${NFS_PIDS[@]+"${NFS_PIDS[@]}"}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${NFS_PIDS[@]+"${NFS_PIDS[@]}"}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null
	done
	[ -e "$TRACE/events/handshake/enable" ] &&
		echo 0 >"$TRACE/events/handshake/enable"
	mountpoint -q "$EXPORT" 2>/dev/null && umount "$EXPORT"
	[ -n "$NFS_GRACE0" ] &&
		echo "$NFS_GRACE0" >/proc/fs/nfsd/nfsv4gracetime 2>/dev/null
	# The kernel keeps rpc_pipefs pinned once nfsd used it: umount lazily.
	[ -n "$MOUNTED_NFSD" ] && umount /proc/fs/nfsd
	[ -n "$MOUNTED_PIPEFS" ] && umount -l /run/rpc_pipefs
	tlshd_cleanup
}
trap nfs_cleanup EXIT

# nfs_mounts: the file systems nfsd and the tracepoints need. Before tlshd.
nfs_mounts()
{
	mkdir -p "$EXPORT" "$MNT" /run/rpc_pipefs /var/lib/nfs/nfsdcld
	mount -t tmpfs -o size=64m tmpfs "$EXPORT" || fail "tmpfs for the export"
	if ! mountpoint -q /proc/fs/nfsd; then
		mount -t nfsd nfsd /proc/fs/nfsd || fail "mount nfsd"
		MOUNTED_NFSD=1
	fi
	if ! mountpoint -q /run/rpc_pipefs; then
		mount -t rpc_pipefs rpc_pipefs /run/rpc_pipefs || fail "mount rpc_pipefs"
		MOUNTED_PIPEFS=1
	fi
	[ -d "$TRACE/events/handshake" ] || mount -t tracefs tracefs "$TRACE" 2>/dev/null
	[ -d "$TRACE/events/handshake" ] ||
		fail "no handshake tracepoints in $TRACE/events/handshake"
	echo >"$TRACE/trace"
	echo 1 >"$TRACE/events/handshake/enable"
}

# nfs_short_grace: the NFSv4 grace period at its floor, 10 s instead of
# 90. Each test is a fresh server; when nfsdcld is not up within the half
# second nfsd gives it (a busy emulated guest), nfsd falls back to client
# tracking that always sits out the whole grace period, and the test's
# first write with it.
nfs_short_grace()
{
	local f=/proc/fs/nfsd/nfsv4gracetime
	[ -n "$NFS_GRACE0" ] || NFS_GRACE0=$(cat "$f")
	echo 10 >"$f" 2>/dev/null ||
		echo "  note: grace period left at $(cat "$f") s (nfsd running?)"
}

# nfs_start: rpcbind, nfsdcld, the export, mountd and nfsd. After tlshd.
nfs_start()
{
	rpcbind -w >>"$T/nfs.log" 2>&1 || fail "rpcbind"
	NFS_PIDS+=($(pidof rpcbind))
	# nfsdcld tracks clients, so nfsd can skip the 90 s NFSv4 grace period.
	# Each test is a new server: a client an earlier test left behind
	# without DESTROY_CLIENTID (7.3's stuck KeyUpdate mount, umount -f)
	# would otherwise be waited for, for the whole grace period.
	rm -f /var/lib/nfs/nfsdcld/main.sqlite*
	nfsdcld >>"$T/nfs.log" 2>&1 &
	NFS_PIDS+=($!)
	echo "$EXPORT *(rw,fsid=0,no_subtree_check,insecure,no_root_squash,sync)" \
		>/etc/exports
	exportfs -ra >>"$T/nfs.log" 2>&1 || fail "exportfs: $(cat "$T/nfs.log")"
	rpc.mountd >>"$T/nfs.log" 2>&1 || fail "rpc.mountd"
	NFS_PIDS+=($(pidof rpc.mountd))
	nfs_short_grace
	rpc.nfsd 4 >>"$T/nfs.log" 2>&1 || fail "rpc.nfsd: $(cat "$T/nfs.log")"

	head -c 3M /dev/urandom >"$T/data"
	NFS_WANT=$(sha256sum <"$T/data" | cut -d' ' -f1)
}

# One mount: two handshakes (client, server), a file round trip, umount.
nfs_mount_once()
{
	local sec=$1 extra=${2:-} cn=${3:-tlshd test client} ok0 tx0 rx0 got back n t0 t1 f
	f=f-$sec-$RANDOM
	ok0=$(grep -c 'handshake ok:' "$T/tlshd.log")
	tx0=$(tls_stat TlsTxSw)
	rx0=$(tls_stat TlsRxSw)
	t0=$(date +%s%N)
	timeout 60 mount -t nfs -o vers=4.2,xprtsec=$sec,soft,timeo=300${extra:+,$extra} \
		localhost:/ "$MNT" >"$T/mount.out" 2>&1 ||
		fail "mount xprtsec=$sec${extra:+,$extra}: $(cat "$T/mount.out")"
	t1=$(date +%s%N)
	echo "  mount xprtsec=$sec${extra:+,$extra}: $(( (t1 - t0) / 1000000 )) ms"
	grep -q "xprtsec=$sec" /proc/mounts ||
		fail "xprtsec=$sec not in /proc/mounts: $(grep " $MNT " /proc/mounts)"

	# soft,timeo=300: a lost connection fails the write, but a guest on
	# a loaded host gets 30 s per RPC (10 s failed one under load on 7.3).
	timeout 120 cp "$T/data" "$MNT/$f" 2>"$T/cp.err" ||
		fail "write through the mount: $(cat "$T/cp.err") $(dmesg | grep -iE 'nfs|rpc|tls' | tail -n 5)"
	sync
	# The server's copy, read without NFS, and the client's view after
	# dropping its cache.
	got=$(sha256sum <"$EXPORT/$f" | cut -d' ' -f1)
	[ "$got" = "$NFS_WANT" ] || fail "export has a different file ($got vs $NFS_WANT)"
	echo 3 >/proc/sys/vm/drop_caches
	back=$(timeout 120 sha256sum <"$MNT/$f" | cut -d' ' -f1)
	[ "$back" = "$NFS_WANT" ] || fail "read back a different file ($back vs $NFS_WANT)"
	echo "  sha256 $NFS_WANT ok (export and read-back)"

	timeout 30 umount "$MNT" || fail "umount"
	n=$(( $(grep -c 'handshake ok:' "$T/tlshd.log") - ok0 ))
	[ "$n" -ge 2 ] || fail "xprtsec=$sec: $n successful handshakes logged, want 2"
	grep 'handshake ok:' "$T/tlshd.log" | tail -n "$n" | sed 's/^/  log: /'
	# The client presents a certificate only with mtls.
	grep 'handshake ok:' "$T/tlshd.log" | tail -n "$n" |
		grep -q ", client, auth $( [ "$sec" = mtls ] && echo x509 || echo anon), .*verified localhost" ||
		fail "no client handshake (server verified) logged"
	grep 'handshake ok:' "$T/tlshd.log" | tail -n "$n" | grep -q ', server, auth x509' ||
		fail "no server handshake logged"
	if [ "$sec" = mtls ]; then
		grep 'handshake ok:' "$T/tlshd.log" | tail -n "$n" |
			grep ', server, ' | grep -q "verified .*$cn" ||
			fail "the server side did not verify the client certificate ($cn)"
	fi
	# kTLS carried it: software or device counters moved both ways.
	[ "$(tls_stat TlsTxSw)" -gt "$tx0" ] && [ "$(tls_stat TlsRxSw)" -gt "$rx0" ] ||
		fail "tls_stat did not move: $(cat /proc/net/tls_stat)"
	echo "  tls_stat: TlsTxSw $tx0 -> $(tls_stat TlsTxSw), TlsRxSw $rx0 -> $(tls_stat TlsRxSw)"
}

# nfs_trace_check MIN: at least MIN handshakes completed with status 0 in
# the kernel's own tracepoint, and none otherwise.
nfs_trace_check()
{
	local n bad
	grep handshake_complete "$TRACE/trace" >"$T/trace.out"
	n=$(grep -c 'status=0' "$T/trace.out")
	bad=$(grep -vc 'status=0' "$T/trace.out")
	echo "  tracepoint handshake_complete: $n with status=0, $bad otherwise"
	head -n 2 "$T/trace.out" | sed 's/^ */  trace: /'
	[ "$n" -ge "$1" ] || fail "want >= $1 handshake_complete status=0, got $n: $(cat "$T/trace.out")"
	[ "$bad" = 0 ] || fail "failed handshakes in the trace: $(grep -v 'status=0' "$T/trace.out")"
}
