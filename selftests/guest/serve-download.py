#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A download over a TLS connection established beforehand, timed without
its handshake. Connects to 127.0.0.1:PORT (CA-verified, name localhost),
prints "ready" once the handshake is done, waits until a line can be read
from the file GO (a FIFO), then GETs PATH and prints
"BYTES BYTES_PER_SECOND SHA256", the time running from the request to the
last body byte. With --latency SECONDS instead: GET PATH (a small file)
again and again on the connection for that long and print
"REQUESTS MEDIAN_MS MAX_MS", each time from the request to the end of the
response. Exit 1 on any failure."""
import argparse
import hashlib
import socket
import ssl
import sys
import time


def get(s, path):
    """One GET on s: the response body, read to its Content-Length."""
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed before the response head")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    want = None
    for line in head.decode("latin-1").split("\r\n")[1:]:
        k, v = line.split(":", 1)
        if k.strip().lower() == "content-length":
            want = int(v)
    if want is None:
        sys.exit("no Content-Length: " + head.decode("latin-1"))
    chunks = [body]
    got = len(body)
    while got < want:
        chunk = s.recv(min(262144, want - got))
        if not chunk:
            sys.exit("connection closed mid-body at %d bytes" % got)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def latency(s, path, seconds):
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        get(s, path)
        times.append((time.monotonic() - t0) * 1000)
    times.sort()
    print("%d %.1f %.1f" % (len(times), times[len(times) // 2], times[-1]),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--latency", type=float)
    args = ap.parse_args()

    ctx = ssl.create_default_context(cafile=args.ca)
    raw = socket.create_connection(("127.0.0.1", args.port), timeout=120)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    print("ready", flush=True)
    with open(args.go) as go:
        go.readline()
    if args.latency:
        latency(s, args.path, args.latency)
        return
    t0 = time.monotonic()
    body = get(s, args.path)
    got = len(body)
    t = max(time.monotonic() - t0, 1e-6)
    # Hashed after the clock stops: the time is the transfer's.
    h = hashlib.sha256(body)
    print("%d %.0f %s" % (got, got / t, h.hexdigest()), flush=True)
    s.close()


if __name__ == "__main__":
    main()
