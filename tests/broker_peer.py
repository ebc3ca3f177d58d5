#!/usr/bin/env python3
"""broker_peer.py PORT MODE: clients of tcpserve --broker on 127.0.0.1 PORT.

  chorus N BYTES   N clients; each sends BYTES bytes of its own alphabet
                   (client i cycles through 26 letters of its own) while
                   all read; each must receive exactly the others' streams,
                   each in order. Prints "ok" or what went wrong.
  laggard BYTES    three clients: one never reads, one sends BYTES random
                   bytes, one must receive them all (sha256 compared); the
                   laggard must be disconnected by the server.
Exit 0 when the check holds, 1 otherwise. Every wait is bounded.
"""
import hashlib
import os
import select
import socket
import sys
import time

DEADLINE = time.monotonic() + 60


def connect_all(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setblocking(False)
        socks.append(s)
    return socks


def wait_joined(port, socks):
    """The server accepts in its own time: a probe byte from the last
    client must reach the first before the real traffic starts."""
    probe = b"\n"
    last, first = socks[-1], socks[0]
    while True:
        last.send(probe)
        r, _, _ = select.select([first], [], [], 0.2)
        if r:
            break
        if time.monotonic() > DEADLINE:
            sys.exit("broker_peer: clients never joined")
    # Drain the probes from everyone but the sender.
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        r, _, _ = select.select(socks[:-1], [], [], 0.1)
        for s in r:
            s.recv(65536)


def alphabet(i):
    return bytes(range(ord("!") + 26 * i, ord("!") + 26 * i + 26))


def chorus(port, n, size):
    socks = connect_all(port, n)
    wait_joined(port, socks)
    out = []
    for i in range(n):
        a = alphabet(i)
        out.append((a * (size // 26 + 1))[:size])
    sent = [0] * n
    got = [bytearray() for _ in range(n)]
    want = size * (n - 1)
    while any(len(g) < want for g in got):
        if time.monotonic() > DEADLINE:
            sys.exit("broker_peer: timed out: got %s of %d" %
                     ([len(g) for g in got], want))
        # Paced: nobody sends while a receiver is 256 KiB behind, so a
        # slow test machine never makes a reader look like a laggard.
        total = sum(sent)
        behind = any(total - sent[j] - len(got[j]) > 262144
                     for j in range(n))
        wr = [s for i, s in enumerate(socks)
              if sent[i] < size and not behind]
        r, w, _ = select.select(socks, wr, [], 1)
        for s in w:
            i = socks.index(s)
            try:
                sent[i] += s.send(out[i][sent[i]:sent[i] + 32768])
            except BlockingIOError:
                pass
        for s in r:
            i = socks.index(s)
            d = s.recv(1 << 20)
            if not d:
                sys.exit("broker_peer: client %d closed by the server" % i)
            got[i] += d
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a = set(alphabet(j))
            mine = bytes(b for b in got[i] if b in a)
            if mine != out[j]:
                sys.exit("broker_peer: client %d got a wrong stream "
                         "from client %d" % (i, j))
        if len(got[i]) != want:
            sys.exit("broker_peer: client %d got extra bytes" % i)
    print("ok")


def laggard(port, size):
    socks = connect_all(port, 3)
    wait_joined(port, socks)
    lazy, sender, reader = socks
    data = os.urandom(size)
    sent, got = 0, bytearray()
    while len(got) < size:
        if time.monotonic() > DEADLINE:
            sys.exit("broker_peer: timed out at %d of %d" % (len(got), size))
        pace = sent < size and sent - len(got) < 262144
        r, w, _ = select.select([reader], [sender] if pace else [], [], 1)
        if w:
            try:
                sent += sender.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
        if r:
            d = reader.recv(1 << 20)
            if not d:
                sys.exit("broker_peer: the reader was closed")
            got += d
    if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
        sys.exit("broker_peer: the reader got different bytes")
    # The laggard was cut off: after what it may hold, the stream ends.
    lazy.setblocking(True)
    lazy.settimeout(10)
    held = 0
    try:
        while True:
            d = lazy.recv(1 << 20)
            if not d:
                break
            held += len(d)
    except ConnectionResetError:
        pass
    if held >= size:
        sys.exit("broker_peer: the laggard got everything")
    print("ok")


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "chorus":
        chorus(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "laggard":
        laggard(port, int(sys.argv[3]))
    else:
        sys.exit("broker_peer: unknown mode " + mode)


if __name__ == "__main__":
    main()
