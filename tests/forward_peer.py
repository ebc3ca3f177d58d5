#!/usr/bin/env python3
"""forward_peer.py: backends and clients for tests/forward.bats.

Backends listen on 127.0.0.1 port 0 (or a Unix socket) and print
"listening on 127.0.0.1:PORT" on stderr, as tcpserve does, then serve
every connection in a thread:
  serve hash N            send N random bytes, read to the end; print
                          "sent SHA received SHA" for each connection
  serve after-eof         read to the client's end, then answer "got N"
  serve close-first       send "hello", shut down writing, read to the
                          end, print "received N"
  serve reset             read a byte, then close with a reset
  serve name NAME         answer NAME and close
  serve-unix PATH name NAME   the same on a Unix socket (@NAME: abstract)
Clients connect to 127.0.0.1 PORT:
  hash PORT N             send N random bytes and read to the end; print
                          "sent SHA received SHA"
  keep-sending PORT N     read to the server's end, then send N bytes
  reset PORT              send a byte; print how the connection ended
  many PORT CONNS BYTES   CONNS connections at once, BYTES each, every
                          echoed byte checked; print "ok CONNS"
  no-read PORT            send until the socket is full, never read;
                          print "stuck N", then wait for stdin's end
"""
import hashlib
import os
import resource
import selectors
import socket
import struct
import sys
import threading

CHUNK = 1 << 20


def listen(path=None):
    if path is None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        where = "127.0.0.1:%d" % s.getsockname()[1]
    else:
        s = socket.socket(socket.AF_UNIX)
        s.bind("\0" + path[1:] if path.startswith("@") else path)
        where = path
    s.listen(128)
    print("listening on " + where, file=sys.stderr, flush=True)
    return s


def send_random(s, n):
    h = hashlib.sha256()
    while n > 0:
        b = os.urandom(min(n, CHUNK))
        h.update(b)
        s.sendall(b)
        n -= len(b)
    return h.hexdigest()


def read_all(s):
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(CHUNK)
        if not b:
            return h.hexdigest(), n
        h.update(b)
        n += len(b)


def both_ways(s, n):
    """Send n random bytes while reading to the end; both digests."""
    out = {}

    def sender():
        out["sent"] = send_random(s, n)
        s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=sender)
    t.start()
    got, _ = read_all(s)
    t.join()
    return "sent %s received %s" % (out["sent"], got)


def handle(c, mode, arg):
    if mode == "hash":
        print(both_ways(c, int(arg)), flush=True)
    elif mode == "after-eof":
        _, n = read_all(c)
        c.sendall(b"got %d\n" % n)
    elif mode == "close-first":
        c.sendall(b"hello\n")
        c.shutdown(socket.SHUT_WR)
        _, n = read_all(c)
        print("received %d" % n, flush=True)
    elif mode == "reset":
        c.recv(1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    elif mode == "name":
        c.sendall(arg.encode() + b"\n")
    c.close()


def serve(s, mode, arg):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, mode, arg),
                         daemon=True).start()


def many(port, conns, size):
    """conns clients at once, each its own bytes, checked on the way back."""
    sel = selectors.DefaultSelector()
    left = conns
    for i in range(conns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        data = (b"%06d" % i) * (size // 6 + 1)
        st = {"out": data[:size], "want": data[:size], "got": b""}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    while left:
        events = sel.select(timeout=30)
        if not events:
            sys.exit("%d connections stalled" % left)
        for key, ev in events:
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and st["out"]:
                n = s.send(st["out"])
                st["out"] = st["out"][n:]
                if not st["out"]:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ, st)
            if ev & selectors.EVENT_READ:
                b = s.recv(65536)
                if b:
                    st["got"] += b
                    continue
                if st["got"] != st["want"]:
                    sys.exit("connection got wrong bytes")
                sel.unregister(s)
                s.close()
                left -= 1
    print("ok %d" % conns)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(listen(), args[0], args[1] if len(args) > 1 else None)
    if cmd == "serve-unix":
        serve(listen(args[0]), args[1], args[2] if len(args) > 2 else None)
    s = socket.create_connection(("127.0.0.1", int(args[0])), timeout=60)
    if cmd == "hash":
        print(both_ways(s, int(args[1])))
    elif cmd == "keep-sending":
        got = s.recv(100)
        while True:
            b = s.recv(100)
            if not b:
                break
            got += b
        s.sendall(b"x" * int(args[1]))
        s.shutdown(socket.SHUT_WR)
        print(got.decode().strip())
        print(s.recv(1) == b"" and "closed" or "more")
    elif cmd == "reset":
        s.sendall(b"x")
        try:
            b = s.recv(1)
            print("eof" if b == b"" else "data")
        except ConnectionResetError:
            print("reset")
    elif cmd == "many":
        s.close()
        many(int(args[0]), int(args[1]), int(args[2]))
    elif cmd == "no-read":
        s.setblocking(False)
        n = 0
        try:
            while True:
                n += s.send(b"z" * 65536)
        except BlockingIOError:
            pass
        print("stuck %d" % n, flush=True)
        sys.stdin.read()


main()
