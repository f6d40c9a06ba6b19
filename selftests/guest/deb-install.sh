#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 600
# The Debian packages `make deb` built on the host (selftests/host/
# deb_package checks their build and contents), installed with dpkg -i in
# the guest: the unit enabled, the shipped /etc/tlshd/config accepted by
# --check-config, the installed /usr/sbin/tlshd serving a kernel
# consumer's handshake and the consumer's bytes echoed back through kTLS, a
# program built against libktls-dev running on libktls0, the DKMS package
# registered (6.12 has the family built in, so DKMS builds nothing here:
# deb_package shows the 6.1 build), and dpkg --purge taking it all away.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
D=${BUILD:-build}/deb
arch=$(dpkg --print-architecture)
# The version from the built package's name: dpkg-parsechangelog is perl,
# seconds under emulation.
ver=$(basename "$(ls "$D"/tlshd_*_"$arch".deb 2>/dev/null | head -n 1)" .deb)
ver=${ver#tlshd_} ver=${ver%_"$arch"}
[ -n "$ver" ] || fail "no $D/tlshd_*_$arch.deb: make deb builds the packages (make check does)"
debs=()
for p in tlshd libktls0 libktls-dev ktls-tools; do
	debs+=("$D/${p}_${ver}_$arch.deb")
done
debs+=("$D/tlshd-compat-dkms_${ver}_all.deb")
for f in "${debs[@]}"; do
	[ -f "$f" ] || fail "$f missing: make deb builds the packages (make check does)"
done
[ -e /usr/sbin/tlshd ] && fail "/usr/sbin/tlshd exists before the install"
make_pki
# man-db's trigger would re-index every manual page of the host under
# emulation (minutes); this switch is the one man-db documents for that.
rm -f /var/lib/man-db/auto-update

t0=$(date +%s)
DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i: $(tail -n 20 "$T/dpkg.log")"
for p in tlshd libktls0 libktls-dev ktls-tools tlshd-compat-dkms; do
	st=$(dpkg-query -W -f='${Status} ${Version}' "$p")
	[ "$st" = "install ok installed $ver" ] || fail "$p: $st"
done
echo "  dpkg -i: 5 packages installed in $(($(date +%s) - t0)) s"
[ -L /etc/systemd/system/remote-fs.target.wants/tlshd.service ] ||
	fail "the unit was not enabled (no remote-fs.target.wants link)"
st=$(dkms status tlshd-compat/"$ver" 2>&1)
grep -q "^tlshd-compat/$ver" <<<"$st" || fail "DKMS does not know tlshd-compat: $st"
echo "  dkms status: $(head -n 1 <<<"$st")"

# The shipped configuration is one tlshd accepts.
/usr/sbin/tlshd --check-config >"$T/check.log" 2>&1 ||
	fail "the packaged /etc/tlshd/config is refused: $(cat "$T/check.log")"

# The installed daemon serves a handshake; the consumer's bytes come back.
PATH=/usr/sbin:$PATH start_tlshd
exe=$(readlink "/proc/$TLSHD_PID/exe")
[ "$exe" = /usr/sbin/tlshd ] || fail "the daemon running is $exe"
command -v echo-gnutls >/dev/null || fail "echo-gnutls not built"
start_server 4460 echo-gnutls serve 4460 --cert "$T/ca-srv.pem" --key "$T/ca-srv.key"
tx0=$(tls_stat TlsTxSw)
consumer --connect 127.0.0.1:4460 --type client --auth anon \
	--peername localhost --timeout-ms 20000 --echo-bytes 65536 ||
	fail "handshake through the installed tlshd failed"
grep -q '^status=0 ' "$T/consumer.out" || fail "status not 0"
grep -q 'echo bytes=65536 verified' "$T/consumer.out" || fail "echo not verified"
[ "$(tls_stat TlsTxSw)" -gt "$tx0" ] || fail "no kTLS transmit socket counted"
expect_log 'handshake ok: peer localhost 127\.0\.0\.1:4460, client, auth anon'
stop_tlshd

# libktls-dev and libktls0: built through pkg-config, run on the shared library.
cat >"$T/prog.c" <<'EOT'
#include <stdio.h>
#include <ktls.h>

int main(void)
{
	printf("%s\n", ktls_cipher_name(KTLS_CIPHER_AES_256_GCM));
	return 0;
}
EOT
cc -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs libktls) 2>"$T/cc.log" ||
	fail "cc against libktls-dev: $(cat "$T/cc.log")"
[ "$("$T/prog")" = AES-256-GCM ] || fail "prog printed $("$T/prog")"
ma=$(cc -print-multiarch)
# /lib is /usr/lib on Debian 12: compare the files, not the names.
so=$(ldd "$T/prog" | awk '$1 == "libktls.so.0" {print $3}')
[ -n "$so" ] && [ "$(realpath "$so")" = "$(realpath "/usr/lib/$ma/libktls.so.0")" ] ||
	fail "prog does not load libktls0's library: $(ldd "$T/prog" | grep ktls)"
echo "  libktls-dev: a program built with pkg-config runs on /usr/lib/$ma/libktls.so.0"

t0=$(date +%s)
DEBIAN_FRONTEND=noninteractive dpkg --purge tlshd-compat-dkms ktls-tools libktls-dev \
	tlshd libktls0 >"$T/purge.log" 2>&1 || fail "dpkg --purge: $(tail -n 20 "$T/purge.log")"
for f in /usr/sbin/tlshd /etc/tlshd/config /lib/systemd/system/tlshd.service \
	/etc/systemd/system/remote-fs.target.wants/tlshd.service "/usr/lib/$ma/libktls.so.0" \
	/usr/src/tlshd-compat-"$ver"; do
	[ -e "$f" ] && fail "$f left after dpkg --purge"
done
echo "  dpkg --purge: nothing left ($(($(date +%s) - t0)) s)"
echo "all checks passed"
