#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Misbehaving (and well-behaved) TLS clients for ktls-serve's tests.

Each mode connects to 127.0.0.1:PORT with TLS (CA-verified, name
localhost), does one thing and prints what the server did. Exit 0 when the
server reacted as a correct server must, 1 otherwise.

  close-notify   GET a file on a keep-alive connection, then close_notify;
                 the server must answer with its own close_notify
  idle           GET a file, then wait: the server must end the connection
                 with close_notify (idle timeout, or shutdown)
  garbage        after the handshake, bytes that are not TLS records
  bad-record     after the handshake, a well-formed record that fails to
                 decrypt
  mid-body       GET a large file, read part of it, reset the connection
  stall          GET a large file, read part of it, then stop reading
  slowloris      send a request head one byte at a time
"""
import argparse
import hashlib
import os
import select
import socket
import ssl
import struct
import sys
import time


def connect(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    raw = socket.create_connection(("127.0.0.1", args.port), timeout=30)
    # EOF without close_notify must raise, so the two can be told apart.
    s = ctx.wrap_socket(raw, server_hostname="localhost",
                        suppress_ragged_eofs=False)
    return s


def request(path, close=False):
    conn = "close" if close else "keep-alive"
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: %s\r\n\r\n"
            % (path, conn)).encode()


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise EOFError("connection closed before the response head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def read_response(s):
    status, headers, body = read_head(s)
    want = int(headers.get("content-length", "0"))
    h = hashlib.sha256(body)
    got = len(body)
    while got < want:
        chunk = s.recv(min(65536, want - got))
        if not chunk:
            raise EOFError("connection closed mid-body")
        h.update(chunk)
        got += len(chunk)
    return status, got, h.hexdigest()


def wait_end(s, limit):
    """How the server ends the connection: 'close_notify', 'eof' (no
    close_notify), 'reset', 'data', or 'timeout'."""
    s.settimeout(limit)
    try:
        data = s.recv(4096)
        return "close_notify" if data == b"" else "data"
    except ssl.SSLEOFError:
        return "eof"
    except ssl.SSLZeroReturnError:
        return "close_notify"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"
    except ssl.SSLError as e:
        return "ssl error: %s" % e.reason


def mode_close_notify(args):
    s = connect(args)
    s.sendall(request(args.path))
    status, n, digest = read_response(s)
    print("response: %d, %d bytes, sha256 %s" % (status, n, digest))
    # unwrap() sends our close_notify and waits for the server's.
    try:
        s.settimeout(10)
        s.unwrap()
        print("server answered close_notify")
        return 0 if status == 200 else 1
    except (ssl.SSLError, OSError) as e:
        print("no close_notify from the server: %s" % e)
        return 1


def mode_idle(args):
    s = connect(args)
    s.sendall(request(args.path))
    status, n, digest = read_response(s)
    print("response: %d, %d bytes, sha256 %s" % (status, n, digest))
    sys.stdout.flush()
    t = time.monotonic()
    end = wait_end(s, args.wait)
    print("server ended the connection after %.1f s: %s"
          % (time.monotonic() - t, end))
    return 0 if end == "close_notify" else 1


def raw_after_handshake(args, data):
    s = connect(args)
    fd = s.fileno()
    os.write(fd, data)
    # Whatever comes back, raw: an alert record, then EOF.
    got = b""
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        if not r:
            print("server kept the connection open")
            return 1
        try:
            chunk = os.read(fd, 4096)
        except ConnectionResetError:
            print("server reset the connection")
            return 0
        if not chunk:
            break
        got += chunk
    # Skip records that came before (NewSessionTicket, encrypted).
    alerts = []
    off = 0
    while off + 5 <= len(got):
        typ, _, ln = struct.unpack("!BHH", got[off:off + 5])
        alerts.append(typ)
        off += 5 + ln
    print("server closed the connection; record types after ours: %s"
          % alerts)
    return 0


def mode_garbage(args):
    return raw_after_handshake(args, b"this is not a TLS record\r\n" * 4)


def mode_bad_record(args):
    body = os.urandom(64)
    return raw_after_handshake(args, struct.pack("!BHH", 23, 0x0303,
                                                 len(body)) + body)


def mode_mid_body(args):
    s = connect(args)
    s.sendall(request(args.path))
    status, headers, body = read_head(s)
    got = len(body)
    while got < args.read:
        chunk = s.recv(65536)
        if not chunk:
            print("server closed early")
            return 1
        got += len(chunk)
    print("read %d of %s bytes, now resetting" % (got,
                                                   headers["content-length"]))
    # SO_LINGER 0: close() sends RST, like a client that crashed.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()
    return 0


def mode_stall(args):
    s = connect(args)
    s.sendall(request(args.path))
    status, headers, body = read_head(s)
    got = len(body)
    while got < args.read:
        chunk = s.recv(65536)
        if not chunk:
            print("server closed early")
            return 1
        got += len(chunk)
    print("read %d of %s bytes, now not reading for %.0f s"
          % (got, headers["content-length"], args.wait), flush=True)
    time.sleep(args.wait)
    s.close()
    return 0


def server_ended(s):
    """Non-blocking: has the server ended the connection? Records that
    aren't application data (TLS 1.3 tickets) are consumed on the way."""
    s.setblocking(False)
    try:
        data = s.recv(4096)
        return "close_notify" if data == b"" else None
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return None
    except ssl.SSLZeroReturnError:
        return "close_notify"
    except ssl.SSLEOFError:
        return "eof"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    finally:
        s.setblocking(True)


def mode_slowloris(args):
    s = connect(args)
    print("connected", flush=True)
    head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
    t = time.monotonic()
    sent = 0
    end = None
    for i in range(len(head)):
        try:
            s.send(head[i:i + 1])
            sent += 1
        except OSError as e:
            end = "send failed: %s" % e
            break
        time.sleep(args.interval)
        end = server_ended(s)
        if end:
            break
        if time.monotonic() - t > args.wait:
            print("server still waiting after %.1f s" % (time.monotonic() - t))
            return 1
    if not end:
        end = wait_end(s, args.wait)
    print("server ended the connection after %.1f s and %d bytes: %s"
          % (time.monotonic() - t, sent, end), flush=True)
    return 0 if end in ("close_notify", "eof", "reset") else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--path", default="/f16385")
    p.add_argument("--read", type=int, default=1 << 20)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--wait", type=float, default=20)
    args = p.parse_args()
    modes = {
        "close-notify": mode_close_notify,
        "idle": mode_idle,
        "garbage": mode_garbage,
        "bad-record": mode_bad_record,
        "mid-body": mode_mid_body,
        "stall": mode_stall,
        "slowloris": mode_slowloris,
    }
    if args.mode not in modes:
        p.error("unknown mode " + args.mode)
    try:
        return modes[args.mode](args)
    except Exception as e:
        print("%s: %s: %s" % (args.mode, type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
