#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: soak-primary
# timeout: 7200
# The whole testssl.sh run (every check; under emulation well over an
# hour's work) against ktls-serve over kTLS, judged as scan-ktls.sh judges.
# The negotiation it probes is the same on every kernel: the primary's runs.
SCAN_TESTSSL=all SCAN_FROM=guest SCAN_TIMEOUT=7000 exec "$(dirname "$0")/scan-ktls.sh"
