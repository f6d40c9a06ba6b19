#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Summarise the result files runner.sh writes: a table with one column per
# suite (host, guest-6.12, guest-6.1...), the reasons for skips, failures and
# tests not run, the ten slowest tests, the time per test family, then the
# closing counts. Exit 1 if anything failed or was not run.
awk -F'\t' '
function family(name,   f) {
	f = name
	sub(/[-_].*/, "", f)
	return f
}
{
	st[$3, $2] = $1; note[$3, $2] = $4; secs[$3, $2] = $5 + 0
	if (!($2 in seen_s)) { seen_s[$2] = 1; suites[ns++] = $2 }
	if (!($3 in seen_t)) { seen_t[$3] = 1; tests[nt++] = $3 }
	n[$1]++
	fam[$2 SUBSEP family($3)] += $5
	if (!((family($3)) in seen_f)) { seen_f[family($3)] = 1; fams[nf++] = family($3) }
	total[$2] += $5
	runs[nr++] = $3 SUBSEP $2
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
			if (st[tests[i], suites[j]] == "notrun")
				printf "  NOT RUN %s on %s: %s\n", tests[i], suites[j], note[tests[i], suites[j]]
	for (i = 0; i < nt; i++)
		for (j = 0; j < ns; j++)
			if (st[tests[i], suites[j]] == "fail")
				printf "  FAILED %s on %s: %s\n", tests[i], suites[j], note[tests[i], suites[j]]

	# The ten slowest runs, by selection (nr is small).
	printf "\nslowest:\n"
	for (k = 0; k < 10 && k < nr; k++) {
		best = -1
		for (r = 0; r < nr; r++)
			if (!(r in taken) && (best < 0 || secs[runs[r]] > secs[runs[best]]))
				best = r
		taken[best] = 1
		split(runs[best], p, SUBSEP)
		printf "  %7.1f s  %-11s %s\n", secs[runs[best]], p[2], p[1]
	}
	printf "\ntime by family (s):\n  %-12s", "family"
	for (j = 0; j < ns; j++) printf " %11s", suites[j]
	printf "\n"
	for (f = 0; f < nf; f++) {
		printf "  %-12s", fams[f]
		for (j = 0; j < ns; j++) printf " %11.0f", fam[suites[j] SUBSEP fams[f]]
		printf "\n"
	}
	printf "  %-12s", "total"
	for (j = 0; j < ns; j++) printf " %11.0f", total[suites[j]]
	printf "\n"
	if (n["notrun"] > 0)
		printf "\n%d not run (budget or a guest that did not finish): counted as failed\n", n["notrun"]
	printf "\n%d passed, %d failed, %d skipped\n", n["pass"], n["fail"] + n["notrun"], n["skip"]
	exit (n["fail"] + n["notrun"] > 0 || n["pass"] == 0)
}' "$@"
