#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# timeout: 180
# What the kernel NVMe/TCP host does when its target updates its TLS 1.3
# keys (doc/keyupdate.md, "Kernel consumers"). The kernel's nvmet never
# sends a KeyUpdate, so a user-space TLS 1.3 PSK server (tls-rekey-proxy,
# GnuTLS, the same retained PSK) sits in front of a plain nvmet port and
# sends one, once, 1 MiB into the first queue that carries that much to
# the host. tlshd does the host's handshakes and keeps no TLS state:
# nobody can install the target's next key. On 6.12 and 7.3 alike the
# host takes the record as a transport error, runs error recovery and
# reconnects within a second (two new handshakes through tlshd), and the
# I/O is requeued: the read across the KeyUpdate returns the data. 6.12
# never decrypts past it (TlsDecryptError +0); 7.3 counts it
# (TlsRxRekeyReceived) and installs no key (TlsRxRekeyOk +0).
. "$(dirname "$0")/nvme-common.bash"
nvme_require
command -v tls-rekey-proxy >/dev/null || fail "tls-rekey-proxy not built"
nvme_psk
nvme_target 4420 none

cat >"$T/nvme.conf" <<EOT
[debug]
loglevel=1
EOT
start_tlshd "$T/nvme.conf"
tls-rekey-proxy 4421 4420 $((1 << 20)) --psk "$T/psk" >"$T/proxy.log" 2>&1 &
PROXY=$!
for _ in $(seq 50); do
	grep -q '^listening' "$T/proxy.log" && break
	sleep 0.1
done
grep -q '^listening' "$T/proxy.log" || fail "tls-rekey-proxy: $(cat "$T/proxy.log")"

OPTS="transport=tcp,traddr=127.0.0.1,trsvcid=4421,nqn=$SUBNQN,hostnqn=$HOSTNQN,hostid=$HOSTID,nr_io_queues=1,reconnect_delay=1,ctrl_loss_tmo=60,tls"
reply=$(timeout 60 bash -c "$(declare -f nvme_connect); nvme_connect '$OPTS'") ||
	fail "connect through the proxy failed: $(dmesg | grep -i nvme | tail -n 5) $(cat "$T/proxy.log")"
CTRL=nvme$(echo "$reply" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
[ "$CTRL" != nvme ] || fail "no instance in '$reply'"
nvme_ns_dev
echo "  connect: $reply, namespace $NS_DEV"

head -c 8M /dev/urandom >"$T/data"
want=$(sha256sum <"$T/data" | cut -d' ' -f1)
timeout 60 dd if="$T/data" of="$NS_DEV" bs=1M count=8 oflag=direct status=none ||
	fail "O_DIRECT write: $(cat "$T/proxy.log")"
grep -q 'KeyUpdate sent' "$T/proxy.log" &&
	fail "the KeyUpdate went out before the read: $(cat "$T/proxy.log")"

rrk0=$(tls_stat TlsRxRekeyReceived) rok0=$(tls_stat TlsRxRekeyOk)
dec0=$(tls_stat TlsDecryptError) hs0=$(grep -c 'handshake ok:' "$T/tlshd.log")
t0=$(date +%s)
got=$(timeout 60 dd if="$NS_DEV" bs=1M count=8 iflag=direct status=none 2>"$T/read.err" |
	sha256sum | cut -d' ' -f1)
secs=$(($(date +%s) - t0))
sed 's/^/  proxy: /' "$T/proxy.log"
dmesg | grep -iE 'nvme' | tail -n 6 | sed 's/^/  dmesg: /'
grep -q '^conn [0-9]*: KeyUpdate sent after' "$T/proxy.log" ||
	fail "the proxy sent no KeyUpdate"
hs=$(( $(grep -c 'handshake ok:' "$T/tlshd.log") - hs0 ))
echo "  read across the KeyUpdate: $secs s, $hs new handshakes through tlshd"
[ "$got" = "$want" ] ||
	fail "read across the KeyUpdate: sha256 $got, want $want ($(cat "$T/read.err"))"
echo "  sha256 $want ok: the read across the KeyUpdate returned the data"
[ "$hs" -ge 1 ] || fail "the host read past the KeyUpdate without reconnecting"
dmesg | grep -q "nvme $CTRL: Successfully reconnected" ||
	fail "no reconnect in dmesg for $CTRL"
if [ -n "$rrk0" ]; then
	drrk=$(($(tls_stat TlsRxRekeyReceived) - rrk0))
	drok=$(($(tls_stat TlsRxRekeyOk) - rok0))
	echo "  tls_stat: TlsRxRekeyReceived +$drrk, TlsRxRekeyOk +$drok"
	[ "$drrk" -ge 1 ] || fail "the kernel did not count the KeyUpdate (TlsRxRekeyReceived)"
	[ "$drok" = 0 ] || fail "a receive key was installed (TlsRxRekeyOk +$drok): by whom?"
else
	ddec=$(($(tls_stat TlsDecryptError) - dec0))
	echo "  tls_stat: TlsDecryptError +$ddec (this kernel cannot rekey)"
	# nvme-tcp stops at the handshake record itself, not at the next one.
	[ "$ddec" = 0 ] || fail "the host decrypted past the KeyUpdate ($ddec errors)"
fi

echo 1 >"/sys/class/nvme/$CTRL/delete_controller" || fail "disconnect"
CTRL=
kill "$PROXY"
stop_tlshd
echo "PASS"
