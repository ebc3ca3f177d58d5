#!/usr/bin/env python3
"""proxyproto_peer.py MODE ARGS: clients for tcpserve --proxy-protocol tests.

  freeport HOST          print a TCP port free on HOST now (bind 0, release)
  talk PORT HEADER [DATA] [--src ADDR] [--chunk N] [--host H]
                         connect, send HEADER then DATA (Python expressions,
                         see below) in writes of N bytes (default: at once,
                         with a pause between writes), half-close, print
                         what comes back on stdout until the server closes;
                         "sport N" (our port) on stderr first. Exit 0 at the
                         server's end or reset, 4 if nothing ends it in 10 s
  slow PORT HEADER       send HEADER, print "sent" on stdout, then wait for
                         the server to close (exit 0), at most 20 s (exit 4)
  bulk PORT MB [HEADER] [--host H]
                         send HEADER and MB MiB of random data while reading
                         the echo; print the sha256 of what was sent, then of
                         what came back
HEADER and DATA may use v2(cmd, fam, body) for a v2 header, ip4("a.b.c.d"),
ip6("::1"), port(N), tlv(type, value).
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(cmd, fam, body, length=None):
    n = len(body) if length is None else length
    return SIG + bytes([cmd, fam]) + struct.pack("!H", n) + body


def ip4(a):
    return socket.inet_pton(socket.AF_INET, a)


def ip6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def port(n):
    return struct.pack("!H", n)


def tlv(t, value):
    return bytes([t]) + struct.pack("!H", len(value)) + value


def expr(s):
    names = {"v2": v2, "ip4": ip4, "ip6": ip6, "port": port, "tlv": tlv}
    v = eval(s, names)
    return v.encode() if isinstance(v, str) else v


def connect(p, host="127.0.0.1", src=None, timeout=10):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if src:
        s.bind((src, 0))
    s.connect((host, int(p)))
    return s


def read_to_end(s):
    got = bytearray()
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except ConnectionResetError:
        pass
    return bytes(got)


def opts(args):
    o = {"--src": None, "--chunk": None, "--host": "127.0.0.1"}
    rest = []
    while args:
        a = args.pop(0)
        if a in o:
            o[a] = args.pop(0)
        else:
            rest.append(a)
    return o, rest


def talk(args):
    o, rest = opts(args)
    out = expr(rest[1]) + (expr(rest[2]) if len(rest) > 2 else b"")
    s = connect(rest[0], o["--host"], o["--src"])
    sys.stderr.write("sport %d\n" % s.getsockname()[1])
    sys.stderr.flush()
    try:
        n = int(o["--chunk"]) if o["--chunk"] else len(out) or 1
        for i in range(0, len(out), n):
            s.sendall(out[i:i + n])
            if n < len(out):
                time.sleep(0.01)
        s.shutdown(socket.SHUT_WR)
    except OSError:		# reset, or not connected any more
        pass
    try:
        got = read_to_end(s)
    except socket.timeout:
        sys.stderr.write("timeout\n")
        return 4
    sys.stdout.buffer.write(got)
    return 0


def slow(args):
    s = connect(args[0], timeout=20)
    s.sendall(expr(args[1]))
    print("sent", flush=True)
    try:
        read_to_end(s)
    except socket.timeout:
        return 4
    return 0


def bulk(args):
    o, args = opts(args)
    size = int(args[1]) << 20
    s = connect(args[0], o["--host"], timeout=30)
    if len(args) > 2:
        s.sendall(expr(args[2]))
    data = os.urandom(size)
    back = hashlib.sha256()
    err = []

    def send():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=send)
    t.start()
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        back.update(b)
    t.join()
    print(hashlib.sha256(data).hexdigest())
    print(back.hexdigest())
    return 1 if err else 0


def freeport(args):
    s = socket.socket(socket.AF_INET)
    s.bind((args[0], 0))
    print(s.getsockname()[1])
    s.close()
    return 0


if __name__ == "__main__":
    modes = {"talk": talk, "slow": slow, "bulk": bulk, "freeport": freeport}
    sys.exit(modes[sys.argv[1]](sys.argv[2:]))
