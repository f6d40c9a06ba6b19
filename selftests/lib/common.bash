# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by every selftests/guest/*-common.bash: what each test family
# means by failing and skipping. A test exits 0 to pass, 77 to skip (its
# last line says why), anything else to fail.

# fail MSG: the test fails here. A family may define fail_hook to print
# what helps (tlshd's log, say) before the exit.
fail()
{
	echo "FAIL: $*"
	declare -F fail_hook >/dev/null && fail_hook
	exit 1
}

# fail_later MSG: a failed check in a test that goes on to check the rest
# (a matrix of peers, say); the family's finish() then fails the test.
FAILS=0
fail_later()
{
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# skip WHY: this kernel (or machine) lacks what the test needs.
skip()
{
	echo "$*"
	exit 77
}

# expect_ok WHAT CMD...: run CMD; fail with WHAT and the end of its
# output unless it succeeds.
expect_ok()
{
	local what=$1 out
	shift
	out=$("$@" 2>&1) || fail "$what: $(tail -n 5 <<<"$out")"
}

# tls_stat NAME: a /proc/net/tls_stat counter (empty where the kernel has
# no such counter).
tls_stat()
{
	awk -v k="$1" '$1 == k {print $2}' /proc/net/tls_stat
}

# warm_up WHAT CMD...: CMD brings what the test measures to its working
# size (GnuTLS, worker threads, malloc's arenas), so that the baseline is
# the steady state, not the empty process. Fails with WHAT unless CMD
# succeeds, lets things settle, then calls the family's baseline_hook (if
# defined), which records the figures the test compares against.
warm_up()
{
	local what=$1
	shift
	expect_ok "warm-up: $what" "$@"
	sleep 1
	if declare -F baseline_hook >/dev/null; then
		baseline_hook
	fi
}

# host_companion NAME SCRIPT [ARGS...]: run selftests/companion/SCRIPT.sh on
# the host against this guest's port $VM_COMPANION_PORT (run-guest.sh --net)
# and wait for it (up to 20 min). Its artefacts are in $VM_COMPANION/NAME/,
# its output is printed, its exit status returned. Fails the test when the
# guest was booted without a companion.
host_companion()
{
	local name=$1 i
	shift
	[ -n "${VM_COMPANION:-}" ] && [ -d "$VM_COMPANION" ] ||
		fail "no host companion (the guest was booted without run-guest.sh --net)"
	rm -rf "$VM_COMPANION/$name" "$VM_COMPANION/$name".*
	echo "$*" >"$VM_COMPANION/$name.req.tmp"
	mv "$VM_COMPANION/$name.req.tmp" "$VM_COMPANION/$name.req"
	for ((i = 0; i < 2400; i++)); do
		[ -s "$VM_COMPANION/$name.rc" ] && break
		# Say that the test lives (the runner's progress line).
		[ $((i % 120)) = 119 ] && echo "host companion $name: running for $(((i + 1) / 2)) s"
		sleep 0.5
	done
	cat "$VM_COMPANION/$name.out" 2>/dev/null
	[ -s "$VM_COMPANION/$name.rc" ] ||
		fail "host companion $name: no result after 20 min"
	return "$(cat "$VM_COMPANION/$name.rc")"
}
