#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: full
# ktls-serve over kTLS with --small-body 65536 sends bodies up to 64 KiB
# in one SEND behind the head, and larger ones by splice. A small file, one of
# exactly 64 KiB, one a byte above, a range inside a small file and HEAD
# (then a GET on the same connection, so a stray body would show) arrive
# byte-exact. The exit line's counters say which path carried each body:
# the small ones with the head, only the 64 KiB + 1 file by splice. With
# the default (0) the same small file goes by splice (the check can fail).
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
need_ktls
need_tool curl
serve_certs || { echo "cannot make certificates"; exit 1; }
serve_files || { echo "cannot make test files"; exit 1; }
head -c 65536 /dev/urandom >"$ROOT/f65536"
head -c 65537 /dev/urandom >"$ROOT/f65537"

# counter NAME: "body bytes NAME" from the exit line.
counter() {
	grep 'exiting:' "$SERVER_LOG" | sed -n "s/.* \([0-9]*\) body bytes $1.*/\1/p"
}

tx0=$(tls_stat TlsTxSw)
start_serve --cert "$T/server.pem" --key "$T/server.key" --small-body 65536 ||
	exit 1
small=0 spliced=0
for s in 16385 65536 65537; do
	if [ "$("${CURL[@]}" "$(URL /f$s)" | sha)" = "$(file_sha "$ROOT/f$s")" ]; then
		ok "curl: $s bytes, sha256 matches"
		if [ $s -le 65536 ]; then small=$((small + s)); else spliced=$((spliced + s)); fi
	else
		fail_later "curl: $s bytes: wrong body"
	fi
done
code=$("${CURL[@]}" -r 16000-16099 -o "$T/part" -w '%{http_code}' "$(URL /f16385)")
if [ "$code" = 206 ] &&
   [ "$(sha <"$T/part")" = "$(tail -c +16001 "$ROOT/f16385" | head -c 100 | sha)" ]; then
	ok "range 16000-16099 of a small file: 206, sha256 matches"
	small=$((small + 100))
else
	fail_later "range 16000-16099: status $code or wrong bytes"
fi
# Keep-alive: small bodies back to back on one connection.
out=$("${CURL[@]}" -w '%{http_code} %{num_connects}\n' \
	-o "$T/k1" "$(URL /f16384)" -o "$T/k2" "$(URL /f1)" -o "$T/k3" "$(URL /f65536)")
if [ "$(echo "$out" | tr '\n' ' ')" = "200 1 200 0 200 0 " ] &&
   cmp -s "$T/k1" "$ROOT/f16384" && cmp -s "$T/k2" "$ROOT/f1" &&
   cmp -s "$T/k3" "$ROOT/f65536"; then
	ok "keep-alive: 3 small bodies on one connection"
	small=$((small + 16384 + 1 + 65536))
else
	fail_later "keep-alive: curl says '$out'"
fi
# HEAD, then a GET on the same connection: exactly a head, then the GET's
# response; Python's ssl is the peer, reading to close_notify.
if python3 - "$PORT" "$T/ca.pem" "$ROOT/f16385" "$ROOT/f1" <<'PY'
import socket, ssl, sys
port, ca, big, one = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
with socket.create_connection(("127.0.0.1", port)) as s, \
     ctx.wrap_socket(s, server_hostname="localhost") as t:
    t.sendall(b"HEAD /f16385 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /f1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = t.recv(65536)
        if not b:
            break
        data += b
head, _, rest = data.partition(b"\r\n\r\n")
ok = (head.startswith(b"HTTP/1.1 200") and b"\r\nContent-Length: 16385" in head
      and rest.startswith(b"HTTP/1.1 200"))
head2, _, body = rest.partition(b"\r\n\r\n")
ok = ok and body == open(one, "rb").read()
if not ok:
    print("HEAD then GET: got", data[:400])
sys.exit(0 if ok else 1)
PY
then
	ok "HEAD: head only (16385 announced), the next GET intact"
	small=$((small + 1))
else
	fail_later "HEAD sent a body, or the next response is wrong"
fi
tx=$(( $(tls_stat TlsTxSw) - tx0 ))
[ "$tx" -ge 5 ] || fail_later "TlsTxSw +$tx: the connections were not offloaded"
stop_serve || fail_later "server exit status $?"
grep 'exiting:' "$SERVER_LOG"
got_small=$(counter "with the head")
got_spliced=$(counter "by splice")
[ "$got_small" = "$small" ] && ok "with the head: $small body bytes" ||
	fail_later "server sent $got_small body bytes with the head, want $small"
[ "$got_spliced" = "$spliced" ] && ok "by splice: $spliced body bytes (64 KiB + 1)" ||
	fail_later "server spliced $got_spliced body bytes, want $spliced"
[ "$(counter copied)" = 0 ] || fail_later "server copied body bytes through user space"

# The default, --small-body 0: the splice path for everything.
start_serve --cert "$T/server.pem" --key "$T/server.key" || exit 1
[ "$("${CURL[@]}" "$(URL /f16385)" | sha)" = "$(file_sha "$ROOT/f16385")" ] ||
	fail_later "default: wrong body"
stop_serve || fail_later "server exit status $?"
[ "$(counter "with the head")" = 0 ] && [ "$(counter "by splice")" = 16385 ] &&
	ok "default (--small-body 0): the small file went by splice" ||
	fail_later "default: $(grep 'exiting:' "$SERVER_LOG")"
finish
