# SPDX-License-Identifier: GPL-2.0-or-later
# The client side of serve_deploy.sh's limit checks, against ktls-serve
# --tls=off --max-conns 3 --max-conns-per-client 2 on 127.0.0.1:PORT.
# Clients come from different loopback addresses (127.0.0.2, .3, .4) so
# that the per-client and the global limit can be told apart. Every wait
# is bounded: at a limit the answer (a 503, or room made by closing an
# idle connection) must come within 2 s.
import socket, sys, time

PORT = int(sys.argv[1])
fails = 0


def check(cond, what):
    global fails
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        fails += 1


def connect(src):
    s = socket.socket()
    s.settimeout(2)
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    return s


def response(s):
    """One response head and its body (Content-Length); None on EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            return None
        data += c
    head, body = data.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    while len(body) < n:
        body += s.recv(4096)
    return head


def idle(src):
    """A keep-alive connection that has had one request."""
    s = connect(src)
    s.sendall(b"GET /f HTTP/1.1\r\nHost: a\r\n\r\n")
    head = response(s)
    check(head is not None and head.startswith(b"HTTP/1.1 200"),
          "idle keep-alive connection from %s" % src)
    return s


def busy(src):
    """A connection in the middle of sending its request head."""
    s = connect(src)
    s.sendall(b"GET /f HTTP/1.1\r\n")
    return s


def closed_within(s, what):
    t = time.monotonic()
    try:
        gone = s.recv(1) == b""
    except OSError:
        gone = True
    check(gone and time.monotonic() - t < 2,
          "%s closed in %.2f s" % (what, time.monotonic() - t))


def get(src, want):
    t = time.monotonic()
    try:
        s = connect(src)
        s.sendall(b"GET /f HTTP/1.1\r\nHost: a\r\n\r\n")
        head = response(s)
        line = head.split(b"\r\n")[0].decode() if head else "closed"
        retry = head is not None and b"\r\nRetry-After: 1" in head
        s.close()
    except OSError as e:
        line, retry = "error %s" % e, False
    took = time.monotonic() - t
    check(line.startswith("HTTP/1.1 %d" % want) and took < 2 and
          (want != 503 or retry),
          "%s from %s in %.2f s (want %d)" % (line, src, took, want))


# Per client: two idle from .2; a third from .2 closes the older one.
a1 = idle("127.0.0.2")
time.sleep(0.05)
a2 = idle("127.0.0.2")
get("127.0.0.2", 200)
closed_within(a1, "per-client limit: the least recently used idle connection")
a2.close()
time.sleep(0.2)     # the server sees the closes: no idle connection left

# Per client, nothing idle: .2 busy twice, its third gets a 503; .3 is
# served meanwhile.
b1, b2 = busy("127.0.0.2"), busy("127.0.0.2")
time.sleep(0.1)
get("127.0.0.2", 503)
get("127.0.0.2", 503)
get("127.0.0.3", 200)
time.sleep(0.2)

# Globally (3): .2 busy twice and .3 idle; .4 makes room by closing .3's.
c1 = idle("127.0.0.3")
get("127.0.0.4", 200)
closed_within(c1, "global limit: the idle connection")

# Globally, nothing idle: a 503 for anyone new.
d1 = busy("127.0.0.3")
time.sleep(0.1)
get("127.0.0.4", 503)
get("127.0.0.5", 503)
for s in (b1, b2, d1):
    s.close()
time.sleep(0.2)
get("127.0.0.4", 200)
sys.exit(1 if fails else 0)
