#!/usr/bin/env python3
"""Read socket options back from a real socket, for tests/sockopt.bats.

  sockopt_peer.py fd OUT          the socket on fd 0 (a PROG's connection)
  sockopt_peer.py pid PID OUT     every socket of process PID, taken with
                                  pidfd_getfd(2), once one is connected
                                  (TCP) or bound (UDP); waits up to 10 s
  sockopt_peer.py udprecv OUT     receive one datagram on 127.0.0.1 port 0
                                  ("listening on" on stderr); OUT gets
                                  "ttl=N tos=N PAYLOAD" as it arrived

One line per socket is written to OUT (through a rename, so that a reader
never sees half of it): "listen=0|1 key=value ...". Options a socket type
does not have are left out.
"""
import ctypes
import os
import socket
import struct
import sys
import time

SO_DOMAIN, SO_PROTOCOL, SO_MARK = 39, 38, 36
TCP_USER_TIMEOUT = 18
IP_RECVTTL = 12  # not in every Python's socket module
SYS_pidfd_getfd = 438  # the same on every architecture


def opt(s, level, name, size=0):
    try:
        return s.getsockopt(level, name, size) if size else \
            s.getsockopt(level, name)
    except OSError:
        return None


def report(s):
    """'key=value ...' for socket s."""
    S = socket
    kv = {
        "listen": opt(s, S.SOL_SOCKET, S.SO_ACCEPTCONN),
        "type": {S.SOCK_STREAM: "stream", S.SOCK_DGRAM: "dgram"}.get(
            opt(s, S.SOL_SOCKET, S.SO_TYPE), "other"),
        "family": {S.AF_INET: "inet", S.AF_INET6: "inet6"}.get(
            opt(s, S.SOL_SOCKET, SO_DOMAIN), "other"),
        "protocol": opt(s, S.SOL_SOCKET, SO_PROTOCOL),
        "rcvbuf": opt(s, S.SOL_SOCKET, S.SO_RCVBUF),
        "sndbuf": opt(s, S.SOL_SOCKET, S.SO_SNDBUF),
        "reuseport": opt(s, S.SOL_SOCKET, S.SO_REUSEPORT),
        "mark": opt(s, S.SOL_SOCKET, SO_MARK),
        "keepalive": opt(s, S.SOL_SOCKET, S.SO_KEEPALIVE),
        "tos": opt(s, S.IPPROTO_IP, S.IP_TOS),
        "ttl": opt(s, S.IPPROTO_IP, S.IP_TTL),
    }
    dev = opt(s, S.SOL_SOCKET, S.SO_BINDTODEVICE, 16)
    kv["device"] = dev.split(b"\0")[0].decode() if dev else "-"
    lg = opt(s, S.SOL_SOCKET, S.SO_LINGER, 8)
    if lg:
        on, secs = struct.unpack("ii", lg)
        kv["linger"] = "%d:%d" % (on, secs) if on else "off"
    if kv["family"] == "inet6":
        kv["tclass"] = opt(s, S.IPPROTO_IPV6, S.IPV6_TCLASS)
        kv["hops"] = opt(s, S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS)
    if kv["type"] == "stream":
        kv["nodelay"] = opt(s, S.IPPROTO_TCP, S.TCP_NODELAY)
        kv["keepidle"] = opt(s, S.IPPROTO_TCP, S.TCP_KEEPIDLE)
        kv["keepintvl"] = opt(s, S.IPPROTO_TCP, S.TCP_KEEPINTVL)
        kv["keepcnt"] = opt(s, S.IPPROTO_TCP, S.TCP_KEEPCNT)
        kv["user_timeout"] = opt(s, S.IPPROTO_TCP, TCP_USER_TIMEOUT)
    return " ".join("%s=%s" % (k, v) for k, v in kv.items() if v is not None)


def write_out(path, lines):
    with open(path + ".tmp", "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.rename(path + ".tmp", path)


def sockets_of(pid):
    """The sockets of pid, as socket objects of our own (duplicates)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    socks = []
    try:
        for name in sorted(os.listdir("/proc/%d/fd" % pid), key=int):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, name))
            except OSError:
                continue
            if not link.startswith("socket:"):
                continue
            fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
            if fd >= 0:
                socks.append(socket.socket(fileno=fd))
    finally:
        os.close(pidfd)
    return socks


def ready(s):
    """A TCP socket listening or connected, or a UDP one bound."""
    if opt(s, socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        return False
    try:
        if s.type == socket.SOCK_STREAM:
            s.getpeername()
        return s.getsockname()[1] != 0
    except OSError:
        return False


def udprecv(path):
    S = socket
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    s.setsockopt(S.IPPROTO_IP, IP_RECVTTL, 1)
    s.setsockopt(S.IPPROTO_IP, S.IP_RECVTOS, 1)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr,
          flush=True)
    data, anc, _, _ = s.recvmsg(65536, 256)
    got = {}
    for level, kind, val in anc:
        if level == S.IPPROTO_IP and kind == S.IP_TTL:
            got["ttl"] = struct.unpack("i", val[:4])[0]
        elif level == S.IPPROTO_IP and kind == S.IP_TOS:
            got["tos"] = val[0]
    write_out(path, ["ttl=%s tos=%s %s" % (got.get("ttl"), got.get("tos"),
                                          data.decode(errors="replace"))])


def main():
    mode = sys.argv[1]
    if mode == "udprecv":
        udprecv(sys.argv[2])
        return 0
    if mode == "fd":
        s = socket.socket(fileno=os.dup(0))
        write_out(sys.argv[2], [report(s)])
        return 0
    pid = int(sys.argv[2])
    deadline = time.monotonic() + 10
    while True:
        socks = sockets_of(pid)
        if any(ready(s) for s in socks) or time.monotonic() > deadline:
            break
        for s in socks:
            s.close()
        time.sleep(0.05)
    write_out(sys.argv[3], [report(s) for s in socks])
    return 0 if socks else 1


if __name__ == "__main__":
    sys.exit(main())
