#!/usr/bin/env bats
# tcpserve's share of the rest of ucspi-tcp's tcpserver: -B BANNER,
# --lookup (TCPREMOTEHOST, confirmed as tcpserver -p does), -l NAME,
# TCPCONCURRENCY, -E. Lookups run in a namespace with its own dnsmasq.
bats_require_minimum_version 1.5.0
load helpers
load dns

PEER="$BATS_TEST_DIRNAME/activation_peer.py"
export PEER

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait_exit "$SERVER_PID" 5 || true
		SERVER_PID=
	fi
}

peer() {
	python3 "$PEER" "$@"
}

@test "-B: the banner comes before anything PROG writes, and PROG's stdin does not hold it" {
	start_server tcpserve -B "$(printf 'hello\r')" 127.0.0.1 0 \
		sh -c 'read -r line; echo "prog read: $line"'
	run -0 peer get "$PORT" "$(printf 'from the client\n')"
	[ "$output" = "$(printf 'hello\rprog read: from the client')" ]
	# A banner near the kernel's limit for one argument arrives whole.
	stop_server
	big=$(head -c 120000 /dev/zero | tr '\0' b)
	start_server tcpserve -B "$big" 127.0.0.1 0 echo end
	run -0 peer get "$PORT"
	[ "$output" = "${big}end" ]
}

@test "-B: in relay mode the banner goes first, then stdin" {
	printf 'from stdin\n' >"$BATS_TEST_TMPDIR/in"
	SERVER_IN=$BATS_TEST_TMPDIR/in start_server tcpserve -B 'banner|' 127.0.0.1 0
	run -0 peer get "$PORT" 'up'
	[ "$output" = "banner|from stdin" ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/server.out")" = up ]
}

@test "-B: with --echo it is exit 2; a client gone before the banner is a warning" {
	run -2 --separate-stderr sb tcpserve -B hi --echo 127.0.0.1 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: -B is not for --echo: it sends back only what it receives" ]
	# A client reset while it waits in the backlog (-c 1, the slot taken)
	# is accepted after its reset: the banner fails, its program never
	# starts, and the next client is served.
	start_server tcpserve -v -c 1 -B hello 127.0.0.1 0 sh -c 'read x; echo end'
	run -0 python3 -c '
import socket, struct, sys
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p), timeout=10)
print(a.recv(5).decode())
b = socket.create_connection(("127.0.0.1", p))
b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
b.close()
a.sendall(b"x\n")
print(a.makefile("rb").readline().decode(), end="")
c = socket.create_connection(("127.0.0.1", p), timeout=10)
c.sendall(b"y\n")
out = b""
while True:
    d = c.recv(100)
    if not d:
        break
    out += d
print(out.decode(), end="")' "$PORT"
	[ "$output" = "$(printf 'hello\nend\nhelloend')" ]
	wait_for grep -q '^tcpserve: warning: 127.0.0.1:[0-9]*: banner: ' "$BATS_TEST_TMPDIR/server.err"
	[ "$(grep -c '^tcpserve: connection from' "$BATS_TEST_TMPDIR/server.err")" = 3 ]
}

@test "TCPCONCURRENCY: the programs running, this one included" {
	start_server tcpserve -v 127.0.0.1 0 sh -c 'echo "$TCPCONCURRENCY"; read x'
	run -0 peer concurrent "$PORT" 3
	[ "$output" = "$(printf '1\n2\n3')" ]
	wait_for test "$(grep -c '^tcpserve: closed ' "$BATS_TEST_TMPDIR/server.err")" = 3
	run -0 peer concurrent "$PORT" 1
	[ "$output" = 1 ]
	# An inherited TCPCONCURRENCY is not passed on.
	stop_server
	TCPCONCURRENCY=99 start_server tcpserve 127.0.0.1 0 sh -c 'env | grep -c "^TCPCONCURRENCY="'
	run -0 peer get "$PORT"
	[ "$output" = 1 ]
}

@test "-E: the program's stderr goes to the client too; without it, to the server's" {
	start_server tcpserve -E 127.0.0.1 0 sh -c 'echo out; echo err >&2'
	run -0 peer get "$PORT"
	[ "$output" = "$(printf 'out\nerr')" ]
	! grep -q '^err$' "$BATS_TEST_TMPDIR/server.err"
	stop_server
	start_server tcpserve 127.0.0.1 0 sh -c 'echo out; echo err >&2'
	run -0 peer get "$PORT"
	[ "$output" = out ]
	wait_for grep -qx err "$BATS_TEST_TMPDIR/server.err"
}

@test "-E: an exec failure is the server's warning, not the client's, with or without -B" {
	start_server tcpserve -E 127.0.0.1 0 /nonexistent/prog
	run -0 peer get "$PORT"
	[ -z "$output" ]
	wait_for grep -qx 'tcpserve: warning: /nonexistent/prog: No such file or directory' \
		"$BATS_TEST_TMPDIR/server.err"
	stop_server
	start_server tcpserve -E -B 'hi|' 127.0.0.1 0 /nonexistent/prog
	run -0 peer get "$PORT"
	[ "$output" = 'hi|' ]
	wait_for grep -qx 'tcpserve: warning: /nonexistent/prog: No such file or directory' \
		"$BATS_TEST_TMPDIR/server.err"
}

@test "-l NAME sets TCPLOCALHOST; unset by default, an inherited one removed" {
	start_server tcpserve -l box.example 127.0.0.1 0 sh -c 'echo "${TCPLOCALHOST-unset}"'
	run -0 peer get "$PORT"
	[ "$output" = box.example ]
	stop_server
	TCPLOCALHOST=stale start_server tcpserve 127.0.0.1 0 sh -c 'echo "${TCPLOCALHOST-unset}"'
	run -0 peer get "$PORT"
	[ "$output" = unset ]
	run -2 --separate-stderr sb tcpserve -l '' 127.0.0.1 0 cat
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: invalid host name ''" ]
}

@test "--lookup, -l and -E are for PROG: exit 2 in relay and echo modes" {
	for opt in --lookup '-l x' -E; do
		run -2 --separate-stderr sb tcpserve $opt 127.0.0.1 0
		assert_usage_error tcpserve
		[ "$stderr" = "tcpserve: ${opt% x} is for PROG" ]
		run -2 --separate-stderr sb tcpserve $opt --echo 127.0.0.1 0
		assert_usage_error tcpserve
	done
	# --echo's own long option still works now that -E is a letter.
	start_server tcpserve --echo 127.0.0.1 0
	run -0 peer get "$PORT" abc
	[ "$output" = abc ]
}

# In a namespace: 192.0.2.N for each N of $ADDRS on lo, and tcpserve
# --lookup 127.0.0.1 0 PROG in the background; sets pid and port.
ns_lookup_server() {
	local a i
	for a in $ADDRS; do ip addr add "192.0.2.$a/32" dev lo || return 125; done
	"$SOCKBOX" tcpserve --lookup 127.0.0.1 0 "$@" \
		2>"$DNS_NS_DIR/lookup.err" 3>&- &
	pid=$!
	for i in $(seq 200); do
		port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$DNS_NS_DIR/lookup.err")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	return 125
}
export -f ns_lookup_server

# Inside the DNS namespace: clients from 192.0.2.10-12 and 127.0.0.1 to a
# --lookup server; what each one's program saw.
lookup_clients() {
	local a pid port
	ADDRS='10 11 12' ns_lookup_server \
		sh -c 'echo "$TCPREMOTEIP ${TCPREMOTEHOST-unset}"' || return
	for a in 192.0.2.10 192.0.2.11 192.0.2.12 127.0.0.1; do
		python3 "$PEER" getfrom "$a" "$port"
	done
	kill "$pid"
	wait "$pid"
}

@test "--lookup: TCPREMOTEHOST only when the name's forward lookup gives the address back" {
	need_dns_ns
	printf '%s\n' 'host-record=good.test,192.0.2.10' \
		'ptr-record=11.2.0.192.in-addr.arpa,liar.test' \
		'host-record=liar.test,192.0.2.99' >"$BATS_TEST_TMPDIR/records"
	export DNS_NS_DIR=$BATS_TEST_TMPDIR
	run -0 in_dns_ns "$BATS_TEST_TMPDIR/records" lookup_clients
	echo "$output"
	# Confirmed; a PTR whose name has another address; no PTR at all;
	# /etc/hosts (localhost) applies too.
	[ "$output" = "$(printf '%s\n' '192.0.2.10 good.test' '192.0.2.11 unset' \
		'192.0.2.12 unset' '127.0.0.1 localhost')" ]
	grep -q 'query\[PTR\] 11.2.0.192.in-addr.arpa' "$BATS_TEST_TMPDIR/dnsmasq.log"
	grep -q 'query\[A\] liar.test' "$BATS_TEST_TMPDIR/dnsmasq.log"
}

# Inside a namespace whose DNS server never answers: one client waits on
# its lookup while the next is served.
slow_lookup() {
	local pid port
	ADDRS=10 ns_lookup_server sh -c 'echo "${TCPREMOTEHOST-unset}"' || return
	python3 "$PEER" slowfirst 192.0.2.10 "$port"
	kill "$pid"
	wait "$pid"
}

@test "--lookup: a resolver that never answers holds up only its own client" {
	need_dns_ns
	export DNS_NS_DIR=$BATS_TEST_TMPDIR
	run -0 in_ns_with_server 'exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"127.0.0.1\", 53))
while True:
    s.recv(512)"' slow_lookup
	[ "$output" = "$(printf '%s\n' "second b'localhost\\n' first still waiting" \
		"first b'unset\\n'")" ]
}
