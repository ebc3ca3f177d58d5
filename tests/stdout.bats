#!/usr/bin/env bats
# A failed write to stdout is never a success: "APPLET: stdout: REASON" and
# exit 1, for a full disk (/dev/full) and for a pipe whose reader is gone
# (with SIGPIPE ignored; with SIGPIPE at its default, death by SIGPIPE).
bats_require_minimum_version 1.5.0
load helpers

teardown() {
	stop_server
}

# to_full ARGS...: sockbox ARGS with stdout on /dev/full.
to_full() {
	"$SOCKBOX" "$@" >/dev/full
}

# to_gone ign|dfl ARGS...: sockbox ARGS with stdout on a pipe whose read
# end was closed before sockbox started (no race with a reader exiting),
# SIGPIPE ignored (ign) or at its default (dfl).
to_gone() {
	python3 -c '
import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.close(w)
signal.signal(signal.SIGPIPE,
              signal.SIG_IGN if sys.argv[1] == "ign" else signal.SIG_DFL)
os.execv(sys.argv[2], sys.argv[2:])
' "$1" "$SOCKBOX" "${@:2}"
}

# failed APPLET REASON: after `run --separate-stderr`, stderr is exactly
# the one stdout message.
failed() {
	[ "$stderr" = "$1: stdout: $2" ] || { echo "stderr: $stderr" >&2; return 1; }
}

@test "getserv: every output form on /dev/full: exit 1, one message" {
	run -1 --separate-stderr to_full getserv http
	failed getserv "No space left on device"
	run -1 --separate-stderr to_full getserv -l http 22/tcp
	failed getserv "No space left on device"
	run -1 --separate-stderr to_full getserv 80
	failed getserv "No space left on device"
}

@test "fqdn on /dev/full: exit 1, one message" {
	run -1 --separate-stderr to_full fqdn localhost
	failed fqdn "No space left on device"
	run -1 --separate-stderr to_full fqdn
	failed fqdn "No space left on device"
}

@test "resolve: every output path on /dev/full: exit 1, one message" {
	local args
	printf 'localhost\n127.0.0.1\n' >"$BATS_TEST_TMPDIR/names"
	for args in localhost "-j localhost" "-l localhost" 127.0.0.1 \
		"localhost 127.0.0.1" "-j localhost 127.0.0.1" \
		"-f $BATS_TEST_TMPDIR/names" "-j -f $BATS_TEST_TMPDIR/names"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr to_full resolve $args
		failed resolve "No space left on device"
	done
	# Names from a pipe are answered as they come: the first flush fails.
	run -1 --separate-stderr to_full resolve -f - <<<localhost
	failed resolve "No space left on device"
}

@test "tcpconnect -z on /dev/full: exit 1, one message" {
	start_server tcpserve 127.0.0.1 0 cat
	run -1 --separate-stderr to_full tcpconnect -z 127.0.0.1 "$PORT"
	failed tcpconnect "No space left on device"
}

@test "sockbox --list, --help, --version and every applet's --help on /dev/full" {
	local a
	for a in --list --help --version; do
		run -1 --separate-stderr to_full "$a"
		failed sockbox "No space left on device"
	done
	for a in $(sb --list); do
		run -1 --separate-stderr to_full "$a" --help
		failed "$a" "No space left on device"
	done
}

@test "a pipe whose reader is gone, SIGPIPE ignored: exit 1, Broken pipe" {
	run -1 --separate-stderr to_gone ign getserv http
	failed getserv "Broken pipe"
	run -1 --separate-stderr to_gone ign fqdn localhost
	failed fqdn "Broken pipe"
	run -1 --separate-stderr to_gone ign resolve -j localhost 127.0.0.1
	failed resolve "Broken pipe"
	run -1 --separate-stderr to_gone ign --list
	failed sockbox "Broken pipe"
	start_server tcpserve 127.0.0.1 0 cat
	run -1 --separate-stderr to_gone ign tcpconnect -z 127.0.0.1 "$PORT"
	failed tcpconnect "Broken pipe"
}

@test "a pipe whose reader is gone, SIGPIPE at its default: killed by it, as filters are" {
	run -141 --separate-stderr to_gone dfl getserv http
	[ -z "$stderr" ]
	run -141 --separate-stderr to_gone dfl resolve localhost 127.0.0.1
	[ -z "$stderr" ]
}

@test "an unknown service and a full disk: both said, exit 1" {
	run -1 --separate-stderr to_full getserv nosuchservice http
	[ "${stderr_lines[0]}" = "getserv: nosuchservice: unknown service" ]
	[ "${stderr_lines[1]}" = "getserv: stdout: No space left on device" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
}

# serve_one DATA: a tcpserve PROG server that sends DATA to each client.
serve_one() {
	start_server tcpserve 127.0.0.1 0 sh -c "printf '%s' '$1'"
}

@test "the data paths too: tcpconnect, tcpserve relay, udpserve, udpsend -r on /dev/full and a gone pipe" {
	serve_one hello
	run -1 --separate-stderr to_full tcpconnect 127.0.0.1 "$PORT" </dev/null
	failed tcpconnect "No space left on device"
	run -1 --separate-stderr to_gone ign tcpconnect 127.0.0.1 "$PORT" </dev/null
	failed tcpconnect "Broken pipe"
	stop_server
	# tcpserve relay: what the client sends goes to a stdout that fails.
	for how in full gone; do
		if [ $how = full ]; then
			"$SOCKBOX" tcpserve 127.0.0.1 0 </dev/null >/dev/full \
			    2>"$BATS_TEST_TMPDIR/r.err" 3>&- &
		else
			to_gone ign tcpserve 127.0.0.1 0 </dev/null \
			    2>"$BATS_TEST_TMPDIR/r.err" 3>&- &
		fi
		SERVER_PID=$!
		wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/r.err"
		PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/r.err")
		echo data | sb tcpconnect 127.0.0.1 "$PORT" || true
		wait_exit "$SERVER_PID"
		SERVER_PID=
		[ "$EXIT_STATUS" = 1 ]
		grep -qxE 'tcpserve: 127.0.0.1:[0-9]+: stdout: (No space left on device|Broken pipe)' \
		    "$BATS_TEST_TMPDIR/r.err"
	done
	# udpserve printing, udpsend printing a reply.
	for how in full gone; do
		if [ $how = full ]; then
			"$SOCKBOX" udpserve 127.0.0.1 0 >/dev/full \
			    2>"$BATS_TEST_TMPDIR/u.err" 3>&- &
		else
			to_gone ign udpserve 127.0.0.1 0 \
			    2>"$BATS_TEST_TMPDIR/u.err" 3>&- &
		fi
		SERVER_PID=$!
		wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/u.err"
		PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/u.err")
		sb udpsend 127.0.0.1 "$PORT" datagram
		wait_exit "$SERVER_PID"
		SERVER_PID=
		[ "$EXIT_STATUS" = 1 ]
		grep -qxE 'udpserve: stdout: (No space left on device|Broken pipe)' \
		    "$BATS_TEST_TMPDIR/u.err"
	done
	start_server udpserve --echo 127.0.0.1 0
	run -1 --separate-stderr to_full udpsend -r 127.0.0.1 "$PORT" ping
	failed udpsend "No space left on device"
	run -1 --separate-stderr to_gone ign udpsend -r 127.0.0.1 "$PORT" ping
	failed udpsend "Broken pipe"
}
