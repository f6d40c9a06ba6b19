#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 180
# What the kernel NFS client does when its server updates its TLS 1.3
# keys (doc/keyupdate.md, "Kernel consumers"). The kernel's nfsd never
# sends a KeyUpdate, so a user-space TLS server (tls-rekey-proxy, GnuTLS)
# sits in front of it and sends one, once, 64 KiB into its first
# connection. tlshd does the client's handshake and hands the socket to
# SUNRPC, which keeps no TLS state: nobody can install the server's next
# key.
# - 6.12 (kTLS cannot rekey): the record after the KeyUpdate fails to
#   decrypt (TlsDecryptError), the client drops the connection,
#   reconnects with a second handshake through tlshd and retries: the
#   read across the KeyUpdate returns the file intact.
# - 7.3 (kTLS can rekey): kTLS counts the KeyUpdate (TlsRxRekeyReceived),
#   installs no key (TlsRxRekeyOk) and holds every later record; SUNRPC
#   neither fails nor reconnects: the read stays stuck, even on a soft
#   mount with 5 s RPC timeouts, until umount -f.
. "$(dirname "$0")/nfs-common.bash"
nfs_require
command -v tls-rekey-proxy >/dev/null || fail "tls-rekey-proxy not built"
make_pki
nfs_conf
nfs_mounts
start_tlshd "$T/nfs.conf"
nfs_start

# 6.12 and before: the record after the KeyUpdate fails to decrypt, SUNRPC
# drops the connection, reconnects through tlshd and retries the READs.
no_rekey_kernel()
{
	local back ddec n
	back=$(timeout 120 sha256sum <"$MNT/f" | cut -d' ' -f1)
	sed 's/^/  proxy: /' "$T/proxy.log"
	[ "$back" = "$NFS_WANT" ] ||
		fail "read across the KeyUpdate: got '${back:-nothing}', want $NFS_WANT; dmesg: $(dmesg | grep -iE 'nfs|rpc|tls' | tail -n 5)"
	echo "  sha256 $NFS_WANT ok: the read across the KeyUpdate returned the file"
	timeout 30 umount "$MNT" || fail "umount"
	grep -q '^conn 1: KeyUpdate sent after' "$T/proxy.log" ||
		fail "the proxy sent no KeyUpdate"
	grep -q '^conn 2: handshake ok' "$T/proxy.log" ||
		fail "the client did not reconnect with a new handshake"
	n=$(grep -c 'handshake ok:.*, client, auth anon' "$T/tlshd.log")
	[ "$n" -ge 2 ] ||
		fail "tlshd logged $n client handshakes, want 2 (before and after the KeyUpdate)"
	grep 'handshake ok:.*, client, ' "$T/tlshd.log" | sed 's/^/  log: /'
	ddec=$(($(tls_stat TlsDecryptError) - dec0))
	echo "  tls_stat: TlsDecryptError +$ddec (this kernel cannot rekey)"
	[ "$ddec" -ge 1 ] ||
		fail "no decrypt error counted: how did the client read past the KeyUpdate?"
}

# 6.14 and later: kTLS stops at the KeyUpdate and waits for the next
# receive key (reads give EKEYEXPIRED), which nobody installs.
rekey_kernel()
{
	local t0 rc secs drrk drok
	t0=$(date +%s)
	# Each RPC times out after 5 s (soft,timeo=50,retrans=1): 25 s is
	# five timeouts without an answer, an error or a reconnect.
	timeout 25 sha256sum <"$MNT/f" >"$T/read.out" 2>&1
	rc=$? secs=$(($(date +%s) - t0))
	sed 's/^/  proxy: /' "$T/proxy.log"
	echo "  read across the KeyUpdate: exit $rc after $secs s: $(head -c 200 "$T/read.out")"
	grep -q '^conn 1: KeyUpdate sent after' "$T/proxy.log" ||
		fail "the proxy sent no KeyUpdate"
	drrk=$(($(tls_stat TlsRxRekeyReceived) - rrk0))
	drok=$(($(tls_stat TlsRxRekeyOk) - rok0))
	echo "  tls_stat: TlsRxRekeyReceived +$drrk, TlsRxRekeyOk +$drok"
	[ "$drrk" -ge 1 ] || fail "the kernel did not count the KeyUpdate (TlsRxRekeyReceived)"
	[ "$drok" = 0 ] || fail "a receive key was installed (TlsRxRekeyOk +$drok): by whom?"
	[ "$rc" = 124 ] ||
		fail "the read ended (exit $rc: $(cat "$T/read.out")): doc/keyupdate.md says it stays stuck"
	! grep -q '^conn 2: ' "$T/proxy.log" ||
		fail "the client reconnected: doc/keyupdate.md says it does not"
	echo "  stuck as documented: no data, no error, no reconnect in $secs s"
	t0=$(date +%s)
	timeout 30 umount -f "$MNT" || timeout 30 umount -l "$MNT" || fail "umount"
	echo "  umount -f: $(($(date +%s) - t0)) s"
	# The stuck transport lives on in the kernel: reset its connection
	# (the proxy's child for it), so that it ends before the next test.
	pkill -KILL -P "$PROXY"
}

PORT=20490
tls-rekey-proxy "$PORT" 2049 65536 --x509 "$T/ca-srv.pem" "$T/ca-srv.key" \
	>"$T/proxy.log" 2>&1 &
PROXY=$!
NFS_PIDS+=($PROXY)
for _ in $(seq 50); do
	grep -q '^listening' "$T/proxy.log" && break
	sleep 0.1
done
grep -q '^listening' "$T/proxy.log" || fail "tls-rekey-proxy: $(cat "$T/proxy.log")"

# Where kTLS can rekey the client gets stuck (below): short RPC timeouts.
opts=soft,timeo=300
[ -n "$(tls_stat TlsRxRekeyReceived)" ] && opts=soft,timeo=50,retrans=1
timeout 60 mount -t nfs -o vers=4.2,xprtsec=tls,$opts,port=$PORT \
	localhost:/ "$MNT" >"$T/mount.out" 2>&1 ||
	fail "mount through the proxy: $(cat "$T/mount.out") $(cat "$T/proxy.log")"
timeout 120 cp "$T/data" "$MNT/f" 2>"$T/cp.err" ||
	fail "write through the mount: $(cat "$T/cp.err") $(cat "$T/proxy.log")"
sync
[ "$(sha256sum <"$EXPORT/f" | cut -d' ' -f1)" = "$NFS_WANT" ] ||
	fail "the export has a different file"
grep -q 'KeyUpdate sent' "$T/proxy.log" &&
	fail "the KeyUpdate went out before the read: $(cat "$T/proxy.log")"

rrk0=$(tls_stat TlsRxRekeyReceived) rok0=$(tls_stat TlsRxRekeyOk)
dec0=$(tls_stat TlsDecryptError)
echo 3 >/proc/sys/vm/drop_caches
if [ -n "$rrk0" ]; then
	rekey_kernel
else
	no_rekey_kernel
fi
rpc.nfsd 0
stop_tlshd
echo "PASS"
