#!/usr/bin/env python3
"""slowdns: a DNS server for benchmarks that answers every query late.

usage: slowdns.py [--addr ADDR] [--port PORT] [--delay SECONDS] [--barrier N]

Every A query is answered with 192.0.2.1 and every other type with an
empty NOERROR answer, each after --delay seconds (default 0.05), however
many queries are waiting: one event loop, a timer per query. With
--barrier N, no answer at all until queries for N different names have
arrived: a client that asks one name at a time never gets one, so a test
can see concurrency without timing anything. Only for tests, inside a
network namespace of their own (tests/dns.bash).
"""
import argparse
import asyncio
import struct

A, IN = 1, 1


def answer(query):
    """The name asked and the reply, or None for what we cannot read."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += 1 + query[end]
    end += 5  # the root label, QTYPE and QCLASS
    if end > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[end - 4:end])
    qname = query[12:end - 4].lower()
    # QR, AA, RA, and the client's opcode and RD bits.
    rflags = 0x8000 | 0x0400 | 0x0080 | (flags & 0x7900)
    records = b""
    if qtype == A and qclass == IN:
        records = struct.pack("!HHHIH4B", 0xC00C, A, IN, 60, 4, 192, 0, 2, 1)
    header = struct.pack("!HHHHHH", qid, rflags, 1, 1 if records else 0, 0, 0)
    return qname, header + query[12:end] + records


class Server(asyncio.DatagramProtocol):
    def __init__(self, delay, barrier):
        self.delay = delay
        self.barrier = barrier
        self.names = set()
        self.held = []
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def send_later(self, reply, addr):
        asyncio.get_running_loop().call_later(
            self.delay, self.transport.sendto, reply, addr)

    def datagram_received(self, data, addr):
        found = answer(data)
        if found is None:
            return
        qname, reply = found
        if len(self.names) >= self.barrier:
            self.send_later(reply, addr)
            return
        self.names.add(qname)
        self.held.append((reply, addr))
        if len(self.names) >= self.barrier:
            for reply, addr in self.held:
                self.send_later(reply, addr)
            self.held = []


async def main():
    ap = argparse.ArgumentParser(description="a DNS server that answers late")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--barrier", type=int, default=0)
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Server(args.delay, args.barrier),
                                        local_addr=(args.addr, args.port))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
