#!/usr/bin/env bats
# tcpserve and udpserve under service managers: the socket handed over by
# systemd's own systemd-socket-activate (--systemd) or on a descriptor
# (--fd), and readiness: -1, --ready-fd, NOTIFY_SOCKET.
bats_require_minimum_version 1.5.0
load helpers

PEER="$BATS_TEST_DIRNAME/activation_peer.py"

teardown() {
	local pid
	for pid in ${SERVER_PID:-} ${SA_PID:-}; do
		kill "$pid" 2>/dev/null || true
		wait_exit "$pid" 5 || true
	done
	SERVER_PID= SA_PID=
}

peer() {
	python3 "$PEER" "$@"
}

# sa_start N [OPTIONS] CMD...: systemd-socket-activate listening on N
# ports of 127.0.0.1 free just before (SA_PORTS), then CMD, which it execs
# on the first connection or datagram. A port taken in between is tried
# again, 5 times at most. Sets SA_PID; its stderr and CMD's are sa.err.
sa_start() {
	local n=$1 try i p kind=
	shift
	[ "$1" = --datagram ] && kind=--udp
	need systemd-socket-activate
	for try in 1 2 3 4 5; do
		read -ra SA_PORTS < <(peer freeports $kind "$n")
		local ls=()
		for p in "${SA_PORTS[@]}"; do ls+=(-l "127.0.0.1:$p"); done
		systemd-socket-activate "${ls[@]}" "$@" \
			>"$BATS_TEST_TMPDIR/sa.out" 2>"$BATS_TEST_TMPDIR/sa.err" 3>&- &
		SA_PID=$!
		for i in $(seq 200); do
			[ "$(grep -c '^Listening on' "$BATS_TEST_TMPDIR/sa.err")" -ge "$n" ] &&
				return 0
			kill -0 "$SA_PID" 2>/dev/null || break
			sleep 0.05
		done
		wait_exit "$SA_PID" 5 || true
		SA_PID=
		grep -q 'Address already in use' "$BATS_TEST_TMPDIR/sa.err" || break
	done
	cat "$BATS_TEST_TMPDIR/sa.err" >&2
	return 1
}

# fd_start N KIND CMD...: start_server's CMD with a socket of KIND on
# descriptor N (activation_peer.py fdexec, which execs CMD: SERVER_PID is
# the server's); give CMD -v for its "listening on" line. The port fdexec
# bound is in fd.port.
fd_start() {
	FDEXEC_PORT_FILE=$BATS_TEST_TMPDIR/fd.port SOCKBOX=python3 \
		start_server "$PEER" fdexec "$@"
}

# What a program prints of the variables it must not get.
ENVPROG='env | grep -E "^(LISTEN_[A-Z]*|NOTIFY_SOCKET)=" || echo clean'

@test "--systemd: systemd-socket-activate's stream socket serves PROG, no LISTEN_* in its environment" {
	sa_start 1 "$SOCKBOX" tcpserve --systemd \
		sh -c 'echo "served $TCPLOCALPORT"; '"$ENVPROG"
	run -0 peer get "${SA_PORTS[0]}"
	[ "$output" = "$(printf 'served %s\nclean' "${SA_PORTS[0]}")" ]
	# The server goes on: a second client is served as well.
	run -0 peer get "${SA_PORTS[0]}"
	[ "${lines[0]}" = "served ${SA_PORTS[0]}" ]
	kill -0 "$SA_PID"
}

@test "--systemd: echo and relay modes work on the socket handed over" {
	sa_start 1 "$SOCKBOX" tcpserve --systemd --echo
	run -0 peer get "${SA_PORTS[0]}" 'echo me'
	[ "$output" = "echo me" ]
	kill "$SA_PID"
	wait_exit "$SA_PID"
	[ "$EXIT_STATUS" = 0 ]
	printf 'to the client\n' >"$BATS_TEST_TMPDIR/in"
	sa_start 1 sh -c 'exec "$0" tcpserve --systemd <"$1"' "$SOCKBOX" \
		"$BATS_TEST_TMPDIR/in"
	run -0 peer get "${SA_PORTS[0]}" 'from the client'
	[ "$output" = "to the client" ]
	wait_exit "$SA_PID"
	[ "$EXIT_STATUS" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/sa.out")" = "from the client" ]
}

@test "--systemd: udpserve takes a datagram socket, and answers the datagram that woke it" {
	sa_start 1 --datagram "$SOCKBOX" udpserve --systemd --echo
	run -0 peer ping "${SA_PORTS[0]}"
	[ "$output" = ping ]
	run -0 peer ping "${SA_PORTS[0]}"
	[ "$output" = ping ]
}

@test "--systemd=NAME: the socket of that name in LISTEN_FDNAMES, among several" {
	sa_start 2 --fdname=first:second "$SOCKBOX" tcpserve --systemd=second \
		sh -c 'echo "$TCPLOCALPORT"'
	run -0 peer get "${SA_PORTS[1]}"
	[ "$output" = "${SA_PORTS[1]}" ]
	kill "$SA_PID"
	wait_exit "$SA_PID"
	sa_start 2 --datagram --fdname=a:b "$SOCKBOX" udpserve --systemd=a -r A:
	run -0 peer ping "${SA_PORTS[0]}"
	[ "$output" = A:ping ]
}

@test "--systemd: several sockets without NAME, or an unknown NAME, is exit 2" {
	sa_start 2 "$SOCKBOX" tcpserve --systemd cat
	peer get "${SA_PORTS[0]}" || true
	wait_exit "$SA_PID"
	[ "$EXIT_STATUS" = 2 ]
	grep -qx 'tcpserve: --systemd: LISTEN_FDS is 2: name the socket with --systemd=NAME' \
		"$BATS_TEST_TMPDIR/sa.err"
	sa_start 1 --fdname=web "$SOCKBOX" tcpserve --systemd=db cat
	peer get "${SA_PORTS[0]}" || true
	wait_exit "$SA_PID"
	[ "$EXIT_STATUS" = 2 ]
	grep -qx "tcpserve: --systemd: no socket named 'db' in LISTEN_FDNAMES" \
		"$BATS_TEST_TMPDIR/sa.err"
}

@test "--systemd: a datagram socket for tcpserve, a stream one for udpserve, is exit 2" {
	sa_start 1 --datagram "$SOCKBOX" tcpserve --systemd cat
	# No answer comes: the client is killed (by PID) once the server is gone.
	python3 "$PEER" ping "${SA_PORTS[0]}" 3>&- &
	pid=$!
	wait_exit "$SA_PID"
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	[ "$EXIT_STATUS" = 2 ]
	grep -qx 'tcpserve: --systemd: descriptor 3 is a datagram socket, not a listening stream socket' \
		"$BATS_TEST_TMPDIR/sa.err"
	sa_start 1 "$SOCKBOX" udpserve --systemd --echo
	peer get "${SA_PORTS[0]}" || true
	wait_exit "$SA_PID"
	[ "$EXIT_STATUS" = 2 ]
	grep -qx 'udpserve: --systemd: descriptor 3 is a stream socket, not a datagram socket' \
		"$BATS_TEST_TMPDIR/sa.err"
}

@test "--systemd without socket activation: LISTEN_PID not ours, unset, junk, fd 3 closed" {
	run -2 --separate-stderr env LISTEN_PID=1 LISTEN_FDS=1 "$SOCKBOX" tcpserve --systemd cat
	assert_usage_error tcpserve
	[[ "$stderr" == "tcpserve: --systemd: LISTEN_PID is '1', not our pid "*": the sockets are another process's" ]]
	run -2 --separate-stderr env -u LISTEN_PID -u LISTEN_FDS "$SOCKBOX" udpserve --systemd --echo
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: --systemd: LISTEN_PID and LISTEN_FDS are not set: not started by socket activation" ]
	run -2 --separate-stderr sh -c 'LISTEN_PID=$$ LISTEN_FDS=x exec "$0" tcpserve --systemd cat' "$SOCKBOX"
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --systemd: invalid LISTEN_FDS 'x'" ]
	run -2 --separate-stderr sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" tcpserve --systemd cat 3>&-' "$SOCKBOX"
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --systemd: descriptor 3 is not open" ]
	run -2 --separate-stderr sb tcpserve --systemd= cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --systemd=NAME: empty name" ]
}

@test "--fd N: a listening socket from the supervisor; -d and -v work as with HOST PORT" {
	fd_start 5 tcp "$SOCKBOX" tcpserve -v --fd 5 sh -c 'echo "$TCPLOCALPORT"; '"$ENVPROG"
	[ "$PORT" = "$(cat "$BATS_TEST_TMPDIR/fd.port")" ]
	run -0 peer get "$PORT"
	[ "$output" = "$(printf '%s\nclean' "$PORT")" ]
	grep -q '^tcpserve: connection from 127.0.0.1:[0-9]* pid [0-9]*$' "$BATS_TEST_TMPDIR/server.err"
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	fd_start 7 tcp "$SOCKBOX" tcpserve -v -d 127.0.0.0/8 --fd 7 echo no
	run -0 peer get "$PORT"
	[ -z "$output" ]
	wait_for grep -q '^tcpserve: denied 127.0.0.1:' "$BATS_TEST_TMPDIR/server.err"
}

@test "--fd N: udpserve on a bound datagram socket; --echo on tcpserve's" {
	fd_start 4 udp "$SOCKBOX" udpserve -v --fd 4 --echo
	run -0 peer ping "$PORT"
	[ "$output" = ping ]
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	fd_start 6 tcp "$SOCKBOX" tcpserve -v --fd 6 --echo
	run -0 peer get "$PORT" abc
	[ "$output" = abc ]
}

@test "--fd N: not open, not a socket, not listening, the wrong type: exit 2" {
	run -2 --separate-stderr sb tcpserve --fd 9 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --fd: descriptor 9 is not open" ]
	run -2 --separate-stderr sb tcpserve --fd x cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: invalid descriptor 'x'" ]
	run -2 --separate-stderr peer fdexec 5 file "$SOCKBOX" tcpserve --fd 5 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --fd: descriptor 5 is not a socket" ]
	run -2 --separate-stderr peer fdexec 5 tcp-unlistened "$SOCKBOX" tcpserve --fd 5 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --fd: descriptor 5 is a stream socket that is not listening" ]
	run -2 --separate-stderr peer fdexec 5 udp "$SOCKBOX" tcpserve --fd 5 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --fd: descriptor 5 is a datagram socket, not a listening stream socket" ]
	run -2 --separate-stderr peer fdexec 5 tcp "$SOCKBOX" udpserve --fd 5 --echo
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: --fd: descriptor 5 is a stream socket, not a datagram socket" ]
}

@test "--systemd and --fd: the options that do not go with them are exit 2" {
	run -2 --separate-stderr sb tcpserve --fd 5 --systemd cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --systemd and --fd exclude each other" ]
	run -2 --separate-stderr sb tcpserve -4 --fd 5 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: -4 and -6 are for HOST PORT, not --fd" ]
	run -2 --separate-stderr sb udpserve -6 --systemd --echo
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -4 and -6 are for HOST PORT, not --systemd" ]
	run -2 --separate-stderr sb tcpserve --fd 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --fd 0: relay mode copies stdin and stdout" ]
	run -2 --separate-stderr sb udpserve --fd 1
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: --fd 1 is not for printing datagrams: stdout is the data" ]
	run -2 --separate-stderr sb tcpserve --fd 2 --ready-fd 2 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --ready-fd and --fd name the same descriptor" ]
}

@test "-1: the port printed on stdout, flushed, is the one accepting" {
	start_server tcpserve -1 127.0.0.1 0 echo served
	wait_for test -s "$BATS_TEST_TMPDIR/server.out"
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$PORT" ]
	run -0 peer get "$(cat "$BATS_TEST_TMPDIR/server.out")"
	[ "$output" = served ]
	stop_server
	# The socket handed over: its port; --echo's stdout is free too.
	fd_start 5 tcp "$SOCKBOX" tcpserve -v -1 --fd 5 --echo
	wait_for test -s "$BATS_TEST_TMPDIR/server.out"
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = "$(cat "$BATS_TEST_TMPDIR/fd.port")" ]
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	# udpserve answering (not printing): the port as well.
	start_server udpserve -1 --echo 127.0.0.1 0
	wait_for test -s "$BATS_TEST_TMPDIR/server.out"
	run -0 peer ping "$(cat "$BATS_TEST_TMPDIR/server.out")"
	[ "$output" = ping ]
}

@test "-1 where stdout is the data (tcpserve relay, udpserve printing) is exit 2" {
	run -2 --separate-stderr sb tcpserve -1 127.0.0.1 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: -1 is not for relay mode: stdout is the data" ]
	run -2 --separate-stderr sb udpserve -1 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -1 is not for printing datagrams: stdout is the data" ]
}

@test "--ready-fd N: a newline once listening, then the descriptor is closed" {
	run -0 peer readyfd 7 "$SOCKBOX" tcpserve --ready-fd 7 127.0.0.1 0 echo yo
	[ "$output" = "$(printf '%s\n' "pipe b'\\n'" "then b''" "client b'yo\\n'")" ]
	run -0 peer readyfd 8 --udp "$SOCKBOX" udpserve --ready-fd 8 --echo 127.0.0.1 0
	[ "$output" = "$(printf '%s\n' "pipe b'\\n'" "then b''" "client b'ping'")" ]
	run -2 --separate-stderr sb tcpserve --ready-fd 9 127.0.0.1 0 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: --ready-fd: descriptor 9 is not open" ]
	run -2 --separate-stderr sb udpserve --ready-fd -1 127.0.0.1 0
	assert_usage_error udpserve
}

@test "NOTIFY_SOCKET (a path): READY=1 once listening, STOPPING=1 on SIGTERM, not in PROG's environment" {
	run -0 peer notify "$BATS_TEST_TMPDIR/notify" "$SOCKBOX" tcpserve 127.0.0.1 0 \
		sh -c "$ENVPROG"
	[ "$output" = "$(printf '%s\n' 'first READY=1' "client b'clean\\n'" \
		'then STOPPING=1' 'exit 0')" ]
	rm -f "$BATS_TEST_TMPDIR/notify"
	run -0 peer notify "$BATS_TEST_TMPDIR/notify" --udp "$SOCKBOX" udpserve 127.0.0.1 0 \
		sh -c "$ENVPROG"
	[ "$output" = "$(printf '%s\n' 'first READY=1' "client b'clean\\n'" \
		'then STOPPING=1' 'exit 0')" ]
}

@test "NOTIFY_SOCKET (an abstract @name): the same, for tcpserve --echo and udpserve -r" {
	run -0 peer notify "@sockbox-test-$$-$BATS_TEST_NUMBER" "$SOCKBOX" tcpserve --echo 127.0.0.1 0
	[ "$output" = "$(printf '%s\n' 'first READY=1' "client b''" \
		'then STOPPING=1' 'exit 0')" ]
	run -0 peer notify "@sockbox-test-$$-$BATS_TEST_NUMBER" --udp "$SOCKBOX" udpserve -r R: 127.0.0.1 0
	[ "$output" = "$(printf '%s\n' 'first READY=1' "client b'R:ping'" \
		'then STOPPING=1' 'exit 0')" ]
}

@test "NOTIFY_SOCKET that cannot be reached is a warning; the server runs on" {
	NOTIFY_SOCKET=$BATS_TEST_TMPDIR/nobody start_server tcpserve 127.0.0.1 0 echo up
	run -0 peer get "$PORT"
	[ "$output" = up ]
	grep -qx "tcpserve: warning: NOTIFY_SOCKET '$BATS_TEST_TMPDIR/nobody': No such file or directory" \
		"$BATS_TEST_TMPDIR/server.err"
	stop_server
	NOTIFY_SOCKET=relative start_server udpserve --echo 127.0.0.1 0
	run -0 peer ping "$PORT"
	[ "$output" = ping ]
	grep -qx "udpserve: warning: NOTIFY_SOCKET 'relative': Invalid argument" \
		"$BATS_TEST_TMPDIR/server.err"
}

@test "LISTEN_* and NOTIFY_SOCKET are removed from programs' environment even without --systemd" {
	LISTEN_PID=1 LISTEN_FDS=1 LISTEN_FDNAMES=x NOTIFY_SOCKET=@nobody-$$ \
		start_server tcpserve 127.0.0.1 0 sh -c "$ENVPROG"
	run -0 peer get "$PORT"
	[ "$output" = clean ]
	stop_server
	LISTEN_PID=1 LISTEN_FDS=1 LISTEN_FDNAMES=x \
		start_server udpserve 127.0.0.1 0 sh -c "$ENVPROG"
	run -0 peer ping "$PORT"
	[ "$output" = clean ]
}

