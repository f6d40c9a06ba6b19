#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: soak-primary
# timeout: 1500
# The whole testssl.sh run (every check) against ktls-serve over kTLS,
# judged as scan-ktls.sh judges. Like scan-ktls.sh, testssl runs on the
# host against this guest's server (inside the guest, emulated, the scan
# was well over an hour's work); the server and its records are this
# kernel's. The negotiation it probes is the same on every kernel: the
# primary's runs.
SCAN_TESTSSL=all SCAN_TIMEOUT=1080 exec "$(dirname "$0")/scan-ktls.sh"
