# forward.bash: the forward workload of tests/bench/run (sourced after
# workloads.bash): tcpserve --forward against the port forwarders people
# use, with the same C client and backends (fwdpeer, connrate, idlehold,
# epollecho) for every one.

FWD_BYTES=${BENCH_FWD_BYTES:-2147483648}
FWD_CONNS=${BENCH_FWD_CONNS:-5000}
# Idle connections: 10,000, or what a hard descriptor limit lets a
# forwarder hold at two descriptors each (20,000 here: 9,900).
FWD_IDLE=$(($(ulimit -Hn) < 20200 ? ($(ulimit -Hn) - 200) / 2 : 10000))
PROXYD=/lib/systemd/systemd-socket-proxyd
[ -x "$PROXYD" ] || PROXYD=/usr/lib/systemd/systemd-socket-proxyd

# fwd_backend NAME CMD...: start a backend that announces its port; sets
# BPID and BPORT.
fwd_backend() {
	local name=$1
	shift
	start "$name" "$@"
	BPID=$PID
	wait_announce "$name" "$BPID" || return 1
	BPORT=$PORT
}

# fwd_start TOOL BPORT [SOCKBOX OPTIONS]: start forwarder TOOL in front
# of 127.0.0.1:BPORT; sets FPID and PORT.
fwd_start() {
	local t=$1 b=$2
	shift 2
	PORT=
	case $t in
	sockbox)
		start fwd "$SOCKBOX" tcpserve "$@" --forward "127.0.0.1:$b" \
		    127.0.0.1 0 ;;
	socat)
		PORT=$("$BIN/freeport")
		start fwd socat "TCP-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr" \
		    "TCP:127.0.0.1:$b" ;;
	haproxy)
		PORT=$("$BIN/freeport")
		cat >"$SCRATCH/haproxy.cfg" <<-EOF
		global
		    nbthread 1
		    maxconn $((FWD_IDLE + 50))
		defaults
		    mode tcp
		    timeout connect 10s
		    timeout client 1h
		    timeout server 1h
		frontend f
		    bind 127.0.0.1:$PORT
		    default_backend b
		backend b
		    server s 127.0.0.1:$b
		EOF
		start fwd haproxy -db -f "$SCRATCH/haproxy.cfg" ;;
	systemd-socket-proxyd)
		PORT=$("$BIN/freeport")
		start fwd systemd-socket-activate -l "127.0.0.1:$PORT" "$PROXYD" \
		    --connections-max="$((FWD_IDLE + 50))" "127.0.0.1:$b" ;;
	"splice forwarder (C)")
		start fwd "$BIN/spliceref" 127.0.0.1 0 127.0.0.1 "$b" ;;
	esac
	FPID=$PID
	if [ -n "$PORT" ]; then
		wait_listen tcp "$PORT" "$FPID"
	else
		wait_announce fwd "$FPID"
	fi
}

# fwd_fds PID: descriptors open in PID and its descendants.
fwd_fds() {
	local p n=0
	for p in $(descendants "$1"); do
		n=$((n + $(ls /proc/"$p"/fd 2>/dev/null | wc -l)))
	done
	echo "$n"
}

fwd_tools() {
	sockbox_row sockbox tcpserve
	tool socat peer
	tool haproxy peer
	tool systemd-socket-proxyd peer
	tool "splice forwarder (C)" limit
	command -v socat >/dev/null || NA[socat]="n/a (not installed)"
	command -v haproxy >/dev/null || NA[haproxy]="n/a (not installed)"
	{ command -v systemd-socket-activate >/dev/null && [ -x "$PROXYD" ]; } ||
	    NA[systemd-socket-proxyd]="n/a (not installed)"
}

# fwd_bulk TOOL: FWD_BYTES one way through TOOL to the sink.
fwd_bulk() {
	local t=$1 c0 c1
	fwd_backend fwd-sink "$BIN/fwdpeer" -l 127.0.0.1 0 || return 1
	fwd_start "$t" "$BPORT" || { stop "$BPID"; return 1; }
	c0=$(cpu_ticks "$FPID")
	timeout -k 5 120 "$BIN/fwdpeer" -n "$FWD_BYTES" 127.0.0.1 "$PORT" \
	    >"$SCRATCH/fwd.out" 2>&1 || echo "bench: forward bulk $t: $(cat \
	    "$SCRATCH/fwd.out")" >&2
	wait_no_children "$FPID"
	c1=$(cpu_ticks "$FPID")
	stop "$FPID"
	stop "$BPID"
	[ -n "$(field rate "$SCRATCH/fwd.out")" ] || return 1
	record "$t" rate "$(field rate "$SCRATCH/fwd.out")"
	record "$t" cpu "$(calc "($c1 - $c0) / $TICK / ($FWD_BYTES / 1073741824)")"
}

# fwd_rate TOOL K: FWD_CONNS short connections, K at a time.
fwd_rate() {
	local t=$1 k=$2
	fwd_backend fwd-hi "$BIN/fwdpeer" -H 127.0.0.1 0 || return 1
	fwd_start "$t" "$BPORT" || { stop "$BPID"; return 1; }
	timeout -k 5 120 "$BIN/connrate" -n "$FWD_CONNS" -k "$k" -t 5 -T 30 \
	    127.0.0.1 "$PORT" >"$SCRATCH/fwd.out" 2>&1
	stop "$FPID"
	stop "$BPID"
	[ -n "$(field rate "$SCRATCH/fwd.out")" ] || return 1
	record "$t" "k$k.rate" "$(field rate "$SCRATCH/fwd.out")"
	record "$t" "k$k.sum_bad" "$(($(field failed "$SCRATCH/fwd.out") + \
	    $(field hung "$SCRATCH/fwd.out") + $(field notrun "$SCRATCH/fwd.out")))"
}

# fwd_idle TOOL: FWD_IDLE idle connections through TOOL to an echo backend
# (sockbox's -c: its default keeps a reserve of 256 descriptors).
fwd_idle() {
	local t=$1 rss pss fds held echoed C i
	fwd_backend fwd-echo "$BIN/epollecho" 127.0.0.1 0 || return 1
	fwd_start "$t" "$BPORT" -c "$FWD_IDLE" || { stop "$BPID"; return 1; }
	rm -f "$SCRATCH/ctl"
	mkfifo "$SCRATCH/ctl"
	IN=$SCRATCH/ctl start idle timeout -k 5 200 "$BIN/idlehold" \
	    -c "$FWD_IDLE" -t 20 127.0.0.1 "$PORT"
	local hpid=$PID
	exec {C}>"$SCRATCH/ctl"
	for i in $(seq 1500); do
		grep -q '^held' "$SCRATCH/idle.out" && break
		kill -0 "$hpid" 2>/dev/null || break
		sleep 0.1
	done
	read -r rss pss < <(tree_mem_kib "$FPID")
	fds=$(fwd_fds "$FPID")
	echo go >&"$C"
	exec {C}>&-
	finish "$hpid"
	stop "$FPID"
	stop "$BPID"
	held=$(sed -n 's/^held //p' "$SCRATCH/idle.out")
	echoed=$(sed -n 's/^echoed //p' "$SCRATCH/idle.out")
	[ -n "$held" ] || return 1
	record "$t" rss "$(calc "$rss / 1024")"
	record "$t" pss "$(calc "$pss / 1024")"
	record "$t" fds "$fds"
	record "$t" held "$held"
	record "$t" echoed "${echoed:-0}"
}

bench_forward() {
	local r t k
	# Short connections leave TIME_WAIT behind: the namespace's own
	# settings, so that tens of thousands fit.
	sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	    net.ipv4.tcp_tw_reuse=1 2>/dev/null
	fwd_tools
	echo "forward: $((FWD_BYTES >> 20)) MiB bulk; $FWD_CONNS connections 16 and 100 at a time; $FWD_IDLE idle, x$RUNS ..." >&2
	for r in $(seq "$RUNS"); do
		rotate "$r"
		for t in "${ROT[@]}"; do
			[ -z "${NA[$t]:-}" ] || continue
			fwd_bulk "$t"
			for k in 16 100; do
				fwd_rate "$t" "$k"
			done
			# socat: a process per connection; spliceref: a pipe
			# pair per connection: neither could hold them.
			case $t in
			socat | "splice forwarder (C)") ;;
			*) fwd_idle "$t" ;;
			esac
		done
	done
	table "forward: $((FWD_BYTES >> 20)) MiB through the forwarder (client -> forwarder -> sink)" \
	    higher "rate:GiB/s" "cpu:fwd CPU-s/GiB"
	for k in 16 100; do
		table "forward: short connections, $k at a time ($FWD_CONNS, answer 'hi' and close)" \
		    higher "k$k.rate:conns/s" "k$k.sum_bad:failed"
	done
	table "forward: $FWD_IDLE idle connections held, then each must still echo" \
	    lower "rss:fwd RSS MiB" "pss:fwd PSS MiB" "fds:fwd fds" \
	    "held:held" "echoed:echoed"
	echo "(socat TCP-LISTEN:P,fork,reuseaddr TCP:...: a process per connection, default backlog;"
	echo " socat and the splice forwarder are not run idle (a process or a pipe pair per connection);"
	echo " sockbox runs with -c $FWD_IDLE there (hard descriptor limit $(ulimit -Hn));"
	echo " haproxy 2.6 mode tcp, nbthread 1; systemd-socket-proxyd behind systemd-socket-activate;"
	echo " splice forwarder (C): tests/bench/spliceref.c, a pipe pair per connection, blocking connect;"
	echo " failed: refused, reset, wrong answer, hung or not run within 30 s, summed over the runs;"
	echo " RSS/PSS and fds: the forwarder and its children while the $FWD_IDLE are held)"
	goal "bulk: sockbox >= systemd-socket-proxyd" "s >= p" \
	    s="$(median sockbox rate)" p="$(median systemd-socket-proxyd rate)"
	for k in 16 100; do
		goal "$k at a time: sockbox >= haproxy" "s >= h" \
		    s="$(median sockbox "k$k.rate")" h="$(median haproxy "k$k.rate")"
	done
	goal "sockbox holds $FWD_IDLE, all echo, < 10 MiB RSS" \
	    "r < 10 && h == $FWD_IDLE && e == $FWD_IDLE" r="$(median sockbox rss)" \
	    h="$(median sockbox held)" e="$(median sockbox echoed)"
}
