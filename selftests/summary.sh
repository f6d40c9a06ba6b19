#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Summarise result files written by tap-wrap.sh: a table with one column per
# suite (host, guest-6.12, guest-6.1...), then the counts.
# Exit 1 if anything failed.
awk -F'\t' '
{
	st[$3, $2] = $1; note[$3, $2] = $4
	if (!($2 in seen_s)) { seen_s[$2] = 1; suites[ns++] = $2 }
	if (!($3 in seen_t)) { seen_t[$3] = 1; tests[nt++] = $3 }
	n[$1]++
}
END {
	printf "\n%-44s", "test"
	for (j = 0; j < ns; j++) printf " %-11s", suites[j]
	printf "\n"
	for (i = 0; i < nt; i++) {
		printf "%-44s", tests[i]
		for (j = 0; j < ns; j++) {
			s = st[tests[i], suites[j]]
			printf " %-11s", (s == "" ? "-" : toupper(s))
		}
		printf "\n"
	}
	for (i = 0; i < nt; i++)
		for (j = 0; j < ns; j++)
			if (st[tests[i], suites[j]] == "skip")
				printf "  skipped %s on %s: %s\n", tests[i], suites[j], note[tests[i], suites[j]]
	for (i = 0; i < nt; i++)
		for (j = 0; j < ns; j++)
			if (st[tests[i], suites[j]] == "fail")
				printf "  FAILED %s on %s: %s\n", tests[i], suites[j], note[tests[i], suites[j]]
	printf "\n%d passed, %d failed, %d skipped\n", n["pass"], n["fail"], n["skip"]
	exit (n["fail"] > 0 || n["pass"] == 0)
}' "$@"
