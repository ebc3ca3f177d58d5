#!/usr/bin/env bats
# The conventions README.md promises for every applet, each driven through
# every applet it concerns: -4 with -6, malformed addresses, what a
# wildcard HOST listens on, IPv4-mapped CIDR rules, service names that
# start with a digit, and which step of a client failed.
bats_require_minimum_version 1.5.0
load helpers
load dns

teardown() {
	stop_server
}

# usage_line APPLET LINE: after `run --separate-stderr -2`, stdout is
# empty and stderr is exactly "APPLET: LINE".
usage_line() {
	assert_usage_error "$1"
	[ "$stderr" = "$1: $2" ] || { echo "stderr: $stderr" >&2; return 1; }
}

# in_ns SCRIPT ARGS...: bash SCRIPT in private network and mount
# namespaces, lo up, /etc/services from $BATS_TEST_TMPDIR/services if
# that exists; $SOCKBOX and $T are set.
in_ns() {
	unshare -n -m true 2>/dev/null || skip "needs unshare -n -m (root)"
	local script=$1
	shift
	T=$BATS_TEST_TMPDIR unshare -n -m bash -c 'set -e
		export T
		ip link set lo up
		if [ -e "$T/services" ]; then
			mount --bind "$T/services" /etc/services
		fi
		'"$script" _ "$@" 3>&-
}

# probe APPLET HOST [SRC]: one exchange with the echo server on $PORT;
# prints answered, denied (closed unanswered, or no reply within 2 s) or
# refused (nothing listens there for that family).
probe() {
	python3 -c '
import socket, sys
tcp, host, port = sys.argv[1] == "tcpserve", sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                  socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
s.settimeout(5)
if len(sys.argv) > 4:
    s.bind((sys.argv[4], 0))
try:
    s.connect((host, port))
    s.send(b"hi")
    print("answered" if s.recv(2) == b"hi" else "denied")
except ConnectionRefusedError:
    print("refused")
except (ConnectionResetError, socket.timeout):
    print("denied")' "$1" "$2" "$PORT" "${@:3}"
}

# serves APPLET HOST LISTEN V4 V6: an echo server on HOST announces
# "listening on LISTEN:PORT", and IPv4 and IPv6 clients probe V4 and V6.
serves() {
	start_server "$1" --echo "$2" 0
	grep -qxF "$1: listening on $3:$PORT" "$BATS_TEST_TMPDIR/server.err"
	run -0 probe "$1" 127.0.0.1
	[ "$output" = "$4" ]
	run -0 probe "$1" ::1
	[ "$output" = "$5" ]
	stop_server
}

need_ipv6() {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
		2>/dev/null || skip "no IPv6 on loopback"
}

# A HOST and what each applet needs after it to get as far as using it.
host_cmds() {
	local h=$1
	printf '%s\n' "tcpconnect|$h|1" "tcpserve|$h|0" "udpsend|$h|1|x" \
	    "udpserve|$h|0" "resolve|$h" "fqdn|$h"
}

@test "-4 with -6 is exit 2 in every applet that takes them, either order" {
	local a args
	for args in 'tcpconnect 127.0.0.1 1' 'tcpserve 127.0.0.1 0' \
	    'udpsend 127.0.0.1 1 x' 'udpserve 127.0.0.1 0' 'resolve localhost'; do
		a=${args%% *}
		run -2 --separate-stderr sb "$a" -4 -6 ${args#* }
		usage_line "$a" "-4 and -6 exclude each other"
		run -2 --separate-stderr sb "$a" -6 -4 ${args#* }
		usage_line "$a" "-4 and -6 exclude each other"
	done
	# The same one twice is no conflict.
	run -0 sb resolve -4 -4 localhost
	[ "$output" = 127.0.0.1 ]
	start_server tcpserve -4 -4 --echo '' 0
	grep -qx "tcpserve: listening on 0.0.0.0:$PORT" "$BATS_TEST_TMPDIR/server.err"
}

@test "a malformed address is 'invalid address', exit 2, in every applet" {
	local h want line a
	for h in '::g' '1.2.3.4.5' '256.1.1.1' '127.1' '010.0.0.1' '1.2.3.4.' \
	    '12345' 'fe80::1::2' '[::g]' '[256.1.1.1]'; do
		want=${h#[}
		want=${want%]}
		while IFS='|' read -ra line; do
			run -2 --separate-stderr sb "${line[@]}"
			usage_line "${line[0]}" "invalid address '$want'"
		done < <(host_cmds "$h")
	done
	# A source address too, as the option names it.
	for a in tcpconnect udpsend; do
		for h in '::g' '256.1.1.1'; do
			run -2 --separate-stderr sb "$a" -s "$h" 127.0.0.1 1 x
			usage_line "$a" "invalid source address '$h'"
		done
	done
}

@test "valid addresses and names still get through the check" {
	local h
	need_ipv6
	for h in 127.0.0.1 '[127.0.0.1]' ::1 '[::1]' ::ffff:127.0.0.1 localhost; do
		run -1 --separate-stderr sb tcpconnect "$h" 0 </dev/null
		[[ "$stderr" == "tcpconnect: ${h//[][]/} port 0: connect: "* ]]
		[ -z "$output" ]
	done
	run -0 sb fqdn '[::1]'	# as Python: a failed lookup gives it back
	[ "$output" = '[::1]' ]
}

# Each applet on a malformed address (their statuses on one line), then
# resolve on a name the DNS server knows.
malformed_then_known() {
	local a rc=()
	for a in 'tcpconnect 256.1.1.1 1' 'udpsend 1.2.3.4.5 1 x' \
	    'resolve 256.1.1.1' 'resolve -4 ::g' 'fqdn 1.2.3.4.5' \
	    'tcpserve 256.1.1.1 0' 'udpserve 1.2.3.4.5 0'; do
		"$SOCKBOX" $a </dev/null 2>/dev/null && rc+=(0) || rc+=($?)
	done
	echo "${rc[*]}"
	"$SOCKBOX" resolve known.test
}

@test "a malformed address is never looked up: no DNS query leaves" {
	need_dns_ns
	echo 'host-record=known.test,127.0.0.1' >"$BATS_TEST_TMPDIR/records"
	run -0 in_dns_ns "$BATS_TEST_TMPDIR/records" malformed_then_known
	[ "$output" = "$(printf '2 2 2 2 2 2 2\n127.0.0.1')" ]
	# The resolver was there and asked for the name, never for those.
	grep -q 'query\[A\] known.test' "$BATS_TEST_TMPDIR/dnsmasq.log"
	run -1 grep -E 'query\[.*\] (256\.1\.1\.1|1\.2\.3\.4\.5|::g) ' \
		"$BATS_TEST_TMPDIR/dnsmasq.log"
}

@test "resolve -f: a malformed address fails alone, the rest are answered" {
	printf 'localhost\n256.1.1.1\n::g\nlocalhost\n' >"$BATS_TEST_TMPDIR/names"
	run -1 --separate-stderr sb resolve -4 -f "$BATS_TEST_TMPDIR/names"
	[ "$output" = "$(printf 'localhost\t127.0.0.1\nlocalhost\t127.0.0.1')" ]
	[ "$stderr" = "$(printf 'resolve: 256.1.1.1: invalid address\nresolve: ::g: invalid address')" ]
	run -1 --separate-stderr sb resolve -j -f - <<<'1.2.3.4.5'
	[ "$output" = '{"query":"1.2.3.4.5","error":"invalid address"}' ]
}

@test "0.0.0.0 listens on IPv4 only; '', * and :: on both families" {
	need_ipv6
	local a h
	for a in tcpserve udpserve; do
		serves "$a" 0.0.0.0 0.0.0.0 answered refused
		for h in '' '*' '::' '[::]'; do
			serves "$a" "$h" '[::]' answered answered
		done
		run -2 --separate-stderr sb "$a" -6 0.0.0.0 0
		usage_line "$a" "'0.0.0.0' is not an IPv6 address"
		run -2 --separate-stderr sb "$a" -4 :: 0
		usage_line "$a" "'::' is not an IPv4 address"
	done
}

@test "CIDR rules in IPv4-mapped notation are the IPv4 rules they map" {
	local a
	for a in tcpserve udpserve; do
		# /104 is 127.0.0.0/8, /128 one address, ::ffff:0:0/96 all IPv4;
		# the most specific decides, for clients of either socket family.
		for h in 127.0.0.1 ''; do
			start_server "$a" --echo -a ::ffff:127.0.0.0/104 \
			    -d '[::ffff:127.0.0.2]/128' -d ::ffff:0:0/96 "$h" 0
			run -0 probe "$a" 127.0.0.1 127.0.0.1
			[ "$output" = answered ]
			run -0 probe "$a" 127.0.0.1 127.0.0.2
			[ "$output" = denied ]
			stop_server
		done
		start_server "$a" --echo -a ::ffff:10.0.0.0/104 127.0.0.1 0
		run -0 probe "$a" 127.0.0.1
		[ "$output" = denied ]
		stop_server
		# Shorter than /96 it would reach into plain IPv6: not a rule.
		for r in ::ffff:0:0/95 ::ffff:0:0/129 ::ffff:1.2.3.4/300; do
			run -2 --separate-stderr sb "$a" -a "$r" 127.0.0.1 0
			usage_line "$a" "invalid CIDR '$r'"
		done
	done
}

@test "a service name may start with a digit (9pfs); all digits is a number" {
	printf '9pfs\t\t564/tcp\n9pfs\t\t564/udp\n3com-tsmux\t106/tcp\n' \
		>"$BATS_TEST_TMPDIR/services"
	run -0 --separate-stderr in_ns '
		"$SOCKBOX" getserv 9pfs 564/tcp 3com-tsmux
		"$SOCKBOX" udpsend -v 127.0.0.1 9pfs x 2>&1 | head -n 1
		"$SOCKBOX" tcpconnect 127.0.0.1 9pfs </dev/null 2>&1 || echo "exit $?"
		"$SOCKBOX" tcpconnect -z 127.0.0.1 3com-tsmux 2>&1 || echo "exit $?"
		# A server on the named port: the namespace has it to itself.
		for a in tcpserve udpserve; do
			"$SOCKBOX" "$a" -v --echo 127.0.0.1 9pfs 2>"$T/$a.err" &
			pid=$!
			for i in $(seq 200); do
				grep -q listening "$T/$a.err" && break
				sleep 0.05
			done
			kill "$pid"
			wait "$pid" || true
			cat "$T/$a.err"
		done'
	[ "${lines[0]}" = 564 ]
	[ "${lines[1]}" = 9pfs ]
	[ "${lines[2]}" = 106 ]
	[ "${lines[3]}" = "udpsend: sending to 127.0.0.1:564" ]
	[ "${lines[4]}" = "tcpconnect: 127.0.0.1 port 564: connect: Connection refused" ]
	[ "${lines[5]}" = "exit 1" ]
	[ "${lines[6]}" = "tcpconnect: 127.0.0.1 port 106: connect: Connection refused" ]
	[ "${lines[7]}" = "exit 1" ]
	[ "${lines[8]}" = "tcpserve: listening on 127.0.0.1:564" ]
	[ "${lines[9]}" = "udpserve: listening on 127.0.0.1:564" ]
	# No such name: a runtime failure in getserv, bad input as a PORT.
	run -1 --separate-stderr sb getserv 9nosuch
	[ "$stderr" = "getserv: 9nosuch: unknown service" ]
	[ -z "$output" ]
	for a in tcpconnect tcpserve udpsend udpserve; do
		for p in 9nosuch 065536 99999; do
			run -2 --separate-stderr sb "$a" 127.0.0.1 "$p"
			usage_line "$a" "invalid port '$p'"
		done
	done
	run -2 --separate-stderr sb getserv 99999
	usage_line getserv "invalid port '99999'"
}

@test "a refused connect says connect; a failed -s/-p bind says bind" {
	run -0 in_ns '
		python3 - "$SOCKBOX" <<-EOF
		import socket, subprocess, sys
		sb = sys.argv[1]
		def run(*args):
		    p = subprocess.run([sb, *args], stdin=subprocess.DEVNULL,
		                       capture_output=True, timeout=10)
		    print(p.returncode, repr(p.stdout.decode()), p.stderr.decode().strip())
		t = socket.socket()
		t.bind(("127.0.0.1", 0))
		t.listen()
		tp = str(t.getsockname()[1])
		u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u.bind(("127.0.0.1", 0))
		up = str(u.getsockname()[1])
		run("tcpconnect", "127.0.0.1", "1")
		run("tcpconnect", "-z", "127.0.0.1", "1")
		run("tcpconnect", "-s", "127.0.0.1", "-p", tp, "127.0.0.1", tp)
		run("tcpconnect", "-p", tp, "127.0.0.1", tp)
		run("tcpconnect", "-s", "192.0.2.1", "127.0.0.1", tp)
		run("udpsend", "-s", "127.0.0.1", "-p", up, "127.0.0.1", up, "x")
		run("udpsend", "-s", "192.0.2.1", "127.0.0.1", up, "x")
		print("ports", tp, up)
		EOF'
	local tp up
	read -r _ tp up <<<"${lines[7]}"
	[ "${lines[0]}" = "1 '' tcpconnect: 127.0.0.1 port 1: connect: Connection refused" ]
	[ "${lines[1]}" = "1 '' tcpconnect: 127.0.0.1 port 1: connect: Connection refused" ]
	# glibc's strerror, or musl's.
	local inuse='(Address already in use|Address in use)'
	local noaddr='(Cannot assign requested address|Address not available)'
	[[ "${lines[2]}" =~ ^"1 '' tcpconnect: bind 127.0.0.1:$tp: "$inuse$ ]]
	[[ "${lines[3]}" =~ ^"1 '' tcpconnect: bind 0.0.0.0:$tp: "$inuse$ ]]
	[[ "${lines[4]}" =~ ^"1 '' tcpconnect: bind 192.0.2.1:0: "$noaddr$ ]]
	[[ "${lines[5]}" =~ ^"1 '' udpsend: bind 127.0.0.1:$up: "$inuse$ ]]
	[[ "${lines[6]}" =~ ^"1 '' udpsend: bind 192.0.2.1:0: "$noaddr$ ]]
	[ "${#lines[@]}" -eq 8 ]
}

@test "a diagnostic is one line even when what it quotes has control bytes" {
	run -2 --separate-stderr sb tcpconnect -w $'1\n2' 127.0.0.1 1
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: invalid duration '1?2'" ]
	run -2 --separate-stderr sb udpsend 127.0.0.1 $'9\r\033[2K' x
	[ "$stderr" = "udpsend: invalid port '9??[2K'" ]
	run -1 --separate-stderr sb getserv $'a\tb'
	[ "$stderr" = "getserv: a?b: unknown service" ]
}

@test "leading zeros are digits like any: a long size is still a size" {
	# 26 characters: more than the old parser's buffer held.
	start_server tcpserve --max-pending 0000000000000000000000001M --echo \
		127.0.0.1 0
	run -0 sb tcpconnect 127.0.0.1 "$PORT" <<<"zeros"
	[ "$output" = zeros ]
}
