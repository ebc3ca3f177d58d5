#!/usr/bin/env bats
# udpserve: payloads to stdout exactly, --echo, -r PREFIX, PROG with the
# UDP environment, -n/-w/-c, allow/deny, privilege drop, IPv6, replies
# from the address a datagram reached. Clients are udpsend and Python's
# socket module (the tutorial's UDP client).
bats_require_minimum_version 1.5.0
load helpers

# The tutorial's UDP client: send the file's bytes as one datagram to
# HOST PORT (from SRC if given), print the reply on stdout and
# "from ADDR PORT" on stderr; exit 3 if no reply comes within 2 s.
PYCLIENT='
import socket, sys
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if src:
    s.bind((src, 0))
s.settimeout(2)
s.sendto(open(path, "rb").read(), (host, port))
try:
    data, addr = s.recvfrom(65536)
except socket.timeout:
    sys.exit(3)
sys.stdout.buffer.write(data)
sys.stderr.write("from %s %d\n" % (addr[0], addr[1]))
'

# ask HOST FILE [SRC]: the Python client against the server on $PORT.
ask() {
	python3 -c "$PYCLIENT" "$1" "$PORT" "$2" "${@:3}"
}

teardown() {
	stop_server
}

# out_size: bytes the server has written to stdout.
out_size() {
	stat -c %s "$BATS_TEST_TMPDIR/server.out"
}

# out_is BYTES: whether the server has written BYTES (a command for wait_for,
# so that the size is read again on every try).
out_is() {
	[ "$(out_size)" -eq "$1" ]
}

# err_count N PATTERN: whether N lines of the server's stderr match.
err_count() {
	[ "$(grep -c "$2" "$BATS_TEST_TMPDIR/server.err")" -eq "$1" ]
}

# wait_out BYTES: wait until the server has written BYTES; else show why.
wait_out() {
	wait_for out_is "$1" && return 0
	echo "server wrote $(out_size) bytes, wanted $1" >&2
	cat "$BATS_TEST_TMPDIR/server.err" >&2
	return 1
}

@test "usage errors: one line, exit 2, nothing on stdout" {
	run --separate-stderr sb udpserve
	assert_usage_error udpserve
	run --separate-stderr sb udpserve 127.0.0.1
	assert_usage_error udpserve
	run --separate-stderr sb udpserve 127.0.0.1 99999
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: invalid port '99999'" ]
	run --separate-stderr sb udpserve -n 0 127.0.0.1 0
	assert_usage_error udpserve
	run --separate-stderr sb udpserve -n x 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: invalid count 'x'" ]
	run --separate-stderr sb udpserve -w 1s 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: invalid duration '1s'" ]
	run --separate-stderr sb udpserve -c 0 127.0.0.1 0 cat
	assert_usage_error udpserve
	run --separate-stderr sb udpserve --echo -r OK 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: --echo and -r exclude each other" ]
	run --separate-stderr sb udpserve --echo 127.0.0.1 0 cat
	assert_usage_error udpserve
	run --separate-stderr sb udpserve -a 10.0.0.0/33 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: invalid CIDR '10.0.0.0/33'" ]
	run --separate-stderr sb udpserve -d nonsense 127.0.0.1 0
	assert_usage_error udpserve
	run --separate-stderr sb udpserve -4 ::1 0
	assert_usage_error udpserve
	run --separate-stderr sb udpserve -u no-such-user-here 127.0.0.1 0
	assert_usage_error udpserve
	run --separate-stderr sb udpserve --bogus 127.0.0.1 0
	assert_usage_error udpserve
}

@test "--help prints the usage on stdout" {
	run -0 sb udpserve --help
	[[ "$output" == "usage: udpserve "* ]]
}

@test "payloads reach stdout exactly: binary, empty, 65,507 bytes" {
	start_server udpserve -n 4 127.0.0.1 0
	[[ "$(cat "$BATS_TEST_TMPDIR/server.err")" == "udpserve: listening on 127.0.0.1:$PORT" ]]
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' \
		>"$BATS_TEST_TMPDIR/bin"
	head -c 65507 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	run -0 sb udpsend -0 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/bin"
	wait_out 256
	run -0 sb udpsend -0 127.0.0.1 "$PORT" </dev/null
	run -0 sb udpsend -0 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/big"
	wait_out $((256 + 65507))
	run -0 sb udpsend 127.0.0.1 "$PORT" end
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/want"
	printf end >>"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/server.out"
}

@test "-v logs ADDR:PORT N bytes per datagram, the empty one too" {
	start_server udpserve -v -n 3 127.0.0.1 0
	printf 'abc\n\nhello' | sb udpsend -s 127.0.0.2 127.0.0.1 "$PORT"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	run -0 grep -c '^udpserve: 127\.0\.0\.2:[0-9]* [0-9]* bytes$' \
		"$BATS_TEST_TMPDIR/server.err"
	[ "$output" = 3 ]
	run -0 sed -n 's/.* \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/server.err"
	[ "$output" = "$(printf '3\n0\n5')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = abchello ]
}

@test "many lines arrive as as many datagrams, in order" {
	start_server udpserve -v -n 20000 127.0.0.1 0
	seq 100001 120000 >"$BATS_TEST_TMPDIR/lines"
	run -0 sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(grep -c ' 6 bytes$' "$BATS_TEST_TMPDIR/server.err")" -eq 20000 ]
	tr -d '\n' <"$BATS_TEST_TMPDIR/lines" | cmp - "$BATS_TEST_TMPDIR/server.out"
}

@test "--echo sends each datagram back unchanged, from the port it reached" {
	start_server udpserve --echo 127.0.0.1 0
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' \
		>"$BATS_TEST_TMPDIR/bin"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/bin"
	[ "$stderr" = "from 127.0.0.1 $PORT" ]
	ask 127.0.0.1 "$BATS_TEST_TMPDIR/bin" 2>/dev/null | cmp - "$BATS_TEST_TMPDIR/bin"
	[ ! -s "$BATS_TEST_TMPDIR/server.out" ]
}

@test "-r PREFIX answers PREFIX and the datagram" {
	start_server udpserve -r 'OK ' 127.0.0.1 0
	printf 'hello world' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	[ "$output" = "OK hello world" ]
	[ "$stderr" = "from 127.0.0.1 $PORT" ]
}

@test "a reply that cannot be sent costs only that reply" {
	start_server udpserve -r 'OK ' 127.0.0.1 0
	head -c 65507 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/big"
	grep -Eq '^udpserve: warning: reply to 127\.0\.0\.1:[0-9]*: Message too (long|large)$' \
		"$BATS_TEST_TMPDIR/server.err"
	printf 'next' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	[ "$output" = "OK next" ]
}

@test "PROG gets the datagram and the UDP environment; its output is the reply" {
	start_server udpserve 127.0.0.1 0 sh -c \
		'cat; echo; env | grep -E "^(PROTO|UDP)" | LC_ALL=C sort'
	printf 'ping' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 127.0.0.3
	[[ "$stderr" =~ ^from\ 127\.0\.0\.1\ $PORT$ ]]
	[ "${lines[0]}" = ping ]
	[ "${lines[1]}" = PROTO=UDP ]
	[ "${lines[2]}" = UDPLOCALIP=127.0.0.1 ]
	[ "${lines[3]}" = "UDPLOCALPORT=$PORT" ]
	[ "${lines[4]}" = UDPREMOTEIP=127.0.0.3 ]
	[[ "${lines[5]}" =~ ^UDPREMOTEPORT=[1-9][0-9]*$ ]]
	[ "${#lines[@]}" -eq 6 ]
}

@test "PROG: no output, no reply; a missing PROG costs one datagram" {
	start_server udpserve 127.0.0.1 0 true
	printf 'x' >"$BATS_TEST_TMPDIR/msg"
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	stop_server
	start_server udpserve -n 2 127.0.0.1 0 /nonexistent/prog
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	grep -q '^udpserve: warning: /nonexistent/prog: No such file' \
		"$BATS_TEST_TMPDIR/server.err"
	kill -0 "$SERVER_PID"
}

@test "-c 1: one PROG at a time, the others wait and are all answered" {
	log=$BATS_TEST_TMPDIR/log
	start_server udpserve -c 1 -n 3 127.0.0.1 0 sh -c \
		'echo start >>"$0"; sleep 0.2; echo end >>"$0"; cat' "$log"
	printf 'a\nb\nc\n' | sb udpsend 127.0.0.1 "$PORT"
	wait_exit "$SERVER_PID" 20
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(cat "$log")" = "$(printf 'start\nend\nstart\nend\nstart\nend')" ]
}

@test "-n COUNT waits for the programs' replies before exiting" {
	start_server udpserve -n 1 127.0.0.1 0 sh -c 'sleep 0.3; cat'
	run -0 sb udpsend -r 127.0.0.1 "$PORT" late
	[ "$output" = late ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
}

@test "-w SECS: exit 0 after SECS without a datagram" {
	start_server udpserve -w 0.3 127.0.0.1 0
	run -0 sb udpsend 127.0.0.1 "$PORT" one
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = one ]
}

@test "SIGTERM: exit 0" {
	start_server udpserve 127.0.0.1 0
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	# SIGINT: tests/spawn.bats (a background job starts with it ignored).
}

@test "-d drops a denied sender unanswered; -a allows only its prefixes" {
	printf 'hi' >"$BATS_TEST_TMPDIR/msg"
	start_server udpserve -v --echo -d 127.0.0.2 '' 0
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 127.0.0.2
	grep -q '^udpserve: 127\.0\.0\.2:[0-9]* 2 bytes denied$' \
		"$BATS_TEST_TMPDIR/server.err"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 127.0.0.3
	[ "$output" = hi ]
	stop_server
	start_server udpserve -a 127.0.0.4/31 -a ::1 '' 0 sh -c 'echo ran >&2; cat'
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 127.0.0.3
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 127.0.0.5
	[ "$output" = hi ]
	run -0 --separate-stderr ask ::1 "$BATS_TEST_TMPDIR/msg"
	[ "$output" = hi ]
	[ "$(grep -c '^ran$' "$BATS_TEST_TMPDIR/server.err")" -eq 2 ]
}

@test "IPv6 on ::1" {
	start_server udpserve --echo ::1 0
	grep -q '^udpserve: listening on \[::1\]:[0-9]*$' "$BATS_TEST_TMPDIR/server.err"
	printf 'six' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr ask ::1 "$BATS_TEST_TMPDIR/msg"
	[ "$output" = six ]
	[ "$stderr" = "from ::1 $PORT" ]
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
}

@test "a wildcard server answers from the address each datagram reached" {
	start_server udpserve --echo '' 0
	grep -q '^udpserve: listening on \[::\]:[0-9]*$' "$BATS_TEST_TMPDIR/server.err"
	printf 'where' >"$BATS_TEST_TMPDIR/msg"
	for dst in 127.0.0.2 127.0.0.3 127.0.0.1 ::1; do
		run -0 --separate-stderr ask "$dst" "$BATS_TEST_TMPDIR/msg"
		[ "$output" = where ]
		[ "$stderr" = "from $dst $PORT" ]
	done
	stop_server
	start_server udpserve -4 '*' 0 sh -c 'echo $UDPLOCALIP'
	run -0 --separate-stderr ask 127.0.0.9 "$BATS_TEST_TMPDIR/msg" 127.0.0.1
	[ "$output" = 127.0.0.9 ]
	[ "$stderr" = "from 127.0.0.9 $PORT" ]
}

@test "-u drops privileges before PROG runs" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_server udpserve -u nobody 127.0.0.1 0 sh -c 'id -u; id -g'
	printf 'x' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	[ "${lines[0]}" = "$(id -u nobody)" ]
	[ "${lines[1]}" = "$(id -g nobody)" ]
}

@test "printing: -n stops inside a run of equal lines; denied runs log each datagram" {
	start_server udpserve -v -n 10 -d 127.0.0.2 127.0.0.1 0
	seq 100 199 | sb udpsend -s 127.0.0.2 127.0.0.1 "$PORT"
	wait_for err_count 100 ' 3 bytes denied$'
	[ ! -s "$BATS_TEST_TMPDIR/server.out" ]
	# The server may be gone before the last lines: refused is fine here.
	seq 100 199 | sb udpsend 127.0.0.1 "$PORT" || true
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$(seq -s '' 100 109)" ]
	[ "$(grep -c ' 3 bytes$' "$BATS_TEST_TMPDIR/server.err")" -eq 10 ]
}

@test "PROG output larger than a datagram is not sent, and reported" {
	start_server udpserve 127.0.0.1 0 sh -c 'cat >/dev/null; head -c 70000 /dev/zero'
	printf 'x' >"$BATS_TEST_TMPDIR/msg"
	run -3 --separate-stderr ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg"
	wait_for grep -Eq '^udpserve: warning: reply to 127\.0\.0\.1:[0-9]*: Message too (long|large)$' \
		"$BATS_TEST_TMPDIR/server.err"
	stop_server
	start_server udpserve 127.0.0.1 0 sh -c 'cat >/dev/null; head -c 65507 /dev/zero'
	ask 127.0.0.1 "$BATS_TEST_TMPDIR/msg" 2>/dev/null | cmp - <(head -c 65507 /dev/zero)
}
