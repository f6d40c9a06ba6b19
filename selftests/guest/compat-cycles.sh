#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused soak
# 3,000 (make check) or 10,000 (make soak) request cycles (submit, ACCEPT, DONE, callback, close) leave the
# slab where it was: no request, socket, file or message is leaked.
. "$(dirname "$0")/compat-common.bash"
compat_load
[ "${TEST_SIZE:-check}" = soak ] && cycles_default=10000 || cycles_default=3000
count=${COMPAT_CYCLES:-$cycles_default}

caches='^(kmalloc-[0-9k]+|TCP|filp|sock_inode_cache|skbuff_head_cache)$'
# Objects in use, and per slab, in the caches a leaked cycle would grow.
slab_list() {
	awk -v re="$caches" '$1 ~ re {print $1, $2, $5}' /proc/slabinfo
}
# Caches that grew by more than per-CPU slab caching explains (two slabs'
# worth) plus 100 objects of lazy freeing (up to 76 seen on 6.12) plus
# count/100: a leak of one object in 10 cycles shows at 3,000 (in 30 at
# make soak's 10,000).
slab_grown() {
	slab_list | awk -v slack=$((100 + count / 100)) 'NR == FNR {b[$1] = $2; next}
		($1 in b) && $2 - b[$1] > 2 * $3 + slack {printf "%s %+d ", $1, $2 - b[$1]}' \
		"$T/slab.before" -
}

hs-nl-cycle --count 500 --port 5705 >"$T/warm" || fail "warm-up: $(cat "$T/warm")"
sleep 3
slab_list >"$T/slab.before"
hs-nl-cycle --count "$count" --port 5705 >"$T/cycles" 2>&1 || fail "$(cat "$T/cycles")"
cat "$T/cycles"
# Completed requests wait for a collector pass after their socket closed.
for ((i = 0; i < 20; i++)); do
	sleep 1
	[ -z "$(slab_grown)" ] && break
done
echo "slab objects in use, change over $count cycles:"
slab_list | awk 'NR == FNR {b[$1] = $2; next}
	($1 in b) && $2 != b[$1] {printf "%s %+d  ", $1, $2 - b[$1]}
	END {print ""}' "$T/slab.before" -
grown=$(slab_grown)
[ -z "$grown" ] || fail "slab caches grew: $grown"
dmesg_check
echo "PASS"
