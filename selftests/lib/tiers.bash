# SPDX-License-Identifier: GPL-2.0-or-later
# Which tests a run takes (sourced by selftests/run.sh, guest-suite.sh and
# runner.sh). A test declares its tiers in its own source, in a comment line
# near the top: "# tier: full soak" in a script, "/* tier: quick */" in C.
#
#   quick    the smoke set: make check-quick, and make check on every kernel
#   focused  make check on every kernel (the set a newer kernel runs)
#   full     make check on the primary kernel (and on the host) only
#   soak     make soak, at full size (TEST_SIZE=soak), on every kernel
#   soak-primary  make soak on the primary kernel only: long work whose
#            outcome does not depend on the kernel (the full testssl scans)
#
# A test may also say how long it may run, "# timeout: SECONDS" (default
# 300), and at full size "# soak-timeout: SECONDS"; the runner kills it
# there.
PRIMARY_KERNEL=6.12

# test_source FILE: where a test's declarations live (a compiled host test
# is declared in its C source).
test_source()
{
	case $1 in
	*.sh|*.py) echo "$1" ;;
	*) echo "selftests/host/$(basename "$1").c" ;;
	esac
}

# test_decl FILE KEY: the value of a "KEY:" comment line, empty if none.
test_decl()
{
	local src
	src=$(test_source "$1")
	[ -r "$src" ] || return 0
	sed -n -E "s@^[[:space:]]*(#|/\*|//)[[:space:]]*$2:[[:space:]]*([a-z0-9 -]*[a-z0-9]).*@\2@p" \
		"$src" | head -n 1
}

# tier_wants "WORDS" TARGET KERNEL: does a test of these tiers run in this
# target (quick, check, soak, any) on this kernel ("" for the host)?
tier_wants()
{
	local words=" $1 " target=$2 kernel=$3
	case $target in
	any) return 0 ;;
	quick) [[ $words == *" quick "* ]] ;;
	soak)
		[[ $words == *" soak "* ]] && return 0
		[[ $words == *" soak-primary "* ]] &&
			[ -z "$kernel" -o "$kernel" = "$PRIMARY_KERNEL" ]
		;;
	check)
		[[ $words == *" quick "* || $words == *" focused "* ]] && return 0
		[[ $words == *" full "* ]] &&
			[ -z "$kernel" -o "$kernel" = "$PRIMARY_KERNEL" ]
		;;
	*) return 1 ;;
	esac
}

# tier_select TARGET KERNEL FILTER FILE...: the files to run, one a line. A
# file with no tier line is always listed, so that the runner fails it.
tier_select()
{
	local target=$1 kernel=$2 filter=$3 f words
	shift 3
	for f in "$@"; do
		[ -n "$filter" ] && ! grep -qE -- "$filter" <<<"$f" && continue
		words=$(test_decl "$f" tier)
		if [ -z "$words" ] || tier_wants "$words" "$target" "$kernel"; then
			echo "$f"
		fi
	done
}
