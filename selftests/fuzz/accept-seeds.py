#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the ACCEPT-reply seeds: netlink messages laid out as the kernel's
# handshake family sends them (nlmsghdr, genlmsghdr, 4-byte aligned
# attributes, the numbers of uapi/linux/handshake.h). Run from the repo root.
import os
import struct

FAMILY = 0x1d
ACCEPT, READY = 2, 1
SOCKFD, HCLASS, MSGTYPE, TIMEOUT, AUTH, PEERID, CERT, PEERNAME, KEYRING = range(1, 10)
X509_CERT, X509_PRIVKEY = 1, 2
NLA_F_NESTED = 0x8000


def attr(t, payload):
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + b"\0" * (-len(a) % 4)


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def s32(t, v):
    return attr(t, struct.pack("=i", v))


def msg(cmd, attrs):
    body = struct.pack("=BBH", cmd, 1, 0) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), FAMILY, 0, 1, 0) + body


SEEDS = {
    "anon-clienthello": msg(ACCEPT, [s32(SOCKFD, 7), u32(MSGTYPE, 1),
                                     u32(AUTH, 1),
                                     attr(PEERNAME, b"server.example.net\0")]),
    "psk-serverhello": msg(ACCEPT, [s32(SOCKFD, 9), u32(MSGTYPE, 2),
                                    u32(TIMEOUT, 15000), u32(AUTH, 2),
                                    u32(PEERID, 0x2a1b3c4d),
                                    u32(PEERID, 0x2a1b3c4e),
                                    u32(KEYRING, 0x11223344)]),
    "x509-clienthello": msg(ACCEPT, [s32(SOCKFD, 5), u32(MSGTYPE, 1),
                                     u32(TIMEOUT, 30000), u32(AUTH, 3),
                                     attr(CERT | NLA_F_NESTED,
                                          u32(X509_CERT, 0x100) +
                                          u32(X509_PRIVKEY, 0x101)),
                                     attr(PEERNAME, b"192.0.2.10\0"),
                                     u32(KEYRING, 0x200)]),
    "ready": msg(READY, [u32(HCLASS, 1)]),
}

out = "selftests/fuzz/corpus/accept"
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
