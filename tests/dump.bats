#!/usr/bin/env bats
# Traffic dumps (--hexdump, --dump-in, --dump-out) in tcpconnect, tcpserve
# (relay and PROG), udpsend and udpserve: both directions' bytes rebuilt
# from the hex dump (dump_parse.py) and compared with what was sent, the
# raw copies compared with cmp, a slow or failing dump that changes
# nothing for the peer, and the bad inputs. Peers are Python programs.
bats_require_minimum_version 1.5.0
load helpers

PEER=$BATS_TEST_DIRNAME/tcpconnect_peer.py
PARSE=$BATS_TEST_DIRNAME/dump_parse.py

# A TCP client: connect to 127.0.0.1 PORT, send IN, shut the write side,
# save what arrives until EOF in OUT; print "127.0.0.1:LOCALPORT".
TCPCLIENT='
import socket, sys
port, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = socket.create_connection(("127.0.0.1", port), timeout=10)
print("127.0.0.1:%d" % c.getsockname()[1], flush=True)
c.sendall(open(src, "rb").read())
c.shutdown(socket.SHUT_WR)
open(dst, "wb").write(c.makefile("rb").read())
'

# A UDP peer. "client PORT IN OUT": send IN as one datagram to 127.0.0.1
# PORT, save the reply in OUT, print "127.0.0.1:LOCALPORT". "server OUT
# REPLY": announce a port, save one datagram in OUT, answer REPLY's bytes.
UDPPEER='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
if sys.argv[1] == "client":
    s.bind(("127.0.0.1", 0))
    print("127.0.0.1:%d" % s.getsockname()[1], flush=True)
    s.sendto(open(sys.argv[3], "rb").read(), ("127.0.0.1", int(sys.argv[2])))
    open(sys.argv[4], "wb").write(s.recvfrom(65536)[0])
else:
    s.bind(("127.0.0.1", 0))
    sys.stderr.write("listening on 127.0.0.1:%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    d, peer = s.recvfrom(65536)
    open(sys.argv[2], "wb").write(d)
    s.sendto(open(sys.argv[3], "rb").read(), peer)
'

setup() {
	T=$BATS_TEST_TMPDIR
	# Every byte value, and sizes that are not multiples of 16.
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40 +
	    b"\x00\xff\n\r\x7f\x80\x1b")' >"$T/a"
	python3 -c 'import sys; sys.stdout.buffer.write(
	    bytes(reversed(range(256))) * 17 + b"tail\n")' >"$T/b"
}

teardown() {
	stop_server
	[ -z "${READER_PID:-}" ] || { kill "$READER_PID" 2>/dev/null; wait "$READER_PID" 2>/dev/null; } || true
}

# rebuilt FILE DIR [LABEL] [--dgram]: the bytes dump_parse.py rebuilds.
rebuilt() {
	python3 "$PARSE" "$@"
}

start_peer() {
	SOCKBOX=python3 start_server "$PEER" "$@"
}

@test "tcpconnect: the hex dump rebuilds both directions, raw dumps are exact, no label" {
	start_peer send "$T/b" half
	timeout 10 "$SOCKBOX" tcpconnect --hexdump "$T/hex" \
	    --dump-in "$T/in" --dump-out "$T/out" 127.0.0.1 "$PORT" \
	    <"$T/a" >"$T/got"
	wait_exit "$SERVER_PID"
	cmp "$T/got" "$T/b"
	cmp "$T/b.got" "$T/a"
	cmp "$T/in" "$T/b"
	cmp "$T/out" "$T/a"
	rebuilt "$T/hex" '>' >"$T/sent"
	rebuilt "$T/hex" '<' >"$T/received"
	cmp "$T/sent" "$T/a"
	cmp "$T/received" "$T/b"
	# One connection: no header names it.
	run -0 grep -c '^[<>] [0-9]* bytes +[0-9]*\.[0-9][0-9][0-9]s$' "$T/hex"
	[ "$output" -eq "$(grep -c '^[<>]' "$T/hex")" ]
	# The dump files are the user's alone: they hold the traffic.
	[ "$(stat -c %a "$T/hex")" = 600 ]
}

@test "the hex lines are hexdump -C's, every line printed" {
	need hexdump
	# Repeated lines: hexdump -v prints them as --hexdump does.
	head -c 4100 /dev/zero >"$T/zeros"
	for f in "$T/zeros" "$T/a"; do
		# -0: all of it one datagram, one chunk at offset 0.
		start_server udpserve -n 1 127.0.0.1 0
		run -0 timeout 10 "$SOCKBOX" udpsend -0 --hexdump "$T/hex" \
		    127.0.0.1 "$PORT" <"$f"
		wait_exit "$SERVER_PID"
		[ "$(head -n 1 "$T/hex")" = "> $(stat -c %s "$f") bytes +0.$(
		    sed -n '1s/.*+0\.\([0-9]*\)s$/\1/p' "$T/hex")s" ]
		tail -n +2 "$T/hex" >"$T/lines"
		hexdump -Cv "$f" | head -n -1 | cmp - "$T/lines"
	done
}

@test "tcpconnect --hexdump - writes the dump to stderr" {
	start_peer send "$T/b" half
	run -0 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect \
	    --hexdump - 127.0.0.1 "$PORT" <"$T/a"
	wait_exit "$SERVER_PID"
	printf '%s\n' "${stderr_lines[@]}" >"$T/hex"
	rebuilt "$T/hex" '<' | cmp - "$T/b"
	rebuilt "$T/hex" '>' | cmp - "$T/a"
	[ "$output" = "$(cat "$T/b")" ]
}

@test "tcpconnect PROG: the dump is of the connection" {
	start_peer send "$T/b" half
	run -3 timeout 10 "$SOCKBOX" tcpconnect --hexdump "$T/hex" \
	    --dump-in "$T/in" 127.0.0.1 "$PORT" \
	    sh -c 'cat >"$1"; cat "$2"; exit 3' sh "$T/prog.got" "$T/a"
	wait_exit "$SERVER_PID"
	cmp "$T/prog.got" "$T/b"
	cmp "$T/b.got" "$T/a"
	cmp "$T/in" "$T/b"
	rebuilt "$T/hex" '<' | cmp - "$T/b"
	rebuilt "$T/hex" '>' | cmp - "$T/a"
}

@test "tcpserve relay: headers name the client, offsets restart with each -k connection" {
	SERVER_IN=$T/b start_server tcpserve -k --hexdump "$T/hex" \
	    --dump-in "$T/in" --dump-out "$T/out" 127.0.0.1 0
	c1=$(python3 -c "$TCPCLIENT" "$PORT" "$T/a" "$T/got1")
	# stdin has ended: the second client only sends.
	c2=$(python3 -c "$TCPCLIENT" "$PORT" "$T/b" "$T/got2")
	wait_for test -s "$T/in"
	cmp "$T/got1" "$T/b"
	[ ! -s "$T/got2" ]
	cat "$T/a" "$T/b" >"$T/ab"
	wait_for cmp -s "$T/in" "$T/ab"
	cmp "$T/out" "$T/b"
	rebuilt "$T/hex" '<' "$c1" | cmp - "$T/a"
	rebuilt "$T/hex" '>' "$c1" | cmp - "$T/b"
	rebuilt "$T/hex" '<' "$c2" | cmp - "$T/b"
	[ -z "$(rebuilt "$T/hex" '>' "$c2")" ]
	# Every header names its client; the second's offsets start at 0.
	[ "$(grep -c '^[<>]' "$T/hex")" -eq "$(grep -c \
	    -e "^[<>] .* $c1\$" -e "^[<>] .* $c2\$" "$T/hex")" ]
	grep -A1 "^< .* $c2\$" "$T/hex" | sed -n 2p | grep -q '^00000000  '
}

@test "tcpserve PROG: the connection is dumped, half-closes pass both ways, the exit status is the program's" {
	start_server tcpserve -v --hexdump "$T/hex" --dump-out "$T/out" \
	    127.0.0.1 0 sh -c 'cat >"$1"; echo "$TCPREMOTEPORT" >"$1.env"
	    cat "$2"; exit 3' sh "$T/prog.got" "$T/b"
	c=$(python3 -c "$TCPCLIENT" "$PORT" "$T/a" "$T/got")
	# The program read the client's end, the client read the program's.
	cmp "$T/prog.got" "$T/a"
	cmp "$T/got" "$T/b"
	[ "$(cat "$T/prog.got.env")" = "${c##*:}" ]
	wait_for grep -q "closed $c pid [0-9]* exit 3" "$T/server.err"
	cmp "$T/out" "$T/b"
	rebuilt "$T/hex" '<' "$c" | cmp - "$T/a"
	rebuilt "$T/hex" '>' "$c" | cmp - "$T/b"
}

@test "tcpserve PROG with a dump: the connection lives as long as the program, not its output" {
	# The program answers, shuts its output, and still reads the client.
	start_server tcpserve -v --hexdump "$T/hex" 127.0.0.1 0 python3 -c '
import socket, sys
s = socket.socket(fileno=0)
s.sendall(b"early\n")
s.shutdown(socket.SHUT_WR)
got = s.makefile("rb").read()
open(sys.argv[1], "wb").write(got)
' "$T/prog.got"
	# The client reads to the program's end, then sends.
	c=$(python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print("127.0.0.1:%d" % c.getsockname()[1], flush=True)
got = c.makefile("rb").read()
open(sys.argv[3], "wb").write(got)
c.sendall(open(sys.argv[2], "rb").read())
c.shutdown(socket.SHUT_WR)
c.recv(1)
' "$PORT" "$T/a" "$T/got")
	[ "$(cat "$T/got")" = early ]
	wait_for grep -q "closed $c pid [0-9]* exit 0" "$T/server.err"
	cmp "$T/prog.got" "$T/a"
	rebuilt "$T/hex" '<' "$c" | cmp - "$T/a"
	# A program that exits without reading ends the connection even
	# while the client sends nothing: the client sees its end.
	stop_server
	start_server tcpserve --hexdump "$T/hex2" 127.0.0.1 0 \
	    sh -c 'printf bye'
	run -0 timeout 10 python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
got = c.makefile("rb").read()
sys.stdout.write(got.decode())
' "$PORT"
	[ "$output" = bye ]
	[ "$(rebuilt "$T/hex2" '>' --count)" -eq 1 ]
}

@test "tcpserve PROG with a dump: -T's SIGTERM reaches the program" {
	start_server tcpserve -v -T 0.3 --hexdump "$T/hex" 127.0.0.1 0 \
	    sh -c 'trap "echo term >\"\$1\"; exit 7" TERM
	    while :; do sleep 0.05; done' sh "$T/trapped"
	c=$(python3 -c "$TCPCLIENT" "$PORT" "$T/a" "$T/got")
	[ "$(cat "$T/trapped")" = term ]
	wait_for grep -q "closed $c pid [0-9]* exit 7" "$T/server.err"
	grep -q "time limit, SIGTERM" "$T/server.err"
	! grep -q SIGKILL "$T/server.err"
	rebuilt "$T/hex" '<' "$c" | cmp - "$T/a"
}

@test "tcpserve PROG: a program that does not exist is a warning for that client" {
	start_server tcpserve -v --hexdump "$T/hex" 127.0.0.1 0 \
	    "$T/no-such-prog"
	# Closed with its bytes unread: the client may see a reset.
	python3 -c "$TCPCLIENT" "$PORT" "$T/a" "$T/got" 2>/dev/null || true
	wait_for grep -q "closed .* exit 127" "$T/server.err"
	grep -q "warning: $T/no-such-prog: No such file or directory" \
	    "$T/server.err"
	kill -0 "$SERVER_PID"
}

@test "udpsend: one chunk per datagram each way, raw dumps exact" {
	SOCKBOX=python3 start_server -c "$UDPPEER" server "$T/peer.got" "$T/b"
	run -0 timeout 10 "$SOCKBOX" udpsend -0 -r --hexdump "$T/hex" \
	    --dump-in "$T/in" --dump-out "$T/out" 127.0.0.1 "$PORT" \
	    <"$T/a"
	wait_exit "$SERVER_PID"
	cmp "$T/peer.got" "$T/a"
	cmp "$T/in" "$T/b"
	cmp "$T/out" "$T/a"
	[ "$(rebuilt "$T/hex" '>' --dgram --count)" -eq 1 ]
	[ "$(rebuilt "$T/hex" '<' --dgram --count)" -eq 1 ]
	rebuilt "$T/hex" '>' - --dgram | cmp - "$T/a"
	rebuilt "$T/hex" '<' - --dgram | cmp - "$T/b"
}

@test "udpsend: lines are datagrams of their own, an empty one too" {
	start_server udpserve -n 3 127.0.0.1 0
	printf 'one\n\nthree' | timeout 10 "$SOCKBOX" udpsend --hexdump \
	    "$T/hex" 127.0.0.1 "$PORT"
	wait_exit "$SERVER_PID"
	[ "$(rebuilt "$T/hex" '>' --dgram --count)" -eq 3 ]
	grep -q '^> 0 bytes +' "$T/hex"
	[ "$(rebuilt "$T/hex" '>' --dgram)" = onethree ]
}

@test "udpserve: each datagram and its reply, with the peer in the header" {
	start_server udpserve --echo -n 1 --hexdump "$T/hex" --dump-in \
	    "$T/in" --dump-out "$T/out" 127.0.0.1 0
	c=$(python3 -c "$UDPPEER" client "$PORT" "$T/a" "$T/got")
	wait_exit "$SERVER_PID"
	cmp "$T/got" "$T/a"
	cmp "$T/in" "$T/a"
	cmp "$T/out" "$T/a"
	[ "$(rebuilt "$T/hex" '<' "$c" --dgram --count)" -eq 1 ]
	rebuilt "$T/hex" '<' "$c" --dgram | cmp - "$T/a"
	rebuilt "$T/hex" '>' "$c" --dgram | cmp - "$T/a"
}

@test "udpserve PROG: the reply is dumped as sent" {
	start_server udpserve -n 1 --hexdump "$T/hex" 127.0.0.1 0 \
	    sh -c 'cat >/dev/null; cat "$1"' sh "$T/b"
	c=$(python3 -c "$UDPPEER" client "$PORT" "$T/a" "$T/got")
	wait_exit "$SERVER_PID"
	cmp "$T/got" "$T/b"
	rebuilt "$T/hex" '<' "$c" --dgram | cmp - "$T/a"
	rebuilt "$T/hex" '>' "$c" --dgram | cmp - "$T/b"
}

@test "a dump to a slow reader changes nothing the peer receives" {
	head -c 3000000 /dev/urandom >"$T/big"
	mkfifo "$T/fifo"
	# A reader that takes 16 KiB at a time with pauses: far slower than
	# the relay, so the dump's writes block.
	python3 -c '
import sys, time
f = open(sys.argv[1], "rb")
out = open(sys.argv[2], "wb")
while True:
    d = f.read(16384)
    if not d:
        break
    out.write(d)
    time.sleep(0.001)
' "$T/fifo" "$T/hex" 3>&- &
	READER_PID=$!
	start_peer sink "$T/sunk"
	run -0 timeout 60 "$SOCKBOX" tcpconnect --hexdump "$T/fifo" \
	    127.0.0.1 "$PORT" <"$T/big"
	wait_exit "$READER_PID" 30
	READER_PID=
	[ "$(sha256sum <"$T/sunk")" = "$(sha256sum <"$T/big")" ]
	[ "$output" = "got 3000000 $(sha256sum "$T/big" | cut -d' ' -f1)" ]
	rebuilt "$T/hex" '>' | cmp - "$T/big"
}

@test "a dump that fails is one warning, and the transfer goes on" {
	start_peer sink "$T/sunk"
	run -0 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect \
	    --hexdump /dev/full --dump-out "$T/out" 127.0.0.1 "$PORT" <"$T/a"
	[ "$stderr" = "tcpconnect: warning: /dev/full: No space left on device; dump stopped" ]
	cmp "$T/sunk" "$T/a"
	cmp "$T/out" "$T/a"
}

@test "a dump reader that goes away is EPIPE, a warning, not SIGPIPE" {
	head -c 200000 /dev/urandom >"$T/big"
	mkfifo "$T/fifo"
	head -c 10 "$T/fifo" >/dev/null 3>&- &
	READER_PID=$!
	start_peer sink "$T/sunk"
	run -0 --separate-stderr timeout 10 "$SOCKBOX" tcpconnect \
	    --hexdump "$T/fifo" 127.0.0.1 "$PORT" <"$T/big"
	[ "$stderr" = "tcpconnect: warning: $T/fifo: Broken pipe; dump stopped" ]
	cmp "$T/sunk" "$T/big"
}

@test "bad dump options are exit 2, unwritable files exit 1 at the start" {
	for a in tcpconnect udpsend; do
		run -2 --separate-stderr "$SOCKBOX" $a --hexdump
		assert_usage_error $a
		run -2 --separate-stderr "$SOCKBOX" $a --hexdump '' 127.0.0.1 9
		assert_usage_error $a
		[ "$stderr" = "$a: --hexdump needs a FILE ('-': stderr)" ]
		run -2 --separate-stderr "$SOCKBOX" $a --dump-in x --dump-in y \
		    127.0.0.1 9
		assert_usage_error $a
		[ "$stderr" = "$a: --dump-in given twice" ]
		run -2 --separate-stderr "$SOCKBOX" $a --dump-in "$T/x" \
		    --dump-out "$T/x" 127.0.0.1 9
		assert_usage_error $a
		[ ! -e "$T/x" ]
	done
	run -2 --separate-stderr "$SOCKBOX" tcpconnect -z --hexdump - \
	    127.0.0.1 9
	assert_usage_error tcpconnect
	run -2 --separate-stderr "$SOCKBOX" tcpserve --echo --dump-in - \
	    127.0.0.1 0
	assert_usage_error tcpserve
	for a in tcpconnect:9 udpsend:9 tcpserve:0 udpserve:0; do
		run -1 --separate-stderr "$SOCKBOX" ${a%:*} --hexdump \
		    "$T/no/such/dir" 127.0.0.1 ${a#*:}
		a=${a%:*}
		[ "$stderr" = "$a: $T/no/such/dir: No such file or directory" ]
		[ -z "$output" ]
		run -1 --separate-stderr "$SOCKBOX" $a --dump-out "$T" \
		    127.0.0.1 9
		[ "$stderr" = "$a: $T: Is a directory" ]
	done
}

@test "completion: a dump option takes a FILE, and HOST still follows it" {
	source "$BATS_TEST_DIRNAME/../doc/sockbox.bash"
	mkdir "$T/cwd"
	: >"$T/cwd/dump.hex"
	cd "$T/cwd"
	for a in tcpconnect tcpserve udpsend udpserve; do
		COMP_WORDS=("$SOCKBOX" $a --hexdump du)
		COMP_CWORD=3
		COMPREPLY=()
		_sockbox
		[ "${COMPREPLY[*]}" = dump.hex ]
	done
	printf '192.0.2.7 zzsbhost\n' >"$T/hosts"
	COMP_WORDS=("$SOCKBOX" udpserve --dump-in x zzsb)
	COMP_CWORD=4
	COMPREPLY=()
	HOSTFILE=$T/hosts _sockbox
	[ "${COMPREPLY[*]}" = zzsbhost ]
}
