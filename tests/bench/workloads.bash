# workloads.bash: the workloads of tests/bench/run, one bench_NAME function
# each (sourced by run, which provides start/stop/finish, record and table).
# Each run of a workload starts every tool in turn (interleaved), and every
# loop and wait is bounded.

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RELAY_BYTES=${BENCH_RELAY_BYTES:-2147483648}
UDP_LINES=200000

# last_line FILE: the last line (GNU time puts a status line before ours).
last_line() {
	tail -n 1 "$1" 2>/dev/null
}

# ---- relay: 2 GiB pipe -> client -> server -> /dev/null ----

relay_feed() {
	head -c "$RELAY_BYTES" /dev/zero | "$@"
}

# relay_once TOOL: one transfer; records GiB/s, CPU-s per GiB, peak RSS.
relay_once() {
	local t=$1 cli srv t0 t1 gib
	PORT=
	case $t in
	sockbox) srv=("$SOCKBOX" tcpserve 127.0.0.1 0) ;;
	"OpenBSD nc")
		PORT=$("$BIN/freeport")
		srv=(nc.openbsd -l 127.0.0.1 "$PORT") ;;
	"socat -u")
		PORT=$("$BIN/freeport")
		srv=(socat -u "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr" STDOUT) ;;
	ncat)
		PORT=$("$BIN/freeport")
		srv=(ncat -l 127.0.0.1 "$PORT") ;;
	"read/write 128K (C)") srv=("$BIN/relayref" -l 127.0.0.1 0) ;;
	"iperf3 (no pipes)")
		PORT=$("$BIN/freeport")
		srv=(iperf3 -s -1 -B 127.0.0.1 -p "$PORT") ;;
	esac
	OUT=/dev/null start relay-srv timeout -k 5 120 /usr/bin/time \
	    -f '%e %U %S %M' -o "$SCRATCH/srv.time" "${srv[@]}"
	local spid=$PID
	if [ -n "$PORT" ]; then
		wait_listen tcp "$PORT" "$spid" || { stop "$spid"; return 1; }
	else
		wait_announce relay-srv "$spid" || { stop "$spid"; return 1; }
	fi
	case $t in
	sockbox) cli=("$SOCKBOX" tcpconnect 127.0.0.1 "$PORT") ;;
	"OpenBSD nc") cli=(nc.openbsd -N 127.0.0.1 "$PORT") ;;
	"socat -u") cli=(socat -u STDIN "TCP:127.0.0.1:$PORT") ;;
	ncat) cli=(ncat 127.0.0.1 "$PORT") ;;
	"read/write 128K (C)") cli=("$BIN/relayref" 127.0.0.1 "$PORT") ;;
	"iperf3 (no pipes)")
		cli=(iperf3 -c 127.0.0.1 -p "$PORT" -n "$RELAY_BYTES") ;;
	esac
	t0=$EPOCHREALTIME
	if [ "$t" = "iperf3 (no pipes)" ]; then
		OUT=/dev/null start relay-cli timeout -k 5 120 /usr/bin/time \
		    -f '%e %U %S %M' -o "$SCRATCH/cli.time" "${cli[@]}"
	else
		OUT=/dev/null start relay-cli relay_feed timeout -k 5 120 \
		    /usr/bin/time -f '%e %U %S %M' -o "$SCRATCH/cli.time" \
		    "${cli[@]}"
	fi
	finish "$PID"
	local crc=$RC
	finish "$spid"
	local src=$RC
	t1=$EPOCHREALTIME
	if [ "$crc" != 0 ] || [ "$src" != 0 ]; then
		echo "bench: relay $t: client exit $crc ($(grep . \
		    "$SCRATCH/relay-cli.err" | tail -n 1)), server exit $src ($(tail -n 1 \
		    "$SCRATCH/relay-srv.err"))" >&2
		return 1
	fi
	gib=$(calc "$RELAY_BYTES / 1073741824")
	record "$t" rate "$(calc "$gib / ($t1 - $t0)")"
	read -r _ u s m < <(last_line "$SCRATCH/cli.time")
	record "$t" ccpu "$(calc "($u + $s) / $gib")"
	record "$t" crss "$(calc "$m / 1024")"
	read -r _ u s m < <(last_line "$SCRATCH/srv.time")
	record "$t" scpu "$(calc "($u + $s) / $gib")"
	record "$t" srss "$(calc "$m / 1024")"
}

bench_relay() {
	local r t
	sockbox_row sockbox tcpconnect tcpserve
	tool "OpenBSD nc" peer
	tool "socat -u" peer
	tool ncat peer
	tool "read/write 128K (C)" limit
	tool "iperf3 (no pipes)" limit
	echo "relay: $((RELAY_BYTES >> 20)) MiB, pipe -> client -> server -> /dev/null, x$RUNS ..." >&2
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] && relay_once "$t"
		done
	done
	table "relay: $((RELAY_BYTES >> 20)) MiB from a pipe through a loopback TCP connection to /dev/null" \
	    higher "rate:GiB/s" "ccpu:cli CPU-s/GiB" "scpu:srv CPU-s/GiB" \
	    "crss:cli RSS MiB" "srss:srv RSS MiB"
	echo "(sockbox: tcpconnect -> tcpserve; nc: nc -N -> nc -l; socat -u STDIN TCP -> socat -u TCP-LISTEN STDOUT;"
	echo " ncat -> ncat -l; servers' stdin is an idle FIFO; time from client start to both exits)"
	goal "sockbox >= 1.7x OpenBSD nc, <= 0.4 client CPU-s/GiB" \
	    "s >= 1.7 * n && c <= 0.4" s="$(median sockbox rate)" \
	    n="$(median "OpenBSD nc" rate)" c="$(median sockbox ccpu)"
}

# ---- spawn: a program per connection ----

# spawn_server TOOL: start it; sets SPID (the server process) and PORT.
spawn_server() {
	local t=$1
	PORT=
	case $t in
	sockbox) start spawn-srv "$SOCKBOX" tcpserve 127.0.0.1 0 /bin/echo hi ;;
	"BusyBox nc -ll -e")
		PORT=$("$BIN/freeport")
		start spawn-srv busybox nc -ll -p "$PORT" -e /bin/echo hi ;;
	tcpserver)
		start spawn-srv tcpserver -H -R -l 0 -1 127.0.0.1 0 /bin/echo hi ;;
	esac
	SPID=$PID
	if [ -n "$PORT" ]; then
		wait_listen tcp "$PORT" "$SPID"
	else
		wait_announce spawn-srv "$SPID"
	fi
}

# spawn_phase TOOL TABLE N K: N connections K at a time against the server.
spawn_phase() {
	local t=$1 tab=$2 c0 c1 ok
	c0=$(cpu_ticks "$SPID")
	timeout -k 5 200 "$BIN/connrate" -n "$3" -k "$4" -t 3 -T 60 \
	    127.0.0.1 "$PORT" >"$SCRATCH/conn.out"
	wait_no_children "$SPID"
	c1=$(cpu_ticks "$SPID")
	ok=$(field ok "$SCRATCH/conn.out")
	[ -n "$ok" ] || { echo "bench: spawn $t: no result" >&2; return 1; }
	record "$t" "$tab.rate" "$(field rate "$SCRATCH/conn.out")"
	record "$t" "$tab.sum_failed" "$(field failed "$SCRATCH/conn.out")"
	record "$t" "$tab.sum_hung" "$(( $(field hung "$SCRATCH/conn.out") + \
	    $(field notrun "$SCRATCH/conn.out") ))"
	# BusyBox ignores SIGCHLD: its children's CPU time is counted nowhere
	[ "$ok" -gt 0 ] && [ "$t" != "BusyBox nc -ll -e" ] && record "$t" "$tab.cpu" \
	    "$(calc "($c1 - $c0) * 1000000 / $TICK / $ok")"
}

bench_spawn() {
	local r t
	sockbox_row sockbox tcpserve
	tool "BusyBox nc -ll -e" peer
	tool tcpserver peer
	tool "fork+exec+wait (C)" limit
	echo "spawn: /bin/echo hi per connection, 1500 sequential + 5000 16 at a time, x$RUNS ..." >&2
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] || continue
			if [ "${KIND[$t]}" = limit ]; then
				timeout -k 5 60 "$BIN/forkexec" 1500 /bin/echo hi \
				    >"$SCRATCH/conn.out" &&
				    record "$t" seq.rate "$(field rate "$SCRATCH/conn.out")"
				continue
			fi
			spawn_server "$t" || { stop "$SPID"; continue; }
			spawn_phase "$t" seq 1500 1
			spawn_phase "$t" conc 5000 16
			stop "$SPID"
		done
	done
	table "spawn: /bin/echo hi per connection, 1,500 sequential connections" \
	    higher "seq.rate:conn/s" "seq.cpu:srv CPU-us/c" \
	    "seq.sum_failed:failed" "seq.sum_hung:hung"
	table "spawn: /bin/echo hi per connection, 5,000 connections 16 at a time" \
	    higher "conc.rate:conn/s" "conc.cpu:srv CPU-us/c" \
	    "conc.sum_failed:failed" "conc.sum_hung:hung"
	echo "(failed: refused, reset or wrong reply; hung: no EOF within 3 s; both summed over all runs;"
	echo " CPU: server and its children (not for BusyBox: it ignores SIGCHLD, its children go unaccounted);"
	echo " tcpserver -H -R -l 0 -1; BusyBox nc listens on the namespace's wildcard address (no option to bind one))"
	goal "sequential: sockbox >= 1.0x the best peer" "s >= b && s >= t" \
	    s="$(median sockbox seq.rate)" b="$(median "BusyBox nc -ll -e" seq.rate)" \
	    t="$(median tcpserver seq.rate)"
	goal "16 at a time: sockbox >= 1.05x tcpserver, no failed or hung connection" \
	    "s >= 1.05 * t && f + h == 0" s="$(median sockbox conc.rate)" \
	    t="$(median tcpserver conc.rate)" \
	    f="$(median sockbox conc.sum_failed)" h="$(median sockbox conc.sum_hung)"
}

# ---- echo and idle: event servers ----

# With two cores or more, echo servers run on CPU 0 and the load client on
# CPU 1: left to the scheduler, the pair sometimes shares a core and a
# figure moves by half between runs.
if [ "$(nproc)" -ge 2 ]; then
	PIN_SRV=(taskset -c 0)
	PIN_CLI=(taskset -c 1)
else
	PIN_SRV=()
	PIN_CLI=()
fi

# echo_server TOOL: start it; sets SPID and PORT.
echo_server() {
	case $1 in
	sockbox) start echo-srv "${PIN_SRV[@]}" "$SOCKBOX" tcpserve --echo \
	    127.0.0.1 0 ;;
	"Python asyncio") start echo-srv "${PIN_SRV[@]}" "$PY" \
	    "$HERE/asyncio_echo.py" 127.0.0.1 0 ;;
	"tcpserver + cat") start echo-srv "${PIN_SRV[@]}" tcpserver -H -R \
	    -l 0 -1 -c 10100 -b 4096 127.0.0.1 0 /bin/cat ;;
	"epoll echo (C)") start echo-srv "${PIN_SRV[@]}" "$BIN/epollecho" \
	    127.0.0.1 0 ;;
	esac
	SPID=$PID
	wait_announce echo-srv "$SPID"
}

echo_tools() {
	sockbox_row sockbox tcpserve
	tool "Python asyncio" peer
	tool "tcpserver + cat" peer
	tool "epoll echo (C)" limit
}

bench_echo() {
	local r t n c0 c1 rt hwm
	echo_tools
	echo "echo: 100 and 1000 clients x 200,000 64-byte round trips, x$RUNS ..." >&2
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] || continue
			for n in 100 1000; do
				echo_server "$t" || { stop "$SPID"; continue; }
				c0=$(cpu_ticks "$SPID")
				timeout -k 5 120 "${PIN_CLI[@]}" "$BIN/echocli" \
				    -c "$n" -n 200000 \
				    -s 64 -t 60 127.0.0.1 "$PORT" >"$SCRATCH/echo.out" ||
				    echo "bench: echo $t $n: $(cat "$SCRATCH/echo.out")" >&2
				wait_no_children "$SPID"
				c1=$(cpu_ticks "$SPID")
				hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/"$SPID"/status)
				stop "$SPID"
				rt=$(field roundtrips "$SCRATCH/echo.out")
				[ -n "$rt" ] && [ "$rt" -gt 0 ] || continue
				record "$t" "c$n.rate" "$(field rate "$SCRATCH/echo.out")"
				record "$t" "c$n.cpu" \
				    "$(calc "($c1 - $c0) * 1000000 / $TICK / $rt")"
				record "$t" "c$n.sum_err" "$(field errors "$SCRATCH/echo.out")"
				record "$t" "c$n.hwm" "$(calc "${hwm:-0} / 1024")"
			done
		done
	done
	for n in 100 1000; do
		table "echo: $n clients x 64-byte round trips (200,000 in all)" \
		    higher "c$n.rate:round trips/s" "c$n.cpu:srv CPU-us/rt" \
		    "c$n.hwm:srv peak MiB" "c$n.sum_err:errors"
	done
	echo "(server pinned to CPU 0, one single-threaded epoll client pinned to CPU 1; where the client"
	echo " saturates, compare srv CPU-us per round trip:"
	echo " server and children, connection setup included; peak: the server process's VmHWM (for"
	echo " tcpserver, without its cat children); errors: summed over all runs;"
	echo " tcpserver -H -R -l 0 -1 -c 10100 -b 4096 /bin/cat; asyncio: Protocol echo, backlog 4096;"
	echo " Python $("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null)'s asyncio receives into a fresh 256 KiB object per read: strace -c shows an"
	echo " mmap, mremap and munmap per round trip, most of its cost here)"
	for n in 100 1000; do
		goal "$n clients: sockbox >= 1.3x the best peer, CPU-us/rt within 10 % of the epoll echo" \
		    "s >= 1.3 * a && s >= 1.3 * t && c <= 1.1 * e" \
		    s="$(median sockbox "c$n.rate")" \
		    a="$(median "Python asyncio" "c$n.rate")" \
		    t="$(median "tcpserver + cat" "c$n.rate")" \
		    c="$(median sockbox "c$n.cpu")" e="$(median "epoll echo (C)" "c$n.cpu")"
	done
}

bench_idle() {
	local r t pss0 rss1 pss1 held echoed C i
	echo_tools
	echo "idle: hold 10,000 echo connections, x$RUNS ..." >&2
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] || continue
			echo_server "$t" || { stop "$SPID"; continue; }
			read -r _ pss0 < <(tree_mem_kib "$SPID")
			rm -f "$SCRATCH/ctl"
			mkfifo "$SCRATCH/ctl"
			IN=$SCRATCH/ctl start idle timeout -k 5 200 \
			    "$BIN/idlehold" -c 10000 -t 60 127.0.0.1 "$PORT"
			local hpid=$PID
			exec {C}>"$SCRATCH/ctl"
			for i in $(seq 1500); do
				grep -q '^held' "$SCRATCH/idle.out" && break
				kill -0 "$hpid" 2>/dev/null || break
				sleep 0.1
			done
			read -r rss1 pss1 < <(tree_mem_kib "$SPID")
			echo go >&"$C"
			exec {C}>&-
			finish "$hpid"
			wait_no_children "$SPID"
			stop "$SPID"
			held=$(sed -n 's/^held //p' "$SCRATCH/idle.out")
			echoed=$(sed -n 's/^echoed //p' "$SCRATCH/idle.out")
			[ -n "$held" ] || continue
			record "$t" pss "$(calc "$pss1 / 1024")"
			record "$t" rss "$(calc "$rss1 / 1024")"
			record "$t" perconn "$(calc "($pss1 - $pss0) / 10000")"
			record "$t" held "$held"
			record "$t" echoed "${echoed:-0}"
		done
	done
	table "idle: 10,000 idle echo connections held, then each must still echo" \
	    lower "pss:srv PSS MiB" "rss:srv RSS MiB" "perconn:KiB/conn" \
	    "held:held" "echoed:echoed"
	echo "(PSS and RSS: summed over the server and its children while all connections are held idle;"
	echo " summed RSS counts shared pages once per process, PSS shares them out; KiB/conn: PSS growth"
	echo " over the freshly started server, divided by 10,000)"
	goal "sockbox holds 10,000, all echo, <= 10 MB RSS" \
	    "r * 1048576 <= 10000000 && h == 10000 && e == 10000" \
	    r="$(median sockbox rss)" h="$(median sockbox held)" \
	    e="$(median sockbox echoed)"
}

# ---- udp: lines -> client -> server -> pipe ----

# udp_drops: the namespace's RcvbufErrors counter (datagrams, or GRO
# batches of them, dropped because a receive buffer was full).
udp_drops() {
	awk '/^Udp:/ { n++; if (n == 1) for (i = 2; i <= NF; i++) col[$i] = i;
		else print $col["RcvbufErrors"] }' /proc/net/snmp
}

# udp_client TOOL PORT: sets CLI to the sending command.
udp_client() {
	case $1 in
	sockbox) CLI=("$SOCKBOX" udpsend 127.0.0.1 "$2") ;;
	"OpenBSD nc") CLI=(nc.openbsd -u -q 0 127.0.0.1 "$2") ;;
	socat) CLI=(socat -u STDIN "UDP:127.0.0.1:$2") ;;
	"sendmmsg/recvmmsg (C)") CLI=("$BIN/udpref" send 127.0.0.1 "$2") ;;
	esac
}

# udp_dgram_size TOOL: the payload bytes per datagram TOOL's client sends,
# as the reference receiver (no GRO, 8 MiB buffer) sees them, over the
# first 20,000 lines; sets DGSIZE.
udp_dgram_size() {
	local n bytes
	DGSIZE=
	head -n 20000 "$SCRATCH/lines" >"$SCRATCH/lines.check"
	start check "$BIN/udpref" recv -n 20000 127.0.0.1 0
	local pid=$PID
	wait_announce check "$pid" || { stop "$pid"; return 1; }
	udp_client "$1" "$PORT"
	timeout -k 5 60 "${CLI[@]}" <"$SCRATCH/lines.check" >/dev/null 2>&1
	for _ in $(seq 100); do
		grep -q received "$SCRATCH/check.err" && break
		sleep 0.05
	done
	stop "$pid"
	n=$(sed -n 's/.*received \([0-9]*\) datagrams.*/\1/p' "$SCRATCH/check.err")
	bytes=$(stat -c %s "$SCRATCH/check.out")
	[ -n "$n" ] && [ "$n" -gt 0 ] && DGSIZE=$(calc "$bytes / $n")
}

udp_once() {
	local t=$1 srv per=65 t0 bytes last b0 b1 lines
	PORT=
	case $t in
	# udpserve prints each 64-byte datagram as a line.
	sockbox) srv=("$SOCKBOX" udpserve -n "$UDP_LINES" 127.0.0.1 0) ;;
	"OpenBSD nc")
		PORT=$("$BIN/freeport" udp)
		srv=(nc.openbsd -u -l 127.0.0.1 "$PORT") ;;
	socat)
		PORT=$("$BIN/freeport" udp)
		srv=(socat -u "UDP-RECV:$PORT,bind=127.0.0.1" STDOUT) ;;
	"sendmmsg/recvmmsg (C)")
		per=64; srv=("$BIN/udpref" recv -n "$UDP_LINES" 127.0.0.1 0) ;;
	esac
	rm -f "$SCRATCH/pipe"
	mkfifo "$SCRATCH/pipe"
	IN=$SCRATCH/pipe start sink timeout -k 5 60 "$BIN/pipesink" -i 1000 -t 40
	local kpid=$PID
	OUT=$SCRATCH/pipe start udp-srv "${srv[@]}"
	local spid=$PID
	if [ -n "$PORT" ]; then
		wait_listen udp "$PORT" "$spid"
	else
		wait_announce udp-srv "$spid"
	fi || { stop "$spid"; stop "$kpid"; return 1; }
	udp_client "$t" "$PORT"
	b0=$(udp_drops)
	t0=$EPOCHREALTIME
	timeout -k 5 60 "${CLI[@]}" <"$SCRATCH/lines" >/dev/null 2>"$SCRATCH/udp-cli.err" ||
	    echo "bench: udp $t: client failed: $(head -n 1 "$SCRATCH/udp-cli.err")" >&2
	finish "$kpid"
	b1=$(udp_drops)
	stop "$spid"
	bytes=$(field bytes "$SCRATCH/sink.out")
	last=$(field last "$SCRATCH/sink.out")
	[ -n "$bytes" ] && [ "$bytes" -gt 0 ] || {
		echo "bench: udp $t: nothing received" >&2; return 1; }
	lines=$((bytes / per))
	[ -n "${DGS[$t]:-}" ] && record "$t" dps \
	    "$(calc "$bytes / ${DGS[$t]} / ($last - $t0)")"
	record "$t" rate "$(calc "$lines / ($last - $t0)")"
	record "$t" loss "$(calc "100 * (1 - $lines / $UDP_LINES)")"
	record "$t" drops "$((b1 - b0))"
}

bench_udp() {
	local r t
	declare -A DGS=()
	sockbox_row sockbox udpsend udpserve
	tool "OpenBSD nc" peer
	tool socat peer
	tool "sendmmsg/recvmmsg (C)" limit
	awk -v n="$UDP_LINES" 'BEGIN { for (i = 0; i < n; i++) printf "%064d\n", i }' \
	    >"$SCRATCH/lines"
	echo "udp: $UDP_LINES lines of 64 bytes, x$RUNS ..." >&2
	for t in "${ORDER[@]}"; do
		[ -z "${NA[$t]:-}" ] || continue
		udp_dgram_size "$t" && DGS[$t]=$DGSIZE && record "$t" dgsize "$DGSIZE"
	done
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] && udp_once "$t"
		done
	done
	table "udp: 200,000 stdin lines of 64 bytes -> client -> server -> pipe" \
	    higher "dps:datagrams/s" "rate:lines/s" "loss:loss %" \
	    "dgsize:bytes/dgram" "drops:rcvbuf drops"
	echo "(bytes/dgram: payload per datagram as the client sends it, seen by the reference receiver"
	echo " over 20,000 lines; 64 is one datagram per line. datagrams/s: bytes delivered to the pipe /"
	echo " bytes/dgram / time from client start to the last byte read; lines/s: lines delivered over"
	echo " the same time; loss: lines that never arrived; rcvbuf drops: the namespace's kernel counter."
	echo " nc and socat send what one read of stdin returns as one datagram, so their lines/s is not"
	echo " one datagram per line. sockbox: udpsend -> udpserve -n 200000; nc -u -q 0 -> nc -u -l;"
	echo " socat -u STDIN UDP -> socat -u UDP-RECV STDOUT)"
	goal "sockbox >= 2x OpenBSD nc's datagrams/s, 0 % loss, one datagram per line" \
	    "s >= 2 * n && l == 0 && d == 64" s="$(median sockbox dps)" \
	    n="$(median "OpenBSD nc" dps)" l="$(median sockbox loss)" \
	    d="$(median sockbox dgsize)"
	goal "the same on lines/s (stricter: nc packs lines into its datagrams)" \
	    "s >= 2 * n && l == 0 && d == 64" s="$(median sockbox rate)" \
	    n="$(median "OpenBSD nc" rate)" l="$(median sockbox loss)" \
	    d="$(median sockbox dgsize)"
}

# ---- startup: hyperfine ----

bench_startup() {
	local names=() cmds=() i g json title med cpu
	# startup_add GROUP KIND NAME CMD: a command to time, unless it fails.
	startup_add() {
		local c=$4
		if [ "$2" = sockbox ] && ! has_applet "$5"; then
			NA[$3]="n/a (applet not built: $5)"
			return
		fi
		if [ "$2" = static ] && ! has_applet "$5" "$SOCKBOX_STATIC"; then
			NA[$3]="n/a (no sockbox-static with $5: make static)"
			return
		fi
		if ! $c >/dev/null 2>&1; then
			NA[$3]="n/a ($c fails here)"
			return
		fi
		names+=("$3")
		cmds+=("$c")
	}
	local SR=$BIN/startref-static
	[ -x "$SR" ] || SR=$BIN/startref
	startup_add serv sockbox "sockbox getserv http" "$SOCKBOX getserv http" getserv
	startup_add serv static "sockbox-static getserv http" "$SOCKBOX_STATIC getserv http" getserv
	startup_add serv peer "getent services http" "getent services http"
	startup_add serv limit "static musl getservbyname (C)" "$SR serv http"
	startup_add host sockbox "sockbox resolve localhost" "$SOCKBOX resolve localhost" resolve
	startup_add host static "sockbox-static resolve localhost" "$SOCKBOX_STATIC resolve localhost" resolve
	startup_add host peer "getent hosts localhost" "getent hosts localhost"
	startup_add host limit "static musl getaddrinfo (C)" "$SR host localhost"
	startup_add fqdn sockbox "sockbox fqdn" "$SOCKBOX fqdn" fqdn
	startup_add fqdn static "sockbox-static fqdn" "$SOCKBOX_STATIC fqdn" fqdn
	startup_add fqdn peer "hostname -f" "hostname -f"
	startup_add fqdn limit "static musl AI_CANONNAME (C)" "$SR fqdn"
	echo "startup: hyperfine, ${#cmds[@]} commands, x$RUNS ..." >&2
	json=$SCRATCH/hyperfine.json
	for _ in $(seq "$RUNS"); do
		timeout -k 5 300 hyperfine -N --warmup 20 --runs 300 \
		    --style none --export-json "$json" "${cmds[@]}" >/dev/null 2>&1 || {
			echo "bench: startup: hyperfine failed" >&2; return 1; }
		i=0
		while read -r med cpu; do
			record "${names[$i]}" ms "$med"
			record "${names[$i]}" cpu "$cpu"
			i=$((i + 1))
		done < <("$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["median"] * 1000, (r["user"] + r["system"]) * 1000)' "$json")
	done
	for g in serv host fqdn; do
		ORDER=()
		case $g in
		serv) set -- "sockbox getserv http" "sockbox-static getserv http" \
		    "getent services http" "static musl getservbyname (C)"
		    title="getserv http" ;;
		host) set -- "sockbox resolve localhost" \
		    "sockbox-static resolve localhost" "getent hosts localhost" \
		    "static musl getaddrinfo (C)"
		    title="resolve localhost" ;;
		fqdn) set -- "sockbox fqdn" "sockbox-static fqdn" "hostname -f" \
		    "static musl AI_CANONNAME (C)"
		    title="fqdn" ;;
		esac
		tool "$1" sockbox
		tool "$2" sockbox
		tool "$3" peer
		tool "$4" limit
		table "start-up + lookup: $title (hyperfine -N, 300 runs)" \
		    lower "ms:median ms" "cpu:user+sys ms"
		goal "sockbox <= 1.0x $3, sockbox-static <= 0.3x" \
		    "s <= p && st <= 0.3 * p" s="$(median "$1" ms)" \
		    st="$(median "$2" ms)" p="$(median "$3" ms)"
	done
	unset -f startup_add
}

# ---- resolve: tests/bench/resolve-bulk prints its own table ----

bench_resolve() {
	printf '\n== resolve: resolve -f 1,000 names, each answer delayed 50 ms\n'
	if [ -x "$HERE/resolve-bulk" ]; then
		SOCKBOX=$SOCKBOX timeout -k 5 600 "$HERE/resolve-bulk" ||
		    echo "(resolve-bulk exited with status $?)"
	else
		echo "n/a (tests/bench/resolve-bulk is missing)"
	fi
}

# ---- size: stripped binaries ----

bench_size() {
	# size_row NAME KIND PATH
	size_row() {
		tool "$1" "$2"
		if [ -z "$3" ] || [ ! -x "$3" ]; then
			NA[$1]="n/a (not installed or not built)"
			return
		fi
		strip -o "$SCRATCH/stripped" "$3" 2>/dev/null ||
		    cp "$3" "$SCRATCH/stripped"
		record "$1" kib "$(calc "$(stat -c %s "$SCRATCH/stripped") / 1024")"
		record "$1" bytes "$(stat -c %s "$SCRATCH/stripped")"
	}
	path_of() {
		command -v "$1" >/dev/null 2>&1 && readlink -f "$(command -v "$1")"
	}
	size_row "sockbox (dynamic)" sockbox "$SOCKBOX"
	size_row "sockbox-static (musl)" sockbox "$SOCKBOX_STATIC"
	size_row "OpenBSD nc" peer "$(path_of nc.openbsd)"
	size_row "tcpserver" peer "$(path_of tcpserver)"
	size_row "ncat" peer "$(path_of ncat)"
	size_row "socat" peer "$(path_of socat)"
	size_row "BusyBox" peer "$(path_of busybox)"
	size_row "toybox" peer "$(path_of toybox)"
	size_row "static musl getaddrinfo (C)" limit "$BIN/startref-static"
	table "size: stripped binaries" lower "kib:KiB" "bytes:bytes"
	echo "(sockbox applets: $("$SOCKBOX" --list 2>/dev/null | wc -l) in the dynamic binary," \
	    "$("$SOCKBOX_STATIC" --list 2>/dev/null | wc -l) in the static one; ratios are of sizes)"
	goal "all seven applets, <= 64 KiB dynamic, static musl <= 128 KiB" \
	    "n == 7 && d <= 64 && st <= 128" \
	    n="$("$SOCKBOX" --list 2>/dev/null | wc -l)" \
	    d="$(median "sockbox (dynamic)" kib)" \
	    st="$(median "sockbox-static (musl)" kib)"
	unset -f size_row path_of
}
