#!/usr/bin/env python3
"""activation_peer.py MODE ARGS: the supervisor's side of tests/activation.bats.

  freeports [--udp] N     print N ports free on 127.0.0.1 just now (bound to
                          port 0 and released: a later bind may still clash)
  fdexec N KIND CMD...    open a socket on 127.0.0.1 port 0 on descriptor N
                          and exec CMD with it; KIND: tcp (listening),
                          tcp-unlistened, udp, file (not a socket); the
                          port goes to the file $FDEXEC_PORT_FILE if set
  get PORT [DATA]         TCP client: send DATA, half-close, print all it
                          gets
  ping PORT               UDP client: send "ping", print the answer
  getfrom SRC PORT        get, from source address SRC
  concurrent PORT N       N connections at once, each opened after the
                          previous one's first line came; print those
                          lines, then close them all
  slowfirst SRC PORT      connect from SRC (its program waits on a silent
                          resolver), then from 127.0.0.1: print what the
                          second got while the first had nothing yet, then
                          what the first got in the end
  notify ADDR [--udp] CMD...
                          bind a datagram socket at ADDR ("/path" or
                          "@abstract"), run CMD with NOTIFY_SOCKET=ADDR and
                          print each step: the first message, what a client
                          gets from the server (its port from "listening on"
                          on CMD's stderr), the message after SIGTERM, the
                          exit status
  readyfd N [--udp] CMD...
                          run CMD with a pipe's write end on descriptor N;
                          print what the pipe gives (a newline, then its
                          end) and what a client then gets from the server
Every wait is bounded (10 s); a timeout is an exception, exit 1.
"""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

TIMEOUT = 10


def freeports(args):
    kind = socket.SOCK_STREAM
    if args and args[0] == '--udp':
        kind = socket.SOCK_DGRAM
        args = args[1:]
    socks = []
    for _ in range(int(args[0])):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(('127.0.0.1', 0))
        socks.append(s)
    print(' '.join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def fdexec(args):
    n, kind, cmd = int(args[0]), args[1], args[2:]
    if kind == 'file':
        fd = os.open('/dev/null', os.O_RDONLY)
        port = 0
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == 'udp'
                          else socket.SOCK_STREAM)
        s.bind(('127.0.0.1', 0))
        if kind == 'tcp':
            s.listen(16)
        fd = s.fileno()
        port = s.getsockname()[1]
    if fd != n:
        os.dup2(fd, n)
    os.set_inheritable(n, True)
    if os.environ.get('FDEXEC_PORT_FILE'):
        with open(os.environ['FDEXEC_PORT_FILE'], 'w') as f:
            f.write('%d\n' % port)
    os.execvp(cmd[0], cmd)


def server_port(proc):
    """The port of the "listening on" line on proc's stderr."""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        line = proc.stderr.readline().decode()
        m = re.search(r'listening on .*:(\d+)$', line.strip())
        if m:
            return int(m.group(1))
        if not line:
            break
    raise RuntimeError('no "listening on" line')


def connect(port, src=None):
    """A TCP connection to 127.0.0.1 port, from src if given."""
    c = socket.socket(socket.AF_INET)
    c.settimeout(TIMEOUT * 3)
    if src:
        c.bind((src, 0))
    c.connect(('127.0.0.1', port))
    return c


def readall(c):
    out = b''
    while True:
        b = c.recv(65536)
        if not b:
            return out
        out += b


def talk(port, udp, data=b''):
    """What the server sends a client: a TCP read to the end (after
    sending data and half-closing), or the answer to one datagram."""
    if udp:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(TIMEOUT)
        c.sendto(b'ping', ('127.0.0.1', port))
        return c.recv(65536)
    c = connect(port)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    return readall(c)


def notify(args):
    addr, args = args[0], args[1:]
    udp = args[0] == '--udp'
    cmd = args[1:] if udp else args
    lis = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    lis.bind('\0' + addr[1:] if addr[0] == '@' else addr)
    lis.settimeout(TIMEOUT)
    env = dict(os.environ, NOTIFY_SOCKET=addr)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    try:
        print('first', lis.recv(4096).decode())
        print('client', repr(talk(server_port(proc), udp)))
        proc.send_signal(signal.SIGTERM)
        print('then', lis.recv(4096).decode())
        print('exit', proc.wait(TIMEOUT))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def read_within(fd):
    """os.read, waiting at most TIMEOUT."""
    if not select.select([fd], [], [], TIMEOUT)[0]:
        raise RuntimeError('nothing to read in %d s' % TIMEOUT)
    return os.read(fd, 16)


def readyfd(args):
    n, args = int(args[0]), args[1:]
    udp = args[0] == '--udp'
    cmd = args[1:] if udp else args
    r, w = os.pipe()
    if w != n:
        os.dup2(w, n)
        os.close(w)
    proc = subprocess.Popen(cmd, pass_fds=[n], stderr=subprocess.PIPE)
    os.close(n)
    try:
        print('pipe', repr(read_within(r)))
        print('then', repr(read_within(r)))
        print('client', repr(talk(server_port(proc), udp)))
    finally:
        proc.kill()
        proc.wait()


def get(args):
    out = talk(int(args[0]), False, args[1].encode() if len(args) > 1
               else b'')
    sys.stdout.buffer.write(out)


def getfrom(args):
    sys.stdout.buffer.write(readall(connect(int(args[1]), args[0])))


def concurrent(args):
    port, conns = int(args[0]), []
    for _ in range(int(args[1])):
        c = connect(port)
        print(c.makefile('rb').readline().decode(), end='')
        conns.append(c)
    for c in conns:
        c.close()


def slowfirst(args):
    first = connect(int(args[1]), args[0])
    second = readall(connect(int(args[1])))
    waiting = not select.select([first], [], [], 0)[0]
    print('second', repr(second), 'first still waiting' if waiting
          else 'first done')
    print('first', repr(readall(first)))


def ping(args):
    sys.stdout.buffer.write(talk(int(args[0]), True))


MODES = {'freeports': freeports, 'fdexec': fdexec, 'notify': notify,
         'readyfd': readyfd, 'get': get, 'ping': ping, 'getfrom': getfrom,
         'concurrent': concurrent, 'slowfirst': slowfirst}

if __name__ == '__main__':
    MODES[sys.argv[1]](sys.argv[2:])
