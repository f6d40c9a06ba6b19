#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# The dependency rules of doc/development.md, checked on the tree and on
# the built objects:
#   - lib includes nothing of tlshd or tools;
#   - tools include only ktls.h of the project (and their own headers);
#   - tlshd's headers include one another without a cycle;
#   - tlshd keeps no writable file-scope state outside daemon.c, except
#     the listed ones (the logger, and function-local statics that only
#     rate-limit logging);
#   - one cipher table: the kernel's TLS_CIPHER_* numbers and GnuTLS's
#     cipher ids are named in lib/cipher_table.c and nowhere else of lib,
#     tlshd or tools (tests keep their own tables on purpose, as
#     cross-checks, and are not looked at);
#   - no second copy of what libktls owns, outside lib/ (selftests/ keep
#     independent copies on purpose, as cross-checks): the kTLS record-type
#     reader and the keyring reader; and conn_free once in ktls-serve.
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${BUILD:-build}
. selftests/lib/common.bash

# Writable state tlshd may keep outside daemon.c: object:symbol (a
# function-local static shows as name.N).
allowed_state='
log.o:log_level log.o:log_where log.o:log_journald log.o:log_ident
log.o:log_errors log.o:log_warnings log.o:log_pid log.o:checked_ms log.o:there
netlink.o:unreported netlink.o:last_ms
'

# 1. lib is the bottom layer.
bad=$(grep -rnE '#include "(\.\./|.*tlshd/|.*tools/)' lib) &&
	fail "lib includes tlshd or tools: $bad"

# 2. Tools see the library through ktls.h only.
bad=$(grep -rnE '#include "' tools | grep -vE '#include "(\.\./version\.h|[a-z_]+\.h)"') &&
	fail "a tool includes a path outside its directory: $bad"
bad=$(grep -rnE '#include "(ktls-internal|config|creds|daemon|handshake|keyring|log|loop|msg|netlink|resumption)\.h"' tools |
	while IFS=: read -r f _ line; do
		h=$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$line")
		[ -e "$(dirname "$f")/$h" ] || echo "$f: $line"
	done)
[ -z "$bad" ] || fail "a tool includes a private header of lib or tlshd: $bad"

# 3. No include cycle among tlshd's headers (depth-first search).
python3 - tlshd <<'EOF' || fail "tlshd's headers include one another in a cycle"
import os, re, sys
d = sys.argv[1]
edges = {}
for f in os.listdir(d):
    if f.endswith('.h'):
        edges[f] = [h for h in re.findall(r'#include "([^"]+)"', open(os.path.join(d, f)).read())
                    if os.path.exists(os.path.join(d, h))]
state = {}
def visit(h, path):
    if state.get(h) == 1:
        print("cycle: " + " -> ".join(path + [h]))
        sys.exit(1)
    if state.get(h) == 2:
        return
    state[h] = 1
    for n in edges.get(h, []):
        visit(n, path + [h])
    state[h] = 2
for h in sorted(edges):
    visit(h, [])
EOF

# 4. File-scope writable state: what the objects put in .data and .bss.
ls "$build"/obj/tlshd/*.o >/dev/null 2>&1 || fail "no objects in $build/obj/tlshd: build first"
found=0
for o in "$build"/obj/tlshd/*.o; do
	obj=$(basename "$o")
	[ "$obj" = daemon.o ] && continue
	while read -r sym; do
		found=$((found + 1))
		grep -qw -- "$obj:${sym%%.*}" <<<"$allowed_state" ||
			fail "$obj keeps writable state outside daemon.c: $sym (move it into struct tlshd_daemon, or list it here with the reason)"
	done < <(objdump -t "$o" |
		awk '/ O / && $4 ~ /^\.(data|bss)/ && $4 !~ /^\.data\.rel\.ro/ {print $NF}')
done
[ "$found" -gt 0 ] || fail "no state found at all: is objdump reading the objects?"
# 5. No second copy. Code outside lib/ and selftests/, comments stripped
# (a comment may name what it no longer does).
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
find . \( -path ./lib -o -path ./selftests -o -path ./.git -o \
	-path ./build -o -path "./$(basename "$build")" \) -prune -o \
	\( -name '*.c' -o -name '*.h' \) -type f -print0 | sort -z |
	xargs -0 -r awk '{
		l = $0; gsub(/\/\*.*\*\//, "", l); sub(/\/\/.*/, "", l)
		if (l ~ /^[[:space:]]*(\/\*|\*)/) l = ""
		print substr(FILENAME, 3) ":" FNR ":" l }' >"$stripped"
[ -s "$stripped" ] || fail "no C source found outside lib/"
code_outside_lib()
{
	grep -E "^[^:]+:[0-9]+:.*$1" "$stripped"
}
# 5a. The record type of a kTLS recvmsg: ktls_record_type_from_msg (lib/record.c).
bad=$(code_outside_lib '\bTLS_GET_RECORD_TYPE\b')
[ -z "$bad" ] || fail "a second kTLS record-type reader (use ktls_record_type_from_msg): $bad"
# 5b. Reading kernel keys is libktls's (ktls_keyring_*, the config and
# session keyring calls); tlshd only links consumers' keyrings into its own
# and adds peer keys, with these libkeyutils calls.
bad=$(code_outside_lib '\b(keyctl_(read|describe|get_security)(_alloc)?|KEYCTL_(READ|DESCRIBE))\b')
[ -z "$bad" ] || fail "kernel keys read outside libktls (use ktls_keyring_* or ktls_config_*_keyring): $bad"
tlshd_keyutils='find_key_by_type_and_desc keyctl_link add_key keyctl_set_timeout'
bad=$(code_outside_lib '\b(keyctl(_[a-z_]+)?|add_key|request_key|find_key_by_type_and_desc|recursive_(session_)?key_scan)\b' |
	grep '^tlshd/' | while IFS= read -r line; do
		for call in $(grep -oE '\b(keyctl(_[a-z_]+)?|add_key|request_key|find_key_by_type_and_desc|recursive_(session_)?key_scan)\b' <<<"$line"); do
			grep -qw -- "$call" <<<"$tlshd_keyutils" || echo "$line"
		done
	done)
[ -z "$bad" ] || fail "tlshd calls libkeyutils beyond linking keyrings and adding peers ($tlshd_keyutils): $bad"
# 5c. One cipher table (of lib, tlshd and tools: lib/cipher_table.c).
# GNUTLS_CIPHER_UNKNOWN is what a lookup misses with.
pattern='(^|[^K])TLS_CIPHER_[A-Z0-9]|GNUTLS_CIPHER_[A-Z0-9]'
bad=$(grep -rnE --include='*.[ch]' "$pattern" lib tlshd tools |
	grep -v '^lib/cipher_table\.c:' | sed 's/GNUTLS_CIPHER_UNKNOWN//g' |
	grep -E "$pattern")
[ -z "$bad" ] || fail "cipher facts outside lib/cipher_table.c (ask ktls_cipher_*() of ktls.h instead): $bad"
# 5d. ktls-serve frees a connection in one place (conn.c).
defs=$(grep -nE '^[a-z_].*[^a-z_]conn_free\(' tools/ktls-serve/*.c | grep -vE ';[[:space:]]*$')
[ "$(grep -c . <<<"$defs")" -eq 1 ] ||
	fail "conn_free must be defined exactly once in tools/ktls-serve: ${defs:-none}"

echo "layout: lib includes nothing above it, tools use ktls.h only, no include cycle in tlshd, $found listed state symbols and nothing else outside daemon.c, one cipher table, no second record-type or keyring reader, one conn_free"
