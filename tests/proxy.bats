#!/usr/bin/env bats
# tcpconnect -x/-X/-P: through real proxies (microsocks, dante-server,
# tinyproxy) started here on 127.0.0.1, and through a Python stand-in
# (proxy_peer.py) that records what it was asked and answers anything.
# Destinations are numeric or "localhost" from /etc/hosts: no DNS.
bats_require_minimum_version 1.5.0
load helpers

PROXY_PEER=$BATS_TEST_DIRNAME/proxy_peer.py
TCP_PEER=$BATS_TEST_DIRNAME/tcpconnect_peer.py

setup() {
	T=$BATS_TEST_TMPDIR
	export T
	PIDS=()
	unset SOCKBOX_PROXY_PASSWORD
}

teardown() {
	kill_pids "${PIDS[@]}"
}

# announced CMD...: start_server for CMD, any number of them at once
# (teardown kills them all); sets APORT.
announced() {
	SOCKBOX=$1 start_server "${@:2}"
	PIDS+=("$SERVER_PID")
	APORT=$PORT
	SERVER_PID=
}

# echo_server: a tcpserve --echo for any number of connections, each
# closed once idle for 1 s; sets EPORT.
echo_server() {
	announced "$SOCKBOX" tcpserve --echo -i 1 127.0.0.1 0
	EPORT=$APORT
}

# stand_in PROTO ARGS...: proxy_peer.py, logging to $T/req; sets PPORT.
stand_in() {
	: >"$T/req"
	announced python3 "$PROXY_PEER" "$1" "$T/req" "${@:2}"
	PPORT=$APORT
}

# hex FORMAT ARGS...: printf's output as hex digits, for proxy_peer.py.
hex() {
	printf "$@" | od -An -v -tx1 | tr -d ' \n'
}

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fixed_port START: for proxies that cannot announce a port 0: pick a free
# port (sets PPORT), run function START in the background (it writes its
# config and execs the proxy) and wait (bounded) until PPORT listens;
# another try if the port was taken in between.
fixed_port() {
	local try i
	for try in 1 2 3 4 5; do
		PPORT=$(free_port)
		"$1" </dev/null >"$T/proxy.out" 2>"$T/proxy.err" 3>&- &
		PIDS+=($!)
		for i in $(seq 200); do
			ss -ltnH "sport = :$PPORT" | grep -q . && return 0
			kill -0 "${PIDS[-1]}" 2>/dev/null || break
			sleep 0.05
		done
		kill "${PIDS[-1]}" 2>/dev/null || true
	done
	cat "$T/proxy.err" >&2
	return 1
}

# microsocks_up [ARGS...]: microsocks on 127.0.0.1 with ARGS; sets PPORT.
microsocks_up() {
	need microsocks
	MS_ARGS=("$@")
	fixed_port run_microsocks
}

run_microsocks() {
	exec microsocks -i 127.0.0.1 -p "$PPORT" "${MS_ARGS[@]}"
}

run_dante() {
	cat >"$T/danted.conf" <<-EOF
	logoutput: stderr
	internal: 127.0.0.1 port = $PPORT
	external: 127.0.0.1
	socksmethod: none
	clientmethod: none
	user.privileged: root
	user.unprivileged: nobody
	client pass {
		from: 127.0.0.0/8 to: 0.0.0.0/0
	}
	socks pass {
		from: 127.0.0.0/8 to: 0.0.0.0/0
		command: connect
	}
	EOF
	exec danted -f "$T/danted.conf" -N 1
}

run_tinyproxy() {
	cat >"$T/tinyproxy.conf" <<-EOF
	Port $PPORT
	Listen 127.0.0.1
	Timeout 30
	LogFile "$T/tinyproxy.log"
	LogLevel Info
	MaxClients 10
	Allow 127.0.0.1
	ConnectPort $EPORT
	ConnectPort $RPORT
	BasicAuth alice s3cr3t
	DisableViaHeader Yes
	EOF
	exec tinyproxy -d -c "$T/tinyproxy.conf"
}

# random_file: 1 MiB of random bytes in $T/in.
random_file() {
	head -c 1048576 /dev/urandom >"$T/in"
}

# tc_io IN OUT ARGS...: tcpconnect ARGS <IN >OUT, at most 20 s.
tc_io() {
	timeout 20 "$SOCKBOX" tcpconnect "${@:3}" <"$1" >"$2"
}

# through ARGS...: $T/in through tcpconnect ARGS to echo_server, and
# back unchanged, exit 0. stdin stays open: microsocks and tinyproxy end
# the whole connection at the client's half-close, so the echo server's
# idle close ends it, and then tcpconnect's -t.
through() {
	[ -p "$T/fifo" ] || mkfifo "$T/fifo"
	exec 5<>"$T/fifo"
	cat "$T/in" >"$T/fifo" 3>&- &
	PIDS+=($!)
	run -0 tc_io "$T/fifo" "$T/out" "$@"
	exec 5>&-
	cmp "$T/in" "$T/out"
}

# refused_port: a port on 127.0.0.1 that refuses connections; sets RPORT.
refused_port() {
	announced python3 "$TCP_PEER" refuse
	RPORT=$APORT
}

# proxy_fails MESSAGE ARGS...: tcpconnect ARGS exits 1 with MESSAGE as its
# one line on stderr and nothing on stdout.
proxy_fails() {
	local want=$1
	shift
	run --separate-stderr -1 timeout 20 "$SOCKBOX" tcpconnect "$@" \
		</dev/null
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: $want" ] || {
		echo "stderr: $stderr" >&2
		echo "wanted: tcpconnect: $want" >&2
		return 1
	}
}

@test "proxy usage errors: one line, exit 2, nothing on stdout" {
	long=$(printf 'a%.0s' $(seq 256))
	for args in "-x" "-X 5 127.0.0.1 80" "-P u 127.0.0.1 80" \
	    "-x https://127.0.0.1 127.0.0.1 80" "-x socks6://h 127.0.0.1 80" \
	    "-x 127.0.0.1:0 127.0.0.1 80" "-x 127.0.0.1:65536 127.0.0.1 80" \
	    "-x 127.0.0.1:x 127.0.0.1 80" "-x 127.0.0.1: 127.0.0.1 80" \
	    "-x ::1:1080 127.0.0.1 80" "-x [::1 127.0.0.1 80" \
	    "-x [nothost]:1 127.0.0.1 80" "-x socks5:// 127.0.0.1 80" \
	    "-x a/b:1 127.0.0.1 80" "-x :pw@h 127.0.0.1 80" \
	    "-x u%zz@h 127.0.0.1 80" "-x u%00@h 127.0.0.1 80" \
	    "-X 6 -x h 127.0.0.1 80" "-X connect -x socks5://h 127.0.0.1 80" \
	    "-X 4 -x http://h 127.0.0.1 80" "-P bob -x alice@h 127.0.0.1 80" \
	    "-x socks4://u:p@h 127.0.0.1 80" "-x http://h -P a:b 127.0.0.1 80" \
	    "-x socks4://127.0.0.1 ::1 80" "-x socks4a://127.0.0.1 ::1 80" \
	    "-6 -x socks4://::1 localhost 80" "-x 127.0.0.1 $long 80" \
	    "-x $long 127.0.0.1 80" "-x u:$long@h 127.0.0.1 80" \
	    "-4 -x ::1 127.0.0.1 80"; do
		run --separate-stderr -2 sb tcpconnect $args
		assert_usage_error tcpconnect
	done
	run --separate-stderr -2 sb tcpconnect -x socks4://127.0.0.1 ::1 80
	[ "$stderr" = "tcpconnect: SOCKS4 cannot reach the IPv6 address ::1" ]
	run --separate-stderr -2 sb tcpconnect -x 'ftp://h' 127.0.0.1 80
	[ "$stderr" = "tcpconnect: invalid proxy: unsupported scheme 'ftp' (socks4, socks4a, socks5, socks5h, http)" ]
	run --separate-stderr -2 sb tcpconnect -X 6 -x h 127.0.0.1 80
	[ "$stderr" = "tcpconnect: invalid proxy protocol '6' (4, 5 or connect)" ]
	# The password is never repeated in a message.
	run --separate-stderr -2 sb tcpconnect -x 'socks5://u:sekrit@h:0' \
		127.0.0.1 80
	[ "$stderr" = "tcpconnect: invalid proxy: bad port '0'" ]
	run --separate-stderr -2 sb tcpconnect -x h 127.0.0.1 "$(printf 'a\tb')"
	assert_usage_error tcpconnect
	run -0 sb tcpconnect --help
	[[ "$output" == *"-x PROXY"* ]]
}

@test "microsocks: exact bytes both ways, by name and by address" {
	random_file
	echo_server
	microsocks_up
	through -x "socks5://127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	through -x "socks5h://127.0.0.1:$PPORT" localhost "$EPORT"
	through -x "127.0.0.1:$PPORT" localhost "$EPORT"
	through -X 5 -x "127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	through -x "socks5h://localhost:$PPORT" localhost "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: connection refused by the destination (SOCKS5 reply 5)" \
		-x "socks5://127.0.0.1:$PPORT" 127.0.0.1 1
}

@test "microsocks with a user: URL, -P with the environment, refusals" {
	random_file
	echo_server
	microsocks_up -u alice -P 's3:cr@t'
	through -x "socks5://alice:s3%3Acr%40t@127.0.0.1:$PPORT" 127.0.0.1 \
		"$EPORT"
	SOCKBOX_PROXY_PASSWORD='s3:cr@t' through -P alice \
		-x "127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	SOCKBOX_PROXY_PASSWORD='s3:cr@t' through \
		-x "socks5h://alice@127.0.0.1:$PPORT" localhost "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: requires authentication (give -P USER or USER@ in the proxy URL)" \
		-x "socks5://127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: refused the user name and password (RFC 1929 status 2)" \
		-x "socks5://alice:wrong@127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	SOCKBOX_PROXY_PASSWORD=wrong proxy_fails "proxy 127.0.0.1:$PPORT: refused the user name and password (RFC 1929 status 2)" \
		-P alice -x "127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
}

@test "dante: SOCKS4 and SOCKS5, exact bytes, refusals in its words" {
	need danted
	random_file
	echo_server
	fixed_port run_dante
	through -x "socks4://127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	through -X 4 -x "127.0.0.1:$PPORT" localhost "$EPORT"
	through -P nobody -x "socks4://127.0.0.1:$PPORT" localhost "$EPORT"
	through -x "socks5://127.0.0.1:$PPORT" localhost "$EPORT"
	through -x "socks5h://127.0.0.1:$PPORT" localhost "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: request rejected or failed (SOCKS4 reply 91)" \
		-x "socks4://127.0.0.1:$PPORT" 127.0.0.1 1
	proxy_fails "proxy 127.0.0.1:$PPORT: connection refused by the destination (SOCKS5 reply 5)" \
		-x "socks5h://127.0.0.1:$PPORT" 127.0.0.1 1
}

@test "tinyproxy: HTTP CONNECT with Basic authentication, its status lines" {
	need tinyproxy
	random_file
	echo_server
	refused_port
	fixed_port run_tinyproxy
	through -x "http://alice:s3cr3t@127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	SOCKBOX_PROXY_PASSWORD=s3cr3t through -P alice -X connect \
		-x "127.0.0.1:$PPORT" localhost "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: HTTP/1.0 407 Proxy Authentication Required" \
		-x "http://127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: HTTP/1.0 401 Unauthorized" \
		-x "http://alice:wrong@127.0.0.1:$PPORT" 127.0.0.1 "$EPORT"
	proxy_fails "proxy 127.0.0.1:$PPORT: HTTP/1.1 403 Access violation" \
		-x "http://alice:s3cr3t@127.0.0.1:$PPORT" 127.0.0.1 1
	proxy_fails "proxy 127.0.0.1:$PPORT: HTTP/1.1 500 Unable to connect" \
		-x "http://alice:s3cr3t@127.0.0.1:$PPORT" 127.0.0.1 "$RPORT"
}

@test "socks5h, socks4a, -X 5 and http send the name; socks5, socks4 the address" {
	echo hi >"$T/in"
	stand_in socks5
	p=127.0.0.1:$PPORT
	for args in "-x socks5h://$p localhost 81" "-X 5 -x $p localhost 82" \
	    "-x $p localhost 83" "-4 -x socks5://$p localhost 84" \
	    "-x socks5h://$p ::1 85" "-x socks5h://$p 127.0.0.1 86"; do
		run -0 timeout 10 "$SOCKBOX" tcpconnect $args <"$T/in"
		[ "$output" = hi ]
	done
	[ "$(grep -v methods "$T/req")" = "name localhost 81
name localhost 82
name localhost 83
ipv4 127.0.0.1 84
ipv6 ::1 85
ipv4 127.0.0.1 86" ]
	[ "$(grep -c '^methods 0$' "$T/req")" -eq 6 ]

	stand_in socks4
	p=127.0.0.1:$PPORT
	for args in "-x socks4a://$p localhost 81" "-x socks4://$p localhost 82" \
	    "-X 4 -x $p localhost 83" "-P bob -x socks4a://$p 127.0.0.1 84" \
	    "-x socks4a://carol@$p localhost 85"; do
		run -0 timeout 10 "$SOCKBOX" tcpconnect $args <"$T/in"
		[ "$output" = hi ]
	done
	[ "$(cat "$T/req")" = "socks4a localhost 81 user 
socks4 127.0.0.1 82 user 
socks4 127.0.0.1 83 user 
socks4 127.0.0.1 84 user bob
socks4a localhost 85 user carol" ]

	stand_in http
	run -0 timeout 10 "$SOCKBOX" tcpconnect -x "http://127.0.0.1:$PPORT" \
		localhost 81 <"$T/in"
	[ "$output" = hi ]
	run -0 timeout 10 "$SOCKBOX" tcpconnect -x \
		"http://u%20v:p%3Aw@127.0.0.1:$PPORT/" ::1 82 <"$T/in"
	[ "$output" = hi ]
	printf 'CONNECT localhost:81 HTTP/1.1\r\nHost: localhost:81\r\n\r\n' \
		>"$T/want"
	printf 'CONNECT [::1]:82 HTTP/1.1\r\nHost: [::1]:82\r\n' >>"$T/want"
	printf 'Proxy-Authorization: Basic %s\r\n\r\n' \
		"$(printf 'u v:p:w' | base64)" >>"$T/want"
	cmp "$T/want" <(tr -d '\n' <"$T/req" | sed 's/\r/\r\n/g')
}

@test "SOCKS5 with a user: offers both methods, sends RFC 1929" {
	stand_in socks5 --auth 'alice:pw'
	echo hi >"$T/in"
	SOCKBOX_PROXY_PASSWORD=pw run -0 timeout 10 "$SOCKBOX" tcpconnect \
		-P alice -x "127.0.0.1:$PPORT" localhost 80 <"$T/in"
	[ "$output" = hi ]
	[ "$(cat "$T/req")" = "methods 0 2
auth alice pw
name localhost 80" ]
}

@test "every SOCKS and HTTP refusal in its words, exit 1" {
	words=("" "general SOCKS server failure"
		"connection not allowed by the proxy's rules"
		"network unreachable" "host unreachable"
		"connection refused by the destination" "TTL expired"
		"command not supported" "address type not supported"
		"unknown reply")
	for code in 1 2 3 4 5 6 7 8 9; do
		stand_in socks5 --reply "050${code}000100000000" --then close
		proxy_fails "proxy 127.0.0.1:$PPORT: ${words[code]} (SOCKS5 reply $code)" \
			-x "127.0.0.1:$PPORT" localhost 80
	done
	# A refusal is judged as soon as its code is there.
	stand_in socks5 --reply 0502 --then hold
	proxy_fails "proxy 127.0.0.1:$PPORT: connection not allowed by the proxy's rules (SOCKS5 reply 2)" \
		-x "127.0.0.1:$PPORT" localhost 80
	stand_in socks4 --reply 005b000000000000 --then close
	proxy_fails "proxy 127.0.0.1:$PPORT: request rejected or failed (SOCKS4 reply 91)" \
		-x "socks4a://127.0.0.1:$PPORT" localhost 80
	stand_in socks4 --reply 005c --then close
	proxy_fails "proxy 127.0.0.1:$PPORT: request rejected: the proxy cannot reach our identd (SOCKS4 reply 92)" \
		-x "socks4://127.0.0.1:$PPORT" 127.0.0.1 80
	stand_in socks4 --reply 005d --then close
	proxy_fails "proxy 127.0.0.1:$PPORT: request rejected: identd reports another user id (SOCKS4 reply 93)" \
		-x "socks4://127.0.0.1:$PPORT" 127.0.0.1 80
	for status in "403 Forbidden" "502 Bad Gateway" \
	    "407 Proxy Authentication Required"; do
		stand_in http --reply "$(hex 'HTTP/1.1 %s\r\nContent-Length: 5\r\n\r\nabcde' "$status")" --then close
		proxy_fails "proxy 127.0.0.1:$PPORT: HTTP/1.1 $status" \
			-x "http://127.0.0.1:$PPORT" localhost 80
	done
}

@test "hostile replies: a clear error within -w, never a hang" {
	# Each: stand-in arguments | tcpconnect arguments | message.
	while IFS='|' read -r peer args want; do
		stand_in $peer
		proxy_fails "proxy 127.0.0.1:$PPORT: $want" -w 2 \
			${args//PORT/$PPORT} localhost 80
	done <<-EOF
	socks5 --method 0400 --then hold|-x 127.0.0.1:PORT|not a SOCKS5 proxy (reply version 4)
	socks5 --method 05ff --then close|-x 127.0.0.1:PORT|requires authentication (give -P USER or USER@ in the proxy URL)
	socks5 --method 05ff --then close|-x u:p@127.0.0.1:PORT|accepts no authentication method we offer
	socks5 --method 0502 --then hold|-x 127.0.0.1:PORT|chose authentication method 2, which we did not offer
	socks5 --method 0503 --then hold|-x u:p@127.0.0.1:PORT|chose authentication method 3, which we did not offer
	socks5 --method 05 --then close|-x 127.0.0.1:PORT|connection closed in the SOCKS5 reply, after 1 of its bytes
	socks5 --method 05 --then hold|-x 127.0.0.1:PORT|timed out waiting for the SOCKS5 reply
	socks5 --method - --then close|-x 127.0.0.1:PORT|connection closed instead of the SOCKS5 reply
	socks5 --auth u:p --authreply 0500 --then hold|-x u:p@127.0.0.1:PORT|not an RFC 1929 reply (version 5)
	socks5 --auth u:p --authreply 01 --then hold|-x u:p@127.0.0.1:PORT|timed out waiting for the RFC 1929 reply
	socks5 --reply 04000001 --then hold|-x 127.0.0.1:PORT|not a SOCKS5 reply (version 4)
	socks5 --reply 05000007 --then hold|-x 127.0.0.1:PORT|SOCKS5 reply with unknown address type 7
	socks5 --reply 050000017f00 --then close|-x 127.0.0.1:PORT|connection closed in the SOCKS5 reply, after 6 of its bytes
	socks5 --reply 05000004 --then hold|-x 127.0.0.1:PORT|timed out waiting for the SOCKS5 reply
	socks5 --reply 05000003ff$(hex 'x%.0s' $(seq 200)) --then hold|-x 127.0.0.1:PORT|timed out waiting for the SOCKS5 reply
	socks4 --reply 5a5a --then hold|-x socks4a://127.0.0.1:PORT|not a SOCKS4 reply (version 90)
	socks4 --reply 005a0000 --then close|-x socks4a://127.0.0.1:PORT|connection closed in the SOCKS4 reply, after 4 of its bytes
	socks4 --reply 005a0000 --then hold|-x socks4a://127.0.0.1:PORT|timed out waiting for the SOCKS4 reply
	http --reply - --then hold|-x http://127.0.0.1:PORT|timed out waiting for the HTTP reply
	http --reply - --then close|-x http://127.0.0.1:PORT|connection closed instead of the HTTP reply
	http --reply $(hex 'HTTP/1.1 200 OK\r\nX-A: b\r\n') --then drip|-x http://127.0.0.1:PORT|timed out waiting for the end of the HTTP reply header
	http --reply $(hex 'HTTP/1.1 200 OK\r\n') --then close|-x http://127.0.0.1:PORT|connection closed in the HTTP reply header
	http --reply $(hex 'HTTP/1.1 403 No\r\n') --then close|-x http://127.0.0.1:PORT|HTTP/1.1 403 No
	http --reply $(hex 'SSH-2.0-OpenSSH\r\n\r\n') --then hold|-x http://127.0.0.1:PORT|not an HTTP reply: 'SSH-2.0-OpenSSH'
	http --reply $(hex 'HTTP/1.1 2000 OK\r\n\r\n') --then hold|-x http://127.0.0.1:PORT|not an HTTP reply: 'HTTP/1.1 2000 OK'
	http --reply $(hex 'HTTP/1.1 200 OK\r\nX: \x01\x7f\xff\r\n') --then hold|-x http://127.0.0.1:PORT|timed out waiting for the end of the HTTP reply header
	http --reply $(hex 'HTTP/1.1 200 OK\r\nX: ')$(hex 'y%.0s' $(seq 17000)) --then hold|-x http://127.0.0.1:PORT|HTTP reply header longer than 16384 bytes
	EOF
	# An overlong status line is cut, its controls shown as '?'.
	stand_in http --then hold --reply \
		"$(hex 'HTTP/1.1 404 \x1b[')$(hex 'x%.0s' $(seq 300))0d0a0d0a"
	run --separate-stderr -1 timeout 20 "$SOCKBOX" tcpconnect -w 2 \
		-x "http://127.0.0.1:$PPORT" localhost 80 </dev/null
	[ "$stderr" = "tcpconnect: proxy 127.0.0.1:$PPORT: HTTP/1.1 404 ?[$(printf 'x%.0s' $(seq 185))" ]
}

@test "bytes the proxy sends right after its reply reach stdout" {
	printf 'from stdin\n' >"$T/in"
	after=$(hex 'first\0bytes\n')
	for proto in socks4 socks5 http; do
		stand_in "$proto" --after "$after"
		run -0 tc_io "$T/in" "$T/out" \
			-x "$proto://127.0.0.1:$PPORT" 127.0.0.1 80
		cmp "$T/out" <(printf 'first\0bytes\nfrom stdin\n')
	done
	# A bound address given as a 200-byte name, and an HTTP header with
	# more lines: read to their exact ends.
	name=$(hex 'n%.0s' $(seq 200))
	stand_in socks5 --reply "05000003c8${name}0050${after}" --then close
	run -0 tc_io /dev/null "$T/out" -x "127.0.0.1:$PPORT" 127.0.0.1 80
	cmp "$T/out" <(printf 'first\0bytes\n')
	stand_in http --reply "$(hex 'HTTP/1.0 200 OK\r\nVia: x\n\nafter\r\n\r\n')" --then close
	run -0 tc_io /dev/null "$T/out" -x "http://127.0.0.1:$PPORT" \
		127.0.0.1 80
	cmp "$T/out" <(printf 'after\r\n\r\n')
}

@test "-z and PROG through a proxy" {
	need microsocks
	announced python3 "$TCP_PEER" scan
	SPORT=$APORT
	microsocks_up
	run --separate-stderr -0 timeout 20 "$SOCKBOX" tcpconnect -z \
		-x "127.0.0.1:$PPORT" 127.0.0.1 "$SPORT-$((SPORT + 2))"
	[ "$output" = "127.0.0.1 $SPORT open
127.0.0.1 $((SPORT + 2)) open" ]
	[ -z "$stderr" ]
	run --separate-stderr -0 timeout 20 "$SOCKBOX" tcpconnect -z -v \
		-x "127.0.0.1:$PPORT" 127.0.0.1 "$SPORT-$((SPORT + 1))"
	[ "$output" = "127.0.0.1 $SPORT open" ]
	[[ "$stderr" == *"tcpconnect: proxy 127.0.0.1:$PPORT: connection refused by the destination (SOCKS5 reply 5)" ]]
	run --separate-stderr -1 timeout 20 "$SOCKBOX" tcpconnect -z \
		-x "127.0.0.1:$PPORT" 127.0.0.1 "$((SPORT + 1))"
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: proxy 127.0.0.1:$PPORT: connection refused by the destination (SOCKS5 reply 5)" ]
	# A proxy that is not there is reported in a range even without -v.
	refused_port
	run --separate-stderr -1 timeout 20 "$SOCKBOX" tcpconnect -z \
		-x "127.0.0.1:$RPORT" 127.0.0.1 "$SPORT-$((SPORT + 1))"
	[ -z "$output" ]
	[ "$stderr" = "tcpconnect: proxy 127.0.0.1:$RPORT: Connection refused
tcpconnect: proxy 127.0.0.1:$RPORT: Connection refused" ]

	# PROG gets the connection, the bytes behind the reply first.
	stand_in socks5 --after "$(hex 'early\n')"
	run -0 timeout 10 "$SOCKBOX" tcpconnect -x "127.0.0.1:$PPORT" \
		localhost 80 sh -c 'read -r a; echo ping; read -r b
			echo "$a $b $TCPREMOTEPORT" >"$T/got"'
	[ "$(cat "$T/got")" = "early ping $PPORT" ]
}

@test "-w bounds connecting to the proxy and the handshake together" {
	stand_in socks5 --method - --then hold
	proxy_fails "proxy 127.0.0.1:$PPORT: timed out waiting for the SOCKS5 reply" \
		-w 1 -x "127.0.0.1:$PPORT" localhost 80
	stand_in http --reply - --then hold
	proxy_fails "proxy 127.0.0.1:$PPORT: timed out waiting for the HTTP reply" \
		-w 0.5 -x "http://127.0.0.1:$PPORT" localhost 80
	refused_port
	proxy_fails "proxy 127.0.0.1:$RPORT: Connection refused" \
		-w 1 -x "127.0.0.1:$RPORT" localhost 80
}
