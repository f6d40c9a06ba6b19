#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# `make install DESTDIR=... PREFIX=/usr` into a scratch root: every file
# where it belongs, a program built against the installed header and
# library through pkg-config (shared and static) that runs, every man page
# rendering without a groff warning, a man page for each function of
# ktls.h, the systemd unit passing `systemd-analyze verify`, an edited
# /etc/tlshd/config kept by a second install, and `make uninstall` leaving
# nothing behind but that edited file.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
T=$(mktemp -d /tmp/install-test.XXXXXX)
R=$T/root
trap 'rm -rf "$T"' EXIT
. selftests/lib/common.bash
ok() { echo "ok: $*"; }
for c in make cc pkg-config man; do
	command -v $c >/dev/null || { echo "$c is not installed"; exit 77; }
done

inst() { make -s --no-print-directory BUILD="$B" DESTDIR="$1" PREFIX=/usr "${@:2}"; }

inst "$R" install >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; echo "FAIL: make install"; exit 1; }
ok "make install DESTDIR=... PREFIX=/usr"

# Every file, with its mode.
want=(usr/sbin/tlshd:755 usr/bin/ktls-serve:755 usr/bin/ktls-bench:755
	usr/bin/ktls-probe:755 usr/lib/libktls.so.0:755 usr/lib/libktls.a:644
	usr/include/ktls.h:644 usr/lib/pkgconfig/libktls.pc:644
	usr/lib/systemd/system/tlshd.service:644 etc/tlshd/config:644
	usr/share/man/man8/tlshd.8:644 usr/share/man/man3/libktls.3:644)
for m in man/*.[1-8] lib/man/*.3 tlshd/man/*.5; do
	[ -e "$m" ] && want+=("usr/share/man/man${m##*.}/${m##*/}:644")
done
for w in "${want[@]}"; do
	f=${w%:*} mode=${w##*:}
	if [ ! -f "$R/$f" ]; then
		fail_later "$f not installed"
	elif [ "$(stat -c %a "$R/$f")" != "$mode" ]; then
		fail_later "$f has mode $(stat -c %a "$R/$f"), want $mode"
	fi
done
for p in ktls-probe ktls-serve ktls-bench; do
	[ -f "$R/usr/share/man/man1/$p.1" ] || fail_later "no man page for $p"
done
[ "$(readlink "$R/usr/lib/libktls.so")" = libktls.so.0 ] ||
	fail_later "usr/lib/libktls.so is not a link to libktls.so.0"
[ $FAILS = 0 ] && ok "${#want[@]} files installed with the right modes"
grep -q '^ExecStart=/usr/sbin/tlshd' "$R/usr/lib/systemd/system/tlshd.service" ||
	fail_later "unit's ExecStart does not name /usr/sbin/tlshd"

# A man page for every function the header declares.
fns=$(grep -oE '\bktls_[a-z0-9_]+\(' lib/include/ktls.h | tr -d '(' | sort -u)
[ -n "$fns" ] || fail_later "no function found in ktls.h"
missing=
for f in $fns; do
	[ -f "$R/usr/share/man/man3/$f.3" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "$(echo $fns | wc -w) functions of ktls.h have a man page" ||
	fail_later "no man page for:$missing"

# pkg-config against the scratch root, then compile, link and run.
export PKG_CONFIG_PATH=$R/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R
prefix=$(env -u PKG_CONFIG_SYSROOT_DIR pkg-config --variable=prefix libktls)
[ "$prefix" = /usr ] || fail_later "libktls.pc prefix is \"$prefix\", want /usr"
[ "$(pkg-config --modversion libktls)" = 0.1.0 ] || fail_later "libktls.pc version"
flags=$(pkg-config --cflags --libs libktls) || fail_later "pkg-config --cflags --libs libktls"
case $flags in *"-I$R/usr/include"*"-L$R/usr/lib"*) ok "pkg-config: $flags" ;;
	*) fail_later "pkg-config gives \"$flags\"" ;; esac
slibs=" $(pkg-config --static --libs libktls) "
case $slibs in *" -lgnutls "*) ;; *) fail_later "pkg-config --static lacks -lgnutls: $slibs" ;; esac
case $slibs in *" -lpthread "*) ;; *) fail_later "pkg-config --static lacks -lpthread: $slibs" ;; esac
# The library refuses TLS 1.0 with EINVAL (-22): a real call, not a stub.
cat >"$T/prog.c" <<-'EOT'
	#include <stdio.h>
	#include <ktls.h>

	int main(void)
	{
		struct ktls_config *cfg;

		if (ktls_config_new(&cfg, KTLS_ROLE_CLIENT))
			return 1;
		printf("%s %s %d\n", ktls_cipher_name(KTLS_CIPHER_AES_128_GCM),
		       ktls_cipher_name(KTLS_CIPHER_CHACHA20_POLY1305),
		       ktls_config_set_versions(cfg, 0x0301, 0x0304));
		ktls_config_put(cfg);
		return 0;
	}
EOT
expect="AES-128-GCM CHACHA20-POLY1305 -22"
if cc -std=gnu11 -Wall -Werror -o "$T/prog" "$T/prog.c" $flags 2>"$T/cc.log"; then
	out=$(LD_LIBRARY_PATH=$R/usr/lib "$T/prog")
	[ "$out" = "$expect" ] && ok "shared: prog prints \"$out\"" ||
		fail_later "shared: prog printed \"$out\", want \"$expect\""
	LD_LIBRARY_PATH=$R/usr/lib ldd "$T/prog" | grep -q "libktls.so.0 => $R/usr/lib/libktls.so.0" ||
		fail_later "prog does not load the installed libktls.so.0: $(ldd "$T/prog" | grep ktls)"
else
	fail_later "cc against the installed header and library: $(cat "$T/cc.log")"
fi
# libktls.a with GnuTLS shared: Debian ships no static GnuTLS (nor some of
# its dependencies' development links) to take --static all the way.
static=$(pkg-config --libs libktls | sed 's/-lktls/-Wl,-Bstatic -lktls -Wl,-Bdynamic/')
static="$static $(pkg-config --libs gnutls) -lpthread"
if cc -std=gnu11 -o "$T/prog-static" "$T/prog.c" $(pkg-config --cflags libktls) \
	$static 2>"$T/cc.log"; then
	out=$(env -u LD_LIBRARY_PATH "$T/prog-static")
	[ "$out" = "$expect" ] && ok "static: prog prints \"$out\"" ||
		fail_later "static: prog printed \"$out\""
	ldd "$T/prog-static" | grep -q libktls && fail_later "static prog still needs libktls.so"
else
	fail_later "static link with pkg-config --static: $(cat "$T/cc.log")"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# Every page renders, with no groff or man warning, and has a NAME line.
n=0
for page in $(cd "$R/usr/share/man" && ls man*/*); do
	err=$(cd "$R/usr/share/man" && MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >"$T/page.txt")
	n=$((n + 1))
	if [ -n "$err" ]; then
		fail_later "$page: $err"
	elif ! grep -q '^NAME' "$T/page.txt" || [ "$(wc -l <"$T/page.txt")" -lt 8 ]; then
		fail_later "$page renders to no manual page"
	fi
done
ok "$n man pages rendered"

# The unit, as systemd reads it. verify --root wants every command of the
# unit inside the root: a copy of the installed unit and daemon, and kill.
unit=$R/usr/lib/systemd/system/tlshd.service
if command -v systemd-analyze >/dev/null; then
	V=$T/vroot
	mkdir -p "$V/usr/sbin" "$V/usr/lib/systemd/system" "$V/bin"
	cp "$unit" "$V/usr/lib/systemd/system/" && cp "$R/usr/sbin/tlshd" "$V/usr/sbin/"
	cp /bin/kill "$V/bin/kill"
	# It also runs man for Documentation=: find the installed page.
	if MANPATH=$R/usr/share/man systemd-analyze verify --root="$V" \
		/usr/lib/systemd/system/tlshd.service >"$T/verify.log" 2>&1 &&
		[ ! -s "$T/verify.log" ]; then
		ok "systemd-analyze verify tlshd.service"
	else
		fail_later "systemd-analyze verify: $(cat "$T/verify.log")"
	fi
else
	echo "systemd-analyze not installed: the unit is not verified"
fi
grep -q '^Type=notify$' "$unit" || fail_later "unit is not Type=notify"
grep -q '^Restart=always$' "$unit" || fail_later "unit does not always restart tlshd"
grep -q '^WantedBy=remote-fs.target$' "$unit" || fail_later "unit not wanted by remote-fs.target"
# systemctl reload runs the ExecReload= lines in order and stops at the
# first that fails: the check must come before the signal, and refuse a
# bad configuration (run here with -c, as the unit's own file is /etc's).
check=$(sed -n 's/^ExecReload=//p' "$unit" | head -n 1)
sed -n 's/^ExecReload=//p' "$unit" | sed -n 2p | grep -q 'kill -HUP' ||
	fail_later "the second ExecReload is not the SIGHUP: $(grep ExecReload "$unit")"
case $check in
/usr/sbin/tlshd\ --check-config) ;;
*) fail_later "the first ExecReload does not check the configuration: $check" ;;
esac
printf '[authenticate.client\nthis line is no key=value pair\n' >"$T/bad.conf"
printf '[debug]\nloglevel=1\n' >"$T/good.conf"
"$R${check%% *}" ${check#* } -c "$T/bad.conf" >"$T/reload-bad.log" 2>&1 &&
	fail_later "ExecReload's check passed a malformed config: $(cat "$T/reload-bad.log")"
"$R${check%% *}" ${check#* } -c "$T/good.conf" >"$T/reload-good.log" 2>&1 ||
	fail_later "ExecReload's check refused a good config: $(cat "$T/reload-good.log")"
ok "ExecReload checks the configuration before the SIGHUP (bad refused, good passed)"
grep -q '^Before=.*remote-fs-pre.target' "$unit" || fail_later "unit not ordered before remote-fs-pre.target"

# A second install keeps an administrator's configuration.
echo "# edited" >>"$R/etc/tlshd/config"
inst "$R" install >"$T/install2.log" 2>&1 || fail_later "second make install: $(cat "$T/install2.log")"
tail -n 1 "$R/etc/tlshd/config" | grep -q '^# edited$' && ok "edited /etc/tlshd/config kept" ||
	fail_later "second make install overwrote /etc/tlshd/config"

# Uninstall: nothing left but the edited configuration.
inst "$R" uninstall >"$T/uninstall.log" 2>&1 || fail_later "make uninstall: $(cat "$T/uninstall.log")"
left=$(cd "$R" && find . ! -type d | sort)
[ "$left" = "./etc/tlshd/config" ] && ok "make uninstall removed every file but the edited config" ||
	fail_later "after make uninstall: $(echo $left)"

# An unedited configuration goes with the rest.
inst "$T/root2" install >/dev/null 2>&1 && inst "$T/root2" uninstall >/dev/null 2>&1 ||
	fail_later "install/uninstall into a second root"
left=$(cd "$T/root2" && find . ! -type d | sort)
[ -z "$left" ] && ok "install + uninstall leave no file" || fail_later "left behind: $(echo $left)"

if [ $FAILS -gt 0 ]; then
	echo "$FAILS checks failed"
	exit 1
fi
echo "all checks passed"
