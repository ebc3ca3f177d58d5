# helpers.bash: shared by every tests/*.bats file (load helpers).
SOCKBOX=${SOCKBOX:-$BATS_TEST_DIRNAME/../sockbox}
export SOCKBOX

# sb APPLET ARGS...: run an applet through the multi-call binary.
sb() {
	"$SOCKBOX" "$@"
}

# start_server APPLET ARGS...: run it in the background, wait (bounded) for
# its "listening on" line; sets PORT and SERVER_PID. Its stderr goes to
# $BATS_TEST_TMPDIR/server.err, its stdout to $BATS_TEST_TMPDIR/server.out
# (set SERVER_IN to a file to feed its stdin; default /dev/null).
start_server() {
	"$SOCKBOX" "$@" <"${SERVER_IN:-/dev/null}" \
		>"$BATS_TEST_TMPDIR/server.out" \
		2>"$BATS_TEST_TMPDIR/server.err" 3>&- &
	SERVER_PID=$!
	local i
	for i in $(seq 200); do
		PORT=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' \
			"$BATS_TEST_TMPDIR/server.err" | head -n 1)
		[ -n "$PORT" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/server.err" >&2
	return 1
}

# stop_server: kill the server started by start_server, by PID, and reap it.
stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill "$SERVER_PID" 2>/dev/null || true
	# Bounded: a server that ignores SIGTERM is killed, not waited for.
	wait_exit "$SERVER_PID" 5 2>/dev/null || true
	SERVER_PID=
}

# kill_pids PID...: kill each background process by PID and reap it.
kill_pids() {
	local p
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# wait_for CMD...: run CMD until it succeeds, at most 10 s.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# wait_exit PID [SECS]: wait (bounded) for PID to exit; sets EXIT_STATUS
# (any status, non-zero too, is a success of wait_exit). Fails, killing
# PID, if it is still running after SECS (default 10).
wait_exit() {
	local pid=$1 n=$(( ${2:-10} * 20 )) i
	for i in $(seq "$n"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		EXIT_STATUS=timeout
		return 1
	fi
	EXIT_STATUS=0
	wait "$pid" || EXIT_STATUS=$?
}

# need CMD...: skip the test unless every command is installed.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

# assert_usage_error: after `run --separate-stderr`, the status is 2, stdout
# is empty and stderr is one line starting with the applet's name.
assert_usage_error() {
	local applet=$1
	[ "$status" -eq 2 ] || { echo "status $status, wanted 2" >&2; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output" >&2; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "stderr: $stderr" >&2; return 1; }
	[[ "$stderr" == "$applet: "* ]] || { echo "stderr: $stderr" >&2; return 1; }
}

# usage_text NAME: what `NAME --help` prints.
usage_text() {
	if [ "$1" = sockbox ]; then sb --help; else sb "$1" --help; fi
}

# split_flags: words like "-46Cd" or "--crlf" on stdin, one option a line
# out: a single dash with several letters is that many short options.
split_flags() {
	local w i
	while read -r w; do
		if [[ "$w" == --* ]]; then
			printf '%s\n' "$w"
		else
			for ((i = 1; i < ${#w}; i++)); do printf '%s\n' "-${w:i:1}"; done
		fi
	done
}

# usage_flags NAME: every option the usage text names, sorted.
usage_flags() {
	usage_text "$1" |
	    grep -oE '(^|[][ (,|/])--?[A-Za-z0-9][A-Za-z0-9-]*' |
	    sed 's/^[^-]*//' | split_flags | sort -u
}

# The C library $SOCKBOX was built with, as its --version names it.
case $("$SOCKBOX" --version 2>/dev/null) in
*'(musl)'*) SOCKBOX_LIBC=musl ;;
*) SOCKBOX_LIBC=glibc ;;
esac
export SOCKBOX_LIBC

# is_musl: whether $SOCKBOX uses musl (make check-static), whose resolver
# and strerror say some things differently (README, "Testing and fuzzing").
is_musl() {
	[ "$SOCKBOX_LIBC" = musl ]
}

# libc_msg WHAT: the words of $SOCKBOX's C library for noname
# (EAI_NONAME), nodata (EAI_NODATA: musl has none, and says NONAME's),
# family (EAI_FAMILY: musl's resolver says NONAME's) or netunreach
# (strerror(ENETUNREACH)).
libc_msg() {
	case $SOCKBOX_LIBC:$1 in
	glibc:noname) echo "Name or service not known" ;;
	glibc:nodata) echo "No address associated with hostname" ;;
	glibc:family) echo "Address family for hostname not supported" ;;
	glibc:netunreach) echo "Network is unreachable" ;;
	glibc:timedout) echo "Connection timed out" ;;
	glibc:addrinuse) echo "Address already in use" ;;
	musl:addrinuse) echo "Address in use" ;;
	musl:timedout) echo "Operation timed out" ;;
	musl:noname | musl:nodata | musl:family) echo "Name does not resolve" ;;
	musl:netunreach) echo "Network unreachable" ;;
	*) echo "libc_msg: unknown message $1" >&2; return 1 ;;
	esac
}
