#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# The README's "Quick start: NFS over TLS", followed as written: its two
# /etc/tlshd/config blocks (server and client, on one machine here) become
# /etc/tlshd/config, tlshd reads that default file, and the README's mount
# command runs unchanged against server.example.com (this guest's own
# nfsd, named in /etc/hosts). A file written through the mount must read
# back from the export, both handshakes must succeed, and kTLS must carry
# the traffic. If the README changes, this test follows it.
. "$(dirname "$0")/nfs-common.bash"
nfs_require
make_pki

readme_blocks()	# the fenced blocks of the README's NFS quick start, NUL-separated
{
	awk '/^## Quick start: NFS over TLS/ { on = 1; next }
	     on && /^## / { exit }
	     on && /^```/ { if (inblk) { printf "%c", 0; inblk = 0 } else inblk = 1; next }
	     on && inblk { print }' README.md
}
mapfile -d '' blocks < <(readme_blocks)
[ ${#blocks[@]} = 3 ] || fail "README's NFS quick start has ${#blocks[@]} code blocks, not 3 (server config, client config, mount)"
for i in 0 1; do
	head -n 1 <<<"${blocks[$i]}" | grep -qx '# /etc/tlshd/config' ||
		fail "quick start block $((i + 1)) is not an /etc/tlshd/config"
done
mount_cmd=$(grep -v '^#' <<<"${blocks[2]}" | grep -v '^$')
case $mount_cmd in
"mount -t nfs "*" server.example.com:/ /mnt") ;;
*) fail "the quick start's mount command changed: $mount_cmd" ;;
esac

# What the README leaves to the admin: a CA, the server's certificate for
# server.example.com, the name in /etc/hosts. Anything already in
# /etc/tlshd and /etc/hosts (the guest's overlay) is put back afterwards.
SAVED=$T/saved-etc
mkdir -p "$SAVED"
[ -d /etc/tlshd ] && cp -a /etc/tlshd "$SAVED/tlshd"
cp /etc/hosts "$SAVED/hosts"
quickstart_cleanup()
{
	mountpoint -q /mnt && timeout 30 umount -f /mnt
	rm -rf /etc/tlshd
	[ -d "$SAVED/tlshd" ] && cp -a "$SAVED/tlshd" /etc/tlshd
	cp "$SAVED/hosts" /etc/hosts
	nfs_cleanup
}
trap quickstart_cleanup EXIT
mkdir -p /etc/tlshd /mnt
echo "127.0.0.1 server.example.com" >>/etc/hosts
certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	--outfile /etc/tlshd/server.key 2>/dev/null || fail "certtool"
cat >"$T/example.tmpl" <<EOT
cn = "server.example.com"
dns_name = "server.example.com"
tls_www_server
signing_key
expiration_days = 2
EOT
certtool --generate-certificate --load-privkey /etc/tlshd/server.key \
	--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/example.tmpl" --outfile /etc/tlshd/server.pem 2>/dev/null ||
	fail "certtool: server.example.com"
cp "$T/ca.pem" /etc/tlshd/ca.pem
printf '%s\n%s\n' "${blocks[0]}" "${blocks[1]}" >/etc/tlshd/config
echo "  /etc/tlshd/config, from the README:"
sed 's/^/    /' /etc/tlshd/config
tlshd --check-config -c /etc/tlshd/config >"$T/check.out" 2>&1 ||
	fail "tlshd --check-config refuses the README's config: $(cat "$T/check.out")"

nfs_mounts
start_tlshd /etc/tlshd/config
nfs_start

ok0=$(grep -c 'handshake ok:' "$T/tlshd.log")
tx0=$(awk '$1 == "TlsTxSw" {print $2}' /proc/net/tls_stat)
echo "  # $mount_cmd"
timeout 90 bash -c "$mount_cmd" >"$T/mount.out" 2>&1 ||
	fail "the README's mount command failed: $(cat "$T/mount.out")"
grep -q ' /mnt nfs4 .*xprtsec=tls' /proc/mounts ||
	fail "/mnt is not an NFS mount with xprtsec=tls: $(grep ' /mnt ' /proc/mounts)"
cp "$T/data" /mnt/quickstart || fail "write through /mnt"
sync
timeout 60 umount /mnt || fail "umount /mnt"
[ "$(sha256sum <"$EXPORT/quickstart" | cut -d' ' -f1)" = "$NFS_WANT" ] ||
	fail "the file written through the mount differs on the export"
ok=$(($(grep -c 'handshake ok:' "$T/tlshd.log") - ok0))
[ "$ok" -ge 2 ] || fail "$ok successful handshakes for the mount, want the client's and the server's"
grep 'handshake ok:' "$T/tlshd.log" | tail -n "$ok" | sed 's/^/  log: /'
grep 'handshake ok:' "$T/tlshd.log" | tail -n "$ok" |
	grep -q ', client, auth anon, .*verified server\.example\.com' ||
	fail "no client handshake that verified server.example.com"
grep 'handshake ok:' "$T/tlshd.log" | tail -n "$ok" | grep -q ', server, auth x509' ||
	fail "no server handshake with the README's certificate"
grep -q 'handshake failed' "$T/tlshd.log" && fail "tlshd logged a failed handshake"
tx=$(($(awk '$1 == "TlsTxSw" {print $2}' /proc/net/tls_stat) - tx0))
[ "$tx" -ge 2 ] || fail "TlsTxSw rose by $tx: kTLS did not carry the mount"
echo "  3 MiB through the README's mount, $ok handshakes, TlsTxSw +$tx"
rpc.nfsd 0
stop_tlshd
echo "PASS"
