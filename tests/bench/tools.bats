#!/usr/bin/env bats
# tools.bats: the benchmark's load generators and limit references count
# what they claim to (a benchmark is only as honest as its client).
# Run: bats tests/bench/tools.bats
bats_require_minimum_version 1.5.0
load ../helpers

setup_file() {
	local f
	mkdir -p "$BATS_FILE_TMPDIR/bin"
	for f in "$BATS_TEST_DIRNAME"/*.c; do
		cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		    -o "$BATS_FILE_TMPDIR/bin/$(basename "$f" .c)" "$f" || return 1
	done
}

setup() {
	B=$BATS_FILE_TMPDIR/bin
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

# serve CMD...: start a server that announces "listening on ADDR:PORT";
# sets PORT.
serve() {
	"$@" </dev/null >"$BATS_TEST_TMPDIR/srv.out" \
	    2>"$BATS_TEST_TMPDIR/srv.err" 3>&- &
	PIDS+=($!)
	wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/srv.err"
	PORT=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' \
	    "$BATS_TEST_TMPDIR/srv.err")
}

@test "echocli completes every round trip against the epoll echo" {
	serve "$B/epollecho" 127.0.0.1 0
	run -0 "$B/echocli" -c 10 -n 1000 -s 64 127.0.0.1 "$PORT"
	[[ "$output" == "roundtrips=1000 errors=0 "* ]]
}

@test "echocli reports no round trips and fails against a server that does not echo" {
	serve "$B/relayref" -l 127.0.0.1 0
	run -1 "$B/echocli" -c 1 -n 10 -t 2 127.0.0.1 "$PORT"
	[[ "$output" == "roundtrips=0 "* ]]
}

@test "connrate counts refused connections as failed" {
	run -0 "$B/freeport"
	run -1 "$B/connrate" -n 3 -k 2 -t 1 127.0.0.1 "$output"
	[[ "$output" == "ok=0 failed=3 hung=0 notrun=0 "* ]]
}

@test "connrate counts a server that never closes as hung" {
	serve "$B/epollecho" 127.0.0.1 0
	run -1 "$B/connrate" -n 2 -k 2 -t 1 127.0.0.1 "$PORT"
	[[ "$output" == "ok=0 failed=0 hung=2 notrun=0 "* ]]
}

@test "connrate accepts the expected reply and rejects another" {
	need tcpserver
	run -0 "$B/freeport"
	local port=$output
	tcpserver -H -R -l 0 127.0.0.1 "$port" /bin/echo hi </dev/null \
	    >/dev/null 2>&1 3>&- &
	PIDS+=($!)
	wait_for "$B/connrate" -n 1 -t 1 127.0.0.1 "$port"
	run -0 "$B/connrate" -n 20 -k 4 -t 3 127.0.0.1 "$port"
	[[ "$output" == "ok=20 failed=0 hung=0 notrun=0 "* ]]
	run -1 "$B/connrate" -n 2 -k 1 -t 3 -e "ho" 127.0.0.1 "$port"
	[[ "$output" == "ok=0 failed=2 hung=0 notrun=0 "* ]]
}

@test "idlehold holds connections and sees each echo twice" {
	serve "$B/epollecho" 127.0.0.1 0
	run -0 "$B/idlehold" -c 200 -t 5 127.0.0.1 "$PORT" <<<go
	[ "$output" = "$(printf 'held 200\nechoed 200')" ]
}

@test "relayref moves a random file intact" {
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	"$B/relayref" -l 127.0.0.1 0 </dev/null >"$BATS_TEST_TMPDIR/got" \
	    2>"$BATS_TEST_TMPDIR/srv.err" 3>&- &
	PIDS+=($!)
	wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/srv.err"
	PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/srv.err")
	run -0 "$B/relayref" 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/in"
	wait_exit "${PIDS[0]}" 10
	[ "$EXIT_STATUS" = 0 ]
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/got"
}

@test "udpref sends one datagram per line and receives them all" {
	seq 1000 >"$BATS_TEST_TMPDIR/lines"
	"$B/udpref" recv -n 1000 127.0.0.1 0 </dev/null \
	    >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/srv.err" 3>&- &
	PIDS+=($!)
	wait_for grep -q 'listening on' "$BATS_TEST_TMPDIR/srv.err"
	PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/srv.err")
	run -0 "$B/udpref" send 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/lines"
	wait_exit "${PIDS[0]}" 10
	[ "$EXIT_STATUS" = 0 ]
	# no separator between datagrams: the lines come back joined
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "$(tr -d '\n' <"$BATS_TEST_TMPDIR/lines")" ]
	grep -q 'received 1000 datagrams' "$BATS_TEST_TMPDIR/srv.err"
}

@test "pipesink counts the bytes of its input" {
	run -0 "$B/pipesink" -i 200 -t 5 < <(head -c 123456 /dev/zero)
	[[ "$output" == "bytes=123456 first="* ]]
}

@test "forkexec runs the program COUNT times" {
	run -0 "$B/forkexec" 50 /bin/true
	[[ "$output" == "ok=50 failed=0 "* ]]
	run -1 "$B/forkexec" 3 /bin/false
}
