#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# libktls without the tls module: `rmmod tls`, then
#   no-module    the handshake refuses to start: ENOPROTOOPT, naming the
#                tls module
#   lost-module  tls removed between handshake and offload: offload gives
#                ENOPROTOOPT naming the module, TLS_TX/RX untouched, and
#                both sessions still talk through GnuTLS
# Without CAP_NET_ADMIN, so TCP_ULP can't load the module back by itself.
# Skips if tls is built in or busy; loads tls again in any case.
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/libktls-common.bash
need_ktls
engine_certs || { echo "cannot make certificates"; exit 1; }
trap 'modprobe tls; engine_cleanup' EXIT
command -v setpriv >/dev/null || { echo "no setpriv (util-linux)"; exit 77; }

for t in no-module lost-module; do
	echo "# $t"
	setpriv --inh-caps=-net_admin --bounding-set=-net_admin -- \
		ktls-selftest "$T/ca.pem" "$T/server.pem" "$T/server.key" $t
	rc=$?
	[ $rc = 77 ] && exit 77
	[ $rc = 0 ] || fail_later "ktls-selftest $t exited $rc"
	[ -d /sys/module/tls ] || fail_later "tls is not loaded again after $t"
done
finish
