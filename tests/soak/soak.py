#!/usr/bin/env python3
"""soak.py SOCKBOX SECONDS: every server mode at once, under load and faults.

Starts tcpserve (--echo, --broker, a program per connection, --forward when
the binary has it, in front of an echo backend) and udpserve (--echo,
-r PREFIX, a program per datagram, and printing to a pipe nobody reads) on
127.0.0.1, then for SECONDS runs bounded clients against them: checked
streams (sha256 of everything sent against everything received back), and
faults throughout: resets mid-stream, clients that never read, one byte a
second (slowloris), early half-closes, connect-and-vanish, the forwarder's
backend stopped (SIGSTOP) and continued, and descriptor exhaustion (the
servers' RLIMIT_NOFILE lowered for a few seconds).

Every few seconds it samples each server's RSS, open descriptors and CPU
time and prints the series as a table. It fails (exit 1) if a checked
stream was wrong or never completed, a server died or stopped answering,
or after the warm-up RSS or descriptors grew beyond a small bound (RSS
is not checked when SOAK_SANITIZED is set: ASan keeps freed memory in
quarantine). Talks to 127.0.0.1 only.
"""
import hashlib
import os
import random
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

SAMPLE_S = 5
RSS_SLACK_KB = 4096		# growth allowed after the warm-up
FD_SLACK = 0			# descriptors must come back to the idle count
CLIENT_TIMEOUT = 60		# a checked stream may wait out every fault


class Server:
    def __init__(self, name, argv, stdout=subprocess.DEVNULL, udp=False):
        self.name, self.udp = name, udp
        self.err = open(os.path.join(TMP, name + ".err"), "w+b")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=stdout, stderr=self.err)
        self.port = self.announced()
        self.samples = []

    def announced(self):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            self.err.seek(0)
            for line in self.err.read().decode(errors="replace").splitlines():
                if "listening on " in line:
                    return int(line.rsplit(":", 1)[1])
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        sys.exit("soak: %s did not start" % self.name)

    def sample(self, t):
        pid = self.proc.pid
        try:
            with open("/proc/%d/status" % pid) as f:
                rss = next(int(l.split()[1]) for l in f
                           if l.startswith("VmRSS:"))
            fds = len(os.listdir("/proc/%d/fd" % pid))
            socks = sockets(pid)
            with open("/proc/%d/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, StopIteration):
            rss, fds, cpu, socks = -1, -1, -1.0, -1
        self.samples.append((t, rss, fds, cpu, socks))


def sockets(pid):
    """pid's open sockets: what a leaked connection would hold. (Pipes
    come and go with the forwarder's pool, at most POOL_FDS of them.)"""
    n = 0
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith(
                "socket:")
        except OSError:
            pass
    return n


POOL_FDS = 64			# tcpserve_forward.c's 32 pooled pipes


STATS = {}
STATS_LOCK = threading.Lock()
FAILURES = []


def count(what, ok=True, why=None):
    with STATS_LOCK:
        key = what + (" ok" if ok else " FAILED")
        STATS[key] = STATS.get(key, 0) + 1
        if not ok and len(FAILURES) < 20:
            FAILURES.append("%s: %s" % (what, why))


def tcp(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT)
    s.settimeout(CLIENT_TIMEOUT)
    return s


def echo_stream(port, what, size):
    """Send size random bytes, half-close, read them all back, compare."""
    data = random.randbytes(size)
    try:
        s = tcp(port)
        got = bytearray()
        sent = 0
        s.setblocking(False)
        end = time.monotonic() + CLIENT_TIMEOUT
        while True:
            if time.monotonic() > end:
                raise TimeoutError("%d of %d back" % (len(got), size))
            w = [s] if sent < size else []
            r, w, _ = select.select([s], w, [], 1)
            if w:
                try:
                    sent += s.send(data[sent:sent + 65536])
                except BlockingIOError:
                    pass
                if sent == size:
                    s.shutdown(socket.SHUT_WR)
            if r:
                d = s.recv(1 << 18)
                if not d:
                    break
                got += d
        s.close()
        if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
            raise ValueError("%d bytes back, different" % len(got))
        count(what)
    except (OSError, ValueError) as e:
        count(what, False, repr(e))


def broker_stream(port, size):
    """Two clients: what one sends, the other receives intact."""
    data = random.randbytes(size)
    try:
        a, b = tcp(port), tcp(port)
        # Both joined: a probe from a reaches b.
        b.settimeout(0.2)
        for _ in range(100):
            a.sendall(b"\0")
            try:
                if b.recv(1):
                    break
            except socket.timeout:
                pass
        # Drain the other probes; the payload starts with a marker.
        b.settimeout(CLIENT_TIMEOUT)
        a.sendall(b"\1" + data)
        got = bytearray()
        while True:
            d = b.recv(1 << 18)
            if not d:
                raise ValueError("closed after %d" % len(got))
            got += d
            i = got.find(b"\1")
            if i >= 0 and len(got) - i - 1 >= size:
                break
        got = got[got.find(b"\1") + 1:]
        a.close()
        b.close()
        if bytes(got[:size]) != data:
            raise ValueError("different bytes")
        count("broker")
    except (OSError, ValueError) as e:
        count("broker", False, repr(e))


def udp_round(port, prefix, what):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    payload = random.randbytes(random.randint(1, 1200))
    try:
        for _ in range(5):	# UDP: a loss is retried, not a failure
            s.sendto(payload, ("127.0.0.1", port))
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            if d != prefix + payload:
                raise ValueError("wrong reply")
            count(what)
            return
        raise TimeoutError("no reply in 5 tries")
    except (OSError, ValueError) as e:
        count(what, False, repr(e))
    finally:
        s.close()


# ---- faults: each is bounded, and its failures are not failures ----

def fault_reset(port, payload=100000):
    try:
        s = tcp(port)
        s.sendall(random.randbytes(payload))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\1\0\0\0\0\0\0\0")
        s.close()
    except OSError:
        pass
    count("fault reset")


def fault_noread(port, send=True):
    try:
        s = tcp(port)
        s.setblocking(False)
        end = time.monotonic() + 5
        while time.monotonic() < end and not STOP.is_set():
            try:
                if not send:
                    raise BlockingIOError
                s.send(random.randbytes(65536))
            except BlockingIOError:
                time.sleep(0.2)
        s.close()
    except OSError:
        pass
    count("fault no-read")


def fault_slowloris(port):
    try:
        s = tcp(port)
        for _ in range(10):
            if STOP.is_set():
                break
            s.send(b"x")
            time.sleep(1)
        s.close()
    except OSError:
        pass
    count("fault slowloris")


def fault_halfclose(port):
    try:
        s = tcp(port)
        s.shutdown(socket.SHUT_WR)
        s.recv(100)
        s.close()
    except OSError:
        pass
    count("fault half-close")


def fault_vanish(port):
    try:
        tcp(port).close()
    except OSError:
        pass
    count("fault vanish")


def udp_spray(port):
    """Datagrams for a server that cannot print them: it must not grow."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x" * 500, ("127.0.0.1", port))
    except OSError:
        pass
    s.close()
    time.sleep(0.001)


def worker(fn, *args):
    # Paced: a loop as fast as it can go would fill loopback's port space
    # with TIME_WAIT within seconds, and then every test on the machine
    # would fail to connect, not just these.
    pause = 0.2 if fn.__name__.startswith("fault") else 0.01
    while not STOP.wait(pause):
        fn(*args)


def fd_exhaustion(servers):
    """Now and then, each TCP server may open only a few more files."""
    while not STOP.wait(random.uniform(15, 25)):
        for sv in servers:
            if sv.udp:
                continue
            try:
                soft, hard = resource.prlimit(sv.proc.pid,
                                              resource.RLIMIT_NOFILE)
                n = len(os.listdir("/proc/%d/fd" % sv.proc.pid))
                resource.prlimit(sv.proc.pid, resource.RLIMIT_NOFILE,
                                 (n + 2, hard))
                sv.lowered = (soft, hard)
            except OSError:
                pass
        STOP.wait(3)
        for sv in servers:
            if getattr(sv, "lowered", None):
                try:
                    resource.prlimit(sv.proc.pid, resource.RLIMIT_NOFILE,
                                     sv.lowered)
                except OSError:
                    pass
                sv.lowered = None
        count("fault fd exhaustion")


def backend_pauses(pid):
    while not STOP.wait(random.uniform(8, 12)):
        os.kill(pid, signal.SIGSTOP)
        STOP.wait(2)
        os.kill(pid, signal.SIGCONT)
        count("fault backend stopped")


def has_forward(sockbox):
    r = subprocess.run([sockbox, "tcpserve", "-h"], capture_output=True,
                       text=True)
    return "--forward" in r.stdout + r.stderr


def table(servers):
    print("%-10s %7s" % ("server", "t(s)") +
          "  %10s %5s %8s" % ("RSS(KiB)", "fds", "CPU(s)"))
    for sv in servers:
        for t, rss, fds, cpu, _ in sv.samples:
            print("%-10s %7.0f  %10d %5d %8.2f" % (sv.name, t, rss, fds, cpu))


def main():
    global TMP, STOP
    sockbox, seconds = sys.argv[1], float(sys.argv[2])
    TMP = os.environ.get("SOAK_TMP", "/tmp")
    STOP = threading.Event()
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    tcpserve = [sockbox, "tcpserve", "-i", "30"]
    udpserve = [sockbox, "udpserve", "--reply-rate", "0"]
    # The print-mode server's stdout: a pipe nobody reads.
    rfd, wfd = os.pipe()
    servers = [
        Server("echo", tcpserve + ["--max-pending", "8M", "--echo",
                                   "127.0.0.1", "0"]),
        Server("broker", tcpserve + ["--broker", "127.0.0.1", "0"]),
        Server("prog", [sockbox, "tcpserve", "-c", "30", "-T", "60",
                        "127.0.0.1", "0", "cat"]),
        Server("udp-echo", udpserve + ["--echo", "127.0.0.1", "0"], udp=True),
        Server("udp-pfx", udpserve + ["-r", "re:", "127.0.0.1", "0"],
               udp=True),
        Server("udp-prog", udpserve + ["127.0.0.1", "0", "cat"], udp=True),
        Server("udp-print", [sockbox, "udpserve", "127.0.0.1", "0"],
               stdout=wfd, udp=True),
    ]
    os.close(wfd)
    byname = {sv.name: sv for sv in servers}
    jobs = []
    if has_forward(sockbox):
        backend = Server("backend", tcpserve + ["--echo", "127.0.0.1", "0"])
        servers.append(backend)
        servers.append(Server("forward", tcpserve + [
            "-w", "30", "--forward", "127.0.0.1:%d" % backend.port,
            "127.0.0.1", "0"]))
        byname = {sv.name: sv for sv in servers}
        jobs.append((backend_pauses, backend.proc.pid))
    streams = ["echo", "prog"] + (["forward"] if "forward" in byname else [])
    for name in streams:
        port = byname[name].port
        for size in (1000, 200000, 3000000):
            jobs.append((worker, echo_stream, port, name, size))
        for f in (fault_reset, fault_noread, fault_slowloris,
                  fault_halfclose, fault_vanish):
            jobs.append((worker, f, port))
    bport = byname["broker"].port
    # One checked stream: every other broker client sends nothing, or
    # the stream would carry its bytes too.
    jobs.append((worker, broker_stream, bport, 100000))
    jobs.append((worker, fault_noread, bport, False))
    jobs.append((worker, fault_reset, bport, 0))
    jobs.append((worker, fault_vanish, bport))
    jobs.append((worker, udp_round, byname["udp-echo"].port, b"", "udp-echo"))
    jobs.append((worker, udp_round, byname["udp-pfx"].port, b"re:",
                 "udp-pfx"))
    jobs.append((worker, udp_round, byname["udp-prog"].port, b"",
                 "udp-prog"))
    jobs.append((worker, udp_spray, byname["udp-print"].port))
    jobs.append((fd_exhaustion, servers))
    threads = [threading.Thread(target=j[0], args=j[1:], daemon=True)
               for j in jobs]
    start = time.monotonic()
    for sv in servers:
        sv.sample(0)
    for t in threads:
        t.start()
    while time.monotonic() - start < seconds:
        time.sleep(min(SAMPLE_S, max(0.1, seconds -
                                     (time.monotonic() - start))))
        for sv in servers:
            sv.sample(time.monotonic() - start)
    STOP.set()
    for t in threads:
        t.join(CLIENT_TIMEOUT + 10)
    stuck = [t for t in threads if t.is_alive()]
    # Idle again: every server must come back to its idle descriptors.
    settle = time.monotonic() + 20
    while time.monotonic() < settle:
        if all(sockets(sv.proc.pid) <= sv.samples[0][4] + FD_SLACK
               for sv in servers
               if sv.proc.poll() is None and sv.name != "udp-prog"):
            break
        time.sleep(0.2)
    for sv in servers:
        sv.sample(time.monotonic() - start)
    # Still answering, after all of it.
    final = dict(STATS)
    for name in streams:
        echo_stream(byname[name].port, name + " after", 100000)
    broker_stream(bport, 10000)
    udp_round(byname["udp-echo"].port, b"", "udp-echo after")
    table(servers)
    print()
    for k in sorted(STATS):
        print("%-28s %d" % (k, STATS[k]))
    bad = list(FAILURES)
    if stuck:
        bad.append("%d client threads never finished" % len(stuck))
    for sv in servers:
        if sv.proc.poll() is not None:
            bad.append("%s exited with %s" % (sv.name, sv.proc.returncode))
            continue
        # After the warm-up (the first quarter), no growth beyond the slack.
        # A sanitizer's quarantine holds freed memory on purpose.
        warm = [s for s in sv.samples if s[0] >= seconds / 4 and s[1] > 0
                and not os.environ.get("SOAK_SANITIZED")]
        if warm:
            base = max(s[1] for s in sv.samples if s[0] <= seconds / 4)
            peak = max(s[1] for s in warm)
            if peak > base + RSS_SLACK_KB and peak > base * 1.5:
                bad.append("%s RSS grew from %d to %d KiB" %
                           (sv.name, base, peak))
        if sv.samples[-1][2] > sv.samples[0][2] + POOL_FDS:
            bad.append("%s holds %d descriptors idle, %d at the start" %
                       (sv.name, sv.samples[-1][2], sv.samples[0][2]))
        if sv.name != "udp-prog" and sv.samples[-1][4] > \
                sv.samples[0][4] + FD_SLACK:
            bad.append("%s holds %d sockets idle, %d at the start" %
                       (sv.name, sv.samples[-1][4], sv.samples[0][4]))
    for k in STATS:
        if k.endswith(" ok") and not k.startswith("fault") and \
                STATS[k] == 0:
            bad.append("no %s stream completed" % k)
    del final
    for sv in servers:
        sv.proc.terminate()
    for sv in servers:
        try:
            sv.proc.wait(10)
        except subprocess.TimeoutExpired:
            sv.proc.kill()
            sv.proc.wait()
        if sv.proc.returncode != 0:
            bad.append("%s: SIGTERM gave status %s" %
                       (sv.name, sv.proc.returncode))
    os.close(rfd)
    if bad:
        print()
        for b in bad:
            print("soak: FAILED: " + b)
        sys.exit(1)
    print("\nsoak: ok")


if __name__ == "__main__":
    main()
