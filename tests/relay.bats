#!/usr/bin/env bats
# The relay's end-of-stream rules, shared by tcpconnect and tcpserve's relay
# mode: nothing read is dropped while the connection can carry it, loss is
# never silent, a reply before a reset still arrives, and -t bounds only an
# idle stdin. OpenBSD nc -N runs in the same scenarios as the reference.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/relay_peer.py

start_peer() {
	SOCKBOX=python3 start_server "$PEER" "$@"
}

# producer SECS: 1 MB of one pattern, a pause of SECS, 0.5 MB of another;
# touches $T/produced when all is written.
producer() {
	python3 -c '
import sys, time
out = sys.stdout.buffer
out.write(b"A" * 1000000); out.flush()
time.sleep(float(sys.argv[1]))
out.write(b"B" * 500000); out.flush()
open(sys.argv[2], "w").close()' "$1" "$T/produced"
}

# expect_parts FILE A B: FILE is A bytes of "A" then B bytes of "B".
expect_parts() {
	local want
	want=$( { head -c "$2" /dev/zero | tr '\0' A
		head -c "$3" /dev/zero | tr '\0' B; } | sha256sum)
	[ "$(sha256sum <"$1")" = "$want" ] || {
		echo "$1: $(wc -c <"$1") bytes, wanted $2 A + $3 B" >&2
		return 1
	}
}

setup() {
	T=$BATS_TEST_TMPDIR
	head -c 30000000 /dev/urandom >"$T/30M"
}

teardown() {
	stop_server
	[ -z "${CLIENT_PID:-}" ] || kill "$CLIENT_PID" 2>/dev/null || true
	exec 6<&- 2>/dev/null || true
}

# tcpconnect_stall CMD...: CMD <30M into a receiver that half-closes at
# once and stalls 1 s, then 3 s, after the first MB: all of it arrives.
tcpconnect_stall() {
	local secs
	for secs in 1 3; do
		start_peer stall "$T/got" "$secs"
		run -0 timeout 20 "$@" "$PORT"
		[ -z "$output" ]
		wait_exit "$SERVER_PID" 20
		cmp "$T/30M" "$T/got"
	done
}

@test "tcpconnect, a file on stdin: a receiver that half-closes and stalls gets all" {
	tcpconnect_stall bash -c '"$SOCKBOX" tcpconnect 127.0.0.1 "$2" <"$1"' _ \
		"$T/30M"
}

@test "tcpconnect, a pipe on stdin: a receiver that half-closes and stalls gets all" {
	tcpconnect_stall bash -c 'cat "$1" | "$SOCKBOX" tcpconnect 127.0.0.1 "$2"' \
		_ "$T/30M"
}

@test "reference: OpenBSD nc -N delivers the same stalled transfer whole" {
	need nc.openbsd
	tcpconnect_stall bash -c 'nc.openbsd -N 127.0.0.1 "$2" <"$1"' _ "$T/30M"
}

# tcpserve_stall: tcpserve with stdin from $SERVER_IN; a client that
# half-closes at once and stalls 1 s, then 3 s, gets all 30 MB, exit 0.
tcpserve_stall() {
	local secs
	for secs in 1 3; do
		start_server tcpserve 127.0.0.1 0
		run -0 timeout 20 python3 "$PEER" get "$PORT" "$T/got" "$secs"
		wait_exit "$SERVER_PID" 20
		[ "$EXIT_STATUS" = 0 ]
		cmp "$T/30M" "$T/got"
		[ ! -s "$T/server.out" ]
		"${REOPEN:-true}"
	done
}

@test "tcpserve relay, a file on stdin: a client that half-closes and stalls gets all" {
	SERVER_IN=$T/30M tcpserve_stall
}

@test "tcpserve relay, a pipe on stdin: a client that half-closes and stalls gets all" {
	reopen() { exec 6< <(cat "$T/30M"); }
	reopen
	SERVER_IN=/dev/fd/6 REOPEN=reopen tcpserve_stall
}

@test "a producer pausing after the peer's half-close: -t ends it, -t 0 waits" {
	# The default -t 0.5: the relay ends in the pause, all read was sent.
	start_peer stall "$T/got" 0
	run -0 timeout 20 bash -c "$(declare -f producer); T=$T"'
		producer 1.2 | "$SOCKBOX" tcpconnect 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	expect_parts "$T/got" 1000000 0
	# -t 0: stdin's end is waited for, everything arrives.
	start_peer stall "$T/got" 0
	run -0 timeout 20 bash -c "$(declare -f producer); T=$T"'
		producer 1.2 | "$SOCKBOX" tcpconnect -t 0 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	expect_parts "$T/got" 1000000 500000
	# -t 3 outlasts the pause too.
	start_peer stall "$T/got" 0
	run -0 timeout 20 bash -c "$(declare -f producer); T=$T"'
		producer 1.2 | "$SOCKBOX" tcpconnect -t 3 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	expect_parts "$T/got" 1000000 500000
}

@test "reference: OpenBSD nc -N waits out the producer's pause as -t 0 does" {
	need nc.openbsd
	start_peer stall "$T/got" 0
	run -0 timeout 20 bash -c "$(declare -f producer); T=$T"'
		producer 1.2 | nc.openbsd -N 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	expect_parts "$T/got" 1000000 500000
}

@test "tcpserve relay -t 0: a pausing producer reaches the client whole" {
	exec 6< <(producer 1.2)
	SERVER_IN=/dev/fd/6 start_server tcpserve -t 0 127.0.0.1 0
	run -0 timeout 20 python3 "$PEER" get "$PORT" "$T/got"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	expect_parts "$T/got" 1000000 500000
}

# check_lost MSG_PREFIX: stderr is one line, PREFIX then "; N of M bytes
# read from stdin not delivered" with 0 < N <= M <= 30 MB.
check_lost() {
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "stderr: $stderr" >&2; return 1; }
	[[ "$stderr" =~ ^$1"; "([0-9]+)" of "([0-9]+)" bytes read from stdin not delivered"$ ]] ||
		{ echo "stderr: $stderr" >&2; return 1; }
	local k=${#BASH_REMATCH[@]}
	local n=${BASH_REMATCH[k - 2]} m=${BASH_REMATCH[k - 1]}
	[ "$n" -gt 0 ] && [ "$n" -le "$m" ] && [ "$m" -le 30000000 ]
}

@test "a server that answers part of an upload and closes: reply, exit 1, count" {
	printf 'HTTP/1.1 413 Payload Too Large\r\n\r\n' >"$T/reply"
	start_peer partial 100000 "$T/reply"
	run -1 --separate-stderr timeout 20 "$SOCKBOX" tcpconnect 127.0.0.1 \
		"$PORT" <"$T/30M"
	[ "$output" = "$(cat "$T/reply")" ]
	check_lost "tcpconnect: 127.0.0.1 port $PORT: send: (Connection reset by peer|Broken pipe)"
}

@test "tcpserve relay: a client that takes part of stdin and closes: reply, exit 1" {
	printf 'enough\n' >"$T/reply"
	SERVER_IN=$T/30M start_server tcpserve 127.0.0.1 0
	run -0 timeout 20 python3 "$PEER" reply "$PORT" 100000 "$T/reply"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 1 ]
	[ "$(cat "$T/server.out")" = enough ]
	stderr=$(sed '/listening on/d' "$T/server.err")
	stderr_lines=("$stderr")
	check_lost "tcpserve: 127.0.0.1:[0-9]+: send: (Connection reset by peer|Broken pipe)"
}

@test "tcpserve -k: stdin larger than one client takes goes to the next, in order" {
	exec 6< <(producer 2)
	SERVER_IN=/dev/fd/6 start_server tcpserve -k 127.0.0.1 0
	# The first client's relay ends in the pause (-t 0.5); it got part A.
	run -0 timeout 20 python3 "$PEER" get "$PORT" "$T/got1"
	wait_for test -e "$T/produced"
	run -0 timeout 20 python3 "$PEER" get "$PORT" "$T/got2"
	cat "$T/got1" "$T/got2" >"$T/both"
	expect_parts "$T/got1" 1000000 0
	expect_parts "$T/both" 1000000 500000
	kill -0 "$SERVER_PID"
	! grep -v 'listening on' "$T/server.err"
}

@test "a failed write to stdout: exit 1 with the reason, not a success" {
	printf 'some reply' >"$T/reply"
	start_peer partial 0 "$T/reply"
	run -1 --separate-stderr timeout 20 bash -c \
		'"$SOCKBOX" tcpconnect 127.0.0.1 "$1" </dev/null >/dev/full' _ "$PORT"
	[ "$stderr" = "tcpconnect: stdout: No space left on device" ]
}

@test "usage: -t takes a duration; not with PROG or -z" {
	for args in "-t x 127.0.0.1 80" "-t -1 127.0.0.1 80" \
	    "-t 1 127.0.0.1 80 cat" "-z -t 1 127.0.0.1 80"; do
		run --separate-stderr -2 sb tcpconnect $args
		assert_usage_error tcpconnect
	done
	for args in "-t x 127.0.0.1 0" "-t 1 127.0.0.1 0 cat" \
	    "--echo -t 1 127.0.0.1 0"; do
		run --separate-stderr -2 sb tcpserve $args
		assert_usage_error tcpserve
	done
}

# client SEND: connect to $PORT, send SEND, half-close, print what comes
# until EOF (or a reset that came after it).
client() {
	python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
# A --send-only server may be done, and gone, before we have sent: our
# late bytes then meet a reset, which must not hide what it sent us.
try:
    c.sendall(sys.argv[2].encode())
    c.shutdown(socket.SHUT_WR)
except OSError:
    pass
out = b""
while True:
    try:
        d = c.recv(65536)
    except ConnectionResetError:
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)' "$PORT" "$1"
}

@test "tcpserve relay --recv-only, --send-only, --crlf; -v counts both ways" {
	printf 'line one\nline two\n' >"$T/in"
	SERVER_IN=$T/in start_server tcpserve --recv-only 127.0.0.1 0
	run -0 client 'to the server'
	[ -z "$output" ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	[ "$(cat "$T/server.out")" = "to the server" ]
	SERVER_IN=$T/in start_server tcpserve --send-only 127.0.0.1 0
	run -0 client 'dropped'
	[ "$output" = "$(cat "$T/in")" ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	[ ! -s "$T/server.out" ]
	SERVER_IN=$T/in start_server tcpserve -v --crlf 127.0.0.1 0
	run -0 client 'abc'
	[ "$output" = "$(printf 'line one\r\nline two\r')" ]
	wait_exit "$SERVER_PID"
	grep -Eq "^tcpserve: 127\.0\.0\.1:[0-9]+: sent 20 bytes, received 3 bytes in [0-9]+\.[0-9]{3} s$" "$T/server.err"
	run --separate-stderr -2 sb tcpserve --recv-only --send-only 127.0.0.1 0
	assert_usage_error tcpserve
	run --separate-stderr -2 sb tcpserve --crlf 127.0.0.1 0 cat
	assert_usage_error tcpserve
}
