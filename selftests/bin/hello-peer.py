#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A TLS 1.3 client written from raw bytes, for ClientHellos that no TLS
library sends: tlshd's and ktls-serve's server side against them.

  hello-peer.py 'PORT MODE [--frag N] [--send STR] [--want STR]'...

Each argument is one case, run in turn (one Python start: they are slow
under emulation); each output line starts with "PORT: ".

  many-ext,N     a ClientHello with N unknown extensions (GREASE values
                 among them); the handshake is completed, STR sent, and
                 what the server sends back printed
  dup-ext        a ClientHello with supported_groups twice
  dup-unknown    a ClientHello with one unknown extension twice
  hrr-good       a key share only for a GREASE group: the server must ask
                 again (HelloRetryRequest) for X25519; answered right and
                 the handshake completed
  hrr-bad        the same HelloRetryRequest answered with a key share for
                 the GREASE group again
  big,N          a valid ClientHello padded to N bytes (unknown extensions
                 and cipher suites)
  early-data     a ticket the server never issued, offered with 0-RTT
                 data (three records the server cannot decrypt), then a
                 complete handshake

--frag N cuts the ClientHello into handshake records of N bytes (the
record layer allows any fragmentation). With --send, the client sends STR
as application data after its Finished; with --want, it reads until STR
came (or 20 s passed).

Prints one line per event: "hello-retry-request group 0x001d",
"server hello", "handshake complete", "received alert L D (name)",
"received data: ...", "received EOF" or "received reset".
Only the key schedule and AES-128-GCM are done; the server's certificate
is not verified (these tests are about the hello, not trust).
"""
import hashlib
import hmac
import os
import shlex
import socket
import struct
import sys
import threading

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure",
          47: "illegal_parameter", 50: "decode_error", 51: "decrypt_error",
          70: "protocol_version", 71: "insufficient_security",
          80: "internal_error", 100: "no_renegotiation",
          109: "missing_extension", 110: "unsupported_extension"}
HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
X25519 = 0x001D
GREASE_GROUP = 0x0A0A


PREFIX = ""


def out(msg):
    print(PREFIX + msg, flush=True)


def u8(b):
    return struct.pack("!B", len(b)) + b


def u16(b):
    return struct.pack("!H", len(b)) + b


def u24(b):
    return struct.pack("!I", len(b))[1:] + b


def ext(t, body):
    return struct.pack("!H", t) + u16(body)


def key_share(group, pub):
    return ext(51, u16(struct.pack("!H", group) + u16(pub)))


def client_hello(rnd, sid, share_group, pub, extra, suites=b""):
    exts = [
        ext(43, u8(b"\x03\x04")),                      # supported_versions
        ext(10, u16(struct.pack("!HH", GREASE_GROUP, X25519))),
        ext(13, u16(struct.pack("!HHH", 0x0403, 0x0804, 0x0401))),
        key_share(share_group, pub),
    ] + extra
    body = (b"\x03\x03" + rnd + u8(sid) + u16(b"\x13\x01" + suites) + u8(b"\x00") +
            u16(b"".join(exts)))
    return b"\x01" + u24(body)


def unknown_exts(n, pad=0):
    # Unknown types from the unassigned range, and the 16 GREASE values.
    exts = []
    for i in range(n):
        if i % 16 == 0 and i < 256:
            t = 0x0A0A + 0x1010 * (i // 16)
        else:
            t = 0x4000 + i
        exts.append(ext(t, b"\0" * pad))
    return exts


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def expand_label(secret, label, ctx, n):
    info = struct.pack("!H", n) + u8(b"tls13 " + label) + u8(ctx)
    okm, t, i = b"", b"", 1
    while len(okm) < n:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:n]


def derive(secret, label, transcript):
    return expand_label(secret, label, hashlib.sha256(transcript).digest(), 32)


class Dir:
    """One direction's AEAD state."""

    def __init__(self, secret):
        self.aead = AESGCM(expand_label(secret, b"key", b"", 16))
        self.iv = expand_label(secret, b"iv", b"", 12)
        self.seq = 0

    def nonce(self):
        n = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        return n

    def seal(self, ctype, data):
        inner = data + bytes([ctype])
        hdr = b"\x17\x03\x03" + struct.pack("!H", len(inner) + 16)
        return hdr + self.aead.encrypt(self.nonce(), inner, hdr)

    def open(self, hdr, body):
        inner = self.aead.decrypt(self.nonce(), body, hdr).rstrip(b"\0")
        return inner[-1], inner[:-1]


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""
        self.rx = None

    def read_record(self):
        while True:
            if len(self.buf) >= 5:
                n = struct.unpack("!H", self.buf[3:5])[0]
                if len(self.buf) >= 5 + n:
                    hdr, body = self.buf[:5], self.buf[5:5 + n]
                    self.buf = self.buf[5 + n:]
                    return hdr, body
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                raise EOFError("reset")
            except socket.timeout:
                raise EOFError("nothing (timeout)")
            if not d:
                raise EOFError("EOF")
            self.buf += d

    def records(self):
        """Yields (type, plaintext); alerts end the stream with EOFError."""
        while True:
            hdr, body = self.read_record()
            ctype = hdr[0]
            if ctype == 20:
                continue                # middlebox compatibility CCS
            if ctype == 23 and self.rx:
                ctype, body = self.rx.open(hdr, body)
            if ctype == 21:
                d = body[1] if len(body) > 1 else -1
                raise EOFError("alert %d %d (%s)" %
                               (body[0], d, ALERTS.get(d, "?")))
            yield ctype, body


def send_hello(c, msg, frag):
    recs = [msg[i:i + frag] for i in range(0, len(msg), frag)]
    wire = b"".join(b"\x16\x03\x01" + u16(r) for r in recs)
    if len(wire) <= 65536:
        c.s.sendall(wire)
        return
    # A server that stops reading must not stop us reading its alert.
    def pump():
        try:
            c.s.sendall(wire)
        except OSError:
            pass
    threading.Thread(target=pump, daemon=True).start()


def handshake_messages(c, first=b""):
    """Handshake messages, reassembled across records."""
    pending = first
    for ctype, body in c.records():
        if ctype != 22:
            yield ctype, body
            continue
        pending += body
        while len(pending) >= 4:
            n = int.from_bytes(pending[1:4], "big")
            if len(pending) < 4 + n:
                break
            yield 22, pending[:4 + n]
            pending = pending[4 + n:]


def parse_server_hello(m):
    rnd = m[6:38]
    p = 38
    sid_len = m[p]
    p += 1 + sid_len + 3           # session id, suite, compression
    exts_end = p + 2 + struct.unpack("!H", m[p:p + 2])[0]
    p += 2
    share = None
    while p < exts_end:
        t, n = struct.unpack("!HH", m[p:p + 4])
        if t == 51:
            share = m[p + 4:p + 4 + n]
        p += 4 + n
    return rnd == HRR_RANDOM, share


def run(port, mode, frag, send, want):
    c = Conn(port)
    priv = X25519PrivateKey.generate()
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    rnd, sid = os.urandom(32), os.urandom(32)
    name, _, arg = mode.partition(",")
    extra, group, suites = [], X25519, b""
    if name == "many-ext":
        extra = unknown_exts(int(arg))
    elif name == "dup-ext":
        extra = [ext(10, u16(struct.pack("!H", X25519)))]
    elif name == "dup-unknown":
        extra = [ext(0x4321, b""), ext(0x4321, b"")]
    elif name == "big":
        # Unknown extensions of 1 KiB each (the extension block holds at
        # most 64 KiB), the rest unknown cipher suites.
        n = int(arg)
        extra = unknown_exts(min(n, 60000) // 1028, 1024)
        suites = struct.pack("!H", 0x5a5a) * ((n - 60000) // 2)
    elif name == "early-data":
        # A resumption offer from a session the server never issued, with
        # early data: it must fall back to a full handshake and skip the
        # 0-RTT records it cannot decrypt (RFC 8446, 4.2.10).
        ident = os.urandom(64)
        extra = [ext(45, u8(b"\x01")),                 # psk_dhe_ke
                 ext(42, b""),                          # early_data
                 ext(41, u16(u16(ident) + b"\0\0\0\0") +
                     u16(u8(os.urandom(32))))]          # pre_shared_key
    elif name in ("hrr-good", "hrr-bad"):
        group = GREASE_GROUP
    else:
        sys.exit("unknown mode " + mode)
    share = pub if group == X25519 else b"\x42"
    ch = client_hello(rnd, sid, group, share, extra, suites)
    out("client hello of %d bytes, %d extensions, in records of %d bytes" %
        (len(ch), len(extra) + 4, frag))
    send_hello(c, ch, frag)
    if name == "early-data":
        early = [os.urandom(int(arg or 100)) for _ in range(3)]
        c.s.sendall(b"".join(b"\x17\x03\x03" + u16(r) for r in early))
        out("sent %d early data records" % len(early))
    transcript = ch
    msgs = handshake_messages(c)
    _, sh = next(msgs)
    if sh[0] != 2:
        raise EOFError("handshake message %d, not a ServerHello" % sh[0])
    hrr, sshare = parse_server_hello(sh)
    if hrr:
        g = struct.unpack("!H", sshare[:2])[0]
        out("hello-retry-request group 0x%04x" % g)
        # The transcript restarts from a message_hash of the first hello.
        transcript = (b"\xfe\x00\x00\x20" + hashlib.sha256(ch).digest() + sh)
        share = pub if name == "hrr-good" else b"\x42"
        ch2 = client_hello(rnd, sid, X25519 if name == "hrr-good"
                           else GREASE_GROUP, share, extra, suites)
        c.s.sendall(b"\x14\x03\x03\x00\x01\x01")     # compatibility CCS
        send_hello(c, ch2, frag)
        transcript += ch2
        _, sh = next(msgs)
        hrr, sshare = parse_server_hello(sh)
        if hrr:
            raise EOFError("a second HelloRetryRequest")
    out("server hello")
    transcript += sh
    peer = sshare[4:]
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    shared = priv.exchange(X25519PublicKey.from_public_bytes(peer))
    zero = b"\0" * 32
    early = hkdf_extract(zero, zero)
    hs = hkdf_extract(derive(early, b"derived", b""), shared)
    c_hs = derive(hs, b"c hs traffic", transcript)
    c.rx = Dir(derive(hs, b"s hs traffic", transcript))
    while True:
        ctype, m = next(msgs)
        if ctype != 22:
            raise EOFError("record type %d during the handshake" % ctype)
        transcript += m
        if m[0] == 20:
            break
    ms = hkdf_extract(derive(hs, b"derived", b""), zero)
    c_ap = derive(ms, b"c ap traffic", transcript)
    s_ap = derive(ms, b"s ap traffic", transcript)
    fkey = expand_label(c_hs, b"finished", b"", 32)
    fin = b"\x14" + u24(hmac.new(fkey, hashlib.sha256(transcript).digest(),
                                 hashlib.sha256).digest())
    c.s.sendall(b"\x14\x03\x03\x00\x01\x01" + Dir(c_hs).seal(22, fin))
    c.rx = Dir(s_ap)
    tx = Dir(c_ap)
    out("handshake complete")
    if send:
        c.s.sendall(tx.seal(23, send.encode().decode("unicode_escape").encode()))
    got = b""
    if want:
        for ctype, body in c.records():
            if ctype == 23:
                got += body
                if want.encode() in got:
                    break
        out("received data: %r" % got.decode(errors="replace"))
    c.s.sendall(tx.seal(21, b"\x01\x00"))           # close_notify


def main():
    for case in sys.argv[1:]:
        a = shlex.split(case)
        port, mode = int(a[0]), a[1]
        frag, send, want = 16384, "", ""
        a = a[2:]
        while a:
            if a[0] == "--frag":
                frag = int(a[1])
            elif a[0] == "--send":
                send = a[1]
            elif a[0] == "--want":
                want = a[1]
            else:
                sys.exit("unknown option " + a[0])
            a = a[2:]
        global PREFIX
        PREFIX = "%d: " % port
        try:
            run(port, mode, frag, send, want)
        except EOFError as e:
            out("received %s" % e)
        except StopIteration:
            out("received EOF")


if __name__ == "__main__":
    main()
