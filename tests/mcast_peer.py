#!/usr/bin/env python3
"""Multicast and broadcast peers for tests/multicast.bats.

recv GROUP PORT [IFACE]: join GROUP (on IFACE) on PORT (0: any; the port is
  announced as "listening on ADDR:PORT" on stderr), take one datagram and
  print "TTL PAYLOAD" (IPv4 TTL or IPv6 hop limit of what arrived).
respond GROUP|- PORT ADDR NAME: take datagrams on PORT (SO_REUSEADDR, so
  that several responders share it), joining GROUP unless "-", and answer
  each from a socket of ADDR's own with "NAME:PAYLOAD" (no newline) to the
  sender. Exits after 10 s.
"""
import socket
import struct
import sys

IP_RECVTTL = 12
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(group, port, iface=None):
    fam = socket.AF_INET if group == "-" else family_of(group)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    index = socket.if_nametoindex(iface) if iface else 0
    if group == "-":
        pass
    elif fam == socket.AF_INET:
        mreq = struct.pack("4s4si", socket.inet_aton(group),
                           socket.inet_aton("0.0.0.0"), index)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    else:
        mreq = socket.inet_pton(fam, group) + struct.pack("I", index)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    return s


def announce(s):
    addr = s.getsockname()
    print("listening on %s:%d" % (addr[0], addr[1]), file=sys.stderr,
          flush=True)


def recv(group, port, iface=None):
    s = listener(group, int(port), iface)
    if s.family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    announce(s)
    s.settimeout(10)
    data, anc, _, _ = s.recvmsg(65536, 256)
    ttl = None
    for level, kind, value in anc:
        if (level, kind) in ((socket.IPPROTO_IP, 2),
                             (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
            ttl = struct.unpack("i", value[:4])[0]
    print(ttl, data.decode(), flush=True)


def respond(group, port, addr, name):
    s = listener(group, int(port))
    out = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    out.bind((addr, 0))
    announce(s)
    s.settimeout(10)
    try:
        while True:
            data, peer = s.recvfrom(65536)
            out.sendto(name.encode() + b":" + data, peer[:2])
    except socket.timeout:
        pass


if __name__ == "__main__":
    {"recv": recv, "respond": respond}[sys.argv[1]](*sys.argv[2:])
