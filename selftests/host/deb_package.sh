#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 900
# The Debian packages: `make deb` (dpkg-buildpackage -us -uc from a copy of
# the tree, into $BUILD/deb; reused when no file changed since) leaves no
# build artefact in the tree, lintian finds no error in the source or any
# binary package, each package holds what it should (the unit, the config
# as a conffile, the library with its symbols, man pages), and
# tlshd-compat-dkms holds the compat module's sources and no test module:
# DKMS builds exactly compat_handshake.ko from them for 6.1, and skips 6.12
# (the family is built in). The guest test deb-install installs the same
# packages.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
D=$B/deb
T=$(mktemp -d /tmp/deb_package.XXXXXX)
FAILS=0
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
for c in dpkg-buildpackage dh lintian dkms; do
	command -v $c >/dev/null || { echo "$c is not installed (scripts/deps.sh installs it)"; exit 77; }
done

# Files git does not know of under debian/: a build in the tree would
# leave debian/build, debian/.debhelper, debian/files...
litter() { git status --porcelain --ignored -- debian 2>/dev/null | grep -E '^(\?\?|!!)'; }
before=$(litter)
t0=$(date +%s)
make -s --no-print-directory BUILD="$B" deb >"$T/make.log" 2>&1 ||
	{ cat "$T/make.log"; echo "FAIL: make deb"; exit 1; }
ok "make deb: $(($(date +%s) - t0)) s ($(grep -o 'packages in .*' "$T/make.log" || echo 'reused the last build'))"
[ "$(litter)" = "$before" ] && ok "the work tree has no build artefact under debian/" ||
	fail "make deb left in the tree: $(litter)"

ver=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
changes=$D/tlshd_${ver}_$arch.changes
[ -f "$changes" ] || { echo "FAIL: no $changes"; exit 1; }
for p in tlshd libktls0 libktls-dev ktls-tools; do
	[ -f "$D/${p}_${ver}_$arch.deb" ] || fail "no ${p}_${ver}_$arch.deb"
done
dkms_deb=$D/tlshd-compat-dkms_${ver}_all.deb
[ -f "$dkms_deb" ] || fail "no tlshd-compat-dkms_${ver}_all.deb"
grep -q "tlshd_$ver.tar.xz" "$changes" || fail "the .changes carries no source tarball"

t0=$(date +%s)
if lintian --fail-on error --no-tag-display-limit "$changes" >"$T/lintian.log" 2>&1; then
	ok "lintian --fail-on error: no error ($(grep -c '^W:' "$T/lintian.log") warnings," \
		"$(($(date +%s) - t0)) s)"
else
	fail "lintian: $(grep -E '^E:' "$T/lintian.log" || cat "$T/lintian.log")"
fi
grep -E '^[EW]:' "$T/lintian.log"

# contents DEB: the paths, without the leading "./".
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./||'; }
has() { grep -qx -- "$2" <<<"$1" || fail "$3 lacks $2"; }

c=$(contents "$D/tlshd_${ver}_$arch.deb")
for f in usr/sbin/tlshd lib/systemd/system/tlshd.service etc/tlshd/config \
	usr/share/man/man8/tlshd.8.gz usr/share/man/man5/tlshd.conf.5.gz; do
	has "$c" "$f" tlshd
done
[ "$(dpkg-deb -f "$D/tlshd_${ver}_$arch.deb" Conflicts)" = ktls-utils ] ||
	fail "tlshd does not conflict with ktls-utils (both ship /usr/sbin/tlshd)"
dpkg-deb --ctrl-tarfile "$D/tlshd_${ver}_$arch.deb" | tar -xOf - ./conffiles >"$T/conffiles"
grep -qx /etc/tlshd/config "$T/conffiles" && ok "/etc/tlshd/config is a conffile" ||
	fail "conffiles: $(cat "$T/conffiles")"
dpkg-deb --ctrl-tarfile "$D/tlshd_${ver}_$arch.deb" | tar -xOf - ./postinst >"$T/postinst"
grep -q 'deb-systemd-helper.*tlshd.service' "$T/postinst" && ok "postinst enables tlshd.service" ||
	fail "postinst does not enable the unit"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
c=$(contents "$D/libktls0_${ver}_$arch.deb")
has "$c" "usr/lib/$ma/libktls.so.0" libktls0
dpkg-deb --ctrl-tarfile "$D/libktls0_${ver}_$arch.deb" | tar -xOf - ./symbols >"$T/symbols"
nsym=$(grep -c '^ ktls_' "$T/symbols")
nfn=$(grep -oE '\bktls_[a-z0-9_]+\(' lib/include/ktls.h | sort -u | wc -l)
[ "$nsym" = "$nfn" ] && ok "libktls0's symbols file lists the $nfn functions of ktls.h" ||
	fail "symbols file has $nsym symbols, ktls.h declares $nfn functions"
c=$(contents "$D/libktls-dev_${ver}_$arch.deb")
for f in usr/include/ktls.h "usr/lib/$ma/libktls.so" "usr/lib/$ma/libktls.a" \
	"usr/lib/$ma/pkgconfig/libktls.pc" usr/share/man/man3/libktls.3.gz \
	usr/share/man/man3/ktls_session_new.3.gz; do
	has "$c" "$f" libktls-dev
done
dpkg-deb -x "$D/libktls-dev_${ver}_$arch.deb" "$T/dev"
grep -qx "libdir=/usr/lib/$ma" "$T/dev/usr/lib/$ma/pkgconfig/libktls.pc" ||
	fail "libktls.pc: $(grep libdir "$T/dev/usr/lib/$ma/pkgconfig/libktls.pc")"
c=$(contents "$D/ktls-tools_${ver}_$arch.deb")
for t in ktls-serve ktls-bench ktls-probe; do
	has "$c" "usr/bin/$t" ktls-tools
	has "$c" "usr/share/man/man1/$t.1.gz" ktls-tools
done

# The DKMS package: the compat module's sources, nothing of the tests.
src=usr/src/tlshd-compat-$ver
c=$(contents "$dkms_deb")
for f in dkms.conf kmod/compat/Kbuild kmod/compat/main.c kmod/compat/genl.c \
	kmod/compat/request.c kmod/compat/tls.c kmod/compat/hsc.h \
	kmod/compat_handshake.h uapi/linux/handshake.h; do
	has "$c" "$src/$f" tlshd-compat-dkms
done
tests=$(grep -E 'selftest|ktls_test|test_consumer|ktls_test_dev|ktls_test_req' <<<"$c")
[ -z "$tests" ] && ok "tlshd-compat-dkms holds $(grep -c '\.[ch]$' <<<"$c") sources and no test module" ||
	fail "tlshd-compat-dkms holds test sources: $(echo $tests)"
dpkg-deb -x "$dkms_deb" "$T/dkms"
conf=$T/dkms/$src/dkms.conf
built=$(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p' "$conf")
[ "$built" = compat_handshake ] && ok "dkms.conf builds compat_handshake alone" ||
	fail "dkms.conf builds: $(echo $built)"
grep -qx "PACKAGE_VERSION=\"$ver\"" "$conf" || fail "dkms.conf's version is not $ver"

# DKMS itself, on the packaged sources, against the guest kernels' headers
# (fetched by make check): 6.1 lacks the family and gets the module alone,
# 6.12 has it built in and is skipped (dkms exits 77).
kc=${KCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tlshd/kernels}
mkdir -p "$T/tree" "$T/srcs"
mv "$T/dkms/$src" "$T/srcs/"
dkms_build() {
	local rel=$1
	dkms build --dkmstree "$T/tree" --sourcetree "$T/srcs" -m tlshd-compat -v "$ver" \
		-k "$rel" --kernelsourcedir "$kc/$2/root/usr/src/linux-headers-$rel"
}
for k in 6.1 6.12; do
	rel=$(cat "$kc/$k/release" 2>/dev/null)
	if [ -z "$rel" ] || [ ! -d "$kc/$k/root/usr/src/linux-headers-$rel" ]; then
		echo "no $k headers in $kc: dkms build not tried for $k (make kernels fetches them)"
		continue
	fi
	t0=$(date +%s)
	dkms_build "$rel" "$k" >"$T/dkms-$k.log" 2>&1
	rc=$?
	kos=$(cd "$T/tree/tlshd-compat/$ver" 2>/dev/null && find . -path "./$rel/*" -name '*.ko*' | sed 's|.*/||')
	case $k in
	6.1)
		[ $rc = 0 ] && [ "$kos" = compat_handshake.ko ] &&
			ok "dkms build for $rel: compat_handshake.ko alone ($(($(date +%s) - t0)) s)" ||
			fail "dkms build for $rel: exit $rc, modules: $(echo $kos); $(tail -n 5 "$T/dkms-$k.log")"
		;;
	6.12)
		[ $rc = 77 ] && [ -z "$kos" ] && grep -q BUILD_EXCLUSIVE "$T/dkms-$k.log" &&
			ok "dkms build for $rel: skipped, the family is built in" ||
			fail "dkms build for $rel: exit $rc, modules: $(echo $kos); $(tail -n 5 "$T/dkms-$k.log")"
		;;
	esac
done

if [ $FAILS -gt 0 ]; then
	echo "$FAILS checks failed"
	exit 1
fi
echo "all checks passed"
