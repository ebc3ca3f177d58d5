#!/usr/bin/env python3
"""proxy_peer.py PROTO LOG [OPTIONS]: a stand-in SOCKS4, SOCKS5 or HTTP
CONNECT proxy for tests. It listens on 127.0.0.1 port 0, prints
"listening on 127.0.0.1:PORT" on stderr and serves every connection (one
thread each) until killed. It never connects anywhere: it records what the
client asked for, one line per request appended to LOG, answers, and then
echoes whatever the client sends, as if the destination were an echo
server.

  PROTO          socks4 (SOCKS4 and 4A), socks5 or http
  LOG lines      socks4: "socks4 ADDR PORT user USERID" or
                         "socks4a NAME PORT user USERID"
                 socks5: "methods M...", "auth USER PASS",
                         "ipv4|ipv6|name HOST PORT"
                 http:   the request header, CR LF as written
  --auth U:P     socks5: require RFC 1929 with this user and password
  --method HEX   socks5: send HEX instead of the method selection
  --authreply HEX  socks5: send HEX instead of the RFC 1929 reply
  --reply HEX    send HEX instead of the successful connect reply
  --after HEX    bytes sent right behind the reply, in the same send()
  HEX "-" is nothing at all.
  --then WHAT    after a --method, --authreply or --reply: close, hold
                 (never send nor close: the default) or drip (one byte
                 "a" every 20 ms, forever); after a success: echo
"""
import argparse
import socket
import sys
import threading
import time


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        d = c.recv(n - len(data))
        if not d:
            raise EOFError
        data += d
    return data


def recv_until(c, end):
    data = b""
    while not data.endswith(end):
        d = c.recv(1)
        if not d:
            raise EOFError
        data += d
    return data


class Peer:
    def __init__(self, opts):
        self.o = opts
        self.lock = threading.Lock()

    def log(self, line):
        with self.lock, open(self.o.log, "ab") as f:
            f.write(line if isinstance(line, bytes) else line.encode())
            f.write(b"\n")

    def hostile(self, c, raw):
        """Send raw instead of a proper answer; then close, hold or drip."""
        c.sendall(b"" if raw == "-" else bytes.fromhex(raw))
        if self.o.then == "close":
            return
        while True:
            if self.o.then == "drip":
                c.sendall(b"a")
                time.sleep(0.02)
            else:
                time.sleep(60)

    def succeed(self, c, reply):
        c.sendall(reply + bytes.fromhex(self.o.after or ""))
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)

    def socks4(self, c):
        head = recv_exact(c, 8)
        port, addr = int.from_bytes(head[2:4], "big"), head[4:]
        user = recv_until(c, b"\0")[:-1].decode("latin-1")
        if addr[:3] == b"\0\0\0" and addr[3] != 0:
            name = recv_until(c, b"\0")[:-1].decode("latin-1")
            self.log("socks4a %s %d user %s" % (name, port, user))
        else:
            self.log("socks4 %s %d user %s" % (socket.inet_ntoa(addr),
                                               port, user))
        if self.o.reply is not None:
            return self.hostile(c, self.o.reply)
        self.succeed(c, bytes([0, 90]) + b"\0" * 6)

    def socks5(self, c):
        ver, n = recv_exact(c, 2)
        methods = recv_exact(c, n)
        self.log("methods " + " ".join(str(m) for m in methods))
        if self.o.method is not None:
            return self.hostile(c, self.o.method)
        want = 2 if self.o.auth else 0
        if want not in methods:
            c.sendall(b"\5\xff")
            return
        c.sendall(bytes([5, want]))
        if want == 2:
            ver, ulen = recv_exact(c, 2)
            user = recv_exact(c, ulen)
            plen = recv_exact(c, 1)[0]
            pw = recv_exact(c, plen)
            self.log(b"auth " + user + b" " + pw)
            if self.o.authreply is not None:
                return self.hostile(c, self.o.authreply)
            ok = (user + b":" + pw).decode("latin-1") == self.o.auth
            c.sendall(b"\1\0" if ok else b"\1\1")
            if not ok:
                return
        ver, cmd, rsv, atyp = recv_exact(c, 4)
        if atyp == 1:
            host, kind = socket.inet_ntoa(recv_exact(c, 4)), "ipv4"
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
            kind = "ipv6"
        else:
            host = recv_exact(c, recv_exact(c, 1)[0]).decode("latin-1")
            kind = "name"
        port = int.from_bytes(recv_exact(c, 2), "big")
        self.log("%s %s %d" % (kind, host, port))
        if self.o.reply is not None:
            return self.hostile(c, self.o.reply)
        self.succeed(c, b"\5\0\0\1\177\0\0\1\4\70")

    def http(self, c):
        self.log(recv_until(c, b"\r\n\r\n"))
        if self.o.reply is not None:
            return self.hostile(c, self.o.reply)
        self.succeed(c, b"HTTP/1.1 200 Connection established\r\n\r\n")

    def serve(self, c):
        try:
            getattr(self, self.o.proto)(c)
        except (EOFError, OSError):
            pass
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("proto", choices=["socks4", "socks5", "http"])
    ap.add_argument("log")
    for opt in ("auth", "method", "authreply", "reply", "after"):
        ap.add_argument("--" + opt)
    ap.add_argument("--then", default="hold",
                    choices=["close", "hold", "drip"])
    peer = Peer(ap.parse_args())
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    sys.stderr.write("listening on 127.0.0.1:%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    while True:
        c, _ = s.accept()
        threading.Thread(target=peer.serve, args=(c,), daemon=True).start()


main()
