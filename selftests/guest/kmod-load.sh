#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tier: focused
# The test consumer module: loads, offers a root-only /dev/ktls_test that
# answers only its own ioctl, can't go while the device is open, and
# unloads and loads again cleanly.
. "$(dirname "$0")/kmod-common.bash"
kmod_setup

lsmod | grep -qw "^$KMOD_NAME" || fail "$KMOD_NAME not in lsmod"
mode=$(stat -c %a "$KMOD_DEV")
[ "$mode" = 600 ] || fail "$KMOD_DEV has mode $mode, want 600"

# An ioctl of someone else's (TCGETS) and a struct at a bad address.
/usr/bin/python3 - "$KMOD_DEV" <<'PY' || fail "ioctl checks"
import errno, fcntl, os, sys

fd = os.open(sys.argv[1], os.O_RDWR)
def expect(cmd, arg, want, what):
    try:
        fcntl.ioctl(fd, cmd, arg)
    except OSError as e:
        if e.errno == want:
            print(f"{what}: {errno.errorcode[e.errno]} as expected")
            return
        sys.exit(f"{what}: {errno.errorcode[e.errno]}, want {errno.errorcode[want]}")
    sys.exit(f"{what}: succeeded, want {errno.errorcode[want]}")

expect(0x5401, 0, errno.ENOTTY, "TCGETS")
# _IOWR(0xe5, 1, 328 bytes) with a pointer into unmapped page 0
expect((3 << 30) | (328 << 16) | (0xe5 << 8) | 1, 16, errno.EFAULT,
       "handshake ioctl, bad pointer")
PY

[ -f "$KMOD_KO" ] || fail "$KMOD_KO missing: cannot test reloading"
exec 9<>"$KMOD_DEV"
rmmod "$KMOD_NAME" 2>/dev/null && fail "rmmod succeeded with $KMOD_DEV open"
exec 9>&-
rmmod "$KMOD_NAME" || fail "rmmod $KMOD_NAME"
[ -e "$KMOD_DEV" ] && fail "$KMOD_DEV still there after rmmod"
insmod "$KMOD_KO" || fail "insmod $KMOD_KO again"
for ((i = 0; i < 100; i++)); do
	[ -c "$KMOD_DEV" ] && break
	sleep 0.05
done
[ -c "$KMOD_DEV" ] || fail "$KMOD_DEV missing after reload"

kmod_check_dmesg
echo "module loads, guards its device, reloads"
