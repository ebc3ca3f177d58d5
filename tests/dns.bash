# dns.bash: real DNS with no internet, for any test (load dns).
#
#   in_dns_ns RECORDS CMD [ARG...]
#       Run CMD in new network and mount namespaces: loopback up, dnsmasq
#       answering on 127.0.0.1:53 with RECORDS only, and the C library
#       pointed at it by bind-mounted /etc/resolv.conf, /etc/hosts and
#       /etc/nsswitch.conf ("hosts: files dns"). Its status, stdout and
#       stderr are CMD's (125 if the namespace could not be set up).
#       CMD may be a shell function: it is exported for you; `export -f`
#       any others it calls and export the variables it reads.
#           run -0 in_dns_ns "$BATS_TEST_TMPDIR/records" sb resolve a.test
#       RECORDS is a file of dnsmasq options without the leading "--",
#       one per line, '#' comments allowed, e.g.
#           host-record=multi.test,192.0.2.10,2001:db8::10
#           cname=alias.test,multi.test
#           ptr-record=20.2.0.192.in-addr.arpa,named.test
#       Every other name and address gets NXDOMAIN: no query ever leaves
#       the namespace, so the machine's own resolver is never asked.
#       DNS_HOSTS=FILE: the namespace's /etc/hosts (default: localhost on
#       127.0.0.1 and ::1 only). dnsmasq logs every query it answers to
#       $BATS_TEST_TMPDIR/dnsmasq.log (or $DNS_NS_DIR/dnsmasq.log).
#
#   in_ns_with_server 'SERVER COMMAND' CMD [ARG...]
#       The same namespace with your own server (run by bash -c, in the
#       background, killed by PID afterwards) that must answer on
#       127.0.0.1:53; tests/bench/resolve-bulk uses it.
#
#   need_dns_ns
#       Skip the test, with the reason, unless this machine can do the
#       above (root, unshare, ip, dnsmasq).
#
#   DNS_NS_STABLE_ORDER=1 when dnsmasq keeps the order of several records
#   (--no-round-robin, dnsmasq 2.90 and later); otherwise compare sorted.

DNS_BASH=$(realpath "${BASH_SOURCE[0]}")

dns_ns_dir() {
	local d=${DNS_NS_DIR:-${BATS_TEST_TMPDIR:-}}
	[ -n "$d" ] || d=$(mktemp -d)
	echo "$d"
}

# Why this machine cannot run the namespace, or nothing.
dns_ns_missing() {
	local c
	for c in unshare ip dnsmasq; do
		command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin \
			command -v "$c" >/dev/null 2>&1 || {
			echo "$c is not installed"
			return
		}
	done
	unshare -n -m true 2>/dev/null ||
		echo "cannot create network and mount namespaces (unshare -n -m needs root)"
}

need_dns_ns() {
	local why
	why=$(dns_ns_missing)
	[ -z "$why" ] || skip "DNS namespace: $why"
}

if PATH=$PATH:/usr/sbin dnsmasq --help 2>/dev/null | grep -q no-round-robin; then
	DNS_NS_STABLE_ORDER=1
else
	DNS_NS_STABLE_ORDER=0
fi

in_dns_ns() {
	local records=$1
	shift
	[ "$(type -t "$1")" = function ] && export -f "$1"
	unshare -n -m -- bash "$DNS_BASH" __inside "$(dns_ns_dir)" \
		dnsmasq "$(realpath "$records")" "$@"
}

in_ns_with_server() {
	local server=$1
	shift
	[ "$(type -t "$1")" = function ] && export -f "$1"
	unshare -n -m -- bash "$DNS_BASH" __inside "$(dns_ns_dir)" \
		server "$server" "$@"
}

# Inside the namespaces: set up, start the server, run the command, kill
# the server by PID. Arguments: DIR dnsmasq|server RECORDS|COMMAND CMD...
dns_ns_inside() {
	local dir=$1 kind=$2 what=$3 pid status i line
	local -a args
	shift 3
	PATH=$PATH:/usr/sbin:/sbin
	ip link set lo up || return 125
	printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' \
		>"$dir/ns.resolv.conf"
	if [ -n "${DNS_HOSTS:-}" ]; then
		cp "$DNS_HOSTS" "$dir/ns.hosts" || return 125
	else
		printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$dir/ns.hosts"
	fi
	printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' \
		'services: files' 'protocols: files' 'networks: files' \
		>"$dir/ns.nsswitch.conf"
	for i in resolv.conf hosts nsswitch.conf; do
		mount --bind "$dir/ns.$i" "/etc/$i" || return 125
	done
	# A caching daemon outside would answer for the machine's resolver.
	for i in /run/nscd /var/run/nscd /run/systemd/resolve; do
		[ -d "$i" ] && mount -t tmpfs none "$i"
	done

	if [ "$kind" = dnsmasq ]; then
		args=(--keep-in-foreground --conf-file=/dev/null --no-resolv
			--no-hosts --no-poll --listen-address=127.0.0.1
			--bind-interfaces --user=root --group=root --pid-file=
			--local=/#/ --log-queries
			"--log-facility=$dir/dnsmasq.log")
		[ "$DNS_NS_STABLE_ORDER" = 1 ] && args+=(--no-round-robin)
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%%#*}
			line=${line#"${line%%[![:space:]]*}"}
			line=${line%"${line##*[![:space:]]}"}
			[ -n "$line" ] && args+=("--$line")
		done <"$what"
		dnsmasq "${args[@]}" >"$dir/dnsmasq.out" 2>&1 3>&- &
	else
		bash -c "$what" >"$dir/server.out" 2>&1 3>&- &
	fi
	pid=$!
	# Ready once something listens on 127.0.0.1:53 (0100007F:0035).
	for i in $(seq 200); do
		grep -q '^ *[0-9]*: 0100007F:0035 ' /proc/net/udp && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if ! grep -q '^ *[0-9]*: 0100007F:0035 ' /proc/net/udp; then
		echo "dns.bash: the DNS server did not start:" >&2
		cat "$dir/dnsmasq.out" "$dir/server.out" 2>/dev/null >&2
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 125
	fi
	"$@"
	status=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return "$status"
}

if [ "${1:-}" = __inside ] && [ "${BASH_SOURCE[0]}" = "$0" ]; then
	shift
	dns_ns_inside "$@"
	exit
fi
