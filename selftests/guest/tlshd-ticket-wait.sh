#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# timeout: 120
# No first-contact ticket penalty twice: tlshd's TLS 1.3 client, with the
# default (adaptive) ticket wait, against a server that sends no tickets
# (gnutls-serv --noticket, like every ktls-utils server). The first
# contact may wait, bounded by its hello round trip; every later
# handshake with that server skips the wait, asserted from the per-phase
# debug line 'ticket wait: ...'. A server that sends tickets still gets
# its ticket taken within the adaptive bound, and the next contact
# resumes.
. "$(dirname "$0")/tlshd-common.bash"
require_handshake
make_pki

wait_lines() { grep -c 'ticket wait: [0-9]* ms' "$T/tlshd.log"; }
skip_lines() { grep -c 'ticket wait: skipped (server sends none)' "$T/tlshd.log"; }


start_server 4495 gnutls-serv --http -p 4495 --noticket \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_server 4496 gnutls-serv --http -p 4496 \
	--x509certfile "$T/ca-srv.pem" --x509keyfile "$T/ca-srv.key"
start_tlshd "$T/tlshd.conf"

# First contact: nothing says whether tickets will come, so it waits,
# bounded by its own hello round trip, and finds none.
get_via_consumer 4495 "full handshake" TLSv1.3
[ "$(wait_lines)" = 1 ] || fail "first contact: expected one ticket wait"
line=$(grep 'ticket wait: [0-9]* ms' "$T/tlshd.log" | tail -n 1)
echo "  $line"
case "$line" in
*"(none came; bound "*" ms, 2x the "*" ms hello round trip)") ;;
*) fail "first contact: the wait was not bounded by the hello round trip" ;;
esac
first=$(last_hs | sed -n 's/.*, \([0-9]*\) ms$/\1/p')

# Every later contact: no wait, not even a peek, however long apart.
for i in 2 3; do
	get_via_consumer 4495 "full handshake" TLSv1.3
	[ "$(wait_lines)" = 1 ] || fail "contact $i waited for a ticket again"
	[ "$(skip_lines)" = $((i - 1)) ] ||
		fail "contact $i: no 'ticket wait: skipped (server sends none)'"
done
echo "  $(grep 'ticket wait: skipped' "$T/tlshd.log" | tail -n 1)"
echo "  handshake to the ticket-less server: first ${first} ms, then $(last_hs | sed -n 's/.*, \([0-9]*\) ms$/\1/p') ms"

# A server that sends tickets: the adaptive wait takes its ticket.
get_via_consumer 4496 "full handshake" TLSv1.3
line=$(grep 'ticket wait: [0-9]* ms' "$T/tlshd.log" | tail -n 1)
echo "  $line"
case "$line" in
*"(ticket taken; bound "*) ;;
*) fail "ticket-sending server: no ticket within the adaptive wait" ;;
esac
get_via_consumer 4496 resumed TLSv1.3
stop_tlshd
echo "PASS"
