#!/usr/bin/env bats
# --sockopt, -D, -K and --mptcp in tcpconnect, tcpserve, udpsend and
# udpserve. Every option is read back from the socket itself: a PROG's
# stdin (getsockopt on fd 0), or the applet's own sockets taken with
# pidfd_getfd (sockopt_peer.py); datagrams' TTL and TOS on arrival.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/sockopt_peer.py

# Every option with a value its readback can tell from the default.
ALL_TCP=(--sockopt nodelay --sockopt keepalive=30:7:4 --sockopt rcvbuf=64k
	--sockopt sndbuf=96k --sockopt tos=0x20 --sockopt ttl=42
	--sockopt user-timeout=2.5 --sockopt mark=77 --sockopt linger=3
	--sockopt bindtodevice=lo)
# What sockopt_peer.py reports for them (buffers: the kernel doubles).
ALL_TCP_READ=(nodelay=1 keepalive=1 keepidle=30 keepintvl=7 keepcnt=4
	rcvbuf=131072 sndbuf=196608 tos=32 ttl=42 user_timeout=2500 mark=77
	linger=1:3 device=lo)

setup() {
	T=$BATS_TEST_TMPDIR
	PIDS=()
}

teardown() {
	kill_pids "${PIDS[@]}"
	[ -z "${HOLD_FD:-}" ] || exec 7>&-
	stop_server
}

# has_all LINE WORDS...: every word is a field of LINE.
has_all() {
	local line=" $1 " w
	shift
	for w in "$@"; do
		[[ "$line" == *" $w "* ]] || { echo "no $w in: $1" >&2; return 1; }
	done
}

# wait_file FILE: wait (bounded) until FILE exists.
wait_file() {
	wait_for test -e "$1" || { echo "no $1" >&2; return 1; }
}

# hold_client ARGS...: tcpconnect ARGS in the background, its stdin a fifo
# held open (fd 7), so the connection stays until teardown; sets CLIENT_PID.
hold_client() {
	mkfifo "$T/hold"
	exec 7<>"$T/hold"
	HOLD_FD=7
	"$SOCKBOX" tcpconnect "$@" <"$T/hold" >"$T/client.out" \
		2>"$T/client.err" 3>&- 7>&- &
	CLIENT_PID=$!
	PIDS+=("$CLIENT_PID")
}

# conn_line FILE: the connected (not listening) TCP socket's line.
conn_line() {
	grep 'listen=0 type=stream' "$1" | head -n 1
}

@test "bad --sockopt names and values: exit 2, one line, nothing on stdout" {
	local bad
	for bad in bogus '' nodelay=1 reuseport=yes rcvbuf rcvbuf= rcvbuf=12x \
	    rcvbuf=0 rcvbuf=2G sndbuf=-1 tos=256 tos=0xg ttl=0 ttl=256 \
	    keepalive= keepalive=0 keepalive=1:2:3:4 keepalive=1::3 \
	    keepalive=32768 keepalive=1:1:128 bindtodevice=a/b \
	    bindtodevice=12345678901234567 'bindtodevice=a b' bindtodevice=.. \
	    mark=-1 mark=4294967296 user-timeout=x user-timeout=1.2345 \
	    user-timeout=0x10 user-timeout=1. linger=-1 linger=1.5; do
		run --separate-stderr sb tcpconnect --sockopt "$bad" 127.0.0.1 9
		assert_usage_error tcpconnect
		[[ "$stderr" == *"socket option"* || "$stderr" == *sockopt* ]]
	done
	run --separate-stderr sb tcpserve --sockopt keepalive=1:2:3:4 127.0.0.1 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: invalid sockopt keepalive value '1:2:3:4'" ]
	run --separate-stderr sb udpsend --sockopt foo=1 127.0.0.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: unknown socket option 'foo'" ]
	run --separate-stderr sb udpserve --sockopt rcvbuf 127.0.0.1 0
	assert_usage_error udpserve
	[ "$stderr" = "udpserve: sockopt rcvbuf needs a value" ]
	run --separate-stderr sb tcpserve --sockopt nodelay=on 127.0.0.1 0
	assert_usage_error tcpserve
	[ "$stderr" = "tcpserve: sockopt nodelay takes no value" ]
}

@test "options that do not fit the socket: exit 2" {
	local o
	for o in nodelay keepalive keepalive=5 user-timeout=1 linger=0; do
		run --separate-stderr sb udpsend --sockopt "$o" 127.0.0.1 9 x
		assert_usage_error udpsend
		[ "$stderr" = "udpsend: sockopt ${o%%=*} is for TCP, not UDP" ]
		run --separate-stderr sb udpserve --sockopt "$o" 127.0.0.1 0
		assert_usage_error udpserve
	done
	run --separate-stderr sb tcpconnect --sockopt reuseport 127.0.0.1 9
	assert_usage_error tcpconnect
	[ "$stderr" = "tcpconnect: sockopt reuseport is for servers" ]
	run --separate-stderr sb udpsend --sockopt reuseport 127.0.0.1 9 x
	assert_usage_error udpsend
	[ "$stderr" = "udpsend: sockopt reuseport is for servers" ]
	# The short forms and --mptcp are TCP's only.
	run --separate-stderr sb udpsend -D 127.0.0.1 9 x
	assert_usage_error udpsend
	run --separate-stderr sb udpserve --mptcp 127.0.0.1 0
	assert_usage_error udpserve
}

@test "bad input is refused before any socket is made" {
	need strace
	# LeakSanitizer cannot run under ptrace (make check SANITIZE=1).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	run -2 strace -f -qq -e trace=socket -o "$T/trace" \
		"$SOCKBOX" tcpserve --sockopt reuseport --sockopt bogus 127.0.0.1 0
	run -2 strace -f -qq -e trace=socket -o "$T/trace2" \
		"$SOCKBOX" udpsend --sockopt nodelay 127.0.0.1 9 x
	run -2 strace -f -qq -e trace=socket -o "$T/trace3" \
		"$SOCKBOX" tcpconnect --mptcp --sockopt reuseport 127.0.0.1 9
	! grep -h 'socket(' "$T/trace" "$T/trace2" "$T/trace3"
}

@test "a value the kernel refuses: APPLET: sockopt NAME: reason, exit 1" {
	run -1 --separate-stderr sb tcpconnect --sockopt bindtodevice=nosuchif0 \
		127.0.0.1 9
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: sockopt bindtodevice: No such device" ]
	run -1 --separate-stderr sb tcpconnect -z --sockopt bindtodevice=nosuchif0 \
		127.0.0.1 9-11
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: sockopt bindtodevice: No such device" ]
	run -1 --separate-stderr sb tcpserve --sockopt bindtodevice=nosuchif0 \
		127.0.0.1 0
	[ -z "$output" ]
	[ "$stderr" = "tcpserve: sockopt bindtodevice: No such device" ]
	run -1 --separate-stderr sb udpsend --sockopt bindtodevice=nosuchif0 \
		127.0.0.1 9 x
	[ "$stderr" = "udpsend: sockopt bindtodevice: No such device" ]
	run -1 --separate-stderr sb udpserve --sockopt bindtodevice=nosuchif0 \
		127.0.0.1 0
	[ "$stderr" = "udpserve: sockopt bindtodevice: No such device" ]
}

@test "tcpserve PROG: every option is on the accepted connection (IPv4)" {
	start_server tcpserve "${ALL_TCP[@]}" 127.0.0.1 0 python3 "$PEER" fd \
		"$T/opts"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	wait_file "$T/opts"
	has_all "$(cat "$T/opts")" "${ALL_TCP_READ[@]}" family=inet protocol=6
}

@test "tcpserve PROG: tos and ttl on IPv6, and on a dual-stack listener's IPv4 clients" {
	start_server tcpserve -6 --sockopt tos=64 --sockopt ttl=9 ::1 0 \
		python3 "$PEER" fd "$T/opts"
	run -0 sb tcpconnect ::1 "$PORT" </dev/null
	wait_file "$T/opts"
	has_all "$(cat "$T/opts")" family=inet6 tclass=64 hops=9
	# A dual-stack listener's IPv4 clients get the IPv4 options.
	rm "$T/opts"
	stop_server
	start_server tcpserve --sockopt tos=64 --sockopt ttl=9 '' 0 \
		python3 "$PEER" fd "$T/opts"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	wait_file "$T/opts"
	has_all "$(cat "$T/opts")" family=inet6 tos=64 ttl=9 tclass=64 hops=9
}

@test "tcpserve -D -K: nodelay and keepalive with the kernel's timings" {
	start_server tcpserve -D -K 127.0.0.1 0 python3 "$PEER" fd "$T/opts"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	wait_file "$T/opts"
	has_all "$(cat "$T/opts")" nodelay=1 keepalive=1 \
		"keepidle=$(sysctl -n net.ipv4.tcp_keepalive_time)"
	# Without them, neither is set: the readback can tell.
	rm "$T/opts"
	stop_server
	start_server tcpserve 127.0.0.1 0 python3 "$PEER" fd "$T/opts"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	wait_file "$T/opts"
	has_all "$(cat "$T/opts")" nodelay=0 keepalive=0 linger=off device=-
}

@test "tcpserve relay and --echo: the listener and the connection have them" {
	local mode
	for mode in relay echo; do
		start_server tcpserve $([ "$mode" = echo ] && echo --echo) \
			"${ALL_TCP[@]}" 127.0.0.1 0
		hold_client 127.0.0.1 "$PORT"
		python3 "$PEER" pid "$SERVER_PID" "$T/$mode"
		has_all "$(conn_line "$T/$mode")" "${ALL_TCP_READ[@]}"
		if [ "$mode" = echo ]; then
			has_all "$(grep listen=1 "$T/echo")" "${ALL_TCP_READ[@]}"
		fi
		exec 7>&-
		HOLD_FD=
		wait_exit "$CLIENT_PID"
		stop_server
		rm "$T/hold"
	done
}

@test "tcpconnect PROG: every option is on the connection" {
	start_server tcpserve --echo 127.0.0.1 0
	run -0 sb tcpconnect "${ALL_TCP[@]}" 127.0.0.1 "$PORT" python3 "$PEER" fd \
		"$T/opts"
	has_all "$(cat "$T/opts")" "${ALL_TCP_READ[@]}" family=inet
	# A name given twice: the last one counts. -D and -K are the short forms.
	run -0 sb tcpconnect -D -K --sockopt ttl=5 --sockopt ttl=9 127.0.0.1 \
		"$PORT" python3 "$PEER" fd "$T/opts2"
	has_all "$(cat "$T/opts2")" ttl=9 nodelay=1 keepalive=1
}

@test "tcpconnect relay: the options are on the socket while it is connected" {
	start_server tcpserve --echo 127.0.0.1 0
	hold_client "${ALL_TCP[@]}" 127.0.0.1 "$PORT"
	python3 "$PEER" pid "$CLIENT_PID" "$T/opts"
	has_all "$(conn_line "$T/opts")" "${ALL_TCP_READ[@]}"
	# ss sees the same socket with its keepalive timer and buffers.
	ss -tnoem state established "( dport = :$PORT )" >"$T/ss"
	grep -q 'timer:(keepalive' "$T/ss"
	grep -q 'rb131072,.*tb196608' "$T/ss"
}

@test "udpsend: the options are on its socket, TTL and TOS on the datagram" {
	SOCKBOX=python3 start_server "$PEER" udprecv "$T/got"
	run -0 sb udpsend --sockopt ttl=7 --sockopt tos=0x28 127.0.0.1 "$PORT" hi
	wait_file "$T/got"
	[ "$(cat "$T/got")" = "ttl=7 tos=40 hi" ]
	stop_server
	# -r keeps the socket open while it waits for a reply that never comes.
	start_server udpserve 127.0.0.1 0
	"$SOCKBOX" udpsend -r -w 20 --sockopt rcvbuf=300k --sockopt sndbuf=200k \
		--sockopt tos=8 --sockopt ttl=3 --sockopt mark=0x10 \
		--sockopt bindtodevice=lo 127.0.0.1 "$PORT" ping 3>&- &
	PIDS+=($!)
	python3 "$PEER" pid "$!" "$T/opts"
	has_all "$(cat "$T/opts")" type=dgram rcvbuf=614400 sndbuf=409600 \
		tos=8 ttl=3 mark=16 device=lo
}

@test "udpserve: the options are on its socket, the rcvbuf asked for stays" {
	start_server udpserve --sockopt rcvbuf=256k --sockopt sndbuf=128k \
		--sockopt tos=16 --sockopt ttl=12 --sockopt reuseport \
		--sockopt mark=5 --sockopt bindtodevice=lo 127.0.0.1 0
	python3 "$PEER" pid "$SERVER_PID" "$T/opts"
	has_all "$(cat "$T/opts")" type=dgram rcvbuf=524288 sndbuf=262144 \
		tos=16 ttl=12 reuseport=1 mark=5 device=lo
	# The datagrams still arrive.
	run -0 sb udpsend 127.0.0.1 "$PORT" hello
	wait_for grep -qx hello "$T/server.out"
}

@test "reuseport: two tcpserve processes on one port both get connections" {
	start_server tcpserve --sockopt reuseport 127.0.0.1 0 echo A
	# Without reuseport on both, the port is taken.
	run -1 --separate-stderr sb tcpserve 127.0.0.1 "$PORT" echo B
	[[ "$stderr" == "tcpserve: bind 127.0.0.1:$PORT: Address"*"in use" ]]
	"$SOCKBOX" tcpserve -v --sockopt reuseport 127.0.0.1 "$PORT" echo B \
		2>"$T/b.err" 3>&- &
	PIDS+=($!)
	wait_for grep -q 'listening on' "$T/b.err"
	local i a=0 b=0
	for i in $(seq 300); do
		case $(sb tcpconnect 127.0.0.1 "$PORT" </dev/null) in
		A) a=1 ;;
		B) b=1 ;;
		*) false ;;
		esac
		[ "$a$b" = 11 ] && break
	done
	[ "$a$b" = 11 ]
}

@test "reuseport: two udpserve processes on one port both get datagrams" {
	start_server udpserve -n 1 --sockopt reuseport 127.0.0.1 0
	"$SOCKBOX" udpserve -v -n 1 --sockopt reuseport 127.0.0.1 "$PORT" \
		>"$T/b.out" 2>"$T/b.err" 3>&- &
	local b=$! i
	PIDS+=("$b")
	wait_for grep -q 'listening on' "$T/b.err"
	# Each udpsend has a source port of its own: the kernel spreads them.
	# Once the last server has its datagram and exits, one more may be
	# refused before kill -0 sees it gone.
	for i in $(seq 300); do
		sb udpsend 127.0.0.1 "$PORT" "d$i" || true
		kill -0 "$SERVER_PID" 2>/dev/null || kill -0 "$b" 2>/dev/null ||
			break
	done
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	wait_exit "$b"
	[ "$EXIT_STATUS" = 0 ]
	grep -qx 'd[0-9]*' "$T/server.out"
	grep -qx 'd[0-9]*' "$T/b.out"
}

# mptcp_on: whether this kernel has MPTCP switched on.
mptcp_on() {
	[ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ]
}

@test "--mptcp: the connection works and both ends' sockets are MPTCP" {
	mptcp_on || skip "this kernel has no MPTCP (the next test checks the error)"
	start_server tcpserve --mptcp --echo 127.0.0.1 0
	run -0 sb tcpconnect --mptcp 127.0.0.1 "$PORT" < <(printf 'multipath')
	[ "$output" = multipath ]
	stop_server
	start_server tcpserve --mptcp -D 127.0.0.1 0 python3 "$PEER" fd "$T/srv"
	run -0 sb tcpconnect --mptcp 127.0.0.1 "$PORT" python3 "$PEER" fd \
		"$T/cli"
	wait_file "$T/srv"
	has_all "$(cat "$T/srv")" protocol=262 nodelay=1
	has_all "$(cat "$T/cli")" protocol=262
}

@test "--mptcp where the kernel lacks it: a clear error, exit 1" {
	local pre=()
	# With MPTCP here, a namespace of our own switches it off.
	if mptcp_on; then
		need unshare
		pre=(unshare -n sh -c 'sysctl -qw net.mptcp.enabled=0 &&
			ip link set lo up && exec "$@"' sh)
	fi
	run -1 --separate-stderr "${pre[@]}" "$SOCKBOX" tcpconnect --mptcp \
		127.0.0.1 9
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: MPTCP: not supported by this kernel" ]
	run -1 --separate-stderr "${pre[@]}" "$SOCKBOX" tcpserve --mptcp \
		127.0.0.1 0
	[ -z "$output" ]
	[ "$stderr" = "tcpserve: MPTCP: not supported by this kernel" ]
}
