#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A misbehaving TLS peer for tlshd's hardening tests.

  hostile-peer.py MODE,PORT[,ARG...]...   serve each listed mode at once
  hostile-peer.py client PORT             see below

  silent,PORT       accept and never answer
  garbage,PORT      answer the ClientHello with non-TLS bytes
  truncated,PORT    a record header claiming 64 bytes, 10 sent,
                                    then EOF
  oversized,PORT    a ServerHello header claiming 2^24-1 bytes,
                                    then handshake records until the client
                                    goes away
  proxy,PORT,UPSTREAM,RECORDS,BYTES,stall|close
                                    relay to 127.0.0.1:UPSTREAM, but pass only
                                    RECORDS whole server records and BYTES of
                                    the next, then stall or close
  client PORT       connect, send non-TLS bytes instead of a
                                    ClientHello, wait for EOF

Each server mode serves connections until killed. It prints one line per
connection to stdout so the test can see it happened.
"""
import socket
import sys
import threading
import time


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def log(msg):
    print(msg, flush=True)


def read_hello(c):
    # Wait for the client's first flight so our answer is a reply to it.
    c.settimeout(20)
    try:
        return c.recv(65536)
    except OSError:
        return b""


def hold(c):
    # Keep the connection open and silent until the peer closes it.
    c.settimeout(None)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


def silent(c):
    log("silent: connection")
    hold(c)


def garbage(c):
    read_hello(c)
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)
    log("garbage sent")
    hold(c)


def truncated(c):
    read_hello(c)
    # Handshake record, TLS 1.2, length 64, but only 10 bytes follow.
    c.sendall(bytes([22, 3, 3, 0, 64]) + b"\x02\x00\x00\x3c" + b"\0" * 6)
    log("truncated record sent")
    time.sleep(0.2)
    c.close()


def oversized(c):
    read_hello(c)
    rec = 16384
    # ServerHello (2) of length 0xffffff, then its body in full records.
    first = bytes([2, 0xff, 0xff, 0xff]) + b"\0" * (rec - 4)
    body = b"\0" * rec
    sent = 0
    try:
        c.sendall(bytes([22, 3, 3, rec >> 8, rec & 0xff]) + first)
        sent += rec
        while sent < 0xffffff:
            c.sendall(bytes([22, 3, 3, rec >> 8, rec & 0xff]) + body)
            sent += rec
    except OSError:
        pass
    log("oversized: client went away after %d bytes" % sent)
    c.close()


def proxy(c, upstream, records, extra, then):
    u = socket.create_connection(("127.0.0.1", upstream))

    def up():
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                u.sendall(d)
        except OSError:
            pass

    threading.Thread(target=up, daemon=True).start()
    buf = b""
    passed = []
    try:
        while True:
            d = u.recv(65536)
            if not d:
                break
            buf += d
            # Pass whole records while the budget lasts.
            while records > 0 and len(buf) >= 5:
                n = 5 + (buf[3] << 8 | buf[4])
                if len(buf) < n:
                    break
                c.sendall(buf[:n])
                passed.append("%d/%d" % (buf[0], n))
                buf = buf[n:]
                records -= 1
            if records == 0 and len(buf) >= extra:
                c.sendall(buf[:extra])
                break
    except OSError:
        pass
    log("proxy: passed records (type/len) %s + %d bytes, then %s" %
        (" ".join(passed), extra, then))
    if then == "close":
        c.shutdown(socket.SHUT_RDWR)
        c.close()
        u.close()
        return
    hold(c)
    u.close()


def client(port):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET / HTTP/1.0\r\n\r\n" * 8)
    c.settimeout(30)
    got = b""
    try:
        while True:
            d = c.recv(4096)
            if not d:
                break
            got += d
    except OSError as e:
        log("client: %s" % e)
    log("client: got %d bytes, first %r" % (len(got), got[:7]))


def serve(s, handler, args):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,) + args,
                         daemon=True).start()


def main():
    if sys.argv[1] == "client":
        client(int(sys.argv[2]))
        return
    # One process serves every MODE,PORT[,ARG...] given: a Python start is
    # slow under emulation.
    threads = []
    for spec in sys.argv[1:]:
        f = spec.split(",")
        mode, port = f[0], int(f[1])
        handler = {"silent": silent, "garbage": garbage,
                   "truncated": truncated, "oversized": oversized,
                   "proxy": proxy}.get(mode)
        if not handler:
            sys.exit("hostile-peer: unknown mode " + mode)
        args = ()
        if mode == "proxy":
            args = (int(f[2]), int(f[3]), int(f[4]), f[5])
        t = threading.Thread(target=serve, args=(listen(port), handler, args),
                             daemon=True)
        t.start()
        threads.append(t)
    log("listening")
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
