#!/usr/bin/env python3
"""tcpconnect_peer.py MODE [ARGS]: TCP servers written with Python's socket module, the
peers tcpconnect is tested against. Each listens on HOST (default 127.0.0.1)
port 0, prints "listening on ADDR:PORT" on stderr, serves one connection
(or none) and exits; the test kills it otherwise.

  echo           echo every byte until EOF, then close
  sink OUT [S]   read until EOF into OUT, wait S seconds, answer
                 "got N SHA256", close
  send IN [half] send IN's bytes, then close; with "half" shut down the
                 write side only and save what arrives until EOF in IN.got
  peer OUT       write the client's "IP PORT" to OUT, then what it sends
  hold           accept and never send nor close
  refuse         a bound port with no listener: connections are refused
  backlog        a listener whose accept queue is full: SYNs are dropped
  scan           ports P and P+2 listen, P+1 refuses; announces P
  multi NAME     NAME's first address drops (full backlog), its second
                 echoes, both on one port; announces the second, then
                 prints the kernel's ListenOverflows count when done
"""
import hashlib
import os
import socket
import sys
import time

HOST = os.environ.get("HOST", "127.0.0.1")


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(addr=HOST, port=0, backlog=8, listen=True):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if listen:
        s.listen(backlog)
    return s


def announce(s):
    addr, port = s.getsockname()[:2]
    if ":" in addr:
        addr = "[%s]" % addr
    sys.stderr.write("listening on %s:%d\n" % (addr, port))
    sys.stderr.flush()


def read_all(c):
    chunks = []
    while True:
        d = c.recv(1 << 16)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def echo(c):
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        c.sendall(d)
    c.close()


def serve_one(mode, args):
    s = listener()
    announce(s)
    c, peer = s.accept()
    if mode == "echo":
        echo(c)
    elif mode == "sink":
        data = read_all(c)
        with open(args[0], "wb") as f:
            f.write(data)
        time.sleep(float(args[1]) if len(args) > 1 else 0)
        c.sendall(b"got %d %s\n" % (len(data),
                                    hashlib.sha256(data).hexdigest().encode()))
        c.close()
    elif mode == "send":
        with open(args[0], "rb") as f:
            c.sendall(f.read())
        if args[1:] == ["half"]:
            c.shutdown(socket.SHUT_WR)
            data = read_all(c)
            with open(args[0] + ".got", "wb") as f:
                f.write(data)
        c.close()
    elif mode == "peer":
        with open(args[0], "wb") as f:
            f.write(b"%s %d\n" % (peer[0].encode(), peer[1]))
            f.flush()
            f.write(read_all(c))
        c.close()
    elif mode == "hold":
        time.sleep(60)


def listen_overflows():
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("TcpExt:")]
    return int(lines[1][lines[0].index("ListenOverflows")])


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode in ("echo", "sink", "send", "peer", "hold"):
        serve_one(mode, args)
    elif mode == "refuse":
        announce(listener(listen=False))
        time.sleep(60)
    elif mode == "backlog":
        s = listener(backlog=0)
        fill = socket.create_connection(s.getsockname()[:2])
        announce(s)
        time.sleep(60)
    elif mode == "scan":
        # Three ports in a row; a busy machine may take many tries.
        for _ in range(1000):
            a, b = listener(), None
            port = a.getsockname()[1]
            try:
                b = listener(port=port + 1, listen=False)
                c = listener(port=port + 2)
                break
            except OSError:
                a.close()
                if b is not None:
                    b.close()
        else:
            sys.exit("tcpconnect_peer: no three free ports in a row")
        announce(a)
        time.sleep(60)
    elif mode == "multi":
        addrs = [ai[4][0] for ai in
                 socket.getaddrinfo(args[0], 1, type=socket.SOCK_STREAM)]
        drop = listener(addrs[0], backlog=0)
        port = drop.getsockname()[1]
        fill = socket.create_connection((addrs[0], port))
        good = listener(addrs[1], port)
        announce(good)
        c, _ = good.accept()
        echo(c)
        sys.stderr.write("overflows %d\n" % listen_overflows())
        sys.stderr.flush()


main()
