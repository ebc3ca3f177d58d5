#!/usr/bin/env python3
"""unix_peer.py: Python's socket module as a Unix-domain peer for tests/unix.bats.

  stream PATH DATA      connect, send DATA, half-close, print what comes back
  pidstream PATH        connect, print "client=PID" and then what comes back
  dgram PATH DATA       send DATA from an address of its own (autobind),
                        print the reply (exit 1 after 5 s without one)
  unbound PATH DATA     send DATA from no address at all; print nothing
  probe PATH            exit 0 if a stream connect to PATH works
  dgramserve PATH PFX   bind PATH, answer one datagram with PFX + it, exit
"""
import os
import socket
import sys


def addr(path):
    # "@NAME" is Linux's abstract namespace, as sockbox writes it.
    return "\0" + path[1:] if path.startswith("@") else path


def recv_all(s):
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d


def main():
    mode, path = sys.argv[1], addr(sys.argv[2])
    arg = sys.argv[3].encode() if len(sys.argv) > 3 else b""
    if mode in ("stream", "pidstream"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path)
        if mode == "pidstream":
            sys.stdout.write("client=%d\n" % os.getpid())
            sys.stdout.flush()
        # A server that closes first is a normal end: what it sent counts.
        try:
            s.sendall(arg)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        sys.stdout.buffer.write(recv_all(s))
    elif mode == "probe":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            sys.exit(1)
    elif mode in ("dgram", "unbound"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if mode == "dgram":
            s.bind("")  # autobind: an abstract name the kernel picks
        s.settimeout(5)
        s.sendto(arg, path)
        if mode == "dgram":
            sys.stdout.buffer.write(s.recv(65536))
    elif mode == "dgramserve":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        print("ready", flush=True)
        s.settimeout(10)
        data, peer = s.recvfrom(65536)
        s.sendto(arg + data, peer)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
