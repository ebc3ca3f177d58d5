#!/usr/bin/env bats
# tcpconnect: the relay at every EOF timing, binary data, Happy Eyeballs
# connects and their failures, -z scans, PROG with the UCSPI environment;
# the servers are Python socket-module programs (tcpconnect_peer.py).
bats_require_minimum_version 1.5.0
load helpers
load dns

PEER=$BATS_TEST_DIRNAME/tcpconnect_peer.py

# start_peer MODE ARGS...: start_server for tcpconnect_peer.py instead of
# an applet; sets PORT and SERVER_PID (stop_server kills it).
start_peer() {
	SOCKBOX=python3 start_server "$PEER" "$@"
}

# relay_file IN OUT ARGS...: tcpconnect ARGS <IN >OUT, at most 10 s.
relay_file() {
	timeout 10 "$SOCKBOX" tcpconnect "${@:3}" <"$1" >"$2"
}

# A FIFO for stdin that stays open (never EOF) until close_fifo.
open_fifo() {
	FIFO=$BATS_TEST_TMPDIR/stdin.fifo
	mkfifo "$FIFO"
	exec 5<>"$FIFO"
}

close_fifo() {
	exec 5>&-
}

# in_netns SCRIPT ARGS...: run bash SCRIPT in a private network and mount
# namespace with lo up and /etc/hosts from $BATS_TEST_TMPDIR/hosts, names
# looked up in that file only (no resolver is ever asked).
in_netns() {
	unshare -n -m true 2>/dev/null || skip "needs unshare -n -m (root)"
	printf 'hosts: files\n' >"$BATS_TEST_TMPDIR/nsswitch.conf"
	touch "$BATS_TEST_TMPDIR/hosts"
	local script=$1
	shift
	unshare -n -m bash -c 'set -e
		ip link set lo up
		mount --bind "$T/hosts" /etc/hosts
		mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf
		'"$script" _ "$@" 3>&-
}

setup() {
	T=$BATS_TEST_TMPDIR
	export T PEER
}

teardown() {
	close_fifo 2>/dev/null || true
	stop_server
}

@test "usage errors: one line, exit 2, nothing on stdout" {
	for args in "" "127.0.0.1" "127.0.0.1 abc" "127.0.0.1 65536" \
	    "127.0.0.1 -1" "-w x 127.0.0.1 80" "-i -3 127.0.0.1 80" \
	    "-4 ::1 80" "-6 127.0.0.1 80" "-s nohost 127.0.0.1 80" \
	    "-4 -s ::1 127.0.0.1 80" "-p 70000 127.0.0.1 80" "-q 127.0.0.1 80" \
	    "-z 127.0.0.1 20-10" "-z 127.0.0.1 1-x" "127.0.0.1 1-10" \
	    "-z 127.0.0.1 80 cat" "-i 1 127.0.0.1 80 cat" "-w" \
	    "[::1 80"; do
		run --separate-stderr -2 sb tcpconnect $args
		assert_usage_error tcpconnect
	done
	run -0 sb tcpconnect --help
	[[ "$output" == "usage: tcpconnect "* ]]
}

@test "all 256 byte values go through and come back intact" {
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' \
		>"$T/bytes"
	start_peer echo
	run -0 relay_file "$T/bytes" "$T/back" 127.0.0.1 "$PORT"
	cmp "$T/bytes" "$T/back"
}

@test "a multi-MB random file is echoed byte for byte" {
	head -c 8000000 /dev/urandom >"$T/rand"
	start_peer echo
	run -0 relay_file "$T/rand" "$T/back" 127.0.0.1 "$PORT"
	[ "$(sha256sum <"$T/back")" = "$(sha256sum <"$T/rand")" ]
}

@test "stdin EOF half-closes; a reply 0.7 s later still arrives in full" {
	head -c 3000000 /dev/urandom >"$T/rand"
	start_peer sink "$T/got" 0.7
	# A pipe that closes at once, as in `cmd | tcpconnect`.
	run -0 --separate-stderr bash -c 'cat "$1" | "$SOCKBOX" tcpconnect 127.0.0.1 "$2"' \
		_ "$T/rand" "$PORT"
	[ "$output" = "got 3000000 $(sha256sum <"$T/rand" | cut -d' ' -f1)" ]
	cmp "$T/rand" "$T/got"
}

@test "the server half-closes first: our bytes still reach it, exit 0" {
	printf 'from the server' >"$T/reply"
	printf 'request bytes' >"$T/req"
	start_peer send "$T/reply" half
	run -0 sb tcpconnect 127.0.0.1 "$PORT" <"$T/req"
	[ "$output" = "from the server" ]
	wait_exit "$SERVER_PID"
	[ "$(cat "$T/reply.got")" = "request bytes" ]
}

@test "the server half-closes at once: all of a 20 MB stdin file still goes" {
	# What a receiver run as 'tcpserve ... >file </dev/null' does.
	head -c 20000000 /dev/urandom >"$T/req"
	: >"$T/reply"
	start_peer send "$T/reply" half
	run -0 sb tcpconnect 127.0.0.1 "$PORT" <"$T/req"
	[ -z "$output" ]
	wait_exit "$SERVER_PID"
	cmp "$T/req" "$T/reply.got"
}

@test "the server half-closes at once: a pipe that keeps delivering still goes whole" {
	: >"$T/reply"
	start_peer send "$T/reply" half
	# 40 chunks of 100 kB, 50 ms apart: the pipe is often empty.
	run -0 bash -c 'python3 -c "
import sys, time
for i in range(40):
    sys.stdout.buffer.write(b\"x\" * 100000); sys.stdout.flush(); time.sleep(0.05)
" | "$SOCKBOX" tcpconnect 127.0.0.1 "$1"' _ "$PORT"
	wait_exit "$SERVER_PID"
	[ "$(wc -c <"$T/reply.got")" -eq 4000000 ]
}

@test "the server closes first: exit 0 without waiting for an idle stdin to end" {
	head -c 500000 /dev/urandom >"$T/reply"
	start_peer send "$T/reply"
	open_fifo
	run -0 relay_file "$FIFO" "$T/back" 127.0.0.1 "$PORT"
	cmp "$T/reply" "$T/back"
}

@test "stdin from /dev/null: an empty request, the whole answer" {
	head -c 300000 /dev/urandom >"$T/reply"
	start_peer send "$T/reply" half
	run -0 relay_file /dev/null "$T/back" 127.0.0.1 "$PORT"
	cmp "$T/reply" "$T/back"
	wait_exit "$SERVER_PID"
	[ ! -s "$T/reply.got" ]
}

@test "stdin and stdout on one socket, as a UCSPI program: both ways intact" {
	head -c 2000000 /dev/urandom >"$T/rand"
	start_peer echo
	run -0 python3 -c '
import socket, subprocess, sys, threading
ours, theirs = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "tcpconnect", "127.0.0.1", sys.argv[2]],
                     stdin=theirs, stdout=theirs)
theirs.close()
data = open(sys.argv[3], "rb").read()
def send():
    ours.sendall(data)
    ours.shutdown(socket.SHUT_WR)
threading.Thread(target=send).start()
back = b""
while True:
    d = ours.recv(65536)
    if not d:
        break
    back += d
sys.exit(p.wait() or (back != data))' "$SOCKBOX" "$PORT" "$T/rand"
}

@test "a Python client-server exchange: request, half-close, answer" {
	start_peer sink "$T/got"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" < <(printf 'GET / HTTP/1.0\r\n\r\n')
	[ "$output" = "got 18 $(printf 'GET / HTTP/1.0\r\n\r\n' | sha256sum | cut -d' ' -f1)" ]
}

@test "a refused connect: one message, exit 1" {
	start_peer refuse
	run -1 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: 127.0.0.1 port $PORT: connect: Connection refused" ]
}

@test "-w bounds a connect that gets no answer (full backlog)" {
	start_peer backlog
	run -1 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect -w 0.5 127.0.0.1 "$PORT" </dev/null
	[ -z "$output" ]
	# glibc's strerror words it so, musl's "Operation timed out".
	[[ "$stderr" =~ ^"tcpconnect: 127.0.0.1 port $PORT: connect: "(Connection|Operation)" timed out"$ ]]
}

@test "an unknown name: the resolver's message, exit 1" {
	need_dns_ns
	echo 'host-record=known.test,127.0.0.1' >"$T/records"
	run -1 --separate-stderr in_dns_ns "$T/records" sb tcpconnect no-such-host.test 80
	[ -z "$output" ]
	# glibc's gai_strerror, or musl's.
	[[ "$stderr" =~ ^"tcpconnect: no-such-host.test port 80: "("Name or service not known"|"Name does not resolve")$ ]]
	# The same server does answer for a name it knows.
	run -1 --separate-stderr in_dns_ns "$T/records" sb tcpconnect known.test 1
	[ "$stderr" = "tcpconnect: known.test port 1: connect: Connection refused" ]
}

# multi_addr HOSTS-LINE...: a name "multi" with these /etc/hosts lines;
# its first address drops SYNs (full backlog), its second echoes.
multi_addr() {
	printf '%s\n' "$@" >"$T/hosts"
	run -0 --separate-stderr in_netns '
		python3 "$PEER" multi multi </dev/null >/dev/null 2>"$T/server.err" &
		pid=$!
		trap "kill $pid 2>/dev/null || true" EXIT
		for i in $(seq 200); do
			grep -qs listening "$T/server.err" && break
			sleep 0.05
		done
		port=$(sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" "$T/server.err")
		echo hello | timeout 10 "$SOCKBOX" tcpconnect -v -w 5 multi "$port"
		wait $pid'
	[ "$output" = hello ]
	# The answering address is the second; the first got our SYN.
	want=$(sed -n 's/.*listening on \(.*\)$/\1/p' "$T/server.err")
	echo "client: $stderr"; cat "$T/server.err"	# shown on failure
	[ "${stderr_lines[0]}" = "tcpconnect: connected to $want" ]
	[[ "${stderr_lines[1]}" == "tcpconnect: sent 6 bytes, received 6 bytes in "*" s" ]]
	grep -Eq '^overflows [1-9]' "$T/server.err"
}

@test "a name whose first address drops SYNs: the next is tried and wins" {
	multi_addr "127.0.0.1 multi" "127.0.0.2 multi"
}

@test "the same across families: IPv6 first, then IPv4" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 on loopback"
	multi_addr "::1 multi" "127.0.0.1 multi"
}

@test "-z: an open port, a closed one, and a range" {
	start_peer scan
	run -0 --separate-stderr sb tcpconnect -z 127.0.0.1 "$PORT"
	[ "$output" = "127.0.0.1 $PORT open" ]
	[ -z "$stderr" ]
	run -1 --separate-stderr sb tcpconnect -z 127.0.0.1 $((PORT + 1))
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: 127.0.0.1 port $((PORT + 1)): connect: Connection refused" ]
	run -0 --separate-stderr sb tcpconnect -z 127.0.0.1 "$PORT-$((PORT + 2))"
	[ "$output" = "$(printf '127.0.0.1 %d open\n127.0.0.1 %d open' "$PORT" $((PORT + 2)))" ]
	[ -z "$stderr" ]
	# -v: the closed one's reason on stderr, and each connection.
	run -0 --separate-stderr sb tcpconnect -vz 127.0.0.1 "$PORT-$((PORT + 2))"
	[ "${#lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "tcpconnect: connected to 127.0.0.1:$PORT" ]
	[ "${stderr_lines[1]}" = "tcpconnect: 127.0.0.1 port $((PORT + 1)): connect: Connection refused" ]
	[ "${stderr_lines[2]}" = "tcpconnect: connected to 127.0.0.1:$((PORT + 2))" ]
	run -1 --separate-stderr sb tcpconnect -z 127.0.0.1 "$((PORT + 1))-$((PORT + 1))"
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "-v names the address it connected to" {
	start_peer echo
	run -0 --separate-stderr sb tcpconnect -v localhost "$PORT" < <(echo hi)
	[ "$output" = hi ]
	[ "${stderr_lines[0]}" = "tcpconnect: connected to 127.0.0.1:$PORT" ]
	[[ "${stderr_lines[1]}" =~ ^"tcpconnect: sent 3 bytes, received 3 bytes in "[0-9]+\.[0-9]{3}" s"$ ]]
}

@test "-s and -p choose the local address and port" {
	src=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
	start_peer peer "$T/peer"
	run -0 sb tcpconnect -s 127.0.0.2 -p "$src" 127.0.0.1 "$PORT" < <(printf data)
	wait_exit "$SERVER_PID"
	[ "$(cat "$T/peer")" = "$(printf '127.0.0.2 %d\ndata' "$src")" ]
	# A source of the other family than the host: nothing to connect.
	run -2 --separate-stderr sb tcpconnect -s 127.0.0.1 ::1 "$PORT"
}

@test "-i ends an idle connection with a message, exit 1" {
	start_peer hold
	open_fifo
	run -1 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect -i 0.3 127.0.0.1 "$PORT" <"$FIFO"
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: 127.0.0.1 port $PORT: idle for 0.3 s" ]
}

@test "PROG runs on the connection with the UCSPI environment" {
	start_peer peer "$T/peer"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" sh -c \
		'echo "$PROTO $TCPLOCALIP $TCPLOCALPORT $TCPREMOTEIP $TCPREMOTEPORT"'
	[ -z "$output" ]
	wait_exit "$SERVER_PID"
	read -r ip port <"$T/peer"
	[ "$(sed -n 2p "$T/peer")" = "TCP 127.0.0.1 $port 127.0.0.1 $PORT" ]
}

@test "PROG's exit status is ours, 128+N if a signal killed it" {
	start_peer echo
	run -7 sb tcpconnect 127.0.0.1 "$PORT" sh -c 'echo hi; read -r l; [ "$l" = hi ] && exit 7'
	stop_server
	start_peer echo
	run -143 sb tcpconnect 127.0.0.1 "$PORT" sh -c 'kill -TERM $$'
	stop_server
	start_peer echo
	run -127 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" /no/such/prog
	[ "$stderr" = "tcpconnect: /no/such/prog: No such file or directory" ]
}

@test "IPv6: ::1 with and without brackets" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 on loopback"
	HOST=::1 start_peer echo
	run -0 --separate-stderr sb tcpconnect -v -6 ::1 "$PORT" < <(echo six)
	[ "$output" = six ]
	[ "${stderr_lines[0]}" = "tcpconnect: connected to [::1]:$PORT" ]
	stop_server
	HOST=::1 start_peer echo
	run -0 sb tcpconnect "[::1]" "$PORT" < <(echo again)
	[ "$output" = again ]
}
