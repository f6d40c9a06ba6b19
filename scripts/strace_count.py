# SPDX-License-Identifier: GPL-2.0-or-later
"""The calls of an `strace -c` summary, for scripts/bench.sh's profile."""


def calls(path):
    """[(count, syscall)] from an strace -c -o PATH summary, busiest first."""
    out = []
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            out.append((int(f[3]), f[-1]))
    out.sort(reverse=True)
    return out
