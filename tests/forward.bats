#!/usr/bin/env bats
# tcpserve --forward: exact bytes both ways, each direction's end on its
# own, resets passed on, round robin and failover, -w, unix: targets,
# many clients, a client that never reads, and bad targets. Backends and
# clients are tests/forward_peer.py, curl, http.server and sockbox itself.
bats_require_minimum_version 1.5.0
load helpers
load dns

PEER=$BATS_TEST_DIRNAME/forward_peer.py

teardown() {
	local pid
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait_exit "$SERVER_PID" 5 || true
		SERVER_PID=
	fi
	for pid in ${EXTRA_PIDS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# start_peer NAME ARGS...: a forward_peer.py backend in the background,
# its stdout in $BATS_TEST_TMPDIR/NAME.out; sets PEER_PORT (or waits for
# a Unix socket's line).
start_peer() {
	local name=$1 i
	shift
	python3 "$PEER" "$@" >"$BATS_TEST_TMPDIR/$name.out" \
		2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
	for i in $(seq 200); do
		line=$(grep -m 1 '^listening on' "$BATS_TEST_TMPDIR/$name.err" || true)
		PEER_PORT=${line##*:}
		[ -n "$line" ] && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/$name.err" >&2
	return 1
}

# start_limited ARGS...: start_server tcpserve ARGS with a hard descriptor
# limit of $SOCKBOX_ULIMIT (tcpserve raises its soft limit to the hard one).
start_limited() {
	local real=$SOCKBOX
	SOCKBOX=$BATS_TEST_TMPDIR/limited
	printf '#!/bin/sh\nulimit -n %s && exec "%s" "$@"\n' "$SOCKBOX_ULIMIT" \
		"$real" >"$SOCKBOX"
	chmod +x "$SOCKBOX"
	start_server tcpserve "$@"
	SOCKBOX=$real
}

# both_ways N: N random bytes each way between the hash client and the
# hash backend (start_peer back serve hash N) through the forwarder; what
# each sent the other received, and -v counted it.
both_ways() {
	run -0 timeout 120 python3 "$PEER" hash "$PORT" "$1"
	wait_for test -s "$BATS_TEST_TMPDIR/back.out"
	read -r _ csent _ cgot <<<"$output"
	read -r _ bsent _ bgot <"$BATS_TEST_TMPDIR/back.out"
	[ "$csent" = "$bgot" ] && [ "$bsent" = "$cgot" ]
	wait_log "sent $1 received $1"
}

# A port nothing listens on: bound, then closed.
free_port() {
	python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_log TEXT: wait (bounded) until the server's stderr has TEXT.
wait_log() {
	wait_for grep -qF -- "$1" "$BATS_TEST_TMPDIR/server.err"
}

@test "curl through the forwarder gets a file from Python's http.server" {
	need curl
	mkdir "$BATS_TEST_TMPDIR/www"
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/www/blob"
	(cd "$BATS_TEST_TMPDIR/www" && exec python3 -u -m http.server \
		--bind 127.0.0.1 0 >"$BATS_TEST_TMPDIR/http.out" 2>&1 3>&-) &
	EXTRA_PIDS=$!
	wait_for grep -q 'port [0-9]' "$BATS_TEST_TMPDIR/http.out"
	hport=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/http.out")
	start_server tcpserve --forward "127.0.0.1:$hport" 127.0.0.1 0
	run -0 curl -sS -m 20 -o "$BATS_TEST_TMPDIR/got" \
		"http://127.0.0.1:$PORT/blob"
	cmp "$BATS_TEST_TMPDIR/www/blob" "$BATS_TEST_TMPDIR/got"
}

@test "256 MiB of random data each way arrive exactly (sha256)" {
	n=$((256 << 20))
	start_peer back serve hash "$n"
	start_server tcpserve -v --forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	both_ways "$n"
}

@test "without descriptors for pipes, a small buffer carries the bytes" {
	n=$((32 << 20))
	start_peer back serve hash "$n"
	# 8 descriptors: stdio, listener, loop, client, backend; no pipe.
	SOCKBOX_ULIMIT=8 start_limited -v --max-pending 16k \
		--forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	both_ways "$n"
}

@test "the client's end reaches the backend, whose answer still comes back" {
	start_peer back serve after-eof
	start_server tcpserve -v --forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	run -0 --separate-stderr sh -c "printf 'four' |
		'$SOCKBOX' tcpconnect 127.0.0.1 $PORT"
	[ "$output" = "got 4" ]
	wait_log "closed 127.0.0.1:"
	grep -q "^tcpserve: connection from 127.0.0.1:[0-9]* to 127.0.0.1:$PEER_PORT$" \
		"$BATS_TEST_TMPDIR/server.err"
	grep -q "^tcpserve: closed 127.0.0.1:[0-9]* sent 6 received 4$" \
		"$BATS_TEST_TMPDIR/server.err"
}

@test "the backend's end reaches the client, who can still send" {
	start_peer back serve close-first
	start_server tcpserve --forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	run -0 python3 "$PEER" keep-sending "$PORT" 1000000
	[ "$output" = "$(printf 'hello\nclosed')" ]
	wait_for grep -qx "received 1000000" "$BATS_TEST_TMPDIR/back.out"
}

@test "a backend's reset reaches the client as a reset" {
	start_peer back serve reset
	start_server tcpserve --forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	run -0 python3 "$PEER" reset "$PORT"
	[ "$output" = reset ]
	# ... and the forwarder goes on.
	run -0 python3 "$PEER" reset "$PORT"
	[ "$output" = reset ]
}

@test "round robin over three targets skips the one that is down" {
	start_peer a serve name A
	a=$PEER_PORT
	start_peer b serve name B
	b=$PEER_PORT
	down=$(free_port)
	start_server tcpserve -v --forward "127.0.0.1:$a" \
		--forward "127.0.0.1:$down" --forward "localhost:$b" 127.0.0.1 0
	got=
	for i in 1 2 3 4 5 6; do
		run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
		got="$got$output"
	done
	# Each connection begins at the next target; the dead one hands over.
	[ "$got" = ABBABB ]
	grep -q "warning: 127.0.0.1:[0-9]*: connect 127.0.0.1:$down: Connection refused" \
		"$BATS_TEST_TMPDIR/server.err"
	grep -q "to localhost:$b$" "$BATS_TEST_TMPDIR/server.err"
}

@test "with every target down the client is closed, and -v says why" {
	down=$(free_port)
	start_server tcpserve -v --forward "127.0.0.1:$down" 127.0.0.1 0
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ -z "$output" ]
	wait_log "sent 0 received 0: no target answered"
	kill -0 "$SERVER_PID"
}

# In a network namespace: 10.99.0.2 is on a veth link whose other end
# drops everything, so a SYN to it is never answered.
silent_target() {
	ip link set lo up
	ip link add v0 type veth peer name v1 || return 125
	ip addr add 10.99.0.1/24 dev v0
	ip link set v0 up
	ip link set v1 up
	ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent
	python3 "$PEER" serve name LIVE 2>"$T/back.err" 3>&- &
	local back=$! fwd i port bport rc=0
	for i in $(seq 100); do
		bport=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$T/back.err")
		[ -n "$bport" ] && break
		sleep 0.05
	done
	"$SOCKBOX" tcpserve -v -w 0.5 --forward 10.99.0.2:80 \
		--forward "127.0.0.1:$bport" 127.0.0.1 0 2>"$T/fwd.err" 3>&- &
	fwd=$!
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$T/fwd.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	timeout 10 "$SOCKBOX" tcpconnect 127.0.0.1 "$port" </dev/null || rc=1
	kill "$fwd" "$back"
	wait "$fwd" "$back"
	cat "$T/fwd.err" >&2
	return "$rc"
}

@test "a target that does not answer within -w is skipped" {
	[ "$(id -u)" = 0 ] && command -v ip >/dev/null || skip "needs root and ip"
	export -f silent_target
	export PEER SOCKBOX T=$BATS_TEST_TMPDIR
	run -0 --separate-stderr timeout 30 unshare -n bash -c silent_target
	[ "$output" = LIVE ]
	[[ "$stderr" == *"connect 10.99.0.2:80: $(libc_msg timedout)"* ]]
	[[ "$stderr" == *" to 127.0.0.1:"* ]]
}

@test "a unix: target, by path and in the abstract namespace" {
	start_peer u serve-unix "$BATS_TEST_TMPDIR/back.sock" name UNIX
	start_server tcpserve --forward "unix:$BATS_TEST_TMPDIR/back.sock" \
		127.0.0.1 0
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ "$output" = UNIX ]
	stop_server
	start_peer v serve-unix "@sockbox-fwd-$$" name ABSTRACT
	start_server tcpserve --forward "unix:@sockbox-fwd-$$" 127.0.0.1 0
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ "$output" = ABSTRACT ]
}

@test "1,000 clients at once through the forwarder to an echo backend" {
	ulimit -n 8192 2>/dev/null || skip "cannot raise the descriptor limit"
	start_server tcpserve --echo 127.0.0.1 0
	echo_pid=$SERVER_PID
	echo_port=$PORT
	EXTRA_PIDS=$echo_pid
	start_server tcpserve --forward "127.0.0.1:$echo_port" 127.0.0.1 0
	run -0 timeout 120 python3 "$PEER" many "$PORT" 1000 20000
	[ "$output" = "ok 1000" ]
}

@test "a client that never reads stalls only its own connection" {
	start_server tcpserve --echo 127.0.0.1 0
	EXTRA_PIDS=$SERVER_PID
	echo_port=$PORT
	start_server tcpserve --forward "127.0.0.1:$echo_port" 127.0.0.1 0
	mkfifo "$BATS_TEST_TMPDIR/hold"
	python3 "$PEER" no-read "$PORT" <"$BATS_TEST_TMPDIR/hold" \
		>"$BATS_TEST_TMPDIR/stuck.out" 3>&- &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	exec 4>"$BATS_TEST_TMPDIR/hold"
	wait_for grep -q '^stuck [1-9]' "$BATS_TEST_TMPDIR/stuck.out"
	run -0 timeout 20 python3 "$PEER" many "$PORT" 5 100000
	[ "$output" = "ok 5" ]
	exec 4>&-
}

@test "-i closes a forwarded connection silent both ways" {
	start_peer back serve after-eof
	start_server tcpserve -v -i 0.3 --forward "127.0.0.1:$PEER_PORT" \
		127.0.0.1 0
	run -0 timeout 10 python3 -c "import socket, sys
s = socket.create_connection(('127.0.0.1', $PORT))
print(s.recv(10) == b'' and 'closed')"
	[ "$output" = closed ]
	wait_log "sent 0 received 0: idle timeout"
}

@test "-d turns clients away before any target is asked" {
	start_peer back serve name B
	start_server tcpserve -v -d 127.0.0.0/8 --forward "127.0.0.1:$PEER_PORT" \
		127.0.0.1 0
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ -z "$output" ]
	wait_log "denied 127.0.0.1:"
	! grep -q "connection from" "$BATS_TEST_TMPDIR/server.err"
}

@test "SIGTERM ends the forwarder with exit 0, connections open" {
	start_peer back serve after-eof
	start_server tcpserve --forward "127.0.0.1:$PEER_PORT" 127.0.0.1 0
	python3 -c "import socket, time
s = socket.create_connection(('127.0.0.1', $PORT)); time.sleep(30)" 3>&- &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	wait_for sh -c "ss -tn state established | grep -q ':$PEER_PORT'"
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID" 5
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
}

@test "bad targets are bad input: exit 2 and the target named" {
	for t in 127.0.0.1 '::1:80' '[::1]' '[::1]80' 'host:99999' ':80' \
	    unix: unix:@ 'host:nosuchservice' "unix:/$(printf '%0200d' 0)"; do
		run -2 --separate-stderr sb tcpserve --forward "$t" 127.0.0.1 0
		assert_usage_error tcpserve
		[[ "$stderr" == "tcpserve: invalid target '$t'"* ]] ||
			{ echo "$t: $stderr" >&2; return 1; }
	done
	# The second target is checked before the first is looked up.
	run -2 --separate-stderr sb tcpserve --forward nosuch.invalid:80 \
		--forward 'bad' 127.0.0.1 0
	assert_usage_error tcpserve
}

@test "--forward excludes --echo and PROG; -w is for --forward" {
	run -2 --separate-stderr sb tcpserve --echo --forward 127.0.0.1:1 \
		127.0.0.1 0
	assert_usage_error tcpserve
	run -2 --separate-stderr sb tcpserve --forward 127.0.0.1:1 127.0.0.1 0 cat
	assert_usage_error tcpserve
	run -2 --separate-stderr sb tcpserve -w 1 127.0.0.1 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: -w is for --forward and --proxy-protocol" ]
	run -2 --separate-stderr sb tcpserve -t 1 --forward 127.0.0.1:1 \
		127.0.0.1 0
	assert_usage_error tcpserve
}

@test "a target name that does not resolve is an error at start: exit 1" {
	need_dns_ns
	: >"$BATS_TEST_TMPDIR/records"
	run -1 --separate-stderr in_dns_ns "$BATS_TEST_TMPDIR/records" \
		"$SOCKBOX" tcpserve --forward nosuch.test:80 127.0.0.1 0
	[ -z "$output" ]
	[[ "$stderr" == "tcpserve: nosuch.test:80: "* ]]
	[[ "$stderr" != *"listening"* ]]
}

@test "bash completion offers hosts and unix: for --forward's TARGET" {
	source "$BATS_TEST_DIRNAME/../doc/sockbox.bash"
	printf '192.0.2.7 zzsbhost\n' >"$BATS_TEST_TMPDIR/hosts"
	export HOSTFILE=$BATS_TEST_TMPDIR/hosts
	touch "$BATS_TEST_TMPDIR/app.sock"
	COMP_WORDS=("$SOCKBOX" tcpserve --forward zzsb)
	COMP_CWORD=3
	_sockbox
	[ "${COMPREPLY[*]}" = "zzsbhost:" ]
	COMP_WORDS=("$SOCKBOX" tcpserve --forward "unix:$BATS_TEST_TMPDIR/app.s")
	_sockbox
	[ "${COMPREPLY[*]}" = "unix:$BATS_TEST_TMPDIR/app.sock" ]
}

@test "--forward --hexdump: both directions rebuilt from the dump are what passed; -B greets first" {
	start_server tcpserve --echo 127.0.0.1 0
	back=$PORT
	head -c 70001 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	SERVER_PID2=$SERVER_PID
	start_server tcpserve -B 'hello
' --hexdump "$BATS_TEST_TMPDIR/dump" --forward "127.0.0.1:$back" 127.0.0.1 0
	run -0 sh -c "'$SOCKBOX' tcpconnect -t 0 127.0.0.1 $PORT <'$BATS_TEST_TMPDIR/in' >'$BATS_TEST_TMPDIR/out'"
	# The banner, then the echo.
	[ "$(head -c 6 "$BATS_TEST_TMPDIR/out")" = hello ]
	tail -c +7 "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/in"
	wait_for grep -q '^>' "$BATS_TEST_TMPDIR/dump"
	python3 "$BATS_TEST_DIRNAME/dump_parse.py" "$BATS_TEST_TMPDIR/dump" '<' |
	    cmp - "$BATS_TEST_TMPDIR/in"
	wait_for sh -c "python3 '$BATS_TEST_DIRNAME/dump_parse.py' '$BATS_TEST_TMPDIR/dump' '>' | cmp -s - '$BATS_TEST_TMPDIR/in'"
	grep -q '^< [0-9]* bytes +[0-9.]*s 127.0.0.1:[0-9]*$' "$BATS_TEST_TMPDIR/dump"
	kill "$SERVER_PID2"
	wait "$SERVER_PID2" || true
}

@test "--forward --sockopt: the backend's socket gets the options too" {
	start_server tcpserve --echo 127.0.0.1 0
	back=$PORT
	SERVER_PID2=$SERVER_PID
	start_server tcpserve --sockopt tos=0x20 --forward "127.0.0.1:$back" 127.0.0.1 0
	# A client holds its connection open while the forwarder's sockets
	# are read back (sockopt_peer.py takes them with pidfd_getfd).
	python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x")
s.recv(1)
time.sleep(20)' "$PORT" 3>&- &
	client=$!
	python3 "$BATS_TEST_DIRNAME/sockopt_peer.py" pid "$SERVER_PID" "$BATS_TEST_TMPDIR/opts"
	wait_for sh -c "[ \$(grep -c 'listen=0' '$BATS_TEST_TMPDIR/opts') -ge 2 ] || python3 '$BATS_TEST_DIRNAME/sockopt_peer.py' pid $SERVER_PID '$BATS_TEST_TMPDIR/opts'"
	kill "$client" "$SERVER_PID2"
	wait "$client" "$SERVER_PID2" || true
	cat "$BATS_TEST_TMPDIR/opts"
	# The client's socket (inherited from the listener) and the backend's.
	[ "$(grep 'listen=0' "$BATS_TEST_TMPDIR/opts" | grep -c ' tos=32\b')" = 2 ]
}

@test "--forward out of descriptors: a client waits for its backend socket instead of being dropped" {
	start_server tcpserve --echo 127.0.0.1 0
	back=$PORT
	SERVER_PID2=$SERVER_PID
	start_server tcpserve -v --forward "127.0.0.1:$back" 127.0.0.1 0
	run -0 python3 - "$SERVER_PID" "$PORT" <<'PY'
import os, resource, socket, sys, time
pid, port = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
fds = {int(x) for x in os.listdir("/proc/%d/fd" % pid)}
# Room for the client's socket, none for the backend's: the limit just
# past the lowest free descriptor (it counts numbers, not open files).
free = min(set(range(len(fds) + 1)) - fds)
resource.prlimit(pid, resource.RLIMIT_NOFILE, (free + 1, hard))
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(b"still here\n")
time.sleep(1)
resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
print(s.makefile("rb").readline().decode().strip())
PY
	kill "$SERVER_PID2"
	wait "$SERVER_PID2" || true
	[ "$output" = "still here" ]
}
