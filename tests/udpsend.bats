#!/usr/bin/env bats
# udpsend: operands as one datagram, one datagram per stdin line, -0,
# size limits, -r replies, refused ports, source address, IPv6, -b.
# Receivers are udpserve and Python's socket module.
bats_require_minimum_version 1.5.0
load helpers

teardown() {
	stop_server
	[ -z "${PY_PID:-}" ] || { kill "$PY_PID" 2>/dev/null; wait "$PY_PID" 2>/dev/null; } || true
}

out() {
	cat "$BATS_TEST_TMPDIR/server.out"
}

# A UDP port nothing listens on: one a server had, once it has exited.
closed_port() {
	start_server udpserve 127.0.0.1 0
	stop_server
}

@test "usage errors: one line, exit 2, nothing on stdout" {
	run --separate-stderr sb udpsend
	assert_usage_error udpsend
	run --separate-stderr sb udpsend 127.0.0.1
	assert_usage_error udpsend
	run --separate-stderr sb udpsend 127.0.0.1 http-nope x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: invalid port 'http-nope'" ]
	run --separate-stderr sb udpsend -r -w abc 127.0.0.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: invalid duration 'abc'" ]
	run --separate-stderr sb udpsend -w 1 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -0 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -s nohost 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -p 70000 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -4 ::1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -x 127.0.0.1 9 x
	assert_usage_error udpsend
	run -0 sb udpsend --help
	[[ "$output" == "usage: udpsend "* ]]
}

@test "operands are joined by single spaces into one datagram, no newline" {
	start_server udpserve -v -n 1 127.0.0.1 0
	run -0 sb udpsend 127.0.0.1 "$PORT" hello "big  " world
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(out)" = "hello big   world" ]
	grep -q ' 17 bytes$' "$BATS_TEST_TMPDIR/server.err"
}

@test "each stdin line is one datagram: empty lines too, a last line without newline" {
	start_server udpserve -v -n 4 127.0.0.1 0
	printf 'one\n\nthree 3\nfour' | sb udpsend 127.0.0.1 "$PORT"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(out)" = "$(printf 'one\n\nthree 3\nfour')" ]
	run -0 sed -n 's/.* \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/server.err"
	[ "$output" = "$(printf '3\n0\n7\n4')" ]
}

@test "100,000 lines: as many datagrams, in order, none lost" {
	start_server udpserve -n 100000 127.0.0.1 0
	seq 1000001 1100000 >"$BATS_TEST_TMPDIR/lines"
	run -0 sb udpsend -v 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	[ "$output" = "$(printf 'udpsend: sending to 127.0.0.1:%s\nudpsend: 100000 datagrams sent to 127.0.0.1:%s' "$PORT" "$PORT")" ]
	wait_exit "$SERVER_PID" 30
	[ "$EXIT_STATUS" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/server.out"
}

@test "lines of falling, equal and mixed lengths keep each datagram's size" {
	{ seq 30000 -1 1; seq 1 3000 | sed 's/.*/&\n\nxx/'; } >"$BATS_TEST_TMPDIR/lines"
	n=$(wc -l <"$BATS_TEST_TMPDIR/lines")
	start_server udpserve -v -n "$n" 127.0.0.1 0
	run -0 sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$SERVER_PID" 30
	[ "$EXIT_STATUS" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/server.out"
	awk '{ print length($0) }' "$BATS_TEST_TMPDIR/lines" >"$BATS_TEST_TMPDIR/want"
	sed -n 's/.* \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/server.err" |
		cmp - "$BATS_TEST_TMPDIR/want"
}

@test "a run of equal lines reaches a plain socket as one datagram each" {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr, flush=True)
s.settimeout(10)
got = [s.recv(65536) for _ in range(200)]
print(" ".join(g.decode() for g in got))
' >"$BATS_TEST_TMPDIR/py.out" 2>"$BATS_TEST_TMPDIR/py.err" 3>&- &
	PY_PID=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/py.err"
	port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/py.err")
	seq 100 299 >"$BATS_TEST_TMPDIR/lines"
	run -0 sb udpsend 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$PY_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/py.out")" = "$(seq -s ' ' 100 299)" ]
}

@test "-0: all of stdin is one datagram, binary-safe, up to 65,507 bytes" {
	start_server udpserve -0 -v -n 3 127.0.0.1 0
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' \
		>"$BATS_TEST_TMPDIR/bin"
	head -c 65507 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	run -0 sb udpsend -0 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/bin"
	run -0 sb udpsend -0 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/big"
	run -0 sb udpsend -0 127.0.0.1 "$PORT" </dev/null
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/big" | cmp - "$BATS_TEST_TMPDIR/server.out"
	run -0 sed -n 's/.* \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/server.err"
	[ "$output" = "$(printf '1024\n65507\n0')" ]
}

@test "an oversize datagram is an error naming its size, never truncated" {
	start_server udpserve -v 127.0.0.1 0
	head -c 65508 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -1 --separate-stderr sb udpsend -0 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/big"
	[ "$stderr" = "udpsend: datagram of 65508 bytes is larger than the maximum of 65507" ]
	# A line: the lines before it are sent, the long one is not.
	{ echo first; head -c 100000 /dev/zero; echo; echo after; } >"$BATS_TEST_TMPDIR/lines"
	run -1 --separate-stderr sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	[ "$stderr" = "udpsend: datagram of 100000 bytes is larger than the maximum of 65507" ]
	run -1 --separate-stderr sb udpsend 127.0.0.1 "$PORT" "$(head -c 70000 /dev/zero | tr '\0' a)"
	[ "$stderr" = "udpsend: datagram of 70000 bytes is larger than the maximum of 65507" ]
	# IPv6 carries 20 bytes more.
	head -c 65527 /dev/zero >"$BATS_TEST_TMPDIR/big6"
	run -1 --separate-stderr sb udpsend -0 ::1 "$PORT" <"$BATS_TEST_TMPDIR/big"
	[[ "$stderr" != *"larger than"* ]]
	head -c 65528 /dev/zero >"$BATS_TEST_TMPDIR/big6"
	run -1 --separate-stderr sb udpsend -0 ::1 "$PORT" <"$BATS_TEST_TMPDIR/big6"
	[ "$stderr" = "udpsend: datagram of 65528 bytes is larger than the maximum of 65527" ]
	run -0 sb udpsend 127.0.0.1 "$PORT" end
	wait_for grep -q ' 3 bytes$' "$BATS_TEST_TMPDIR/server.err"
	[ "$(out)" = "$(printf 'first\nend')" ]
}

@test "a refused port: HOST port PORT: Connection refused, exit 1" {
	closed_port
	run -1 --separate-stderr sb udpsend 127.0.0.1 "$PORT" hello
	[ "$stderr" = "udpsend: 127.0.0.1 port $PORT: Connection refused" ]
	[ -z "$output" ]
	run -1 --separate-stderr sb udpsend localhost "$PORT" <<<"$(seq 5000)"
	[ "$stderr" = "udpsend: localhost port $PORT: Connection refused" ]
	run -1 --separate-stderr sb udpsend -r 127.0.0.1 "$PORT" hello
	[ "$stderr" = "udpsend: 127.0.0.1 port $PORT: Connection refused" ]
}

@test "-r: each reply is printed as a line, in order; -0: exactly as received" {
	start_server udpserve -r '>' 127.0.0.1 0
	run -0 sb udpsend -r 127.0.0.1 "$PORT" ping
	[ "$output" = ">ping" ]
	sb udpsend -r 127.0.0.1 "$PORT" <<<"$(printf 'a\nbb\n\nccc')" >"$BATS_TEST_TMPDIR/reply"
	printf '>a\n>bb\n>\n>ccc\n' | cmp - "$BATS_TEST_TMPDIR/reply"
	# A reply that ends with a newline gets no second one.
	printf 'x\n' | sb udpsend -0 -r 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/reply"
	printf '>x\n' | cmp - "$BATS_TEST_TMPDIR/reply"
	stop_server
	start_server udpserve 127.0.0.1 0 sh -c 'cat; echo'
	sb udpsend -r 127.0.0.1 "$PORT" one two >"$BATS_TEST_TMPDIR/reply"
	printf 'one two\n' | cmp - "$BATS_TEST_TMPDIR/reply"
	stop_server
	start_server udpserve --echo 127.0.0.1 0
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' \
		>"$BATS_TEST_TMPDIR/bin"
	sb udpsend -0 -r 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/bin" >"$BATS_TEST_TMPDIR/reply"
	cmp "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/reply"
	printf 'no newline' | sb udpsend -0 -r 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/reply"
	printf 'no newline' | cmp - "$BATS_TEST_TMPDIR/reply"
}

@test "-r -w 0 waits for a reply without a limit" {
	# Later than the default 2 s: a limit would have given up.
	start_server udpserve 127.0.0.1 0 sh -c 'sleep 2.5; cat'
	run -0 --separate-stderr sb udpsend -r -w 0 127.0.0.1 "$PORT" slow
	[ "$output" = slow ]
	[ -z "$stderr" ]
}

@test "-r: a failed write to stdout is udpsend: stdout: reason, exit 1" {
	start_server udpserve --echo 127.0.0.1 0
	run -1 --separate-stderr sh -c '"$SOCKBOX" udpsend -r 127.0.0.1 "$1" hi >/dev/full' _ "$PORT"
	[ -z "$output" ]
	[ "$stderr" = "udpsend: stdout: No space left on device" ]
}

@test "-r without a reply: no reply from ADDR:PORT, exit 1 at the end" {
	start_server udpserve 127.0.0.1 0 sh -c 'read l; [ "$l" = quiet ] || echo "re $l"'
	run -1 --separate-stderr sb udpsend -r -w 0.3 127.0.0.1 "$PORT" <<<"$(printf 'one\nquiet\ntwo')"
	[ "$output" = "$(printf 're one\nre two')" ]
	[ "$stderr" = "udpsend: no reply from 127.0.0.1:$PORT" ]
}

@test "-r ignores datagrams from any other address" {
	python3 -c '
import socket, sys
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.bind(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % a.getsockname()[1], file=sys.stderr, flush=True)
a.settimeout(10)
data, peer = a.recvfrom(100)
b.sendto(b"impostor", peer)
a.sendto(b"genuine " + data, peer)
' 2>"$BATS_TEST_TMPDIR/py.err" 3>&- &
	PY_PID=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/py.err"
	port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/py.err")
	run -0 sb udpsend -r 127.0.0.1 "$port" hi
	[ "$output" = "genuine hi" ]
}

@test "-s ADDR and -p PORT set the source" {
	start_server udpserve 127.0.0.1 0 sh -c 'echo $UDPREMOTEIP $UDPREMOTEPORT'
	run -0 sb udpsend -r -s 127.0.0.7 127.0.0.1 "$PORT" x
	[[ "$output" =~ ^127\.0\.0\.7\ [0-9]+$ ]]
	# A port the kernel just picked, free again.
	src=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -0 sb udpsend -r -s 127.0.0.1 -p "$src" 127.0.0.1 "$PORT" x
	[ "$output" = "127.0.0.1 $src" ]
	run -1 --separate-stderr sb udpsend -s ::1 127.0.0.1 "$PORT" x
	[[ "$stderr" == "udpsend: 127.0.0.1 port $PORT: "* ]]
}

@test "IPv6 on ::1" {
	start_server udpserve -v -n 2 ::1 0
	run -0 sb udpsend ::1 "$PORT" six
	run -0 sb udpsend -6 '[::1]' "$PORT" <<<"seven"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(out)" = "$(printf 'six\nseven')" ]
	grep -q '^udpserve: \[::1\]:[0-9]* 3 bytes$' "$BATS_TEST_TMPDIR/server.err"
}

@test "-b: a broadcast address needs it" {
	start_server udpserve -n 1 '*' 0
	run -1 --separate-stderr sb udpsend 127.255.255.255 "$PORT" x
	[ "$stderr" = "udpsend: 127.255.255.255 port $PORT: connect: Permission denied" ]
	run -0 sb udpsend -b 127.255.255.255 "$PORT" broadcast
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(out)" = broadcast ]
}

@test "-b -r: a reply to a broadcast is taken from whichever address sends it" {
	start_server udpserve --echo '*' 0
	run -0 --separate-stderr sb udpsend -v -b -r 127.255.255.255 "$PORT" anyone
	[ "$output" = anyone ]
	# The server answers from its own address, not the broadcast one.
	[ "${stderr_lines[1]}" = "udpsend: reply from 127.0.0.1:$PORT" ]
	run -0 sb udpsend -b -r 127.255.255.255 "$PORT" <<<"$(printf 'a\nb')"
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "a failed connect(2) says so: no route to the peer" {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	# A namespace with only loopback: 192.0.2.1 has no route at all.
	run -1 --separate-stderr unshare -n bash -c \
		'ip link set lo up; exec "$SOCKBOX" udpsend 192.0.2.1 9 hi' 3>&-
	[ -z "$output" ]
	[ "$stderr" = "udpsend: 192.0.2.1 port 9: connect: $(libc_msg netunreach)" ]
}
