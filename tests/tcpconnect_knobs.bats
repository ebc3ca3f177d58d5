#!/usr/bin/env bats
# tcpconnect's netcat switches (-d, --send-only, -q, -N, -C, -n, -v's
# summary), --wait for a port that starts listening later, and parallel
# -z scans with -j; the servers are tcpconnect_peer.py programs.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/tcpconnect_peer.py

start_peer() {
	SOCKBOX=python3 start_server "$PEER" "$@"
}

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_server
	[ -z "${LATE_PID:-}" ] || { kill "$LATE_PID" 2>/dev/null; wait "$LATE_PID"; } || true
}

# free_port: a port nothing listens on (connections are refused).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "-d and --recv-only: stdin is never read, the server's bytes arrive" {
	printf 'from the server' >"$T/reply"
	for flag in -d --recv-only; do
		start_peer send "$T/reply" half
		run -0 --separate-stderr sb tcpconnect "$flag" 127.0.0.1 "$PORT" \
			< <(printf 'must not be sent')
		[ "$output" = "from the server" ]
		wait_exit "$SERVER_PID"
		[ ! -s "$T/reply.got" ]
	done
}

@test "--send-only: stdin reaches the server, its answer is dropped" {
	head -c 100000 /dev/urandom >"$T/reply"
	head -c 2000000 /dev/urandom >"$T/req"
	start_peer send "$T/reply" half
	run -0 --separate-stderr sb tcpconnect --send-only 127.0.0.1 "$PORT" <"$T/req"
	[ -z "$output" ]
	wait_exit "$SERVER_PID"
	cmp "$T/req" "$T/reply.got"
}

@test "-q: after stdin's end, wait at most SECS for the server" {
	# The sink answers 1 s after our EOF: -q 0 does not wait for it.
	start_peer sink "$T/got" 1
	run -0 --separate-stderr sb tcpconnect -q 0 127.0.0.1 "$PORT" < <(printf abc)
	[ -z "$output" ]
	wait_exit "$SERVER_PID"
	[ "$(cat "$T/got")" = abc ]
	# -q 5 outlasts it: the answer arrives, exit 0.
	start_peer sink "$T/got" 1
	run -0 --separate-stderr sb tcpconnect -q 5 127.0.0.1 "$PORT" < <(printf abc)
	[ "$output" = "got 3 $(printf abc | sha256sum | cut -d' ' -f1)" ]
}

@test "-N is accepted: stdin's end half-closes as always" {
	start_peer sink "$T/got"
	run -0 --separate-stderr sb tcpconnect -N 127.0.0.1 "$PORT" < <(printf xyz)
	[ "$output" = "got 3 $(printf xyz | sha256sum | cut -d' ' -f1)" ]
}

@test "-C and --crlf: each LF becomes CRLF, an existing CRLF stays one" {
	printf 'a\nb\r\nc\n\n' >"$T/in"
	for flag in -C --crlf; do
		start_peer sink "$T/got"
		run -0 sb tcpconnect "$flag" 127.0.0.1 "$PORT" <"$T/in"
		[ "$(od -An -c "$T/got" | tr -s ' ')" = "$(printf 'a\r\nb\r\nc\r\n\r\n' | od -An -c | tr -s ' ')" ]
	done
	# Large input with CRs and LFs everywhere, buffer boundaries included.
	python3 -c '
import random, sys
random.seed(7)
sys.stdout.buffer.write(bytes(random.choice(b"\r\nxy") for _ in range(600000)))' >"$T/in"
	start_peer sink "$T/got"
	run -0 sb tcpconnect -C 127.0.0.1 "$PORT" <"$T/in"
	python3 -c '
import re, sys
data = open(sys.argv[1], "rb").read()
want = re.sub(rb"(?<!\r)\n", b"\r\n", data)
sys.exit(open(sys.argv[2], "rb").read() != want)' "$T/in" "$T/got"
}

@test "-n: a name is bad input, an address is used as it is" {
	run --separate-stderr -2 sb tcpconnect -n localhost 80
	assert_usage_error tcpconnect
	[ "$stderr" = "tcpconnect: -n: 'localhost' is not a numeric address" ]
	start_peer echo
	run -0 sb tcpconnect -n 127.0.0.1 "$PORT" < <(echo numeric)
	[ "$output" = numeric ]
}

@test "-v: the bytes each way and the time, when the connection ends" {
	start_peer echo
	run -0 --separate-stderr sb tcpconnect -v 127.0.0.1 "$PORT" < <(printf 12345)
	[ "$output" = 12345 ]
	[[ "${stderr_lines[1]}" =~ ^"tcpconnect: sent 5 bytes, received 5 bytes in "[0-9]+\.[0-9]{3}" s"$ ]]
}

@test "--wait: a port that starts listening later is waited for" {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	# In a namespace of its own, so that its TCP counters are ours: the
	# listener starts only after two refused attempts.
	run -0 --separate-stderr unshare -n bash -c 'set -e
		ip link set lo up
		fails() { awk "/^Tcp:/ { if (n++) print \$8 }" /proc/net/snmp; }
		port=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
		"$SOCKBOX" tcpconnect -z --wait 20 --interval 0.1 127.0.0.1 "$port" &
		pid=$!
		for i in $(seq 200); do
			[ "$(fails)" -ge 2 ] && break
			sleep 0.05
		done
		[ "$(fails)" -ge 2 ]
		python3 -c "
import socket, sys, time
s = socket.socket()
s.bind((\"127.0.0.1\", int(sys.argv[1])))
s.listen(8)
time.sleep(30)" "$port" &
		late=$!
		rc=0; wait "$pid" || rc=$?
		kill "$late"
		echo "port $port rc $rc"' 3>&-
	[[ "$output" =~ ^"127.0.0.1 "([0-9]+)" open"$'\n'"port "([0-9]+)" rc 0"$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ -z "$stderr" ]
}

@test "--wait: time runs out with the last error, exit 1" {
	local port
	port=$(free_port)
	run -1 --separate-stderr sb tcpconnect --wait 0.6 --interval 0.1 127.0.0.1 "$port" </dev/null
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: 127.0.0.1 port $port: connect: Connection refused" ]
}

@test "usage: the new switches' conflicts are exit 2" {
	for args in "-d --send-only 127.0.0.1 80" "-j 127.0.0.1 80" \
	    "--parallel 5 127.0.0.1 80" "--interval 1 127.0.0.1 80" \
	    "-z --wait 1 127.0.0.1 1-5" "-q x 127.0.0.1 80" \
	    "-d 127.0.0.1 80 cat" "-C -z 127.0.0.1 80" \
	    "--send-only 127.0.0.1 80 cat" "-z --parallel 0 127.0.0.1 1-2" \
	    "-q 1 -z 127.0.0.1 80"; do
		run --separate-stderr -2 sb tcpconnect $args
		assert_usage_error tcpconnect
	done
}

@test "-z -j: one JSON object per port in port order, open and closed" {
	start_peer scan
	run -0 --separate-stderr sb tcpconnect -z -j 127.0.0.1 "$PORT-$((PORT + 2))"
	[ "${#lines[@]}" -eq 3 ]
	python3 -c '
import json, sys
port = int(sys.argv[1])
rows = [json.loads(l) for l in sys.argv[2:]]
assert [r["port"] for r in rows] == [port, port + 1, port + 2], rows
assert [r["state"] for r in rows] == ["open", "closed", "open"], rows
for r in rows:
    assert r["host"] == "127.0.0.1" and r["address"] == "127.0.0.1", r
    assert isinstance(r["ms"], float) and r["ms"] >= 0, r
' "$PORT" "${lines[@]}"
	[ -z "$stderr" ]
}

@test "-z over a wide range in parallel: the same answers as one by one" {
	start_peer scan
	local lo=$((PORT - 40)) hi=$((PORT + 40))
	run -0 sb tcpconnect -z 127.0.0.1 "$lo-$hi"
	local par=$output
	run -0 sb tcpconnect -z --parallel 1 127.0.0.1 "$lo-$hi"
	[ "$par" = "$output" ]
	[[ "$par" == *"127.0.0.1 $PORT open"*"127.0.0.1 $((PORT + 2)) open"* ]]
}

@test "-z against an address that drops SYNs: probes run in parallel, each times out" {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	# In a namespace of its own: 192.0.2.2 sits behind a veth end with no
	# address, so every SYN to it is dropped without an answer.
	run -0 --separate-stderr unshare -n bash -c 'set -e
		ip link set lo up
		ip link add v0 type veth peer name v1
		ip link set v0 up; ip link set v1 up
		ip addr add 192.0.2.1/24 dev v0
		ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0
		t0=$EPOCHREALTIME
		rc=0
		"$SOCKBOX" tcpconnect -z -j -w 1 --parallel 50 192.0.2.2 1000-1099 || rc=$?
		[ "$rc" = 1 ]
		echo "elapsed $t0 $EPOCHREALTIME" >&2' 3>&-
	[ "${#lines[@]}" -eq 100 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '"state":"timeout"')" -eq 100 ]
	echo "# $stderr" >&3	# the scan's time, for the record
}
