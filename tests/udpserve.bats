#!/usr/bin/env bats
# udpserve: payloads to stdout as lines (exactly with -0), --echo,
# -r PREFIX, PROG with the UDP environment, -n/-w/-c, allow/deny, privilege
# drop, IPv6, replies from the address a datagram reached, the rules that
# keep replies from looping. Clients are udpsend and Python's socket module
# (the tutorial's UDP client).
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
	# What a namespace script said on stderr, shown if the test failed.
	cat "$BATS_TEST_TMPDIR/ns.err" 2>/dev/null || true
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

@test "-0: payloads reach stdout exactly: binary, empty, 65,507 bytes" {
	start_server udpserve -0 -n 4 127.0.0.1 0
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
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$(printf 'abc\n\nhello')" ]
}

@test "many lines arrive as as many datagrams, in order" {
	start_server udpserve -v -n 20000 127.0.0.1 0
	seq 100001 120000 >"$BATS_TEST_TMPDIR/lines"
	run -0 sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(grep -c ' 6 bytes$' "$BATS_TEST_TMPDIR/server.err")" -eq 20000 ]
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/server.out"
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
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$(seq 100 109)" ]
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

@test "each datagram is a line: a newline added unless it ends with one" {
	start_server udpserve -n 6 127.0.0.1 0
	seq 3 | sb udpsend 127.0.0.1 "$PORT"
	wait_out 6
	run -0 sb udpsend 127.0.0.1 "$PORT" </dev/null	# sends nothing
	printf '\n' | sb udpsend -0 127.0.0.1 "$PORT"	# ends with one
	sb udpsend -0 127.0.0.1 "$PORT" </dev/null	# empty: an empty line
	printf 'a\nb' | sb udpsend -0 127.0.0.1 "$PORT"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	printf '1\n2\n3\n\n\na\nb\n' | cmp - "$BATS_TEST_TMPDIR/server.out"
}

@test "lines in segmented runs: each datagram of a run gets its newline" {
	# udpsend sends runs of equal lines as one UDP_SEGMENT send; udpserve
	# takes them whole (UDP_GRO) and must still cut and end each one.
	seq 100000 140000 >"$BATS_TEST_TMPDIR/lines"
	start_server udpserve -n 40001 127.0.0.1 0
	run -0 sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$SERVER_PID" 30
	[ "$EXIT_STATUS" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/server.out"
}

@test "runs of 128 one-byte datagrams: more lines in a batch than usual" {
	# Linux takes up to 128 segments in one UDP_SEGMENT send (64 before
	# 6.x); a receive batch can then hold 64 runs of 128 datagrams.
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
try:
    s.sendmsg([b"x" * 128], [(socket.IPPROTO_UDP, 103, (1).to_bytes(2, "little"))], 0, s.getsockname())
except OSError:
    exit(1)
' 2>/dev/null || skip "no UDP_SEGMENT runs of 128 here"
	start_server udpserve -n 12800 127.0.0.1 0
	# Stopped, it finds them all queued: one receive takes 64 runs.
	kill -STOP "$SERVER_PID"
	python3 -c '
import socket, string, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
run = (string.ascii_letters * 3)[:128].encode()
for i in range(100):
    s.sendmsg([run], [(socket.IPPROTO_UDP, 103, (1).to_bytes(2, "little"))], 0, ("127.0.0.1", int(sys.argv[1])))
' "$PORT"
	kill -CONT "$SERVER_PID"
	wait_exit "$SERVER_PID" 30
	[ "$EXIT_STATUS" -eq 0 ]
	python3 -c '
import string
run = (string.ascii_letters * 3)[:128]
print("".join(c + "\n" for c in run * 100), end="")
' | cmp - "$BATS_TEST_TMPDIR/server.out"
}

@test "-w 0: no idle limit" {
	start_server udpserve -w 0 -n 1 127.0.0.1 0
	sleep 0.3	# longer than a 0 s limit would have let it live
	kill -0 "$SERVER_PID"
	run -0 sb udpsend 127.0.0.1 "$PORT" late
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = late ]
}

@test "a failed write to stdout: udpserve: stdout: reason, exit 1" {
	"$SOCKBOX" udpserve 127.0.0.1 0 >/dev/full 2>"$BATS_TEST_TMPDIR/server.err" 3>&- &
	SERVER_PID=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/server.err"
	port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/server.err")
	run -0 sb udpsend 127.0.0.1 "$port" hello
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" -eq 1 ]
	run -0 tail -n 1 "$BATS_TEST_TMPDIR/server.err"
	[ "$output" = "udpserve: stdout: No space left on device" ]
}

@test "usage errors of -0, --reply-any and --reply-rate" {
	run --separate-stderr sb udpserve -0 --echo 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -0 and --echo exclude each other" ]
	run --separate-stderr sb udpserve -0 127.0.0.1 0 cat
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -0 and PROG exclude each other" ]
	run --separate-stderr sb udpserve --reply-any 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: --reply-any needs --echo, -r or PROG" ]
	run --separate-stderr sb udpserve --reply-rate 5 127.0.0.1 0
	assert_usage_error udpserve
	for n in x -1 1000001 ''; do
		run --separate-stderr sb udpserve --echo --reply-rate "$n" 127.0.0.1 0
		assert_usage_error udpserve
		[ "$stderr" = "udpserve: invalid reply rate '$n'" ]
	done
}

# A datagram with a forged source, from a raw socket (IP_HDRINCL):
# SRC SPORT DST DPORT PAYLOAD. The kernel fills in the IP checksum and
# length; a UDP checksum of 0 means none (IPv4).
PYSPOOF='
import socket, struct, sys
src, sport, dst, dport, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5].encode()
udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
    socket.IPPROTO_UDP, 0, socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.sendto(ip + udp, (dst, 0))
'

# in_lowports SCRIPT: run bash SCRIPT in a private network namespace where
# port 0 picks ports 900-999, the ports of echo, DNS, NTP... servers (so
# tests still never name a port). Its helpers: serve NAME ARGS... starts
# udpserve with $T/NAME.err and sets PID_NAME, PORT_NAME; udp_out prints
# the namespace's UDP OutDatagrams, udp_in its InDatagrams.
in_lowports() {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	T=$BATS_TEST_TMPDIR PYSPOOF=$PYSPOOF PYCLIENT=$PYCLIENT \
	unshare -n bash -c 'set -e
		ip link set lo up
		sysctl -qw net.ipv4.ip_unprivileged_port_start=0
		sysctl -qw net.ipv4.ip_local_port_range="900 999"
		pids=
		trap "kill \$pids 2>/dev/null || true" EXIT
		serve() {
			local name=$1 i p
			shift
			"$SOCKBOX" udpserve "$@" 2>"$T/$name.err" </dev/null \
				>"$T/$name.out" &
			pids="$pids $!"
			eval "PID_$name=$!"
			for i in $(seq 200); do
				p=$(sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" \
					"$T/$name.err" 2>/dev/null || true)
				[ -n "$p" ] && break
				sleep 0.05
			done
			[ -n "$p" ] || { cat "$T/$name.err" >&2; return 1; }
			eval "PORT_$name=$p"
		}
		snmp() {
			awk -v f="$1" "/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) \
			    if (\$i == f) c = i; h = 1 } else print \$c }" /proc/net/snmp
		}
		udp_out() { snmp OutDatagrams; }
		udp_in() { snmp InDatagrams; }
		# gone PID: wait (bounded) until PID has exited.
		gone() {
			local i
			for i in $(seq 200); do
				kill -0 "$1" 2>/dev/null || return 0
				sleep 0.05
			done
			return 1
		}
		'"$1" 3>&- 2>"$BATS_TEST_TMPDIR/ns.err"
}

@test "two echo servers and one forged datagram between them: neither answers" {
	run -0 --separate-stderr in_lowports '
		serve A -v --echo 127.0.0.1 0
		serve B -v --echo -n 1 127.0.0.1 0
		[ "$PORT_A" -lt 1024 ]
		[ "$PORT_B" -lt 1024 ]
		python3 -c "$PYSPOOF" 127.0.0.1 "$PORT_A" 127.0.0.1 "$PORT_B" loop
		# B exits once it has handled the datagram, replies sent.
		gone "$PID_B"
		echo "in $(udp_in) out $(udp_out)"
		echo "A $PORT_A"'
	cat "$BATS_TEST_TMPDIR/A.err" "$BATS_TEST_TMPDIR/B.err"	# shown on failure
	[ "${lines[0]}" = "in 1 out 0" ]
	port_a=${lines[1]#A }
	[ "$(grep -c ' bytes' "$BATS_TEST_TMPDIR/A.err")" -eq 0 ]
	run -0 grep ' bytes' "$BATS_TEST_TMPDIR/B.err"
	[ "$output" = "udpserve: 127.0.0.1:$port_a 4 bytes not answered: source port below 1024" ]
}

@test "never a reply to the server's own address, --reply-any or not" {
	run -0 --separate-stderr in_lowports '
		serve S -v --echo --reply-any -n 1 127.0.0.1 0
		python3 -c "$PYSPOOF" 127.0.0.1 "$PORT_S" 127.0.0.1 "$PORT_S" self
		gone "$PID_S"
		# A wildcard server: any address of the host is its own.
		serve W -v -n 1 --reply-any "" 0 cat
		python3 -c "$PYSPOOF" 127.0.0.5 "$PORT_W" 127.0.0.1 "$PORT_W" self
		gone "$PID_W"
		echo "out $(udp_out)"'
	cat "$BATS_TEST_TMPDIR/S.err" "$BATS_TEST_TMPDIR/W.err"
	[ "$output" = "out 0" ]
	grep -q "^udpserve: 127\.0\.0\.1:[0-9]* 4 bytes not answered: own address$" \
		"$BATS_TEST_TMPDIR/S.err"
	grep -q "^udpserve: 127\.0\.0\.5:[0-9]* 4 bytes not answered: own address$" \
		"$BATS_TEST_TMPDIR/W.err"
}

@test "a source port below 1024 gets no reply (PROG runs unanswered); --reply-any answers it" {
	printf 'hi' >"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr in_lowports '
		ask() { python3 -c "$PYCLIENT" 127.0.0.1 "$1" "$T/msg" 2>/dev/null || echo "no reply $?"; }
		serve E -v --echo 127.0.0.1 0
		ask "$PORT_E"
		serve P -v 127.0.0.1 0 sh -c "echo ran >>\"\$0\"; cat" "$T/ran"
		ask "$PORT_P"
		serve R --echo --reply-any 127.0.0.1 0
		echo; ask "$PORT_R"'
	[ "${lines[0]}" = "no reply 3" ]
	[ "${lines[1]}" = "no reply 3" ]
	[ "${lines[2]}" = hi ]
	[ "$(cat "$BATS_TEST_TMPDIR/ran")" = ran ]
	grep -q "^udpserve: 127\.0\.0\.1:[0-9]* 2 bytes not answered: source port below 1024$" \
		"$BATS_TEST_TMPDIR/E.err"
	grep -q "^udpserve: 127\.0\.0\.1:[0-9]* 2 bytes not answered: source port below 1024$" \
		"$BATS_TEST_TMPDIR/P.err"
}

# A burst of N datagrams from one socket to $PORT; prints how many replies
# came back (until none for 1 s).
PYBURST='
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)	# SO_RCVBUFFORCE (root)
s.bind(("127.0.0.1", 0))
for i in range(n):
    s.sendto(b"%d" % i, ("127.0.0.1", port))
s.settimeout(1)
got = 0
try:
    while True:
        s.recv(100)
        got += 1
except socket.timeout:
    pass
print(got)
'

# burst N ARGS...: a udpserve -v --echo -n N ARGS server and a burst of N
# datagrams; sets GOT (replies the client saw) and REFUSED (datagrams the
# server did not answer for the rate).
burst() {
	local n=$1
	shift
	start_server udpserve -v --echo -n "$n" "$@" 127.0.0.1 0
	GOT=$(python3 -c "$PYBURST" "$PORT" "$n")
	wait_exit "$SERVER_PID" 30
	[ "$EXIT_STATUS" -eq 0 ]
	[ "$(grep -c ' bytes' "$BATS_TEST_TMPDIR/server.err")" -eq "$n" ]
	REFUSED=$(grep -c ' bytes not answered: over the reply rate$' \
		"$BATS_TEST_TMPDIR/server.err" || true)
	echo "got $GOT refused $REFUSED"	# shown on failure
}

@test "--reply-rate N: a burst from one source gets about N replies, not all" {
	burst 3000 --reply-rate 100
	# At most 100 at once, then 100 a second: the burst takes far less.
	[ "$REFUSED" -gt 0 ]
	[ "$REFUSED" -lt 3000 ]
	[ "$GOT" -gt 0 ]
	[ "$GOT" -le $((3000 - REFUSED)) ]
	stop_server
	burst 5000	# the default, 1000
	[ "$REFUSED" -gt 0 ]
	[ "$REFUSED" -lt 5000 ]
	[ "$GOT" -gt 0 ]
	[ "$GOT" -le $((5000 - REFUSED)) ]
	stop_server
	burst 3000 --reply-rate 0	# no limit
	[ "$REFUSED" -eq 0 ]
	[ "$GOT" -gt 0 ]
}
