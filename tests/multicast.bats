#!/usr/bin/env bats
# Multicast and broadcast: udpserve -M (any-source and source-specific,
# IPv4 and IPv6), udpsend --ttl, --mcast-if, --no-mcast-loop, and udpsend
# --any (UDP discovery). Everything but the usage errors runs in two
# network namespaces joined by a veth pair:
#   A (the test's shell): va  10.9.0.1 10.9.0.3  fd00:9::1 fd00:9::3
#   B (inb CMD...):       vb  10.9.0.2 10.9.0.4 10.9.0.5  fd00:9::2
# Peers other than sockbox are tests/mcast_peer.py.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	PEER=$BATS_TEST_DIRNAME/mcast_peer.py
	export T PEER
}

teardown() {
	local p
	[ -f "$T/pids" ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null || true
	done <"$T/pids"
}

# What every namespace script starts with: the two namespaces, and
#   inb CMD...         run CMD in B
#   start NAME CMD...  run CMD in the background (stdout $T/NAME.out, stderr
#                      $T/NAME.err), wait for its "listening on" line; sets
#                      PORT, and NAME's pid is in $T/NAME.pid
#   finish NAME        wait (bounded) for NAME to exit; fail unless 0
#   wait_for CMD...    the one of helpers.bash, exported
NS_LIB='set -e -o pipefail
ip link set lo up
unshare -n sleep 120 >/dev/null 2>&1 3>&- &
B=$!
echo "$B" >>"$T/pids"
trap '"'"'kill $(cat "$T/pids") 2>/dev/null || true'"'"' EXIT
for i in $(seq 100); do
	[ "$(readlink /proc/$B/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.05
done
inb() { nsenter -t "$B" -n "$@"; }
ip link add va type veth peer name vb netns "$B"
ip addr add 10.9.0.1/24 dev va
ip addr add 10.9.0.3/24 dev va
ip addr add fd00:9::1/64 dev va nodad
ip addr add fd00:9::3/64 dev va nodad
ip link set va up
ip route add 224.0.0.0/4 dev va
inb ip link set lo up
inb ip addr add 10.9.0.2/24 dev vb
inb ip addr add 10.9.0.4/24 dev vb
inb ip addr add 10.9.0.5/24 dev vb
inb ip addr add fd00:9::2/64 dev vb nodad
inb ip link set vb up
inb ip route add 224.0.0.0/4 dev vb
start() {
	local name=$1 i
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	echo $! >"$T/$name.pid"
	echo $! >>"$T/pids"
	for i in $(seq 200); do
		PORT=$(sed -n "s/.*listening on .*:\([0-9]*\)$/\1/p" "$T/$name.err" 2>/dev/null | head -n 1 || true)
		[ -n "$PORT" ] && return 0
		kill -0 "$(cat "$T/$name.pid")" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/$name.err" >&2
	return 1
}
finish() {
	local pid i
	pid=$(cat "$T/$1.pid")
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid" || { echo "$1: exit $?" >&2; cat "$T/$1.err" >&2; return 1; }
}
'

# two_ns SCRIPT: run bash SCRIPT in namespace A, after NS_LIB; its stderr
# is $T/ns.err, shown on stdout if it fails.
two_ns() {
	unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	need ip nsenter python3
	local st=0
	export -f wait_for
	unshare -n bash -c "$NS_LIB$1" 2>"$T/ns.err" 3>&- || st=$?
	# What went wrong, where bats shows it.
	[ "$st" -eq 0 ] || { echo "exit $st"; cat "$T/ns.err"; }
	return "$st"
}

@test "udpserve -M: a bad group spec is exit 2, before anything is bound" {
	for spec in 10.0.0.1 ::1 239.1.1.1%nosuch0 ::1@239.1.1.1 \
	    10.0.0.1@ff15::1 239.1.1.2@239.1.1.1 @239.1.1.1 '' 239.1.1.1% \
	    'nosuch@239.1.1.1' '[239.1.1.1' 239.1.1.1@; do
		run --separate-stderr sb udpserve -M "$spec" 127.0.0.1 0
		assert_usage_error udpserve
	done
	run --separate-stderr sb udpserve -M 10.0.0.1 '*' 0
	[ "$stderr" = "udpserve: invalid group '10.0.0.1': not a multicast address" ]
	run --separate-stderr sb udpserve -M 239.1.1.1%nosuch0 '*' 0
	[ "$stderr" = "udpserve: invalid group '239.1.1.1%nosuch0': unknown interface 'nosuch0'" ]
	run --separate-stderr sb udpserve -M ::1@239.1.1.1 '*' 0
	[ "$stderr" = "udpserve: invalid group '::1@239.1.1.1': source and group are of different families" ]
	run --separate-stderr sb udpserve -M 239.1.1.2@239.1.1.1 '*' 0
	[ "$stderr" = "udpserve: invalid group '239.1.1.2@239.1.1.1': the source is a multicast address" ]
}

@test "udpserve -M: HOST must be where the group's datagrams arrive, of its family" {
	run --separate-stderr sb udpserve -M 239.1.1.1 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -M 239.1.1.1: HOST must be a wildcard or the group itself" ]
	run --separate-stderr sb udpserve -M ff15::1 0.0.0.0 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -M ff15::1: an IPv6 group on an IPv4 socket" ]
	run --separate-stderr sb udpserve -6 -M 239.1.1.1 '*' 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: -M 239.1.1.1: an IPv4 group on an IPv6-only socket" ]
	run --separate-stderr sb udpserve -M 239.1.1.2 239.1.1.1 0
	assert_usage_error udpserve
}

@test "udpsend: bad multicast and --any options are exit 2" {
	run --separate-stderr sb udpsend --ttl 256 239.1.1.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: invalid TTL '256'" ]
	run --separate-stderr sb udpsend --ttl -1 239.1.1.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend --ttl 2 127.0.0.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: --ttl: 127.0.0.1 is not a multicast group" ]
	run --separate-stderr sb udpsend --no-mcast-loop --ttl 2 127.0.0.1 9 x
	[ "$stderr" = "udpsend: --no-mcast-loop: 127.0.0.1 is not a multicast group" ]
	run --separate-stderr sb udpsend --mcast-if nosuch0 239.1.1.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: unknown interface 'nosuch0'" ]
	run --separate-stderr sb udpsend --mcast-if 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend -n 2 127.0.0.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: -n needs --any" ]
	run --separate-stderr sb udpsend --any -n 0 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend --any -w x 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpsend --any=1 127.0.0.1 9 x
	assert_usage_error udpsend
}

@test "--any without a reply: no reply from ADDR:PORT, exit 1, stdout empty" {
	start_server udpserve 127.0.0.1 0
	stop_server
	run -1 --separate-stderr sb udpsend --any -w 0.3 127.0.0.1 "$PORT" hello
	[ -z "$output" ]
	[ "$stderr" = "udpsend: no reply from 127.0.0.1:$PORT" ]
}

@test "--any on loopback: the reply is ADDR:PORT<TAB>PAYLOAD; -0 the payload exactly" {
	start_server udpserve -r 'got ' 127.0.0.1 0
	run -0 --separate-stderr sb udpsend --any -n 1 127.0.0.1 "$PORT" hello
	[ "$output" = "$(printf '127.0.0.1:%s\tgot hello' "$PORT")" ]
	printf 'x\0y' | sb udpsend --any -0 -n 1 127.0.0.1 "$PORT" >"$T/reply"
	printf 'got x\0y' | cmp - "$T/reply"
	# Every line of stdin is sent first, then the replies are collected.
	run -0 sb udpsend --any -n 3 127.0.0.1 "$PORT" <<<"$(printf 'a\nb\nc')"
	[ "$output" = "$(printf '127.0.0.1:%s\tgot a\n127.0.0.1:%s\tgot b\n127.0.0.1:%s\tgot c' "$PORT" "$PORT" "$PORT")" ]
}

@test "udpserve -M: an IPv4 group, on a wildcard, on the group itself, on an interface" {
	run -0 --separate-stderr two_ns '
	start s1 inb "$SOCKBOX" udpserve -n 1 -M 239.1.2.3 "*" 0
	"$SOCKBOX" udpsend 239.1.2.3 "$PORT" "to the dual-stack wildcard"
	finish s1
	start s2 inb "$SOCKBOX" udpserve -n 1 -M 239.1.2.3 239.1.2.3 0
	"$SOCKBOX" udpsend 239.1.2.3 "$PORT" "to the group address"
	finish s2
	start s3 inb "$SOCKBOX" udpserve -v -n 1 -M 239.1.2.3%vb 0.0.0.0 0
	"$SOCKBOX" udpsend 239.1.2.3 "$PORT" "on vb"
	finish s3
	cat "$T/s1.out" "$T/s2.out" "$T/s3.out"
	grep "bytes" "$T/s3.err"
	'
	[ "${lines[0]}" = "to the dual-stack wildcard" ]
	[ "${lines[1]}" = "to the group address" ]
	[ "${lines[2]}" = "on vb" ]
	[[ "${lines[3]}" =~ ^udpserve:\ 10\.9\.0\.1:[0-9]+\ 5\ bytes$ ]]
}

@test "udpserve -M: an IPv6 group, two groups at once, and a group not joined is not received" {
	run -0 --separate-stderr two_ns '
	start s inb "$SOCKBOX" udpserve -n 2 -M ff15::4242 -M ff15::4343%vb "::" 0
	"$SOCKBOX" udpsend ff15::4444 "$PORT" "not joined"
	"$SOCKBOX" udpsend ff15::4242 "$PORT" one
	"$SOCKBOX" udpsend "[ff15::4343]" "$PORT" two
	finish s
	cat "$T/s.out"
	'
	[ "$output" = "$(printf 'one\ntwo')" ]
}

@test "udpserve -M SOURCE@GROUP: only that source's datagrams, IPv4 and IPv6" {
	run -0 --separate-stderr two_ns '
	start s4 inb "$SOCKBOX" udpserve -n 1 -M 10.9.0.1@232.1.1.1 "*" 0
	"$SOCKBOX" udpsend -s 10.9.0.3 232.1.1.1 "$PORT" stranger
	"$SOCKBOX" udpsend -s 10.9.0.1 232.1.1.1 "$PORT" friend
	finish s4
	start s6 inb "$SOCKBOX" udpserve -n 1 -M "[fd00:9::1]@[ff35::1]%vb" "::" 0
	"$SOCKBOX" udpsend -s fd00:9::3 ff35::1 "$PORT" stranger6
	"$SOCKBOX" udpsend -s fd00:9::1 ff35::1 "$PORT" friend6
	finish s6
	cat "$T/s4.out" "$T/s6.out"
	'
	[ "$output" = "$(printf 'friend\nfriend6')" ]
}

@test "udpsend --ttl: the TTL / hop limit the receiver sees (default 1)" {
	run -0 --separate-stderr two_ns '
	start r1 inb python3 "$PEER" recv 239.1.2.3 0
	"$SOCKBOX" udpsend 239.1.2.3 "$PORT" default
	finish r1
	start r2 inb python3 "$PEER" recv 239.1.2.3 0
	"$SOCKBOX" udpsend --ttl 7 239.1.2.3 "$PORT" seven
	finish r2
	start r3 inb python3 "$PEER" recv ff15::4242 0
	"$SOCKBOX" udpsend --ttl 9 ff15::4242 "$PORT" nine
	finish r3
	cat "$T/r1.out" "$T/r2.out" "$T/r3.out"
	'
	[ "$output" = "$(printf '1 default\n7 seven\n9 nine')" ]
}

@test "udpsend --no-mcast-loop: a member on this host gets nothing, the wire still does" {
	run -0 --separate-stderr two_ns '
	start local "$SOCKBOX" udpserve -n 1 -M 239.1.2.3%va 0.0.0.0 0
	lport=$PORT
	start remote inb "$SOCKBOX" udpserve -n 1 -M 239.1.2.3 0.0.0.0 0
	rport=$PORT
	"$SOCKBOX" udpsend --no-mcast-loop 239.1.2.3 "$lport" quiet
	"$SOCKBOX" udpsend 239.1.2.3 "$lport" loud
	finish local
	"$SOCKBOX" udpsend --no-mcast-loop 239.1.2.3 "$rport" wire
	finish remote
	cat "$T/local.out" "$T/remote.out"
	'
	[ "$output" = "$(printf 'loud\nwire')" ]
}

@test "udpsend --mcast-if: out of that interface, not the one routing picks" {
	run -0 --separate-stderr two_ns '
	# IPv4: no route to the group at all, only the interface.
	ip route del 224.0.0.0/4 dev va
	start s4 inb "$SOCKBOX" udpserve -n 1 -M 239.1.2.3 "*" 0
	if "$SOCKBOX" udpsend 239.1.2.3 "$PORT" x 2>"$T/err"; then exit 1; fi
	cat "$T/err"
	"$SOCKBOX" udpsend --mcast-if va 239.1.2.3 "$PORT" "through va"
	finish s4
	# IPv6: a second interface vx with a route to every group as well.
	ip link add vx type veth peer name vy
	ip addr add fd00:8::1/64 dev vx nodad
	ip link set vy up
	ip link set vx up
	start s6 inb "$SOCKBOX" udpserve -n 1 -M ff15::4242 "*" 0
	"$SOCKBOX" udpsend --mcast-if vx ff15::4242 "$PORT" "through vx"
	"$SOCKBOX" udpsend --mcast-if va ff15::4242 "$PORT" "through va 6"
	finish s6
	cat "$T/s4.out" "$T/s6.out"
	'
	[[ "${lines[0]}" =~ ^udpsend:\ 239\.1\.2\.3\ port\ [0-9]+:\ Network\ (is\ )?unreachable$ ]]
	# (musl says "Network unreachable")
	[ "${lines[1]}" = "through va" ]
	[ "${lines[2]}" = "through va 6" ]
}

@test "udpserve -M replies (--echo, -r, PROG) go to the sender's unicast address" {
	run -0 --separate-stderr two_ns '
	start e inb "$SOCKBOX" udpserve --echo -M 239.1.2.3 "*" 0
	"$SOCKBOX" udpsend -r 239.1.2.3 "$PORT" echoed
	"$SOCKBOX" udpsend --any -n 1 239.1.2.3 "$PORT" who
	start r inb "$SOCKBOX" udpserve -r "re " -M ff15::4242 "::" 0
	"$SOCKBOX" udpsend -r ff15::4242 "$PORT" six
	"$SOCKBOX" udpsend --any -n 1 ff15::4242 "$PORT" who6
	start p inb "$SOCKBOX" udpserve -M 239.1.2.3 "*" 0 sh -c "echo \$UDPLOCALIP \$UDPREMOTEIP"
	"$SOCKBOX" udpsend -r -s 10.9.0.3 239.1.2.3 "$PORT" prog
	'
	[ "${lines[0]}" = echoed ]
	[[ "${lines[1]}" =~ ^10\.9\.0\.2:[0-9]+$'\t'who$ ]]
	[ "${lines[2]}" = "re six" ]
	[[ "${lines[3]}" =~ ^\[fd00:9::2\]:[0-9]+$'\t're\ who6$ ]]
	[ "${lines[4]}" = "239.1.2.3 10.9.0.3" ]
}

@test "--any: every responder of a group is printed; -n COUNT stops early; -0" {
	run -0 --separate-stderr two_ns '
	start r1 inb python3 "$PEER" respond 239.1.2.3 0 10.9.0.2 one
	inb python3 "$PEER" respond 239.1.2.3 "$PORT" 10.9.0.4 two >/dev/null 2>"$T/r2.err" 3>&- &
	echo $! >>"$T/pids"
	inb python3 "$PEER" respond 239.1.2.3 "$PORT" 10.9.0.5 three >/dev/null 2>"$T/r3.err" 3>&- &
	echo $! >>"$T/pids"
	wait_for grep -q listening "$T/r2.err"
	wait_for grep -q listening "$T/r3.err"
	"$SOCKBOX" udpsend --any -w 1 239.1.2.3 "$PORT" hello | sort >"$T/all"
	"$SOCKBOX" udpsend --any -n 2 -w 0 239.1.2.3 "$PORT" hi >"$T/two"
	printf "x\n" | "$SOCKBOX" udpsend --any -0 -w 1 239.1.2.3 "$PORT" >"$T/exact"
	cat "$T/all"
	echo "two: $(wc -l <"$T/two")"
	echo "exact: $(wc -c <"$T/exact") $(sort "$T/exact" | tr "\n" " ")"
	'
	[[ "${lines[0]}" =~ ^10\.9\.0\.2:[0-9]+$'\t'one:hello$ ]]
	[[ "${lines[1]}" =~ ^10\.9\.0\.4:[0-9]+$'\t'two:hello$ ]]
	[[ "${lines[2]}" =~ ^10\.9\.0\.5:[0-9]+$'\t'three:hello$ ]]
	[ "${lines[3]}" = "two: 2" ]
	# one:x\n two:x\n three:x\n exactly, no addresses: 20 bytes.
	[ "${lines[4]}" = "exact: 20 one:x three:x two:x " ]
}

@test "--any -b: broadcast discovery, to the subnet and to 255.255.255.255" {
	run -0 --separate-stderr two_ns '
	ip route add default dev va
	start r1 inb python3 "$PEER" respond - 0 10.9.0.2 one
	inb python3 "$PEER" respond - "$PORT" 10.9.0.4 two >/dev/null 2>"$T/r2.err" 3>&- &
	echo $! >>"$T/pids"
	wait_for grep -q listening "$T/r2.err"
	"$SOCKBOX" udpsend -b --any -w 1 10.9.0.255 "$PORT" subnet | sort
	"$SOCKBOX" udpsend -b --any -w 1 255.255.255.255 "$PORT" all | sort
	if "$SOCKBOX" udpsend --any -w 1 255.255.255.255 "$PORT" nob 2>"$T/err"; then exit 1; fi
	cat "$T/err"
	'
	[[ "${lines[0]}" =~ ^10\.9\.0\.2:[0-9]+$'\t'one:subnet$ ]]
	[[ "${lines[1]}" =~ ^10\.9\.0\.4:[0-9]+$'\t'two:subnet$ ]]
	[[ "${lines[2]}" =~ ^10\.9\.0\.2:[0-9]+$'\t'one:all$ ]]
	[[ "${lines[3]}" =~ ^10\.9\.0\.4:[0-9]+$'\t'two:all$ ]]
	[[ "${lines[4]}" == "udpsend: 255.255.255.255 port "*": Permission denied" ]]
}
