#!/usr/bin/env bats
# tcpserve: relay, a program per connection, echo; access lists, limits,
# privilege drop, signals and descriptor exhaustion. The clients are
# Python's socket module.
bats_require_minimum_version 1.5.0
load helpers

teardown() {
	# Bounded: a server that ignores SIGTERM is killed, not waited for.
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait_exit "$SERVER_PID" 5 || true
		SERVER_PID=
	fi
	local pid
	for pid in ${EXTRA_PIDS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# py SCRIPT ARGS...: Python with conn(port[, host[, src]]) and readall(s).
py() {
	python3 -c "import os, socket, sys, time, hashlib, threading, resource
def conn(port, host='127.0.0.1', src=None):
    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    s.settimeout(10)
    if src:
        s.bind((src, 0))
    s.connect((host, int(port)))
    return s
def readall(s):
    out = bytearray()
    for i in range(1 << 20):
        b = s.recv(65536)
        if not b:
            break
        out += b
    return bytes(out)
def closed(s):
    try:
        return s.recv(1) == b''
    except ConnectionResetError:
        return True
def rss_kib(pid):
    for l in open('/proc/%s/status' % pid):
        if l.startswith('VmRSS:'):
            return int(l.split()[1])
$1" "${@:2}"
}

# port_of PID: the TCP port PID listens on, polled for at most 10 s.
port_of() {
	local i p
	for i in $(seq 200); do
		p=$(ss -Hltnp 2>/dev/null | grep "pid=$1," |
			awk '{print $4}' | sed 's/.*://' | head -n 1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}

# cpu_ticks PID: user plus system time of PID, in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

@test "bad input: exit 2, one line, nothing on stdout" {
	for args in '127.0.0.1 99999' '127.0.0.1 80x' '127.0.0.1' '' \
	    '-a 10.0.0.0/33 127.0.0.1 0' '-d bogus 127.0.0.1 0' \
	    '-a 1.2.3.4/ 127.0.0.1 0' '-c 0 127.0.0.1 0' '-c x 127.0.0.1 0' \
	    '-b -1 127.0.0.1 0' '-C 1.5 127.0.0.1 0' '-i soon 127.0.0.1 0' \
	    '-u nosuchuserhere 127.0.0.1 0' '-u root:nosuchgrouphere 127.0.0.1 0' \
	    '-4 ::1 0' '-6 127.0.0.1 0' '-4 -6 127.0.0.1 0' \
	    '--echo 127.0.0.1 0 cat' '-i 5 127.0.0.1 0 cat' '-x 127.0.0.1 0' \
	    '--bogus 127.0.0.1 0' '[::1 0' '-4 :: 0' \
	    '--max-pending 1.5M --echo 127.0.0.1 0' '--max-pending 0 --echo 127.0.0.1 0' \
	    '--max-pending 4X --echo 127.0.0.1 0' '--max-pending M --echo 127.0.0.1 0' \
	    '--max-pending -4k --echo 127.0.0.1 0' '--max-pending 2048G --echo 127.0.0.1 0' \
	    '--max-pending 4M 127.0.0.1 0' '--max-pending 4M 127.0.0.1 0 cat' \
	    '-T 1 127.0.0.1 0' '-T 1 --echo 127.0.0.1 0' '-T -1 127.0.0.1 0 cat' \
	    '-T 1s 127.0.0.1 0 cat'; do
		run -2 --separate-stderr sb tcpserve $args
		assert_usage_error tcpserve
	done
	run -2 --separate-stderr sb tcpserve 127.0.0.1 65536
	[ "$stderr" = "tcpserve: invalid port '65536'" ]
	run -2 --separate-stderr sb tcpserve -a 300.1.1.1 127.0.0.1 0
	[ "$stderr" = "tcpserve: invalid CIDR '300.1.1.1'" ]
	run -2 --separate-stderr sb tcpserve -4 ::1 0
	[ "$stderr" = "tcpserve: '::1' is not an IPv4 address" ]
	run -2 --separate-stderr sb tcpserve --max-pending 10x --echo 127.0.0.1 0
	[ "$stderr" = "tcpserve: invalid size '10x'" ]
	run -2 --separate-stderr sb tcpserve --max-pending 1M 127.0.0.1 0 cat
	[ "$stderr" = "tcpserve: --max-pending is for --echo, --broker and --forward" ]
}

@test "-h prints the usage; port 0 is announced, -q silences it" {
	run -0 sb tcpserve -h
	[[ "$output" == "usage: tcpserve "* ]]
	start_server tcpserve --echo 127.0.0.1 0
	[ "$(cat "$BATS_TEST_TMPDIR/server.err")" = "tcpserve: listening on 127.0.0.1:$PORT" ]
	stop_server
	"$SOCKBOX" tcpserve -q --echo 127.0.0.1 0 2>"$BATS_TEST_TMPDIR/q.err" 3>&- &
	EXTRA_PIDS=$!
	port=$(port_of $EXTRA_PIDS)
	run -0 py 's = conn(sys.argv[1]); s.sendall(b"hi"); print(s.recv(2).decode())' "$port"
	[ "$output" = hi ]
	[ ! -s "$BATS_TEST_TMPDIR/q.err" ]
}

@test "relay: a receiver with empty stdin gets all a piping tcpconnect sends" {
	# 'tcpserve ... >file' in the background of a script: stdin /dev/null,
	# so it half-closes at once; the sender's pipe is often empty.
	start_server tcpserve 127.0.0.1 0
	run -0 bash -c 'python3 -c "
import sys, time
for i in range(30):
    sys.stdout.buffer.write(bytes(range(256)) * 400); sys.stdout.flush(); time.sleep(0.05)
" | "$SOCKBOX" tcpconnect 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	[ "$(wc -c <"$BATS_TEST_TMPDIR/server.out")" -eq 3072000 ]
	[ "$(od -An -tu1 -N4 -j 3071996 "$BATS_TEST_TMPDIR/server.out" | tr -s ' ')" = " 252 253 254 255" ]
}

@test "program mode: the UCSPI environment is exactly ucspi-tcp's tcpserver's" {
	need tcpserver ss
	# TCPCONCURRENCY is BusyBox tcpsvd's, not tcpserver's (tests/ucspi.bats).
	prog=(sh -c 'env | grep -E "^(PROTO|TCP[A-Z]*)=" | grep -vE "^TCP(LOCALHOST|CONCURRENCY)=" | sort')
	client='s = conn(sys.argv[1]); print("CLIENT", s.getsockname()[1]); print(readall(s).decode(), end="")'
	start_server tcpserve 127.0.0.1 0 "${prog[@]}"
	ours=$(py "$client" "$PORT")
	tcpserver -H -R -l 0 127.0.0.1 0 "${prog[@]}" 2>/dev/null 3>&- &
	EXTRA_PIDS=$!
	tport=$(port_of $EXTRA_PIDS)
	theirs=$(py "$client" "$tport")
	# The ports differ; put placeholders where each belongs.
	norm() {
		local cport
		cport=$(echo "$1" | sed -n 's/^CLIENT //p')
		echo "$1" | grep -v '^CLIENT' |
			sed "s/^TCPLOCALPORT=$2\$/TCPLOCALPORT=server/;s/^TCPREMOTEPORT=$cport\$/TCPREMOTEPORT=client/"
	}
	echo "ours: $ours" "theirs: $theirs"
	[ "$(norm "$ours" "$PORT")" = "$(norm "$theirs" "$tport")" ]
	[[ "$(norm "$ours" "$PORT")" == *TCPREMOTEPORT=client* ]]
	[ "$(norm "$ours" "$PORT")" = "$(printf '%s\n' PROTO=TCP TCPLOCALIP=127.0.0.1 \
		TCPLOCALPORT=server TCPREMOTEIP=127.0.0.1 TCPREMOTEPORT=client)" ]
}

@test "program mode over IPv6: ::1 in the environment, -v logs pid and exit" {
	start_server tcpserve -v ::1 0 sh -c 'echo "$TCPLOCALIP $TCPREMOTEIP $PROTO"; exit 3'
	run -0 py 'print(readall(conn(sys.argv[1], "::1")).decode(), end="")' "$PORT"
	[ "$output" = "::1 ::1 TCP" ]
	wait_for grep -q 'closed \[::1\]:[0-9]* pid [0-9]* exit 3$' "$BATS_TEST_TMPDIR/server.err"
	grep -q '^tcpserve: connection from \[::1\]:[0-9]* pid [0-9]*$' "$BATS_TEST_TMPDIR/server.err"
}

@test "program mode: half-close right after sending still gets the whole answer" {
	start_server tcpserve 127.0.0.1 0 sha256sum
	run -0 py '
data = os.urandom(3 << 20)
s = conn(sys.argv[1])
s.sendall(data)
s.shutdown(socket.SHUT_WR)
print(readall(s).decode().split()[0] == hashlib.sha256(data).hexdigest())' "$PORT"
	[ "$output" = True ]
}

@test "program mode: binary data both ways through cat, every byte value" {
	start_server tcpserve 127.0.0.1 0 cat
	run -0 py '
data = bytes(range(256)) * 64 + os.urandom(4 << 20)
s = conn(sys.argv[1])
t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
t.start()
got = readall(s)
t.join()
print(got == data, len(got))' "$PORT"
	[ "$output" = "True $(( 256 * 64 + (4 << 20) ))" ]
}

@test "program mode: -c 1 queues the second client until the first ends" {
	start_server tcpserve -c 1 127.0.0.1 0 cat
	run -0 py '
a = conn(sys.argv[1]); a.sendall(b"a"); assert a.recv(1) == b"a"
b = conn(sys.argv[1]); b.sendall(b"b")
b.settimeout(0.5)
try:
    print("served early", b.recv(1))
except socket.timeout:
    print("waiting")
a.close()
b.settimeout(10)
print(b.recv(1).decode())' "$PORT"
	[ "$output" = "$(printf 'waiting\nb')" ]
}

@test "program mode: 30 clients at once under -c 2 are all served, none refused" {
	start_server tcpserve -c 2 127.0.0.1 0 sh -c 'read line; echo "got $line"'
	run -0 py '
def one(res, i):
    s = conn(sys.argv[1])
    s.sendall(b"%d\n" % i)
    res[i] = readall(s) == b"got %d\n" % i
res = [None] * 30
ts = [threading.Thread(target=one, args=(res, i)) for i in range(30)]
[t.start() for t in ts]
[t.join() for t in ts]
print(res.count(True))' "$PORT"
	[ "$output" = 30 ]
}

@test "program mode: -C 1 closes a second connection from the same address" {
	start_server tcpserve -v -C 1 127.0.0.1 0 cat
	run -0 py '
a = conn(sys.argv[1]); a.sendall(b"a"); assert a.recv(1) == b"a"
b = conn(sys.argv[1])
print(closed(b))
a.close()
for i in range(100):
    c = conn(sys.argv[1]); c.sendall(b"c")
    try:
        if c.recv(1) == b"c":
            print("served"); break
    except ConnectionResetError:
        pass
    time.sleep(0.05)' "$PORT"
	[ "$output" = "$(printf 'True\nserved')" ]
	grep -q '^tcpserve: refused 127.0.0.1:[0-9]*: too many connections$' "$BATS_TEST_TMPDIR/server.err"
}

@test "program mode: -T ends idle programs, so -c 2 cannot be locked by two clients" {
	start_server tcpserve -v -c 2 -T 1 127.0.0.1 0 cat
	run -0 py '
a = conn(sys.argv[1]); a.sendall(b"a"); assert a.recv(1) == b"a"
b = conn(sys.argv[1]); b.sendall(b"b"); assert b.recv(1) == b"b"
c = conn(sys.argv[1]); c.sendall(b"c")
print(c.recv(1).decode(), closed(a), closed(b))' "$PORT"
	[ "$output" = "c True True" ]
	err=$BATS_TEST_TMPDIR/server.err
	[ "$(grep -Ec '^tcpserve: 127.0.0.1:[0-9]+ pid [0-9]+: time limit, SIGTERM$' "$err")" -ge 2 ]
	[ "$(grep -Ec '^tcpserve: closed 127.0.0.1:[0-9]+ pid [0-9]+ signal 15$' "$err")" -ge 2 ]
	! grep -q SIGKILL "$err"
}

@test "program mode: -T sends SIGKILL 5 s after a SIGTERM that was ignored" {
	start_server tcpserve -v -T 0.2 127.0.0.1 0 sh -c 'trap "" TERM; echo up; read x'
	run -0 py '
s = conn(sys.argv[1]); assert s.recv(3) == b"up\n"
s.settimeout(15)
print(closed(s))' "$PORT"
	[ "$output" = True ]
	err=$BATS_TEST_TMPDIR/server.err
	wait_for grep -Eq '^tcpserve: closed 127.0.0.1:[0-9]+ pid [0-9]+ signal 9$' "$err"
	grep -Eq '^tcpserve: 127.0.0.1:[0-9]+ pid [0-9]+: time limit, SIGTERM$' "$err"
	grep -Eq '^tcpserve: 127.0.0.1:[0-9]+ pid [0-9]+: still running, SIGKILL$' "$err"
}

@test "-C counts an IPv6 client by its /64 and an IPv4 one by its address" {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	cat >"$BATS_TEST_TMPDIR/clients.py" <<-'EOF'
	import socket, sys
	def one(src, dst):
	    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
	    s = socket.socket(fam)
	    s.settimeout(10)
	    s.bind((src, 0))
	    s.connect((dst, int(sys.argv[1])))
	    s.sendall(b"x")
	    try:
	        got = s.recv(1)
	    except ConnectionResetError:
	        got = b""
	    return s, "served" if got == b"x" else "closed"
	held = []
	for src, dst in [("fd00::1", "fd00::1"), ("fd00::2", "fd00::1"),
	    ("fd00:0:0:1::1", "fd00::1"), ("127.0.0.1", "127.0.0.1"),
	    ("127.0.0.2", "127.0.0.1"), ("127.0.0.2", "127.0.0.1")]:
	    s, what = one(src, dst)
	    held.append(s)
	    print(src, what)
	EOF
	run -0 unshare -n bash -c '
		set -e
		ip link set lo up
		for a in fd00::1 fd00::2 fd00:0:0:1::1; do
			ip addr add $a/64 dev lo nodad
		done
		"$SOCKBOX" tcpserve -v -C 1 "" 0 cat 2>"$1/server.err" 3>&- &
		pid=$!
		trap "kill $pid; wait $pid || true" EXIT
		for i in $(seq 200); do
			port=$(sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" "$1/server.err")
			[ -n "$port" ] && break
			sleep 0.05
		done
		python3 "$1/clients.py" "$port"' _ "$BATS_TEST_TMPDIR"
	[ "$output" = "$(printf '%s\n' 'fd00::1 served' 'fd00::2 closed' \
		'fd00:0:0:1::1 served' '127.0.0.1 served' '127.0.0.2 served' \
		'127.0.0.2 closed')" ]
	grep -q '^tcpserve: refused \[fd00::2\]:[0-9]*: too many connections$' "$BATS_TEST_TMPDIR/server.err"
}

@test "access lists: -a/-d for IPv4, the most specific wins; no program for the denied" {
	marker=$BATS_TEST_TMPDIR/ran
	start_server tcpserve -v -a 127.0.0.0/8 -d 127.0.0.2 127.0.0.1 0 sh -c "echo ok; touch $marker.\$TCPREMOTEIP"
	run -0 py '
print(readall(conn(sys.argv[1], src="127.0.0.1")).decode().strip())
print(closed(conn(sys.argv[1], src="127.0.0.2")))
print(readall(conn(sys.argv[1], src="127.0.0.3")).decode().strip())' "$PORT"
	[ "$output" = "$(printf 'ok\nTrue\nok')" ]
	[ -e "$marker.127.0.0.1" ] && [ -e "$marker.127.0.0.3" ]
	[ ! -e "$marker.127.0.0.2" ]
	grep -q '^tcpserve: denied 127.0.0.2:[0-9]*$' "$BATS_TEST_TMPDIR/server.err"
}

@test "access lists: IPv6 ::1 denied, allowed, and unmatched under -a" {
	start_server tcpserve -d ::1 ::1 0 echo ok
	run -0 py 'print(closed(conn(sys.argv[1], "::1")))' "$PORT"
	[ "$output" = True ]
	stop_server
	start_server tcpserve -a ::1/128 -d ::/0 ::1 0 echo ok
	run -0 py 'print(readall(conn(sys.argv[1], "::1")).decode().strip())' "$PORT"
	[ "$output" = ok ]
	stop_server
	start_server tcpserve -a 127.0.0.1 --echo ::1 0
	run -0 py 'print(closed(conn(sys.argv[1], "::1")))' "$PORT"
	[ "$output" = True ]
}

@test "-u drops to the user and group before running the program" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	start_server tcpserve -u nobody 127.0.0.1 0 sh -c 'id -u; id -G'
	run -0 py 'print(readall(conn(sys.argv[1])).decode(), end="")' "$PORT"
	[ "$output" = "$(printf '%s\n%s' "$(id -u nobody)" "$(id -g nobody)")" ]
	stop_server
	start_server tcpserve -u nobody:daemon 127.0.0.1 0 id -g
	run -0 py 'print(readall(conn(sys.argv[1])).decode(), end="")' "$PORT"
	[ "$output" = "$(getent group daemon | cut -d: -f3)" ]
}

@test "program mode: children are reaped; a missing program is a warning" {
	start_server tcpserve -c 8 127.0.0.1 0 true
	run -0 py '
for i in range(60):
    readall(conn(sys.argv[1]))' "$PORT"
	no_children() { [ -z "$(ps -o pid= --ppid "$SERVER_PID")" ]; }
	wait_for no_children
	stop_server
	start_server tcpserve 127.0.0.1 0 /nonexistent/prog
	run -0 py '
for i in range(2):
    print(closed(conn(sys.argv[1])))' "$PORT"
	[ "$output" = "$(printf 'True\nTrue')" ]
	kill -0 "$SERVER_PID"
	grep -q '^tcpserve: warning: /nonexistent/prog: No such file or directory$' "$BATS_TEST_TMPDIR/server.err"
}

@test "SIGTERM: exit 0; in program mode the running programs go on" {
	start_server tcpserve 127.0.0.1 0 cat
	py '
s = conn(sys.argv[1]); s.sendall(b"x"); assert s.recv(1) == b"x"
os.kill(int(sys.argv[2]), 15)
for i in range(200):
    try:
        os.kill(int(sys.argv[2]), 0)
        time.sleep(0.05)
    except ProcessLookupError:
        break
s.sendall(b"y"); print(s.recv(1).decode())' "$PORT" "$SERVER_PID" >"$BATS_TEST_TMPDIR/out" &
	client=$!
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	wait "$client"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = y ]
	# SIGINT: tests/spawn.bats (a background job starts with it ignored).
}

@test "echo: binary data in order, many clients at once, half-close" {
	start_server tcpserve --echo 127.0.0.1 0
	run -0 py '
data = bytes(range(256)) * 16 + os.urandom(2 << 20)
def one(res, i):
    s = conn(sys.argv[1])
    t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    t.start()
    res[i] = readall(s) == data
    t.join()
res = [None] * 20
ts = [threading.Thread(target=one, args=(res, i)) for i in range(20)]
[t.start() for t in ts]
[t.join() for t in ts]
print(all(res))' "$PORT"
	[ "$output" = True ]
}

@test "echo: a client that never reads neither bloats the server nor stalls others" {
	start_server tcpserve --echo 127.0.0.1 0
	run -0 --separate-stderr py '
total = 96 << 20
data = os.urandom(1 << 20)
a = conn(sys.argv[1])
a.settimeout(None)
sent = [0]
def push():
    for i in range(total >> 20):
        a.sendall(data)
        sent[0] += len(data)
t = threading.Thread(target=push)
t.start()
last, still = -1, 0
for i in range(200):
    time.sleep(0.05)
    still = still + 1 if sent[0] == last else 0
    last = sent[0]
    if still >= 10:
        break
print("stalled", sent[0] < total)
b = conn(sys.argv[1])
for i in range(100):
    b.sendall(b"ping%d" % i)
    assert b.recv(64) == b"ping%d" % i
print("others served")
rss = rss_kib(sys.argv[2])
print("rss KiB", rss, file=sys.stderr)
print("bounded", rss < 24 * 1024)
got = 0
a.settimeout(10)
h = hashlib.sha256()
while got < total:
    chunk = a.recv(1 << 20)
    assert chunk
    got += len(chunk)
t.join()
print("all back", got == total)' "$PORT" "$SERVER_PID"
	[ "$output" = "$(printf 'stalled True\nothers served\nbounded True\nall back True')" ]
}

@test "echo: a client reset costs only its own connection" {
	resets='
import struct
keep = conn(sys.argv[1])
for i in range(20):
    r = conn(sys.argv[1])
    r.sendall(os.urandom(300000))
    r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    r.close()
keep.sendall(b"still here")
print(keep.recv(64).decode())'
	start_server tcpserve -v --echo 127.0.0.1 0
	run -0 py "$resets" "$PORT"
	[ "$output" = "still here" ]
	kill -0 "$SERVER_PID"
	wait_for grep -Eq '^tcpserve: warning: 127.0.0.1:[0-9]+: (Connection reset by peer|Broken pipe)$' "$BATS_TEST_TMPDIR/server.err"
	# Without -v a client cannot write to the server's log at will.
	stop_server
	start_server tcpserve --echo 127.0.0.1 0
	run -0 py "$resets" "$PORT"
	[ "$output" = "still here" ]
	kill -0 "$SERVER_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/server.err")" = "tcpserve: listening on 127.0.0.1:$PORT" ]
}

@test "echo: -i closes an idle connection, -v logs it" {
	start_server tcpserve -v -i 0.3 --echo 127.0.0.1 0
	run -0 py '
s = conn(sys.argv[1]); s.sendall(b"x"); assert s.recv(1) == b"x"
print(closed(s))' "$PORT"
	[ "$output" = True ]
	grep -q '^tcpserve: closed 127.0.0.1:[0-9]*: idle timeout$' "$BATS_TEST_TMPDIR/server.err"
}

@test "echo: --max-pending bounds 200 clients that never read; a fresh one is served" {
	start_server tcpserve --max-pending 4M --echo 127.0.0.1 0
	run -0 --separate-stderr py '
def hwm():
    for l in open("/proc/%s/status" % sys.argv[2]):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])
base = hwm()
socks = []
for i in range(200):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.setblocking(False)
    socks.append(s)
data = os.urandom(65536)
sent, still = 0, 0
for r in range(2000):
    moved = 0
    for s in socks:
        try:
            moved += s.send(data)
        except BlockingIOError:
            pass
    sent += moved
    still = still + 1 if moved == 0 else 0
    if still >= 20:
        break
    if moved == 0:
        time.sleep(0.05)
grown = hwm() - base
print("sent MiB", sent >> 20, "grown KiB", grown, file=sys.stderr)
# 200 full 128 KiB buffers would be 25 MiB; the budget is 4 MiB.
print("stalled", still >= 20, "bounded", sent > (50 << 20) and grown < 10 * 1024)
f = conn(sys.argv[1])
f.sendall(b"fresh")
print(f.recv(5).decode())' "$PORT" "$SERVER_PID"
	echo "$stderr"
	[ "$output" = "$(printf 'stalled True bounded True\nfresh')" ]
	kill -0 "$SERVER_PID"
}

@test "echo: a client over its share that does not read is closed, then others are served" {
	start_server tcpserve -v --max-pending 64k --echo 127.0.0.1 0
	run -0 --separate-stderr py '
socks = []
for i in range(8):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.setblocking(False)
    socks.append(s)
data = os.urandom(65536)
still = 0
for r in range(2000):
    moved = 0
    for s in socks:
        try:
            moved += s.send(data)
        except (BlockingIOError, ConnectionError):
            pass
    still = still + 1 if moved == 0 else 0
    if still >= 20:
        break
    if moved == 0:
        time.sleep(0.05)
# The budget is taken: a new client is still echoed, without a buffer.
f = conn(sys.argv[1])
f.sendall(b"fresh")
print(f.recv(5).decode())
# Stalled for 10 s with more than a share of 64k among 9: closed.
for i in range(300):
    if "stalled" in open(sys.argv[2]).read():
        break
    time.sleep(0.1)
f.sendall(b"again")
print(f.recv(5).decode())' "$PORT" "$BATS_TEST_TMPDIR/server.err"
	[ "$output" = "$(printf 'fresh\nagain')" ]
	grep -Eq '^tcpserve: closed 127.0.0.1:[0-9]+: stalled$' "$BATS_TEST_TMPDIR/server.err"
}

@test "echo: the default cap keeps clear of the descriptor limit; the rest wait" {
	cat >"$BATS_TEST_TMPDIR/limited" <<-EOF
	#!/bin/sh
	ulimit -n 48 && exec "$SOCKBOX" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/limited"
	SOCKBOX=$BATS_TEST_TMPDIR/limited start_server tcpserve --echo 127.0.0.1 0
	run -0 py '
socks = [conn(sys.argv[1]) for i in range(60)]
for s in socks:
    s.sendall(b"x")
    s.settimeout(0.3)
served = []
for s in socks:
    try:
        if s.recv(1) == b"x":
            served.append(s)
    except socket.timeout:
        pass
print("capped", 20 <= len(served) < 48)
for s in served:
    s.close()
rest = [s for s in socks if s not in served]
for s in rest:
    s.settimeout(10)
print("then served", sum(s.recv(1) == b"x" for s in rest) == len(rest))' "$PORT"
	[ "$output" = "$(printf 'capped True\nthen served True')" ]
	! grep -q 'Too many open files' "$BATS_TEST_TMPDIR/server.err"
}

@test "echo: 10,000 connections at once, every one still echoes" {
	start_server tcpserve --echo 127.0.0.1 0
	run -0 py '
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
n = 10000
socks = [conn(sys.argv[1]) for i in range(n)]
for i, s in enumerate(socks):
    s.sendall(b"%d;" % i)
ok = sum(s.recv(16) == b"%d;" % i for i, s in enumerate(socks))
print(ok, "kib", rss_kib(sys.argv[2]) < 32 * 1024)' "$PORT" "$SERVER_PID"
	[ "$output" = "10000 kib True" ]
}

@test "out of descriptors: no busy loop, and it resumes when some free" {
	cat >"$BATS_TEST_TMPDIR/limited" <<-EOF
	#!/bin/sh
	ulimit -n 24 && exec "$SOCKBOX" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/limited"
	# -c above the limit: the default cap would stop accepting first.
	SOCKBOX=$BATS_TEST_TMPDIR/limited start_server tcpserve -c 1000 --echo 127.0.0.1 0
	run -0 --separate-stderr py '
n = 30
socks = [conn(sys.argv[1]) for i in range(n)]
for s in socks:
    s.sendall(b"x")
    s.setblocking(False)
# Served: echoed; wait until no more answers come for half a second.
served, same = [], 0
for i in range(400):
    before = len(served)
    for s in socks:
        if s in served:
            continue
        try:
            if s.recv(1) == b"x":
                served.append(s)
        except (BlockingIOError, socket.timeout):
            pass
    same = same + 1 if served and len(served) == before else 0
    if same >= 10:
        break
    time.sleep(0.05)
print("starved", 0 < len(served) < n)
stat = "/proc/%s/stat" % sys.argv[2]
ticks = lambda: sum(int(v) for v in open(stat).read().split(")")[1].split()[11:13])
t0, c0 = time.monotonic(), ticks()
time.sleep(1)
t1, c1 = time.monotonic(), ticks()
cpu = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
print("cpu", cpu, file=sys.stderr)
print("idle", cpu < 0.3)
for s in served:
    s.close()
rest = [s for s in socks if s not in served]
ok = 0
for s in rest:
    s.settimeout(10)
    ok += s.recv(1) == b"x"
print("resumed", ok == len(rest))' "$PORT" "$SERVER_PID"
	[ "$output" = "$(printf 'starved True\nidle True\nresumed True')" ]
	[ "$(grep -c 'warning: accept: Too many open files' "$BATS_TEST_TMPDIR/server.err")" -le 2 ]
}

@test "relay: one connection both ways, binary-safe; then it stops listening" {
	head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	SERVER_IN=$BATS_TEST_TMPDIR/in start_server tcpserve 127.0.0.1 0
	run -0 py '
data = bytes(range(256)) * 4096
s = conn(sys.argv[1])
first = s.recv(1)	# the server has accepted and stopped listening
try:
    conn(sys.argv[1])
    print("second accepted")
except ConnectionRefusedError:
    print("second refused")
t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
t.start()
got = first + readall(s)
t.join()
print(hashlib.sha256(got).hexdigest())
open(sys.argv[2], "wb").write(data)' "$PORT" "$BATS_TEST_TMPDIR/sent"
	[ "$output" = "$(printf 'second refused\n%s' "$(sha256sum <"$BATS_TEST_TMPDIR/in" | cut -d' ' -f1)")" ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/server.out"
}

@test "relay: a denied client does not end it; the next allowed one is served" {
	echo hello >"$BATS_TEST_TMPDIR/in"
	SERVER_IN=$BATS_TEST_TMPDIR/in start_server tcpserve -v -d 127.0.0.2 127.0.0.1 0
	run -0 py '
print(closed(conn(sys.argv[1], src="127.0.0.2")))
s = conn(sys.argv[1], src="127.0.0.1")
s.sendall(b"bye\n"); s.shutdown(socket.SHUT_WR)
print(readall(s).decode(), end="")' "$PORT"
	[ "$output" = "$(printf 'True\nhello')" ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = bye ]
	grep -q '^tcpserve: denied 127.0.0.2:[0-9]*$' "$BATS_TEST_TMPDIR/server.err"
}

@test "relay -k: one client after another; a reset costs only that client" {
	start_server tcpserve -k 127.0.0.1 0
	run -0 py '
import struct
a = conn(sys.argv[1])
b = conn(sys.argv[1])
a.sendall(b"first\n"); a.shutdown(socket.SHUT_WR); print(repr(readall(a)))
r = conn(sys.argv[1])
r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
b.sendall(b"second\n"); b.shutdown(socket.SHUT_WR); print(repr(readall(b)))
r.close()
c = conn(sys.argv[1])
c.sendall(b"third\n"); c.shutdown(socket.SHUT_WR); print(repr(readall(c)))' "$PORT"
	[ "$output" = "$(printf "b''\nb''\nb''")" ]
	wait_for grep -qx third "$BATS_TEST_TMPDIR/server.out"
	kill -0 "$SERVER_PID"
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$(printf 'first\nsecond\nthird')" ]
}

@test "relay -i: an idle connection ends it with status 1; SIGTERM mid-relay exits 0" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 5<>"$BATS_TEST_TMPDIR/fifo"
	SERVER_IN=$BATS_TEST_TMPDIR/fifo start_server tcpserve -i 0.3 127.0.0.1 0
	run -0 py 's = conn(sys.argv[1]); print(closed(s))' "$PORT"
	[ "$output" = True ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 1 ]
	SERVER_PID=
	grep -q '^tcpserve: 127.0.0.1:[0-9]*: ' "$BATS_TEST_TMPDIR/server.err"
	SERVER_IN=$BATS_TEST_TMPDIR/fifo start_server tcpserve 127.0.0.1 0
	run -0 py '
s = conn(sys.argv[1]); s.sendall(b"x")
os.kill(int(sys.argv[2]), 15)
print(closed(s))' "$PORT" "$SERVER_PID"
	[ "$output" = True ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	exec 5>&-
}

@test "a wildcard HOST listens dual-stack; -4 and -6 keep to one family" {
	for host in '' '*' '::'; do
		start_server tcpserve --echo "$host" 0
		grep -qx "tcpserve: listening on \[::\]:$PORT" "$BATS_TEST_TMPDIR/server.err"
		for to in 127.0.0.1 ::1; do
			run -0 py 's = conn(sys.argv[1], sys.argv[2]); s.sendall(b"hi"); print(s.recv(2).decode())' "$PORT" "$to"
			[ "$output" = hi ]
		done
		stop_server
	done
	start_server tcpserve -4 --echo '*' 0
	grep -qx "tcpserve: listening on 0.0.0.0:$PORT" "$BATS_TEST_TMPDIR/server.err"
	run -1 py 'conn(sys.argv[1], "::1")' "$PORT"
	stop_server
	start_server tcpserve -6 --echo '' 0
	grep -qx "tcpserve: listening on \[::\]:$PORT" "$BATS_TEST_TMPDIR/server.err"
	run -1 py 'conn(sys.argv[1], "127.0.0.1")' "$PORT"
	run -0 py 's = conn(sys.argv[1], "::1"); s.sendall(b"6"); print(s.recv(1).decode())' "$PORT"
	[ "$output" = 6 ]
}
