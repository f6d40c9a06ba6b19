#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# tlshd.conf(5) documents exactly the keys the parser accepts: the keys
# under each ".SS [section]" heading of the man page (".TP" then
# ".BI key= ...") against "tlshd --list-config-keys", both ways. And
# every man page of the daemon renders without a groff warning.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
TLSHD=$B/bin/tlshd
PAGE=tlshd/man/tlshd.conf.5
T=$(mktemp -d /tmp/tlshd_config_doc.XXXXXX)
trap 'rm -rf "$T"' EXIT
. selftests/lib/common.bash

[ -x "$TLSHD" ] || { echo "$TLSHD not built"; exit 1; }
[ -f "$PAGE" ] || { echo "$PAGE is missing"; exit 1; }

# "section key" for each documented key. A heading may name several
# sections ("[authenticate.client] and [authenticate.server]").
doc_keys() {
	awk '
	/^\.S[SH] / {
		n = 0
		line = $0
		while (match(line, /\[[a-z.]+\]/)) {
			sec[++n] = substr(line, RSTART + 1, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
		next
	}
	/^\.TP/ { tp = 1; next }
	tp && /^\.BI? [a-z0-9_.]+=/ {
		key = $2
		sub(/=.*/, "", key)
		for (i = 1; i <= n; i++)
			print sec[i], key
	}
	{ tp = 0 }' "$1" | sort
}

doc_keys "$PAGE" >"$T/doc"
"$TLSHD" --list-config-keys | sort >"$T/parser" ||
	fail_later "tlshd --list-config-keys failed"
[ -s "$T/parser" ] || fail_later "tlshd --list-config-keys listed nothing"
[ "$(uniq -d "$T/parser" | wc -l)" = 0 ] ||
	fail_later "the parser lists a key twice: $(uniq -d "$T/parser" | tr '\n' ',')"

missing=$(comm -13 "$T/doc" "$T/parser")
extra=$(comm -23 "$T/doc" "$T/parser")
[ -z "$missing" ] ||
	fail_later "accepted by the parser but not documented in $PAGE: $(echo "$missing" | tr '\n' ',')"
[ -z "$extra" ] ||
	fail_later "documented in $PAGE but not accepted by the parser: $(echo "$extra" | tr '\n' ',')"
[ -z "$missing$extra" ] &&
	echo "ok: $PAGE documents the parser's $(wc -l <"$T/parser") keys, no more, no less"

# The extraction itself must see a drift: drop a key, add a bogus one.
sed '/^\.BI min_version= /d' "$PAGE" >"$T/drop.5"
doc_keys "$T/drop.5" | comm -13 - "$T/parser" | grep -qx 'tlshd min_version' ||
	fail_later "the check does not notice an undocumented key"
sed 's/^\.BI workers= n$/.BI workers= n\n.TP\n.BI bogus_key= n/' "$PAGE" >"$T/add.5"
doc_keys "$T/add.5" | comm -23 - "$T/parser" | grep -qx 'tlshd bogus_key' ||
	fail_later "the check does not notice a documented key the parser lacks"

# Rendering: every page of the daemon, all warnings on.
command -v groff >/dev/null || { echo "groff is not installed (man-db's groff-base)"; exit 77; }
for page in tlshd/man/* man/tlshd.8; do
	[ -f "$page" ] || continue
	if ! groff -man -Tutf8 -ww -z "$page" >"$T/render" 2>&1 || [ -s "$T/render" ]; then
		fail_later "groff -man -ww $page: $(head -n 5 "$T/render")"
	else
		echo "ok: $page renders without warnings"
	fi
	# man(1) as a user runs it: its own preprocessors, width 80.
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$T/render"
		[ -s "$T/render" ] && fail_later "man -l $page: $(head -n 5 "$T/render")"
	fi
done

if [ "$FAILS" -gt 0 ]; then
	echo "tlshd_config_doc: $FAILS failures"
	exit 1
fi
echo "tlshd_config_doc: all checks passed"
