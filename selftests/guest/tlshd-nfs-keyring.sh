#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# NFS mtls with the client certificate named by keyring serial: the mount
# options cert_serial= and privkey_serial= (newer kernels) hand tlshd a
# certificate and key that its configuration does not hold. The server must
# verify that certificate (its own CN, not the configured client's), the
# file round trip must be byte-exact, and a serial that holds no
# certificate must fail the mount with tlshd naming the key.
. "$(dirname "$0")/nfs-common.bash"
nfs_require
nfsko=$(modinfo -n nfs 2>/dev/null)
case $nfsko in
*.xz) xz -dc "$nfsko" ;;
*) cat "$nfsko" ;;
esac 2>/dev/null | grep -aq 'cert_serial' ||
	skip "kernel $(uname -r): the NFS client has no cert_serial= mount option"
make_pki
# A second client certificate, only in the keyring.
certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
	--outfile "$T/kr.key" 2>/dev/null || fail "certtool"
printf 'cn = "tlshd keyring client"\ntls_www_client\nsigning_key\nexpiration_days = 2\n' \
	>"$T/kr.tmpl"
certtool --generate-certificate --load-privkey "$T/kr.key" \
	--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
	--template "$T/kr.tmpl" --outfile "$T/kr.pem" 2>/dev/null || fail "certtool certificate"
certtool --certificate-info --infile "$T/kr.pem" --outder --outfile "$T/kr.der" \
	>/dev/null 2>&1 || fail "certtool DER"
certtool --key-info --infile "$T/kr.key" --outder --outfile "$T/kr-key.der" \
	>/dev/null 2>&1 || fail "certtool key DER"
cert=$(keyctl padd user tlshd-nfs-cert @u <"$T/kr.der") || fail "keyctl cert"
key=$(keyctl padd user tlshd-nfs-key @u <"$T/kr-key.der") || fail "keyctl key"
# The configured client certificate is the other one: whichever the server
# verifies tells which tlshd presented.
nfs_conf

nfs_mounts
start_tlshd "$T/nfs.conf"
nfs_start

nfs_mount_once mtls "cert_serial=$cert,privkey_serial=$key" "tlshd keyring client"
grep 'handshake ok:' "$T/tlshd.log" | grep ', server, ' | tail -n 1 |
	grep -q 'tlshd test client' && fail "the server saw the configured certificate, not the keyring's"
nfs_trace_check 2

# A key that is no certificate: the mount fails, tlshd says why.
timeout 60 mount -t nfs -o vers=4.2,xprtsec=mtls,soft,timeo=50,retrans=1,cert_serial=$key,privkey_serial=$key \
	localhost:/ "$MNT" >"$T/mount-bad.out" 2>&1 && fail "a mount with a key as certificate succeeded"
echo "  bad serial: mount.nfs: $(tail -n 1 "$T/mount-bad.out")"
# Refused as key material (EKEYREJECTED), or, where the kernel grants no
# read of a key named in that role, as missing (ENOKEY): either names it.
expect_log "client, auth x509, .*status (EKEYREJECTED|ENOKEY): .*$key"

keyctl unlink "$cert" @u >/dev/null
keyctl unlink "$key" @u >/dev/null
rpc.nfsd 0
stop_tlshd
echo "PASS"
