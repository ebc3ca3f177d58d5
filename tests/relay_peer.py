#!/usr/bin/env python3
"""relay_peer.py MODE ARGS: the other end of the relay's end-of-stream tests.

Servers listen on 127.0.0.1 port 0, print "listening on 127.0.0.1:PORT" on
stderr and serve one connection:
  stall OUT SECS        half-close at once, read 1 MB, pause SECS, read the
                        rest until EOF into OUT
  partial NBYTES REPLY  read NBYTES, send REPLY's bytes, close with the rest
                        of the upload unread (the kernel resets)
Clients connect to 127.0.0.1 PORT:
  get PORT OUT [SECS]   half-close at once, read 1 MB, pause SECS (default
                        0), read the rest until EOF into OUT
  reply PORT NBYTES REPLY  as partial, from the client's side
"""
import socket
import sys
import time

MB = 1000000


def read_into(c, out, stall):
    got = bytearray()
    while len(got) < MB:
        d = c.recv(min(65536, MB - len(got)))
        if not d:
            break
        got += d
    time.sleep(stall)
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        got += d
    with open(out, "wb") as f:
        f.write(got)


def partial(c, want, reply):
    got = 0
    while got < want:
        d = c.recv(min(65536, want - got))
        if not d:
            break
        got += len(d)
    with open(reply, "rb") as f:
        c.sendall(f.read())


def serve(mode, args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    sys.stderr.write("listening on 127.0.0.1:%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    c, _ = s.accept()
    if mode == "stall":
        c.shutdown(socket.SHUT_WR)
        read_into(c, args[0], float(args[1]))
    elif mode == "partial":
        partial(c, int(args[0]), args[1])
    c.close()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "get":
        c = socket.create_connection(("127.0.0.1", int(args[0])))
        c.shutdown(socket.SHUT_WR)
        read_into(c, args[1], float(args[2]) if len(args) > 2 else 0)
    elif mode == "reply":
        c = socket.create_connection(("127.0.0.1", int(args[0])))
        partial(c, int(args[1]), args[2])
        c.close()
    else:
        serve(mode, args)


main()
