#!/usr/bin/env bats
# tcpserve --broker: every client hears every other one, in order per
# sender; one that stops reading is cut off, never the others.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	stop_server
}

@test "broker: three clients each receive the other two's streams, in order" {
	start_server tcpserve --broker 127.0.0.1 0
	run -0 python3 "$BATS_TEST_DIRNAME/broker_peer.py" "$PORT" chorus 3 3000000
	[ "$output" = ok ]
}

@test "broker: a client that never reads is disconnected; the others get every byte" {
	start_server tcpserve -v --broker 127.0.0.1 0
	run -0 python3 "$BATS_TEST_DIRNAME/broker_peer.py" "$PORT" laggard 20000000
	[ "$output" = ok ]
	grep -q 'closed 127.0.0.1:[0-9]*: not reading$' "$BATS_TEST_TMPDIR/server.err"
	# The server goes on: a new pair of clients still works.
	run -0 python3 "$BATS_TEST_DIRNAME/broker_peer.py" "$PORT" chorus 2 100000
}

@test "broker: a client's end closes its connection; the others go on" {
	start_server tcpserve -v --broker 127.0.0.1 0
	run -0 python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
b = socket.create_connection(("127.0.0.1", port), timeout=10)
c = socket.create_connection(("127.0.0.1", port), timeout=10)
# All accepted: a probe from c reaches a and b.
for s in (a, b):
    s.settimeout(0.2)
for _ in range(50):
    c.send(b"?")
    try:
        if a.recv(100) and b.recv(100):
            break
    except socket.timeout:
        pass
for s in (a, b):
    s.settimeout(10)
a.shutdown(socket.SHUT_WR)
assert a.recv(100) in (b"", b"?"), "still open"
c.sendall(b"after\n")
got = b""
while not got.endswith(b"after\n"):
    d = b.recv(100)
    assert d, "connection ended"
    got += d
print("ok")
PY
	[ "$output" = ok ]
	wait_for grep -q '^tcpserve: closed 127.0.0.1:[0-9]*$' "$BATS_TEST_TMPDIR/server.err"
}

@test "broker: -i closes an idle client" {
	start_server tcpserve -v -i 0.3 --broker 127.0.0.1 0
	run -0 python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
a.settimeout(10)
assert a.recv(10) == b"", "idle client not closed"
print("ok")
PY
	grep -q 'closed 127.0.0.1:[0-9]*: idle timeout$' "$BATS_TEST_TMPDIR/server.err"
}

@test "broker: -a/-d turn clients away; bad combinations are usage errors" {
	start_server tcpserve -v -d 127.0.0.0/8 --broker 127.0.0.1 0
	run -0 python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
assert s.recv(10) == b""
print("ok")
PY
	wait_for grep -q 'denied 127.0.0.1' "$BATS_TEST_TMPDIR/server.err"
	run -2 --separate-stderr sb tcpserve --broker 127.0.0.1 0 cat
	[ "$stderr" = "tcpserve: --broker and PROG exclude each other" ]
	[ -z "$output" ]
	run -2 --separate-stderr sb tcpserve --broker --echo 127.0.0.1 0
	[ "$stderr" = "tcpserve: --echo and --broker exclude each other" ]
	run -2 --separate-stderr sb tcpserve --broker -t 1 127.0.0.1 0
	[ "$stderr" = "tcpserve: -t is for relay mode only" ]
}

@test "broker: -B greets each client before anything the others send" {
	start_server tcpserve -B 'welcome
' --broker 127.0.0.1 0
	run -0 python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
assert a.recv(8) == b"welcome\n"
b = socket.create_connection(("127.0.0.1", port), timeout=10)
assert b.recv(8) == b"welcome\n"
b.sendall(b"from b\n")
got = b""
while not got.endswith(b"from b\n"):
    d = a.recv(100)
    assert d, "closed"
    got += d
print("ok")
PY
	[ "$output" = ok ]
}

@test "broker --proxy-protocol: clients join once their header is in; the bytes after it are broadcast" {
	start_server tcpserve -v --proxy-protocol --broker 127.0.0.1 0
	run -0 python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
a.sendall(b"PROXY TCP4 127.0.0.9 127.0.0.1 4444 80\r\n")
b = socket.create_connection(("127.0.0.1", port), timeout=10)
# b's header and its first bytes in one write: none may be lost.
b.sendall(b"PROXY TCP4 127.0.0.8 127.0.0.1 5555 80\r\nhello from b\n")
got = b""
while not got.endswith(b"hello from b\n"):
    d = a.recv(100)
    assert d, "closed"
    got += d
assert got == b"hello from b\n", got
print("ok")
PY
	[ "$output" = ok ]
	grep -q '^tcpserve: connection from 127.0.0.9:4444$' "$BATS_TEST_TMPDIR/server.err"
	grep -q '^tcpserve: connection from 127.0.0.8:5555$' "$BATS_TEST_TMPDIR/server.err"
}
