#!/usr/bin/env bats
# What a program started by tcpconnect, tcpserve or udpserve inherits: the
# descriptor limit and signal state sockbox was started with, never a
# shell for a file that is not a binary; and a SIGINT ignored at start
# stays ignored by the server.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	REAL_SOCKBOX=$SOCKBOX
	# launch: run the real sockbox with every signal at its default, then
	# LAUNCH_IGN ignored, LAUNCH_BLOCK blocked, soft RLIMIT_NOFILE at
	# LAUNCH_NOFILE (the same process: its pid is the server's).
	LAUNCH=$BATS_TEST_TMPDIR/launch
	cat >"$LAUNCH" <<-'EOF'
	#!/usr/bin/env python3
	import os, resource, signal, sys
	for n in range(1, signal.NSIG):
	    if n not in (signal.SIGKILL, signal.SIGSTOP):
	        try:
	            signal.signal(n, signal.SIG_DFL)
	        except (OSError, ValueError):
	            pass
	def sigs(var):
	    return [getattr(signal, "SIG" + s) for s in os.environ.get(var, "").split()]
	for s in sigs("LAUNCH_IGN"):
	    signal.signal(s, signal.SIG_IGN)
	signal.pthread_sigmask(signal.SIG_SETMASK, sigs("LAUNCH_BLOCK"))
	if os.environ.get("LAUNCH_NOFILE"):
	    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
	    resource.setrlimit(resource.RLIMIT_NOFILE,
	                       (int(os.environ["LAUNCH_NOFILE"]), hard))
	os.execv(os.environ["REAL_SOCKBOX"], [os.environ["REAL_SOCKBOX"]] + sys.argv[1:])
	EOF
	chmod +x "$LAUNCH"
	export REAL_SOCKBOX
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait_exit "$SERVER_PID" 5 || true
		SERVER_PID=
	fi
}

# sigmask NAME...: the /proc/PID/status hex mask of these signals.
sigmask() {
	local m=0 s
	for s in "$@"; do
		m=$(( m | 1 << ($(kill -l "$s") - 1) ))
	done
	printf '%016x' "$m"
}

# std_sigs: the masks PROG printed, real-time signals (32 and up, which
# the launcher cannot reset and sockbox never touches) left out.
std_sigs() {
	local name mask
	for name in SigBlk SigIgn; do
		mask=$(echo "$output" | awk -v n="$name:" '$1 == n { print $2 }')
		printf '%s %016x\n' "$name:" $(( 0x$mask & 0x7fffffff ))
	done
}

# udp_ask: send one datagram to $PORT, print the reply (exit 3: none in 5 s).
udp_ask() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
try:
    sys.stdout.buffer.write(s.recvfrom(65536)[0])
except socket.timeout:
    sys.exit(3)
' "$PORT"
}

# soft_nofile PID: the soft descriptor limit of PID.
soft_nofile() {
	awk '/^Max open files/ { print $4 }' "/proc/$1/limits"
}

# A PROG that prints its soft descriptor limit (after reading its input).
LIMIT_PROG='cat >/dev/null; awk "/^Max open files/ { print \$4 }" /proc/self/limits'
# A PROG that prints its ignored and blocked signal masks (bash: dash
# unblocks every signal when it starts).
SIGS_PROG='cat >/dev/null; awk "/^Sig(Ign|Blk)/ { print \$1, \$2 }" /proc/self/status'

# warned N: whether the server's stderr has N warnings.
warned() {
	[ "$(grep -c warning "$BATS_TEST_TMPDIR/server.err")" -eq "$1" ]
}

need_headroom() {
	[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt 512 ] ||
		skip "hard descriptor limit too low"
}

@test "tcpconnect PROG: the soft descriptor limit sockbox started with" {
	need_headroom
	start_server tcpserve 127.0.0.1 0 cat
	LAUNCH_NOFILE=512 run -0 --separate-stderr "$LAUNCH" tcpconnect \
		127.0.0.1 "$PORT" sh -c \
		'awk "/^Max open files/ { print \$4 }" /proc/self/limits >&2'
	[ "$stderr" = 512 ]
}

# tcp_ask: connect to $PORT with nothing to send, print what comes back.
tcp_ask() {
	"$SOCKBOX" tcpconnect 127.0.0.1 "$PORT" </dev/null
}

# limit_through SERVER ASK: SERVER, started with a soft limit of 512, runs a
# PROG that reports its own limit to the client ASK.
limit_through() {
	need_headroom
	LAUNCH_NOFILE=512 SOCKBOX=$LAUNCH start_server "$1" 127.0.0.1 0 \
		sh -c "$LIMIT_PROG"
	# The server itself raised its limit: what the program gets is undone.
	[ "$(soft_nofile "$SERVER_PID")" = "$(ulimit -Hn)" ]
	run -0 "$2"
	[ "$output" = 512 ]
}

@test "tcpserve PROG: the soft limit sockbox started with, not the raised one" {
	limit_through tcpserve tcp_ask
}

@test "udpserve PROG: the soft limit sockbox started with, not the raised one" {
	limit_through udpserve udp_ask
}

@test "tcpconnect PROG: trap '' HUP in the shell reaches the program, nothing else changes" {
	start_server tcpserve 127.0.0.1 0 cat
	printf '#!/bin/sh\nawk "/^Sig(Ign|Blk)/ { print \\$1, \\$2 }" /proc/self/status >&2\n' \
		>showsigs
	chmod +x showsigs
	# What the shell's own child sees (stdout), what sockbox's sees (stderr).
	run -0 --separate-stderr bash -c 'trap "" HUP; ./showsigs 2>&1
		exec "$SOCKBOX" tcpconnect 127.0.0.1 "$1" ./showsigs' bash "$PORT"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "SigBlk: "* ]]
	[ "$stderr" = "$output" ]
	ign=$(echo "$output" | awk '/SigIgn/ { print $2 }')
	(( 0x$ign & 0x$(sigmask HUP) ))
}

@test "tcpserve PROG: ignored and blocked signals as at start; SIGPIPE, SIGTERM, SIGCHLD as they were" {
	LAUNCH_IGN="HUP INT" LAUNCH_BLOCK=USR1 SOCKBOX=$LAUNCH \
		start_server tcpserve 127.0.0.1 0 bash -c "$SIGS_PROG"
	run -0 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ "$(std_sigs)" = "SigBlk: $(sigmask USR1)
SigIgn: $(sigmask HUP INT)" ]
	stop_server
	SOCKBOX=$LAUNCH start_server tcpserve 127.0.0.1 0 bash -c "$SIGS_PROG"
	run -0 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" </dev/null
	[ "$(std_sigs)" = "SigBlk: $(sigmask)
SigIgn: $(sigmask)" ]
}

@test "udpserve PROG: ignored and blocked signals as at start" {
	LAUNCH_IGN="HUP QUIT" LAUNCH_BLOCK=USR2 SOCKBOX=$LAUNCH \
		start_server udpserve 127.0.0.1 0 bash -c "$SIGS_PROG"
	run -0 udp_ask
	[ "$(std_sigs)" = "SigBlk: $(sigmask USR2)
SigIgn: $(sigmask HUP QUIT)" ]
}

@test "tcpserve: a SIGINT ignored at start is ignored; SIGTERM still stops it, status 0" {
	LAUNCH_IGN=INT SOCKBOX=$LAUNCH start_server tcpserve 127.0.0.1 0 cat
	kill -INT "$SERVER_PID"
	run -0 sb tcpconnect 127.0.0.1 "$PORT" <<<hello
	[ "$output" = hello ]
	kill -0 "$SERVER_PID"
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
}

@test "tcpserve relay and --echo: a SIGINT ignored at start is ignored too" {
	local mode
	for mode in --echo -k; do
		LAUNCH_IGN=INT SOCKBOX=$LAUNCH start_server tcpserve "$mode" \
			127.0.0.1 0
		kill -INT "$SERVER_PID"
		run -0 sb tcpconnect -q 2 127.0.0.1 "$PORT" <<<hello
		kill -0 "$SERVER_PID"
		kill -TERM "$SERVER_PID"
		wait_exit "$SERVER_PID"
		SERVER_PID=
		[ "$EXIT_STATUS" = 0 ]
	done
}

# stops_on_int SERVER ARGS...: SERVER started with SIGINT at its default
# exits 0 on SIGINT.
stops_on_int() {
	SOCKBOX=$LAUNCH start_server "$@"
	kill -INT "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
}

@test "SIGINT not ignored at start stops every server mode, status 0" {
	stops_on_int tcpserve 127.0.0.1 0 cat
	stops_on_int tcpserve --echo 127.0.0.1 0
	stops_on_int tcpserve 127.0.0.1 0
	stops_on_int udpserve 127.0.0.1 0 cat
	stops_on_int udpserve 127.0.0.1 0
}

@test "udpserve: a SIGINT ignored at start is ignored; SIGTERM still stops it" {
	LAUNCH_IGN=INT SOCKBOX=$LAUNCH start_server udpserve 127.0.0.1 0 \
		sh -c 'cat; echo'
	kill -INT "$SERVER_PID"
	run -0 udp_ask
	[ "$output" = x ]
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID"
	SERVER_PID=
	[ "$EXIT_STATUS" = 0 ]
}

# A file that a shell would run, but that has no "#!": it must not run.
make_scripts() {
	printf 'touch "%s/ran"\n' "$BATS_TEST_TMPDIR" >noshebang
	chmod +x noshebang
	printf '#!/bin/sh\necho "$0 ran" >&2\n' >withbang
	chmod +x withbang
	printf '#!/bin/sh\n' >noexec
}

@test "tcpconnect: PROG without #! is not run by a shell: exit 126 with the exec's error" {
	make_scripts
	start_server tcpserve 127.0.0.1 0 cat
	run -126 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" ./noshebang
	[ "$stderr" = "tcpconnect: ./noshebang: Exec format error" ]
	[ -z "$output" ]
	# Found on PATH, the same.
	PATH=$BATS_TEST_TMPDIR:$PATH run -126 --separate-stderr \
		sb tcpconnect 127.0.0.1 "$PORT" noshebang
	[ "$stderr" = "tcpconnect: noshebang: Exec format error" ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	run -126 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" ./noexec
	[ "$stderr" = "tcpconnect: ./noexec: Permission denied" ]
	run -127 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" ./missing
	[ "$stderr" = "tcpconnect: ./missing: No such file or directory" ]
	run -0 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" ./withbang
	[ "$stderr" = "./withbang ran" ]
}

# run_on_path PATH PROG: tcpconnect to $PORT running PROG, PATH set to PATH.
run_on_path() {
	env PATH="$1" "$SOCKBOX" tcpconnect 127.0.0.1 "$PORT" "$2"
}

@test "tcpconnect: PROG is looked up on PATH as execvp does" {
	make_scripts
	start_server tcpserve 127.0.0.1 0 cat
	mkdir -p d1 d2 d3/sub
	cp noexec d1/prog
	cp withbang d2/prog
	cp withbang d3/sub/prog
	# An empty entry is the current directory.
	run -0 --separate-stderr run_on_path /usr/bin:/bin: withbang
	[ "$stderr" = "withbang ran" ]
	# A file that cannot be run is skipped for a later one...
	run -0 --separate-stderr run_on_path "$PWD/d1:$PWD/d2" prog
	[ "$stderr" = "$PWD/d2/prog ran" ]
	# ...and reported when there is no other.
	run -126 --separate-stderr run_on_path "$PWD/d1:$PWD/nowhere" prog
	[ "$stderr" = "tcpconnect: prog: Permission denied" ]
	run -127 --separate-stderr run_on_path "$PWD/nowhere" prog
	[ "$stderr" = "tcpconnect: prog: No such file or directory" ]
	# A name with a slash is not searched.
	run -127 --separate-stderr run_on_path "$PWD/d3" sub/prog
	[ "$stderr" = "tcpconnect: sub/prog: No such file or directory" ]
	# An unset PATH is execvp's default, /bin:/usr/bin.
	run -0 --separate-stderr env -u PATH "$SOCKBOX" tcpconnect \
		127.0.0.1 "$PORT" sh -c 'echo default >&2'
	[ "$stderr" = default ]
}

@test "tcpserve: PROG without #! is a warning per connection, the server goes on" {
	make_scripts
	start_server tcpserve 127.0.0.1 0 ./noshebang
	for i in 1 2; do
		run -0 --separate-stderr sb tcpconnect 127.0.0.1 "$PORT" </dev/null
		[ -z "$output" ]
	done
	[ "$(grep -c '^tcpserve: warning: ./noshebang: Exec format error$' \
		"$BATS_TEST_TMPDIR/server.err")" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	kill -0 "$SERVER_PID"
}

@test "udpserve: PROG without #! is a warning per datagram, the server goes on" {
	make_scripts
	start_server udpserve 127.0.0.1 0 ./noshebang
	printf '1\n2\n' | sb udpsend 127.0.0.1 "$PORT"
	wait_for warned 2
	[ "$(grep -c '^udpserve: warning: ./noshebang: Exec format error$' \
		"$BATS_TEST_TMPDIR/server.err")" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	kill -0 "$SERVER_PID"
}
