#!/usr/bin/env bash
# tier: full
# timeout: 600
cd "$(dirname "$0")/../.." || exit 1
. selftests/guest/serve-common.bash
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.pem" -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
echo "<h1>ktls-serve</h1>" >"$ROOT/index.html"
for w in 1 0 1 0; do
	start_serve --cert "$T/rsa.pem" --key "$T/rsa.key" --quiet --handshake-workers $w || exit 1
	echo "workers $w, no load: $(python3 /tmp/h23t/lat.py $PORT $T/rsa.pem 4)"
	pids=
	for i in $(seq 8); do openssl s_time -connect 127.0.0.1:$PORT -new -www /index.html -time 600 >/dev/null 2>&1 & pids="$pids $!"; done
	sleep 2
	echo "workers $w, 8 handshake clients: $(python3 /tmp/h23t/lat.py $PORT $T/rsa.pem 8)"
	kill $pids; wait $pids 2>/dev/null
	stop_serve
	grep exiting "$SERVER_LOG" | sed 's/.*turned away; //'
done
exit 0
