#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: soak-primary
# timeout: 3600
# sslscan and testssl.sh -p -s -P -U (protocols, cipher categories, server
# cipher order, vulnerabilities) against ktls-serve over kTLS, judged by
# selftests/lib/scan-check.py; see scan-ktls.sh.
SCAN_TESTSSL="-p -s -P -U" exec "$(dirname "$0")/scan-ktls.sh"
