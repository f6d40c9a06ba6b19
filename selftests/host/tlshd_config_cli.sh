#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: quick
# tlshd's configuration from the command line: --check-config exit codes
# and messages (file:line: key for every new key, credentials actually
# loaded so a missing or bad file is caught), a bad file stopping a real
# start, the post-quantum and tags.d notices, the legacy /etc/tlshd.conf
# precedence (in a private mount namespace), and the drop-in options.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}
TLSHD=$B/bin/tlshd
T=$(mktemp -d /tmp/tlshd_config_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
. selftests/lib/common.bash
ok() { echo "ok: $*"; }

[ -x "$TLSHD" ] || { echo "$TLSHD not built"; exit 1; }
command -v certtool >/dev/null || { echo "certtool is not installed"; exit 77; }

certtool --generate-privkey --outfile "$T/key.pem" 2>/dev/null
printf 'cn = "localhost"\nca\ncert_signing_key\nexpiration_days = 365\n' >"$T/tmpl"
certtool --generate-self-signed --load-privkey "$T/key.pem" \
	--template "$T/tmpl" --outfile "$T/cert.pem" 2>/dev/null ||
	{ echo "certtool failed"; exit 1; }

# check FILE RC WANT...: --check-config -c FILE exits RC, output has WANT.
# STRICT=1 adds --strict.
check() {
	local file=$1 rc=$2 got w
	shift 2
	"$TLSHD" --check-config ${STRICT:+--strict} -c "$file" >"$T/out" 2>&1
	got=$?
	if [ "$got" != "$rc" ]; then
		fail_later "$(basename "$file"): exit $got, want $rc: $(cat "$T/out")"
		return
	fi
	for w in "$@"; do
		grep -qF -- "$w" "$T/out" ||
			{ fail_later "$(basename "$file"): no '$w' in: $(cat "$T/out")"; return; }
	done
	ok "$(basename "$file"): exit $rc${1:+, '$1'}"
}

cat >"$T/good.conf" <<EOT
[debug]
loglevel=0
[tlshd]
workers=2
max_inflight=16
min_version=1.3
ciphers=AES-256-GCM;CHACHA20-POLY1305
allow_rsa_kx=false
[resumption]
tickets=true
ticket_key=keyring:1234
ticket_rotation=3600
cache=yes
cache_size=128
psk_ke=no
[authenticate.client]
x509.truststore=$T/cert.pem
x509.certificate=$T/cert.pem
x509.private_key=$T/key.pem
[authenticate.server]
x509.truststore=$T/cert.pem
x509.certificate=$T/cert.pem
x509.private_key=$T/key.pem
EOT
check "$T/good.conf" 0 "$T/good.conf: ok"
grep -qiE 'error|warning' "$T/out" && fail_later "good.conf: diagnostics: $(cat "$T/out")"

# One bad line per new key: exit 1, FILE:LINE: key 'NAME'.
n=0
while IFS='|' read -r section line want; do
	n=$((n + 1))
	printf '# bad %d\n[%s]\n%s\n' "$n" "$section" "$line" >"$T/bad$n.conf"
	check "$T/bad$n.conf" 1 "$T/bad$n.conf:3: key '$want" "bad$n.conf: has errors"
done <<'EOT'
tlshd|workers=0|workers': expected a number from 1 to 64
tlshd|max_inflight=-1|max_inflight': expected a number from 1 to 65536
tlshd|min_version=1.0|min_version': expected 1.2 or 1.3
tlshd|ciphers=RC4|ciphers': unknown cipher 'RC4'
tlshd|allow_rsa_kx=sometimes|allow_rsa_kx': expected true or false
resumption|tickets=maybe|tickets': expected true or false
resumption|ticket_key=relative|ticket_key': expected an absolute path or keyring:SERIAL
resumption|ticket_rotation=1|ticket_rotation': expected a number from 60 to 604800
resumption|cache=2|cache': expected true or false
resumption|cache_size=0|cache_size': expected a number from 1 to 1048576
resumption|psk_ke=y|psk_ke': expected true or false
EOT

# What ktls-utils tolerates in its own keys: warnings, exit 0; --strict: 1.
printf '[debug]\nloglevel=1 # comment\ntls=abc\n[authenticate.client]\nx509.pq.certificate=\n' >"$T/lenient.conf"
check "$T/lenient.conf" 0 "$T/lenient.conf: ok with 3 warnings" \
	"$T/lenient.conf:2: key 'loglevel': text from '#' on taken as a comment" \
	"$T/lenient.conf:3: key 'tls': expected a number from 0 to 2147483647, got 'abc'; taken as 0" \
	"$T/lenient.conf:5: key 'x509.pq.certificate': empty value; ignored"
STRICT=1 check "$T/lenient.conf" 1 "(fatal with --strict)"
printf '[nfs]\nfoo=1\n' >"$T/unknown.conf"
check "$T/unknown.conf" 0 "unknown section [nfs] ignored"
STRICT=1 check "$T/unknown.conf" 1 "unknown section [nfs] ignored"

# Credentials are loaded, not just named: FILE:LINE: [section] key PATH: cause.
printf '[authenticate.server]\n\nx509.certificate=%s\nx509.private_key=%s\n' \
	"$T/missing.pem" "$T/key.pem" >"$T/nocert.conf"
check "$T/nocert.conf" 0 "$T/nocert.conf:3: [authenticate.server] x509.certificate $T/missing.pem: No such file or directory; server handshakes fail with ENOKEY until a reload"
STRICT=1 check "$T/nocert.conf" 1 "x509.certificate $T/missing.pem: No such file or directory"
printf '[authenticate.client]\nx509.certificate=%s\nx509.private_key=%s\n' \
	"$T/cert.pem" "$T/missing.key" >"$T/nokey.conf"
check "$T/nokey.conf" 0 "$T/nokey.conf:3: [authenticate.client] x509.private_key $T/missing.key: No such file or directory"
printf 'not a certificate\n' >"$T/junk.pem"
printf '[authenticate.client]\nx509.truststore=%s\n' "$T/junk.pem" >"$T/junkca.conf"
check "$T/junkca.conf" 0 "$T/junkca.conf:2: [authenticate.client] x509.truststore $T/junk.pem: no certificate found in it"
printf '[authenticate.server]\nx509.certificate=%s\nx509.private_key=%s\n' \
	"$T/junk.pem" "$T/key.pem" >"$T/junkcert.conf"
check "$T/junkcert.conf" 0 "$T/junkcert.conf:2: [authenticate.server] x509.certificate $T/junk.pem:"
printf '[authenticate.client]\nx509.crl=%s\n' "$T/nocrl.pem" >"$T/nocrl.conf"
check "$T/nocrl.conf" 0 "$T/nocrl.conf:2: [authenticate.client] x509.crl $T/nocrl.pem: No such file"
printf '[authenticate.server]\nx509.private_key=%s\n' "$T/key.pem" >"$T/half.conf"
check "$T/half.conf" 0 "$T/half.conf:2: [authenticate.server] x509.certificate and x509.private_key go together; only x509.private_key is set"
printf '[authenticate.client]\nx509.pq.certificate=%s\n' "$T/cert.pem" >"$T/halfpq.conf"
check "$T/halfpq.conf" 0 "only x509.pq.certificate is set"
check "$T/does-not-exist.conf" 1 "$T/does-not-exist.conf: No such file or directory"
check "$T" 1 "$T: not a regular file"

# Post-quantum keys: loaded where GnuTLS has ML-DSA, else a notice.
cat >"$T/pq.conf" <<EOT
[authenticate.server]
x509.certificate=$T/cert.pem
x509.private_key=$T/key.pem
x509.pq.certificate=$T/cert.pem
x509.pq.private_key=$T/key.pem
EOT
if python3 -c 'import ctypes,sys; g=ctypes.CDLL("libgnutls.so.30"); g.gnutls_pk_get_id.restype=ctypes.c_int; sys.exit(0 if g.gnutls_pk_get_id(b"ML-DSA-65")==0 else 1)' 2>/dev/null; then
	check "$T/pq.conf" 0 "$T/pq.conf: ok" \
		"$T/pq.conf:4: [authenticate.server] x509.pq.certificate and x509.pq.private_key ignored: GnuTLS" \
		"has no ML-DSA"
else
	echo "note: this GnuTLS has ML-DSA; the pq keys are loaded (an RSA pair here)"
	check "$T/pq.conf" 0 "$T/pq.conf: ok"
fi

# Session tags (ktls-utils): accepted, ignored, said so.
mkdir -p "$T/etc/tags.d"
cp "$T/good.conf" "$T/etc/config"
check "$T/etc/config" 0 "$T/etc/config: ok" "$T/etc/tags.d: session tags are not used (the kernel side does not exist yet); ignored"

# A real start with a bad file stops before touching netlink.
timeout 10 "$TLSHD" -s -c "$T/bad1.conf" >"$T/start.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -qF "$T/bad1.conf:3: key 'workers'" "$T/start.out" &&
   grep -q 'not starting' "$T/start.out"; then
	ok "start with a bad file: exit 1, file:line: key, 'not starting'"
else
	fail_later "start with a bad file: exit $rc: $(cat "$T/start.out")"
fi
bad=0
for f in "$T"/bad*.conf; do
	timeout 10 "$TLSHD" -s -c "$f" >"$T/start.out" 2>&1
	rc=$?
	if [ "$rc" != 1 ] || ! grep -qF "$f:3: key '" "$T/start.out"; then
		fail_later "start with $(basename "$f"): exit $rc: $(cat "$T/start.out")"
		bad=1
	fi
done
[ "$bad" = 0 ] && ok "start with each bad key's file: exit 1, file:line: key"
# A missing certificate does not stop a start (only its handshakes
# fail); here the start ends later, at netlink, if the host lacks it.
timeout 10 "$TLSHD" -s -c "$T/nocert.conf" --status-socket "$T/st" >"$T/start.out" 2>&1
rc=$?
if grep -qF "x509.certificate $T/missing.pem: No such file" "$T/start.out" &&
   ! grep -q 'not starting' "$T/start.out"; then
	ok "start with a missing certificate: named, not fatal (exit $rc)"
else
	fail_later "start with a missing certificate: exit $rc: $(cat "$T/start.out")"
fi

# Certificate lifetimes: expired and not yet valid are errors for
# --check-config, expiring within 30 days a warning.
for c in old:'activation_date = "2020-01-01 00:00:00"\nexpiration_date = "2021-01-01 00:00:00"' \
	 new:'activation_date = "2035-01-01 00:00:00"\nexpiration_date = "2036-01-01 00:00:00"' \
	 soon:'expiration_days = 10'; do
	printf "cn = \"life ${c%%:*}\"\nca\ncert_signing_key\n${c#*:}\n" >"$T/${c%%:*}.tmpl"
	certtool --generate-self-signed --load-privkey "$T/key.pem" \
		--template "$T/${c%%:*}.tmpl" --outfile "$T/${c%%:*}.pem" 2>/dev/null ||
		{ fail_later "certtool ${c%%:*}"; }
done
printf '[authenticate.client]\nx509.truststore=%s\n' "$T/old.pem" >"$T/oldca.conf"
check "$T/oldca.conf" 1 "$T/oldca.conf:2: [authenticate.client] x509.truststore $T/old.pem: certificate \"CN=life old\" expired on 2021-01-01 00:00:00 UTC" \
	"has errors (1 error, 0 warnings)"
printf '[authenticate.server]\nx509.certificate=%s\nx509.private_key=%s\n' "$T/new.pem" "$T/key.pem" >"$T/newcert.conf"
check "$T/newcert.conf" 1 "$T/newcert.conf:2: [authenticate.server] x509.certificate $T/new.pem: certificate \"CN=life new\" is not valid before 2035-01-01 00:00:00 UTC"
printf '[authenticate.server]\nx509.certificate=%s\nx509.private_key=%s\n' "$T/soon.pem" "$T/key.pem" >"$T/soon.conf"
check "$T/soon.conf" 0 "$T/soon.conf:2: [authenticate.server] x509.certificate $T/soon.pem: certificate \"CN=life soon\" expires on " \
	" days" "ok with 1 warning"
STRICT=1 check "$T/soon.conf" 1 "expires on"
# At start, an expired certificate is a warning: the daemon goes on.
timeout 10 "$TLSHD" -s -c "$T/oldca.conf" --status-socket "$T/st" >"$T/start.out" 2>&1
if grep -qF "warning: $T/oldca.conf:2: [authenticate.client] x509.truststore $T/old.pem: certificate \"CN=life old\" expired on 2021-01-01" "$T/start.out" &&
   ! grep -q 'not starting' "$T/start.out"; then
	ok "start with an expired CA: a warning naming file, subject and date"
else
	fail_later "start with an expired CA: $(cat "$T/start.out")"
fi
"$TLSHD" --strict >/dev/null 2>&1; [ $? = 2 ] && ok "--strict alone: exit 2" || fail_later "--strict alone accepted"
"$TLSHD" --status --status-socket "$T/none" >"$T/out" 2>&1
[ $? = 1 ] && grep -q "no daemon answers on $T/none" "$T/out" &&
	ok "--status with no daemon: exit 1, said so" || fail_later "--status: $(cat "$T/out")"

# Drop-in options.
"$TLSHD" -v | grep -q '^tlshd ' && ok "-v" || fail_later "-v"
"$TLSHD" --version >/dev/null && ok "--version" || fail_later "--version"
"$TLSHD" -h | grep -q -- '--config' && ok "-h" || fail_later "-h"
"$TLSHD" --help | grep -q -- '--check-config' && ok "--help names --check-config" || fail_later "--help"
"$TLSHD" -w 0 >/dev/null 2>&1; [ $? = 2 ] && ok "-w 0: exit 2" || fail_later "-w 0 accepted"
"$TLSHD" --bogus >/dev/null 2>&1; [ $? = 2 ] && ok "unknown option: exit 2" || fail_later "unknown option"
"$TLSHD" --list-config-keys | grep -qx 'tlshd min_version' &&
	ok "--list-config-keys" || fail_later "--list-config-keys"

# No -c: /etc/tlshd/config, else the legacy /etc/tlshd.conf. A private
# mount namespace lends us an /etc of our own.
if unshare -m true 2>/dev/null; then
	mkdir -p "$T/etc2"
	cat >"$T/etc2/tlshd.conf" <<EOT
[tlshd]
workers=3
[authenticate.client]
x509.truststore=$T/cert.pem
EOT
	cat >"$T/ns.sh" <<EOT
mount -t tmpfs none /etc || exit 99
cp "$T/etc2/tlshd.conf" /etc/tlshd.conf
"$TLSHD" --check-config; echo "rc=\$?"
printf '[tlshd]\nworkers=x\n' >/etc/tlshd.conf
"$TLSHD" --check-config; echo "rc=\$?"
mkdir /etc/tlshd
printf '[tlshd]\nmin_version=1.3\n[authenticate.client]\nx509.truststore=$T/cert.pem\n' >/etc/tlshd/config
"$TLSHD" --check-config; echo "rc=\$?"
rm /etc/tlshd.conf
"$TLSHD" --check-config; echo "rc=\$?"
rm /etc/tlshd/config
printf '[authenticate.client]\nx509.truststore=$T/cert.pem\n' >"$T/etc2/x"
"$TLSHD" --check-config; echo "rc=\$?"
EOT
	unshare -m bash "$T/ns.sh" >"$T/ns.out" 2>&1
	if grep -q 'reading the legacy /etc/tlshd.conf: /etc/tlshd/config does not exist' "$T/ns.out" &&
	   grep -q '^/etc/tlshd.conf: ok' "$T/ns.out" &&
	   grep -qF "/etc/tlshd.conf:2: key 'workers'" "$T/ns.out" &&
	   grep -q 'reading the legacy /etc/tlshd.conf, which takes precedence over /etc/tlshd/config (as in ktls-utils)' "$T/ns.out" &&
	   grep -q '^/etc/tlshd/config: ok' "$T/ns.out" &&
	   [ "$(grep '^rc=' "$T/ns.out" | tr '\n' ' ')" = "rc=0 rc=1 rc=1 rc=0 rc=0 " ]; then
		ok "legacy /etc/tlshd.conf wins over /etc/tlshd/config as in ktls-utils, and said so"
	else
		fail_later "legacy fallback: $(cat "$T/ns.out")"
	fi
else
	echo "note: no private mount namespace here (unshare -m); the fallback is covered by tlshd_config's test_pick"
fi

if [ "$FAILS" -gt 0 ]; then
	echo "tlshd_config_cli: $FAILS failures"
	exit 1
fi
echo "tlshd_config_cli: all checks passed"
