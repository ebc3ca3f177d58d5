#!/usr/bin/env bats
# fqdn: Python's socket.getfqdn(), compared with Python itself on the same
# names, through /etc/hosts outside and a DNS namespace (dns.bash) inside.
bats_require_minimum_version 1.5.0
load helpers
load dns

setup() {
	HOST=$(hostname)
	cat >"$BATS_TEST_TMPDIR/records" <<-EOF
	host-record=$HOST.example.test,$HOST,192.0.2.50
	host-record=multi.test,192.0.2.10,2001:db8::10
	cname=alias.test,multi.test
	ptr-record=20.2.0.192.in-addr.arpa,short
	ptr-record=21.2.0.192.in-addr.arpa,named.test
	address=/plain/192.0.2.21
	EOF
	cat >"$BATS_TEST_TMPDIR/hosts" <<-'EOF'
	127.0.0.1	localhost
	::1	localhost ip6-localhost
	127.0.1.2	nodots first.dotted second.dotted
	127.0.1.3	lonely
	EOF
	export DNS_HOSTS=$BATS_TEST_TMPDIR/hosts
}

# agree NAME: fqdn prints what socket.getfqdn(NAME) returns.
agree() {
	local want got
	want=$(python3 -c 'import socket, sys; print(socket.getfqdn(sys.argv[1]))' "$1")
	# musl's reverse lookups have no aliases: getfqdn ends at the name.
	if [ "$SOCKBOX_LIBC" = musl ]; then
		want=$(python3 -c 'import socket, sys
n = sys.argv[1].strip()
if n in ("", "0.0.0.0", "::"):
    n = socket.gethostname()
try:
    h = socket.gethostbyaddr(n)[0]
except OSError:
    h = n
print(h)' "$1")
	fi
	got=$("$SOCKBOX" fqdn "$1")
	[ "$want" = "$got" ] && return 0
	printf 'fqdn %q\n want: %s\n  got: %s\n' "$1" "$want" "$got" >&2
	return 1
}

# Every name /etc/hosts alone can answer for, forward and reverse.
in_files() {
	local a
	a=$(getent -s files ahostsv4 "$1" 2>/dev/null | awk 'NR == 1 { print $1 }')
	[ -n "$a" ] && getent -s files hosts "$a" >/dev/null 2>&1
}

@test "this host and localhost agree with Python, through /etc/hosts" {
	local n
	in_files localhost || skip "localhost is not in /etc/hosts"
	agree localhost
	agree 127.0.0.1
	agree ' localhost '
	if in_files "$HOST"; then
		agree ''
		agree "$HOST"
		agree 0.0.0.0
		agree '::'
		run -0 sb fqdn
		[ "$output" = "$(python3 -c 'import socket; print(socket.getfqdn())')" ]
	fi
}

agree_in_ns() {
	local n nodots=first.dotted plain=named.test
	# musl: no aliases, so not the alias with a dot; and "plain" is not
	# found, as dnsmasq says NXDOMAIN to its AAAA query (glibc keeps the
	# A answer), so Python (glibc's) cannot be asked for it.
	if [ "$SOCKBOX_LIBC" = musl ]; then
		nodots=nodots plain=plain
	fi
	for n in '' "$HOST" 0.0.0.0 :: localhost 127.0.0.1 ::1 nodots \
	    first.dotted 127.0.1.2 lonely multi.test alias.test 2001:db8::10 \
	    192.0.2.20 192.0.2.21 x.invalid 192.0.2.1 "  $HOST	" \
	    '[::1]' nosuch; do
		agree "$n" || return 1
	done
	[ "$plain" = plain ] || agree plain || return 1
	# Python took the right branches: these are the expected answers.
	[ "$("$SOCKBOX" fqdn)" = "$HOST.example.test" ] &&
	[ "$("$SOCKBOX" fqdn nodots)" = "$nodots" ] &&
	[ "$("$SOCKBOX" fqdn lonely)" = lonely ] &&
	[ "$("$SOCKBOX" fqdn 192.0.2.20)" = short ] &&
	[ "$("$SOCKBOX" fqdn plain)" = "$plain" ] &&
	[ "$("$SOCKBOX" fqdn x.invalid)" = x.invalid ] &&
	[ "$("$SOCKBOX" fqdn ' x.invalid ')" = x.invalid ]
}

@test "agrees with Python's getfqdn through a real DNS server" {
	need_dns_ns
	export -f agree
	export HOST
	run in_dns_ns "$BATS_TEST_TMPDIR/records" agree_in_ns
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "query\[A\] $HOST from 127.0.0.1" "$BATS_TEST_TMPDIR/dnsmasq.log"
}

@test "-s: exit 1 unless the name has a dot" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -0 in_dns_ns "$rec" sb fqdn -s
	[ "$output" = "$HOST.example.test" ]
	if is_musl; then
		# musl's reverse lookups have no aliases (first.dotted).
		run -1 --separate-stderr in_dns_ns "$rec" sb fqdn -s nodots
		[ "$stderr" = "fqdn: nodots: not a fully qualified name" ]
	else
		run -0 in_dns_ns "$rec" sb fqdn -s nodots
		[ "$output" = first.dotted ]
	fi
	run -1 --separate-stderr in_dns_ns "$rec" sb fqdn -s lonely
	[ -z "$output" ]
	[ "$stderr" = "fqdn: lonely: not a fully qualified name" ]
	run -1 --separate-stderr in_dns_ns "$rec" sb fqdn -s nosuch
	[ "$stderr" = "fqdn: nosuch: not a fully qualified name" ]
	# A failed lookup keeps the name; it may have a dot already.
	run -0 in_dns_ns "$rec" sb fqdn -s x.invalid
	[ "$output" = x.invalid ]
}

@test "bad input: exit 2, one line, nothing on stdout" {
	local args
	for args in '-x' 'a b' '-s a b' '--bogus'; do
		run -2 --separate-stderr sb fqdn $args
		assert_usage_error fqdn
	done
	run -2 --separate-stderr sb fqdn localhost extra
	[ "$stderr" = "fqdn: extra operand 'extra'" ]
	run -0 sb fqdn -h
	[[ "${lines[0]}" == "usage: fqdn "* ]]
}
