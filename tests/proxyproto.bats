#!/usr/bin/env bats
# tcpserve --proxy-protocol: haproxy (send-proxy, send-proxy-v2) in front of
# every mode, and hostile headers from Python clients (proxyproto_peer.py).
# The original clients bind 127.0.0.2 or 127.0.0.4 and haproxy listens on
# 127.0.0.3, so their addresses can only have come from the header: the
# connection tcpserve sees is from 127.0.0.1.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/proxyproto_peer.py
ERR=server.err

setup() {
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	local pid
	for pid in ${HA_PID:-} ${SLOW_PID:-} ${FWD_PID:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait_exit "$SERVER_PID" 5 || true
	fi
}

# start_haproxy OPTION BACKEND_PORT [BIND_OPTION]: haproxy on 127.0.0.3 in front of
# 127.0.0.1:BACKEND_PORT, OPTION (send-proxy, send-proxy-v2) on its server
# line; sets HA_PORT and HA_PID. haproxy cannot listen on port 0 and say
# which it got: it takes a port found free just before, and if another
# process took that one meanwhile, the next try another (5 tries).
start_haproxy() {
	local try i
	for try in 1 2 3 4 5; do
		HA_PORT=$(python3 "$PEER" freeport 127.0.0.3)
		cat >haproxy.cfg <<-EOF
		global
		    maxconn 200
		defaults
		    mode tcp
		    timeout connect 5s
		    timeout client 30s
		    timeout server 30s
		frontend fe
		    bind 127.0.0.3:$HA_PORT ${3:-}
		    default_backend be
		backend be
		    server s1 127.0.0.1:$2 $1
		EOF
		haproxy -db -f haproxy.cfg >haproxy.err 2>&1 3>&- &
		HA_PID=$!
		for i in $(seq 100); do
			ss -Hltnp "sport = :$HA_PORT" | grep -q "pid=$HA_PID," &&
				return 0
			kill -0 "$HA_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$HA_PID" 2>/dev/null || true
		wait "$HA_PID" 2>/dev/null || true
		HA_PID=
	done
	cat haproxy.err >&2
	return 1
}

stop_haproxy() {
	kill "$HA_PID" 2>/dev/null || true
	wait "$HA_PID" 2>/dev/null || true
	HA_PID=
}

# talk ARGS: proxyproto_peer.py talk; sets SPORT, the client's own port.
talk() {
	run -0 --separate-stderr python3 "$PEER" talk "$@" </dev/null
	SPORT=${stderr_lines[0]#sport }
}

# nth_warning N WHY: the server's Nth "PROXY header" warning comes, and says WHY.
nth_warning() {
	wait_for test "$(grep -c 'PROXY header: ' "$ERR")" -ge "$1" || {
		cat "$ERR" >&2
		return 1
	}
	grep 'PROXY header: ' "$ERR" | sed -n "$1p" | grep -qF "PROXY header: $2" || {
		echo "warning $1 is not '$2':" >&2
		cat "$ERR" >&2
		return 1
	}
}

ENVPROG='echo "$TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALIP $TCPLOCALPORT"; exec cat'

@test "bad input: -w needs --proxy-protocol and a duration above 0" {
	for args in '-w 5 127.0.0.1 0' '--proxy-protocol -w 0 127.0.0.1 0' \
	    '--proxy-protocol -w soon 127.0.0.1 0' '--proxy-protocol -w 127.0.0.1 0' \
	    '--proxy-protocol=1 127.0.0.1 0'; do
		run --separate-stderr "$SOCKBOX" tcpserve $args
		assert_usage_error tcpserve || { echo "args: $args" >&2; return 1; }
	done
	run -2 --separate-stderr "$SOCKBOX" tcpserve -w 5 127.0.0.1 0
	[ "$stderr" = "tcpserve: -w is for --forward and --proxy-protocol" ]
}

@test "haproxy send-proxy and send-proxy-v2: PROG's environment names the original client" {
	need haproxy
	start_server tcpserve --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	for opt in send-proxy send-proxy-v2; do
		start_haproxy "$opt" "$PORT"
		talk "$HA_PORT" "b'after the header'" --host 127.0.0.3 --src 127.0.0.2
		[ "${lines[0]}" = "127.0.0.2 $SPORT 127.0.0.3 $HA_PORT" ] || {
			echo "$opt: $output" >&2
			return 1
		}
		[ "${lines[1]}" = "after the header" ]
		stop_haproxy
	done
}

@test "haproxy in front: -a/-d judge the header's address, not haproxy's" {
	need haproxy
	# The real peer, 127.0.0.1, is denied: only the header can let one in.
	start_server tcpserve -v --proxy-protocol -d 127.0.0.0/8 -a 127.0.0.2 \
	    127.0.0.1 0 echo served
	start_haproxy send-proxy-v2 "$PORT"
	talk "$HA_PORT" "b'x'" --host 127.0.0.3 --src 127.0.0.2
	[ "$output" = served ]
	grep -q "connection from 127.0.0.2:$SPORT pid" "$ERR"
	talk "$HA_PORT" "b'x'" --host 127.0.0.3 --src 127.0.0.4
	[ -z "$output" ]
	wait_for grep -q "denied 127.0.0.4:$SPORT" "$ERR"
	stop_haproxy
	start_haproxy send-proxy "$PORT"
	talk "$HA_PORT" "b'x'" --host 127.0.0.3 --src 127.0.0.2
	[ "$output" = served ]
}

@test "haproxy send-proxy-v2 in front of --echo: 10 MiB come back intact (sha256)" {
	need haproxy
	start_server tcpserve --proxy-protocol --echo 127.0.0.1 0
	start_haproxy send-proxy-v2 "$PORT"
	run -0 python3 "$PEER" bulk "$HA_PORT" 10 --host 127.0.0.3
	[ "${#lines[@]}" -eq 2 ] && [ "${#lines[0]}" -eq 64 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	stop_haproxy
	# Without haproxy: a v1 header from us, the data in the same writes.
	run -0 python3 "$PEER" bulk "$PORT" 10 "b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n'"
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "hostile headers are turned away at once, each costing only its connection" {
	# -w 30: a header turned away before the client's 10 s are up was
	# turned away at once, not timed out.
	start_server tcpserve -v -w 30 --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	n=0
	while IFS='|' read -r header why; do
		n=$((n + 1))
		talk "$PORT" "$header"
		[ -z "$output" ] || { echo "served: $header: $output" >&2; return 1; }
		nth_warning "$n" "$why"
	done <<-'EOF'
	b'GET / HTTP/1.0\r\n\r\n'|not a PROXY header
	b'\0' * 32|not a PROXY header
	b'proxy tcp4 192.0.2.1 192.0.2.2 1 2\r\n'|not a PROXY header
	b'PROXY TCP4 192.0.2.1 192.0'|closed before its end
	b'PROXY UNKNOWN ' + b'x' * 100 + b'\r\n'|no CRLF in 107 bytes
	b'PROXY TCP4 ::1 ::1 1 2\r\n'|invalid address
	b'PROXY TCP6 192.0.2.1 ::1 1 2\r\n'|invalid address
	b'PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n'|invalid address
	b'PROXY TCP4 192.0.2.1 192.0.2.2 1 65536\r\n'|invalid port
	b'PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n'|unknown protocol
	b'PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n'|too few fields
	b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n'|too many fields
	b'PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n'|empty field
	b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n'|LF without CR
	b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\rX\n'|CR without LF
	v2(0x21, 0x11, b'')[:9]|closed before its end
	b'\r\n\r\n\0\r\nQUIT\r'|not a PROXY header
	v2(0x11, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2)|not version 2
	v2(0x22, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2)|unknown command
	v2(0x21, 0x11, ip4('192.0.2.1') * 2 + port(1))|length too short for the addresses
	v2(0x21, 0x21, ip4('192.0.2.1') * 2 + port(1) * 2)|length too short for the addresses
	v2(0x21, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2, length=40)|closed before its end
	v2(0x21, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2, length=65535)|oversized
	v2(0x21, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2, length=4081)|oversized
	v2(0x21, 0x12, ip4('192.0.2.1') * 2 + port(1) * 2)|unsupported family or protocol
	v2(0x21, 0x41, ip4('192.0.2.1') * 2 + port(1) * 2)|unsupported family or protocol
	EOF
	# The server goes on, and took nothing from the last bad client.
	talk "$PORT" "b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n'" "b'data'"
	[ "$output" = "$(printf '192.0.2.1 1 192.0.2.2 2\ndata')" ]
}

@test "a header split over many small writes is taken, and the data after it" {
	start_server tcpserve --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	talk "$PORT" "b'PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n'" \
	    "b'data after it'" --chunk 1
	[ "$output" = "$(printf '2001:db8::1 1234 2001:db8::2 443\ndata after it')" ]
	talk "$PORT" "v2(0x21, 0x11, ip4('192.0.2.9') + ip4('192.0.2.10') + port(5) + port(6) + tlv(2, b'example.com'))" \
	    "b'\r\n\r\nmore'" --chunk 3
	[ "$output" = "$(printf '192.0.2.9 5 192.0.2.10 6\n\r\n\r\nmore')" ]
	stop_server
	start_server tcpserve --proxy-protocol --echo 127.0.0.1 0
	talk "$PORT" "b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n'" "b'echoed'" --chunk 1
	[ "$output" = echoed ]
	talk "$PORT" "v2(0x21, 0x21, ip6('::1') * 2 + port(1) * 2 + tlv(4, bytes(300)))" \
	    "b'echoed'" --chunk 7
	[ "$output" = echoed ]
}

@test "v2 TLVs are skipped; v1 UNKNOWN, v2 LOCAL and v2 UNSPEC keep the real addresses" {
	start_server tcpserve --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	talk "$PORT" "v2(0x21, 0x21, ip6('2001:db8::7') + ip6('::ffff:192.0.2.8') + port(7) + port(8) + tlv(1, b'h2') + tlv(0xea, b'vpce-0123') + tlv(4, bytes(3000)))" "b'x'"
	[ "$output" = "$(printf '2001:db8::7 7 192.0.2.8 8\nx')" ]
	for header in "b'PROXY UNKNOWN\r\n'" "b'PROXY UNKNOWN ffff::1 ::1 1 2\r\n'" \
	    "v2(0x20, 0x00, b'')" "v2(0x20, 0x11, ip4('192.0.2.1') * 2 + port(1) * 2)" \
	    "v2(0x20, 0x77, b'whatever')" "v2(0x21, 0x00, b'')"; do
		talk "$PORT" "$header" "b'x'"
		[ "$output" = "$(printf '127.0.0.1 %s 127.0.0.1 %s\nx' "$SPORT" "$PORT")" ] || {
			echo "$header: $output" >&2
			return 1
		}
	done
}

@test "-C counts the header's address in PROG and --echo modes" {
	for mode in prog echo; do
		if [ "$mode" = prog ]; then
			start_server tcpserve -v -C 1 --proxy-protocol 127.0.0.1 0 sh -c 'echo in; cat'
		else
			start_server tcpserve -v -C 1 --proxy-protocol --echo 127.0.0.1 0
		fi
		run -0 python3 -c "
import sys; sys.path.insert(0, '$BATS_TEST_DIRNAME')
from proxyproto_peer import *
def hdr(a):
    return ('PROXY TCP4 %s 192.0.2.99 1000 80\r\n' % a).encode()
a = connect($PORT); a.sendall(hdr('192.0.2.7') + b'in\n')
assert a.recv(3) == b'in\n'
b = connect($PORT); b.sendall(hdr('192.0.2.7') + b'in\n')
print('same address:', read_to_end(b))
c = connect($PORT); c.sendall(hdr('192.0.2.8') + b'in\n')
print('other address:', c.recv(3))
a.close()
"
		[ "${lines[0]}" = "same address: b''" ]
		[ "${lines[1]}" = "other address: b'in\n'" ]
		grep -q "refused 192.0.2.7:1000: too many connections" "$ERR"
		stop_server
	done
}

@test "a slow header is closed after 5 s; other clients are served meanwhile" {
	for mode in prog echo; do
		if [ "$mode" = prog ]; then
			start_server tcpserve -v --proxy-protocol 127.0.0.1 0 cat
		else
			start_server tcpserve -v --proxy-protocol --echo 127.0.0.1 0
		fi
		python3 "$PEER" slow "$PORT" "b'PROXY TCP4 192.0.2.1'" >slow.out 3>&- &
		SLOW_PID=$!
		wait_for grep -q sent slow.out
		talk "$PORT" "b'PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n'" "b'served'"
		[ "$output" = served ]
		kill -0 "$SLOW_PID"	# still waiting for the server's end
		wait_exit "$SLOW_PID" 15
		[ "$EXIT_STATUS" = 0 ]
		SLOW_PID=
		grep -q "PROXY header: timed out" "$ERR"
		stop_server
	done
}

@test "-w sets the time a header may take" {
	start_server tcpserve -v -w 0.5 --proxy-protocol --echo 127.0.0.1 0
	run -0 python3 "$PEER" slow "$PORT" "b''"
	grep -q "127.0.0.1:[0-9]*: PROXY header: timed out" "$ERR"
}

@test "relay mode: the header's client in the log, the data after it on stdout" {
	start_server tcpserve -v --proxy-protocol 127.0.0.1 0
	# A bad header does not end a relay without -k: the next one is served.
	talk "$PORT" "b'GET /\r\n'"
	talk "$PORT" "b'PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n'" "b'to stdout\n'" --chunk 5
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	[ "$(cat server.out)" = "to stdout" ]
	grep -q "PROXY header: not a PROXY header" "$ERR"
	grep -q "connection from 192.0.2.1:1234$" "$ERR"
}

@test "--forward --send-proxy v1 and v2: haproxy (accept-proxy) behind it reads the client from our header" {
	need haproxy
	# client 127.0.0.2 -> tcpserve --forward --send-proxy -> haproxy
	# accept-proxy, send-proxy-v2 -> tcpserve --proxy-protocol PROG: only
	# our header can have told haproxy who the client was.
	start_server tcpserve --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	start_haproxy send-proxy-v2 "$PORT" accept-proxy
	for v in 1 2; do
		"$SOCKBOX" tcpserve --send-proxy=$v --forward "127.0.0.3:$HA_PORT" \
		    127.0.0.1 0 2>fwd.err 3>&- &
		FWD_PID=$!
		wait_for grep -q 'listening on' fwd.err
		fport=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' fwd.err)
		talk "$fport" "b'after both headers'" --host 127.0.0.1 --src 127.0.0.2
		[ "${lines[0]}" = "127.0.0.2 $SPORT 127.0.0.1 $fport" ] || {
			echo "v$v: $output" >&2
			return 1
		}
		[ "${lines[1]}" = "after both headers" ]
		kill "$FWD_PID"
		wait "$FWD_PID" || true
		FWD_PID=
	done
}

@test "--proxy-protocol in front of --forward: the header's client is logged and passed on with --send-proxy" {
	start_server tcpserve --proxy-protocol 127.0.0.1 0 sh -c "$ENVPROG"
	"$SOCKBOX" tcpserve -v --proxy-protocol --send-proxy --forward \
	    "127.0.0.1:$PORT" 127.0.0.1 0 2>fwd.err 3>&- &
	FWD_PID=$!
	wait_for grep -q 'listening on' fwd.err
	fport=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' fwd.err)
	run -0 python3 - "$fport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"PROXY TCP4 127.0.0.9 127.0.0.8 4444 8080\r\npayload\n")
f = s.makefile("rb")
print(f.readline().decode().strip())
print(f.readline().decode().strip())
PY
	[ "${lines[0]}" = "127.0.0.9 4444 127.0.0.8 8080" ]
	[ "${lines[1]}" = payload ]
	grep -q '^tcpserve: connection from 127.0.0.9:4444 to 127.0.0.1:' fwd.err
	run -2 --separate-stderr "$SOCKBOX" tcpserve --send-proxy 127.0.0.1 0
	[ "$stderr" = "tcpserve: --send-proxy is for --forward" ]
	run -2 --separate-stderr "$SOCKBOX" tcpserve --send-proxy=3 --forward 127.0.0.1:1 127.0.0.1 0
	[ "$stderr" = "tcpserve: invalid PROXY protocol version '3'" ]
}
