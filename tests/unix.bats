#!/usr/bin/env bats
# Unix-domain sockets (-U PATH) in tcpserve, tcpconnect, udpserve and
# udpsend, against OpenBSD nc -U, socat, Python's socket module and
# ucspi-unix's unixserver/unixclient.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/unix_peer.py

setup() {
	D=$BATS_TEST_TMPDIR
	PIDS=()
	# An abstract name no other test run uses.
	ABS=@sockbox-test-$$-$BATS_TEST_NUMBER
}

teardown() {
	local p
	for p in "${PIDS[@]}" ${SERVER_PID:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -z "${SHARED:-}" ] || rm -rf "$SHARED"
}

# start_unix APPLET ARGS...: start_server for -U: run it with -v in the
# background, wait (bounded) for its "listening on" line; sets SERVER_PID.
start_unix() {
	"$SOCKBOX" "$@" <"${SERVER_IN:-/dev/null}" \
		>"$D/server.out" 2>"$D/server.err" 3>&- &
	SERVER_PID=$!
	wait_for grep -q "listening on" "$D/server.err" && return 0
	cat "$D/server.err" >&2
	return 1
}

# bg CMD...: a helper peer in the background, its output in $D/bg.out.
bg() {
	"$@" >"$D/bg.out" 2>"$D/bg.err" 3>&- &
	PIDS+=($!)
}

# A program that shows its own pid and its UCSPI environment.
write_envprog() {
	cat >"$D/envprog" <<-'EOS'
	#!/bin/sh
	echo "self=$$"
	env | grep -E '^(PROTO|UNIX|TCP)' | sort
	EOS
	chmod +x "$D/envprog"
}

# normalize PATH: the output of envprog seen by unix_peer.py pidstream, with
# the values that differ between two runs named for what they must equal.
normalize() {
	awk -v path="$1" '
	/^client=/ { client = substr($0, 8); next }
	/^self=/ { self = substr($0, 6); next }
	{ lines[++n] = $0 }
	END {
		for (i = 1; i <= n; i++) {
			l = lines[i]
			split(l, kv, "=")
			if (kv[1] == "UNIXLOCALPID" && kv[2] == self) l = kv[1] "=SELF"
			if (kv[1] == "UNIXREMOTEPID" && kv[2] == client) l = kv[1] "=CLIENT"
			if (kv[1] == "UNIXLOCALPATH" && kv[2] == path) l = kv[1] "=PATH"
			print l
		}
	}'
}

# ---- tcpserve ----

@test "tcpserve -U relays one connection with nc -U both ways, then exits and removes the file" {
	need nc.openbsd
	echo from-server >"$D/in"
	SERVER_IN=$D/in start_unix tcpserve -v -U "$D/s"
	[ -S "$D/s" ]
	grep -qx "tcpserve: listening on $D/s" "$D/server.err"
	run -0 timeout 10 nc.openbsd -N -U "$D/s" <<<from-client
	[ "$output" = from-server ]
	wait_exit "$SERVER_PID"
	[ "$EXIT_STATUS" = 0 ]
	SERVER_PID=
	[ "$(cat "$D/server.out")" = from-client ]
	[ ! -e "$D/s" ]
	# -v names the client by its credentials.
	grep -qE '^tcpserve: connection from pid=[0-9]+,uid=0$' "$D/server.err"
	grep -qE '^tcpserve: closed pid=[0-9]+,uid=0$' "$D/server.err"
}

@test "tcpserve -U -k relays socat and then Python, one after the other" {
	need socat
	echo one >"$D/in"
	SERVER_IN=$D/in start_unix tcpserve -v -k -U "$D/s"
	run -0 timeout 10 socat -t 2 - "UNIX-CONNECT:$D/s" <<<a
	[ "$output" = one ]
	run -0 timeout 10 python3 "$PEER" stream "$D/s" b
	[ -z "$output" ]
	wait_for grep -q '^b$' "$D/server.out"
	[ "$(cat "$D/server.out")" = "$(printf 'a\nb')" ]
	kill -0 "$SERVER_PID"
}

@test "tcpserve -U PROG: the same environment as ucspi-unix's unixserver, side by side" {
	need unixserver
	write_envprog
	export TCPREMOTEIP=stale UNIXREMOTEPID=stale UNIXLOCALPATH=stale
	unixserver "$D/u" "$D/envprog" 3>&- &
	PIDS+=($!)
	start_unix tcpserve -v -U "$D/s" "$D/envprog"
	# Its file exists before it listens: wait until a connect works.
	wait_for python3 "$PEER" probe "$D/u"
	run -0 timeout 10 python3 "$PEER" pidstream "$D/u"
	theirs=$(echo "$output" | normalize "$D/u")
	run -0 timeout 10 python3 "$PEER" pidstream "$D/s"
	ours=$(echo "$output" | normalize "$D/s")
	echo "theirs: $theirs" >&2
	echo "ours: $ours" >&2
	[ "$ours" = "$theirs" ]
	# What the comparison rests on is there: no TCP variable but the
	# inherited one, ours named for what they must equal.
	[[ "$ours" == *"PROTO=UNIX"* ]]
	[[ "$ours" == *"UNIXLOCALPID=SELF"* ]]
	[[ "$ours" == *"UNIXREMOTEPID=CLIENT"* ]]
	[[ "$ours" == *"UNIXLOCALPATH=PATH"* ]]
	[[ "$ours" == *"UNIXLOCALUID=0"* && "$ours" == *"UNIXLOCALGID=0"* ]]
	[[ "$ours" == *"UNIXREMOTEEUID=0"* && "$ours" == *"UNIXREMOTEEGID=0"* ]]
	[ "$(echo "$ours" | grep -c '^TCP')" = 1 ]

	grep -qE '^tcpserve: connection from pid=[0-9]+,uid=0 pid [0-9]+$' "$D/server.err"
	wait_for grep -qE '^tcpserve: closed pid=[0-9]+,uid=0 pid [0-9]+ exit 0$' "$D/server.err"
}

@test "tcpserve -U PROG serves nc -U, socat and Python at once" {
	need nc.openbsd socat
	start_unix tcpserve -v -U "$D/s" sh -c 'read l; echo "got $l"'
	run -0 timeout 10 nc.openbsd -N -U "$D/s" <<<nc
	[ "$output" = "got nc" ]
	run -0 timeout 10 socat - "UNIX-CONNECT:$D/s" <<<socat
	[ "$output" = "got socat" ]
	run -0 timeout 10 python3 "$PEER" stream "$D/s" $'py\n'
	[ "$output" = "got py" ]
}

@test "tcpserve -U --echo echoes to several clients, on an abstract name" {
	need socat
	start_unix tcpserve -v --echo -U "$ABS"
	grep -qx "tcpserve: listening on $ABS" "$D/server.err"
	run -0 timeout 10 python3 "$PEER" stream "$ABS" hello
	[ "$output" = hello ]
	run -0 timeout 10 socat - "ABSTRACT-CONNECT:${ABS#@}" <<<again
	[ "$output" = again ]
	run -0 timeout 10 "$SOCKBOX" tcpconnect -U "$ABS" <<<third
	[ "$output" = third ]
	# An abstract name has no file, and a second server cannot take it.
	[ ! -e "$ABS" ]
	run -1 --separate-stderr "$SOCKBOX" tcpserve -U "$ABS"
	[ "$stderr" = "tcpserve: bind $ABS: $(libc_msg addrinuse)" ]
	[ -z "$output" ]
}

@test "tcpserve -U replaces a stale socket file" {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/s"
	[ -S "$D/s" ]
	start_unix tcpserve -v -U "$D/s" echo fresh
	run -0 timeout 10 python3 "$PEER" stream "$D/s"
	[ "$output" = fresh ]
}

@test "tcpserve -U refuses a live socket (exit 1) and leaves it working" {
	start_unix tcpserve -v -U "$D/s" echo first
	run -1 --separate-stderr "$SOCKBOX" tcpserve -U "$D/s" echo second
	[ "$stderr" = "tcpserve: bind $D/s: $(libc_msg addrinuse)" ]
	[ -z "$output" ]
	[ -S "$D/s" ]
	run -0 timeout 10 python3 "$PEER" stream "$D/s"
	[ "$output" = first ]
	# A datagram server on the path is live too.
	run -1 --separate-stderr "$SOCKBOX" udpserve -U "$D/s"
	[ "$stderr" = "udpserve: bind $D/s: $(libc_msg addrinuse)" ]
}

@test "tcpserve and udpserve -U never remove a path that is not a socket" {
	echo precious >"$D/f"
	mkdir "$D/dir"
	for a in tcpserve udpserve; do
		run -1 --separate-stderr "$SOCKBOX" $a -U "$D/f"
		[ "$stderr" = "$a: bind $D/f: exists and is not a socket" ]
		[ -z "$output" ]
		run -1 --separate-stderr "$SOCKBOX" $a -U "$D/dir"
		[ "$stderr" = "$a: bind $D/dir: exists and is not a socket" ]
	done
	[ "$(cat "$D/f")" = precious ]
	[ -d "$D/dir" ]
	ln -s "$D/f" "$D/link"
	run -1 "$SOCKBOX" tcpserve -U "$D/link"
	[ -L "$D/link" ] && [ "$(cat "$D/f")" = precious ]
	# A directory that is not there: the bind's own error.
	run -1 --separate-stderr "$SOCKBOX" tcpserve -U "$D/nodir/s"
	[ "$stderr" = "tcpserve: bind $D/nodir/s: No such file or directory" ]
}

@test "tcpserve and udpserve -U remove the file on SIGTERM and on SIGINT" {
	for a in tcpserve udpserve; do
		start_unix $a -v -U "$D/s"
		[ -S "$D/s" ]
		kill -TERM "$SERVER_PID"
		wait_exit "$SERVER_PID"
		SERVER_PID=
		[ "$EXIT_STATUS" = 0 ]
		[ ! -e "$D/s" ]
		# Background jobs start with SIGINT ignored: give it back.
		env --default-signal=INT "$SOCKBOX" $a -v -U "$D/s" \
			2>"$D/server.err" 3>&- &
		SERVER_PID=$!
		wait_for grep -q "listening on" "$D/server.err"
		kill -INT "$SERVER_PID"
		wait_exit "$SERVER_PID"
		SERVER_PID=
		[ "$EXIT_STATUS" = 0 ]
		[ ! -e "$D/s" ]
	done
}

@test "the file is removed only if it is still the server's own" {
	start_unix tcpserve -v -U "$D/s"
	# Someone replaced it meanwhile: theirs stays.
	rm "$D/s"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/s"
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ -S "$D/s" ]
}

@test "-m sets the socket file's mode, bound under a umask" {
	for a in tcpserve udpserve; do
		start_unix $a -v -m 600 -U "$D/s"
		[ "$(stat -c %a "$D/s")" = 600 ]
		stop_server
		start_unix $a -v -m 666 -U "$D/s"
		[ "$(stat -c %a "$D/s")" = 666 ]
		stop_server
		[ ! -e "$D/s" ]
	done
	# Without -m the umask decides, as for any file.
	(umask 027 && exec "$SOCKBOX" tcpserve -v -U "$D/s" 2>"$D/server.err" 3>&-) &
	SERVER_PID=$!
	wait_for grep -q "listening on" "$D/server.err"
	[ "$(stat -c %a "$D/s")" = 750 ]
}

@test "-u gives the socket file to the user, who can still remove it at exit" {
	# A sticky directory of its own: nobody may remove only its own file.
	SHARED=$(mktemp -d /tmp/sockbox-unix.XXXXXX)
	chmod 1777 "$SHARED"
	start_unix tcpserve -v -u nobody -m 660 -U "$SHARED/s" sh -c 'id -u'
	[ "$(stat -c '%U:%G %a' "$SHARED/s")" = "nobody:nogroup 660" ]
	run -0 timeout 10 python3 "$PEER" stream "$SHARED/s"
	[ "$output" = "$(id -u nobody)" ]
	kill "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ ! -e "$SHARED/s" ]
	start_unix udpserve -v -u nobody:daemon -U "$SHARED/d"
	[ "$(stat -c '%U:%G' "$SHARED/d")" = "nobody:daemon" ]
}

@test "a path longer than sun_path is exit 2 in every applet, saying so" {
	long=$D/$(printf 'x%.0s' $(seq 120))
	for cmd in "tcpserve -U $long" "tcpconnect -U $long" \
	    "udpserve -U $long" "udpsend -U $long hi"; do
		run -2 --separate-stderr "$SOCKBOX" $cmd
		assert_usage_error "${cmd%% *}"
		[[ "$stderr" == *": socket path longer than 107 bytes" ]]
	done
	# An abstract name holds one byte more: no NUL to end it.
	abs=@$(printf 'y%.0s' $(seq 108))
	run -2 --separate-stderr "$SOCKBOX" tcpserve -U "$abs"
	[[ "$stderr" == *": socket path longer than 108 bytes" ]]
	run -2 --separate-stderr "$SOCKBOX" tcpserve -U ''
	assert_usage_error tcpserve
	[[ "$stderr" == *"empty socket path" ]]
	run -1 "$SOCKBOX" tcpconnect -U "${abs%y}"
}

@test "options that need an address are exit 2 with -U" {
	for cmd in "tcpserve -4 -U $D/s" "tcpserve -a 127.0.0.1 -U $D/s" \
	    "tcpserve -d 10.0.0.0/8 -U $D/s" "tcpserve -C 2 -U $D/s echo" \
	    "tcpserve -m 600 127.0.0.1 0" "tcpserve -m 600 -U @x" \
	    "tcpserve -m 9 -U $D/s" "tcpserve -m 1000 -U $D/s" \
	    "tcpconnect -z -U $D/s" "tcpconnect -4 -U $D/s" \
	    "tcpconnect -s 127.0.0.1 -U $D/s" "tcpconnect -p 9 -U $D/s" \
	    "tcpconnect -x 127.0.0.1:1 -U $D/s" "tcpconnect -n -U $D/s" \
	    "tcpconnect -z -j -U $D/s" \
	    "udpsend -b -U $D/s hi" "udpsend -6 -U $D/s hi" \
	    "udpsend -s 127.0.0.1 -U $D/s hi" "udpsend -p 9 -U $D/s hi" \
	    "udpsend -w 1 -U $D/s hi" \
	    "udpserve -a 127.0.0.1 -U $D/s" "udpserve --reply-any --echo -U $D/s" \
	    "udpserve -6 -U $D/s" "udpserve -m 600 127.0.0.1 0" \
	    "udpserve -m 600 -U @x"; do
		run -2 --separate-stderr "$SOCKBOX" $cmd
		assert_usage_error "${cmd%% *}" || { echo "$cmd" >&2; return 1; }
	done
	run -2 --separate-stderr "$SOCKBOX" tcpserve -C 2 -U "$D/s"
	[ "$stderr" = "tcpserve: -C cannot be used with -U" ]
	run -2 --separate-stderr "$SOCKBOX" tcpconnect -z -U "$D/s"
	[ "$stderr" = "tcpconnect: -z cannot be used with -U" ]
	run -2 --separate-stderr "$SOCKBOX" tcpserve -m 600 -U @x
	[ "$stderr" = "tcpserve: -m: an abstract socket has no file" ]
	[ ! -e "$D/s" ]
}

# ---- tcpconnect ----

@test "tcpconnect -U relays with nc -lU both ways" {
	need nc.openbsd
	echo from-nc | nc.openbsd -lU "$D/s" >"$D/nc.out" 3>&- &
	PIDS+=($!)
	wait_for test -S "$D/s"
	run -0 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect -v -U "$D/s" <<<from-us
	[ "$output" = from-nc ]
	[[ "$stderr" == "tcpconnect: connected to $D/s"* ]]
	wait_for grep -q from-us "$D/nc.out"
}

@test "tcpconnect -U: a stale socket is refused, a missing one not found, exit 1" {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/s"
	run -1 --separate-stderr "$SOCKBOX" tcpconnect -U "$D/s"
	[ "$stderr" = "tcpconnect: $D/s: connect: Connection refused" ]
	[ -z "$output" ]
	run -1 --separate-stderr "$SOCKBOX" tcpconnect -U "$D/none"
	[ "$stderr" = "tcpconnect: $D/none: connect: No such file or directory" ]
	# --wait retries until the server is there.
	"$SOCKBOX" tcpconnect --wait 10 --interval 0.05 -U "$D/late" \
		</dev/null >"$D/late.out" 2>&1 3>&- &
	PIDS+=($!)
	start_unix tcpserve -v -U "$D/late" echo late
	wait_exit "${PIDS[-1]}"
	[ "$EXIT_STATUS" = 0 ]
	[ "$(cat "$D/late.out")" = late ]
}

@test "tcpconnect -U PROG: the same environment as ucspi-unix's unixclient" {
	need unixclient
	write_envprog
	# unixclient's program talks on fds 6 and 7, ours on 0 and 1: the
	# program shows its environment on stderr, which both inherit.
	printf '#!/bin/sh\nexec "%s" >&2\n' "$D/envprog" >"$D/p2"
	chmod +x "$D/p2"
	start_unix tcpserve -v -k -U "$D/s" cat
	export TCPREMOTEIP=stale UNIXLOCALPATH=stale
	run -0 --separate-stderr timeout 10 unixclient "$D/s" "$D/p2"
	theirs=$(echo "$stderr" | grep -v '^self=' | sed 's/PID=.*/PID=X/')
	run -0 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect -U "$D/s" "$D/p2"
	ours=$(echo "$stderr" | grep -v '^self=' | sed 's/PID=.*/PID=X/')
	echo "theirs: $theirs" >&2
	echo "ours: $ours" >&2
	[ "$ours" = "$theirs" ]
	[[ "$ours" == *"UNIXLOCALPATH=$D/s"* && "$ours" == *PROTO=UNIX* ]]
	# The pids: the program's own, and the server's (SO_PEERCRED).
	self=$(echo "$stderr" | sed -n 's/^self=//p')
	echo "$stderr" | grep -qx "UNIXLOCALPID=$self"
	echo "$stderr" | grep -qx "UNIXREMOTEPID=$SERVER_PID"
}

# ---- udpsend and udpserve ----

@test "udpserve -U prints datagrams from udpsend, socat and Python; -n ends it and removes the file" {
	need socat
	start_unix udpserve -v -n 3 -U "$D/s"
	run -0 "$SOCKBOX" udpsend -U "$D/s" one two
	printf 'three\n' | socat -u - "UNIX-SENDTO:$D/s"
	run -0 timeout 10 python3 "$PEER" unbound "$D/s" four
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
	[ "$(cat "$D/server.out")" = "$(printf 'one two\nthree\nfour')" ]
	[ ! -e "$D/s" ]
	grep -qx 'udpserve: (unnamed) 7 bytes' "$D/server.err"
}

@test "udpsend -U sends each line of stdin as a datagram, -v names the path" {
	start_unix udpserve -n 3 -v -U "$ABS"
	run -0 --separate-stderr "$SOCKBOX" udpsend -v -U "$ABS" <<<$'a\nb\nc'
	[[ "$stderr" == *"udpsend: sending to $ABS"* ]]
	[[ "$stderr" == *"udpsend: 3 datagrams sent to $ABS"* ]]
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$(cat "$D/server.out")" = "$(printf 'a\nb\nc')" ]
}

@test "udpsend -U -r gets udpserve's replies at an address of its own, in every reply mode, and leaves no file" {
	ls -A "$D" >"$D/before"
	start_unix udpserve -v --echo -U "$D/e"
	run -0 "$SOCKBOX" udpsend -r -U "$D/e" hello
	[ "$output" = hello ]
	PIDS+=($SERVER_PID)
	start_unix udpserve -v -r 'R: ' -U "$D/r"
	run -0 "$SOCKBOX" udpsend -r -U "$D/r" <<<$'x\ny'
	[ "$output" = "$(printf 'R: x\nR: y')" ]
	PIDS+=($SERVER_PID)
	start_unix udpserve -v -U "$D/p" tr a-z A-Z
	run -0 "$SOCKBOX" udpsend -r -U "$D/p" shout
	[ "$output" = SHOUT ]
	# Python, autobound, gets the same.
	run -0 timeout 10 python3 "$PEER" dgram "$D/e" py
	[ "$output" = py ]
	# The only files are the servers'.
	ls -A "$D" | grep -vxE 'e|r|p|server.(err|out)' | diff - "$D/before"
}

@test "udpsend -U -r from a Python server that answers the sender's address" {
	python3 "$PEER" dgramserve "$D/s" 'py: ' >"$D/py.out" 3>&- &
	PIDS+=($!)
	wait_for grep -q ready "$D/py.out"
	run -0 "$SOCKBOX" udpsend -r -U "$D/s" hi
	[ "$output" = "py: hi" ]
	# No reply: noted, exit 1.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' "$D/dead"
	run -1 --separate-stderr "$SOCKBOX" udpsend -U "$D/dead" x
	[ "$stderr" = "udpsend: $D/dead: connect: Connection refused" ]
}

@test "udpserve -U: a sender without an address gets no reply, a -v note, and the server goes on" {
	start_unix udpserve -v --echo -U "$D/s"
	run -0 timeout 10 python3 "$PEER" unbound "$D/s" lost
	wait_for grep -qx 'udpserve: (unnamed) 4 bytes not answered: sender has no address' "$D/server.err"
	run -0 "$SOCKBOX" udpsend -r -U "$D/s" after
	[ "$output" = after ]
	grep -qE '^udpserve: @[0-9a-f]{5} 5 bytes$' "$D/server.err"
	kill -0 "$SERVER_PID"
}

@test "udpserve -U PROG: PROTO=UNIX and the local and remote names" {
	write_envprog
	start_unix udpserve -v -U "$D/s" "$D/envprog"
	run -0 "$SOCKBOX" udpsend -0 -r -U "$D/s" </dev/null
	self=$(echo "$output" | sed -n 's/^self=//p')
	[ -n "$self" ]
	env=$(echo "$output" | grep -v '^self=')
	[[ "$env" == *"PROTO=UNIX"* ]]
	[[ "$env" == *"UNIXLOCALPATH=$D/s"* ]]
	[[ "$env" == *"UNIXLOCALPID=$self"* ]]
	[[ "$env" == *"UNIXLOCALUID=0"* && "$env" == *"UNIXLOCALGID=0"* ]]
	echo "$env" | grep -qE '^UNIXREMOTEPATH=@[0-9a-f]{5}$'
	[ "$(echo "$env" | grep -c '^TCP')" = 0 ]
}

@test "udpserve -U does not block on a sender whose queue is full" {
	# A sender that never reads its replies, then one that does.
	start_unix udpserve -v --echo --reply-rate 0 -U "$D/s"
	python3 - "$D/s" <<-'EOS'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind("")
	for i in range(2000):
	    s.sendto(b"x" * 100, sys.argv[1])
	EOS
	run -0 "$SOCKBOX" udpsend -r -w 5 -U "$D/s" still
	[ "$output" = still ]
	grep -q 'warning: reply to @.*Resource temporarily unavailable' "$D/server.err"
}

@test "-U with --forward and --broker: a TCP service exposed on a Unix socket, a broker on an abstract one" {
	start_server tcpserve --echo 127.0.0.1 0
	echo_pid=$SERVER_PID
	sock=$BATS_TEST_TMPDIR/fw.sock
	"$SOCKBOX" tcpserve -v -U "$sock" --forward "127.0.0.1:$PORT" \
	    2>"$BATS_TEST_TMPDIR/fw.err" 3>&- &
	SERVER_PID=$!
	wait_for test -S "$sock"
	run -0 sh -c "echo through-unix | '$SOCKBOX' tcpconnect -U '$sock'"
	[ "$output" = through-unix ]
	wait_for grep -q 'closed pid=[0-9]*,uid=[0-9]* sent 13 received 13' \
	    "$BATS_TEST_TMPDIR/fw.err"
	kill "$SERVER_PID" "$echo_pid"
	wait "$SERVER_PID" "$echo_pid" || true
	[ ! -e "$sock" ]
	"$SOCKBOX" tcpserve -U "@sbbroker$$" --broker 3>&- &
	SERVER_PID=$!
	run -0 python3 - "sbbroker$$" <<'PY'
import socket, sys, time
name = "\0" + sys.argv[1]
def conn():
    for _ in range(100):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(name)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    raise SystemExit("no broker")
a, b = conn(), conn()
a.settimeout(0.2)
for _ in range(50):
    b.send(b"?")
    try:
        if a.recv(100):
            break
    except socket.timeout:
        pass
a.settimeout(10)
b.sendall(b"hello\n")
got = b""
while not got.endswith(b"hello\n"):
    d = a.recv(100)
    assert d
    got += d
print("ok")
PY
	[ "$output" = ok ]
}
