#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tls-echo-server: a TLS echo server (Python's ssl, i.e. OpenSSL) that
serves any number of connections at once, for load tests: each connection
gets back every byte it sends. Unlike gnutls-serv, it never drops a
connection that waits long for its ClientHello.

    tls-echo-server.py PORT CERT KEY [PROCESSES [TICKETS]]

PROCESSES (default 1) processes share the port (SO_REUSEPORT), so that
handshakes use every CPU. TICKETS (default 2) is the number of TLS 1.3
session tickets sent after each handshake; 0 makes every handshake a full
one. Prints "listening on PORT" when all are ready; on SIGTERM, each
prints "handshakes done N failed N resumed N".
"""
import asyncio
import os
import signal
import ssl
import sys

done = failed = resumed = 0


async def echo(reader, writer):
    global done, resumed
    done += 1
    if writer.get_extra_info("ssl_object").session_reused:
        resumed += 1
    try:
        while data := await reader.read(16384):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def on_error(loop, ctx):
    global failed
    failed += 1
    print("error:", ctx.get("message"), ctx.get("exception"), flush=True)


def context(cert, key, tickets):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.num_tickets = tickets
    return ctx


async def main(port, ctx, ready_w):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(on_error)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM,
                            lambda: stop.done() or stop.set_result(None))
    server = await asyncio.start_server(echo, "127.0.0.1", port, ssl=ctx,
                                        backlog=4096, reuse_port=True,
                                        ssl_handshake_timeout=900)
    os.write(ready_w, b"x")
    async with server:
        await stop
    print(f"handshakes done {done} failed {failed} resumed {resumed}",
          flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5, 6):
        sys.exit("usage: tls-echo-server.py PORT CERT KEY [PROCESSES [TICKETS]]")
    nproc = int(sys.argv[4]) if len(sys.argv) >= 5 else 1
    tickets = int(sys.argv[5]) if len(sys.argv) == 6 else 2
    # Made before the fork: every process has the same ticket keys, so a
    # ticket one of them issued resumes at any other.
    ctx = context(sys.argv[2], sys.argv[3], tickets)
    ready_r, ready_w = os.pipe()
    children = []
    for _ in range(nproc - 1):
        pid = os.fork()
        if pid == 0:
            asyncio.run(main(int(sys.argv[1]), ctx, ready_w))
            os._exit(0)
        children.append(pid)

    # The parent serves too; it waits for its children once told to stop.
    got = 0

    async def parent():
        global got
        task = asyncio.create_task(main(int(sys.argv[1]), ctx, ready_w))
        loop = asyncio.get_running_loop()
        while got < nproc:
            got += len(await loop.run_in_executor(
                None, os.read, ready_r, nproc))
        print(f"listening on {sys.argv[1]}", flush=True)
        await task
        for c in children:
            os.kill(c, signal.SIGTERM)
            os.waitpid(c, 0)

    asyncio.run(parent())
