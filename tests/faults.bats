#!/usr/bin/env bats
# Faults that must be reported, not swallowed: every kind of stdin (a
# terminal, a socket, a regular file, /dev/null, a closed descriptor), a
# closed stdout or stderr, and servers whose programs fail.
bats_require_minimum_version 1.5.0
load helpers

teardown() {
	stop_server
}

# sink: a tcpserve relay that writes what one client sends to server.out.
sink() {
	start_server tcpserve 127.0.0.1 0
}

# got: what the sink received, once it has exited (bounded).
got() {
	wait_exit "$SERVER_PID"
	SERVER_PID=
	cat "$BATS_TEST_TMPDIR/server.out"
}

@test "stdin a regular file: every byte sent, in order" {
	head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	sink
	run -0 sb tcpconnect 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/in"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/server.out"
	# udpsend: each line of the file a datagram.
	printf 'one\ntwo\nthree\n' >"$BATS_TEST_TMPDIR/lines"
	start_server udpserve -n 3 127.0.0.1 0
	run -0 sb udpsend 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/server.out"
}

@test "stdin /dev/null: nothing sent, the peer's data still printed, exit 0" {
	start_server tcpserve 127.0.0.1 0 sh -c 'cat >/dev/null; echo reply'
	run -0 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ "$output" = reply ]
	run -0 --separate-stderr sb udpsend 127.0.0.1 9 </dev/null
	[ -z "$output$stderr" ]
	run -0 sb resolve -f - </dev/null
	[ -z "$output" ]
}

@test "stdin a socket: read like any stream, its end is the end" {
	sink
	run -0 python3 - "$SOCKBOX" "$PORT" <<'PY'
import os, socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "tcpconnect", "127.0.0.1", sys.argv[2]],
                     stdin=b, stdout=subprocess.DEVNULL)
b.close()
a.sendall(b"through a socket\n")
a.shutdown(socket.SHUT_WR)
sys.exit(p.wait(20))
PY
	[ "$(got)" = "through a socket" ]
}

@test "stdin a terminal: lines as typed, end of file (^D) ends the upload" {
	sink
	run -0 python3 - "$SOCKBOX" "$PORT" <<'PY'
import os, pty, subprocess, sys, termios
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "tcpconnect", "127.0.0.1", sys.argv[2]],
                     stdin=s, stdout=subprocess.DEVNULL)
os.close(s)
os.write(m, b"typed line\n")
os.write(m, bytes([termios.tcgetattr(m)[6][termios.VEOF][0]]))
rc = p.wait(20)
os.close(m)
sys.exit(rc)
PY
	[ "$(got)" = "typed line" ]
}

@test "a closed stdin or stdout is an error when used, never a socket's slot" {
	sink
	# (bats' run gives the command a stdin of its own: close it inside.)
	run -1 --separate-stderr sh -c "exec '$SOCKBOX' tcpconnect 127.0.0.1 $PORT <&-"
	[ "$stderr" = "tcpconnect: stdin: Bad file descriptor" ]
	[ -z "$(got)" ]
	start_server tcpserve 127.0.0.1 0 echo hello
	run -1 --separate-stderr sh -c "exec '$SOCKBOX' tcpconnect 127.0.0.1 $PORT </dev/null >&-"
	[ "$stderr" = "tcpconnect: stdout: Bad file descriptor" ]
	run -1 --separate-stderr sh -c "exec '$SOCKBOX' udpsend 127.0.0.1 9 <&-"
	[[ "$stderr" == "udpsend: "*"stdin: Bad file descriptor" ]]
	run -1 --separate-stderr sh -c "exec '$SOCKBOX' resolve -f - <&-"
	[[ "$stderr" == "resolve: "*"Bad file descriptor" ]]
	run -1 --separate-stderr sh -c "exec '$SOCKBOX' getserv http >&-"
	[ "$stderr" = "getserv: stdout: Bad file descriptor" ]
	# Where stdin is not used, a closed one changes nothing.
	run -0 sh -c "exec '$SOCKBOX' tcpconnect -z 127.0.0.1 $PORT <&-"
}

@test "servers with 0, 1 and 2 closed still serve: no client lands on them" {
	"$SOCKBOX" tcpserve -v --echo 127.0.0.1 0 <&- >&- \
	    2>"$BATS_TEST_TMPDIR/e.err" 3>&- &
	SERVER_PID=$!
	wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/e.err"
	PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/e.err")
	run -0 sh -c "echo ping | '$SOCKBOX' tcpconnect 127.0.0.1 $PORT"
	[ "$output" = ping ]
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
	# stderr closed: a program per connection, each client served.
	"$SOCKBOX" tcpserve 127.0.0.1 0 sh -c 'echo "pid $$"' \
	    </dev/null >"$BATS_TEST_TMPDIR/p.out" 2>&- 3>&- &
	SERVER_PID=$!
	# No stderr to announce on: the port comes from /proc.
	wait_for sh -c "ss -Hltnp | grep -q 'pid=$SERVER_PID,'"
	PORT=$(ss -Hltnp | grep "pid=$SERVER_PID," | awk '{print $4}' | sed 's/.*://')
	for i in 1 2 3; do
		run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
		[[ "$output" == "pid "* ]]
	done
}

@test "a program that cannot run, or is killed: a line per connection, the server goes on" {
	start_server tcpserve -v 127.0.0.1 0 "$BATS_TEST_TMPDIR/nonexistent"
	for i in 1 2; do
		run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
		[ -z "$output" ]
	done
	[ "$(grep -c "warning: $BATS_TEST_TMPDIR/nonexistent: No such file or directory" \
	    "$BATS_TEST_TMPDIR/server.err")" = 2 ]
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	start_server tcpserve -v 127.0.0.1 0 sh -c 'kill -9 $$'
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	wait_for grep -q 'closed 127.0.0.1:[0-9]* pid [0-9]* signal 9$' \
	    "$BATS_TEST_TMPDIR/server.err"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
	# udpserve: the same, per datagram.
	start_server udpserve -v 127.0.0.1 0 "$BATS_TEST_TMPDIR/nonexistent"
	sb udpsend 127.0.0.1 "$PORT" one
	sb udpsend 127.0.0.1 "$PORT" two
	wait_for sh -c "[ \$(grep -c 'nonexistent: No such file' '$BATS_TEST_TMPDIR/server.err') = 2 ]"
	kill -0 "$SERVER_PID"
}
