#!/usr/bin/env bats
# resolve: forward and reverse host lookups, checked against Python's
# socket module and getent on the same inputs. Names that are not in
# /etc/hosts are only ever looked up inside a DNS namespace (dns.bash).
bats_require_minimum_version 1.5.0
load helpers
load dns

setup() {
	cat >"$BATS_TEST_TMPDIR/records" <<-'EOF'
	# several A and AAAA records for one name, and a CNAME to it
	host-record=multi.test,192.0.2.10,2001:db8::10
	host-record=multi.test,192.0.2.11,2001:db8::11
	cname=alias.test,multi.test
	host-record=four.test,192.0.2.4
	host-record=six.test,2001:db8::6
	ptr-record=20.2.0.192.in-addr.arpa,named.test
	EOF
	cat >"$BATS_TEST_TMPDIR/hosts" <<-'EOF'
	127.0.0.1	localhost
	::1	localhost ip6-localhost
	192.0.2.77	we"ird\name al"ias
	EOF
	export DNS_HOSTS=$BATS_TEST_TMPDIR/hosts
	ORACLE=$BATS_TEST_TMPDIR/oracle.py
	# What resolve should print, by Python's socket module.
	cat >"$ORACLE" <<-'EOF'
	import json, os, socket, sys
	mode, name = sys.argv[1], sys.argv[2]
	# musl answers a name from /etc/hosts with itself as the canonical
	# name and no aliases, and an address with the line's first name only.
	musl = os.environ.get("SOCKBOX_LIBC") == "musl"
	def in_hosts():
	    with open("/etc/hosts") as f:
	        return any(name in l.split("#")[0].split() for l in f)
	def ex(name):
	    h, al, ips = socket.gethostbyname_ex(name)
	    return (name, [], ips) if musl and in_hosts() else (h, al, ips)
	fam = {"4": socket.AF_INET, "6": socket.AF_INET6}.get(mode[-1], 0)
	def addrs():
	    seen = []
	    for ai in socket.getaddrinfo(name, None, fam):
	        if ai[4][0] not in seen:
	            seen.append(ai[4][0])
	    return seen
	try:
	    if mode in ("plain", "plain4", "plain6"):
	        print("\n".join(addrs()))
	    elif mode == "first4":
	        print(socket.gethostbyname(name))
	    elif mode == "ex4":
	        h, al, ips = ex(name)
	        # glibc lists 127.0.0.1 again for a "::1 name" hosts line;
	        # resolve prints each address once.
	        for ip in dict.fromkeys(ips):
	            print(ip + "\t" + " ".join([h] + al))
	    elif mode == "json4":
	        h, al, ips = ex(name)
	        print(json.dumps({"query": name, "canonical": h, "aliases": al,
	                          "addresses": addrs()}, ensure_ascii=False,
	                         separators=(",", ":")))
	    elif mode == "addr":
	        print(socket.gethostbyaddr(name)[0])
	    elif mode == "addrl":
	        h, al, ips = socket.gethostbyaddr(name)
	        print(ips[0] + "\t" + " ".join([h] + ([] if musl else al)))
	except OSError:
	    sys.exit(1)
	EOF
}

# agree MODE NAME: resolve and the oracle print the same, or both fail.
agree() {
	local mode=$1 name=$2 want got flags
	case $mode in
	plain) flags=() ;;
	plain4) flags=(-4) ;;
	plain6) flags=(-6) ;;
	first4) flags=(-4 -1) ;;
	ex4) flags=(-4 -l) ;;
	json4) flags=(-4 -j) ;;
	addr) flags=() ;;
	addrl) flags=(-l) ;;
	esac
	want=$(python3 "$ORACLE" "$mode" "$name") || want=FAILED
	got=$("$SOCKBOX" resolve "${flags[@]}" "$name" 2>/dev/null) || got=FAILED
	if [ "$DNS_NS_STABLE_ORDER" != 1 ] && [ "$mode" != json4 ]; then
		want=$(sort <<<"$want")
		got=$(sort <<<"$got")
	fi
	[ "$want" = "$got" ] && return 0
	printf 'resolve %s %s\n want: %s\n  got: %s\n' "${flags[*]}" "$name" \
		"$want" "$got" >&2
	return 1
}

# agree_ahosts NAME: plain output is getent ahosts' addresses.
agree_ahosts() {
	local name=$1 want got
	want=$(getent ahosts "$name" | awk '!seen[$1]++ { print $1 }')
	got=$("$SOCKBOX" resolve "$name")
	[ "$want" = "$got" ] || { echo "ahosts $name: $want / $got" >&2; return 1; }
}

# agree_hosts NAME: -l prints getent hosts' lines (IPv6 if the name has
# any, as getent asks for IPv6 first; so never outside a namespace).
agree_hosts() {
	local name=$1 want got
	want=$(getent hosts "$name" | tr -s ' \t' ' ')
	# musl: the query (or the first name) alone, for /etc/hosts (ORACLE).
	if [ "$SOCKBOX_LIBC" = musl ] && getent -s files hosts "$name" >/dev/null; then
		want=$(cut -d' ' -f1-2 <<<"$want")
	fi
	got=$("$SOCKBOX" resolve -6 -l "$name" 2>/dev/null) ||
		got=$("$SOCKBOX" resolve -4 -l "$name")
	got=$(tr -s ' \t' ' ' <<<"$got")
	[ "$want" = "$got" ] || { echo "hosts $name: $want / $got" >&2; return 1; }
}

# in_files NAME: whether /etc/hosts alone answers for NAME.
in_files() {
	getent -s files hosts "$1" >/dev/null 2>&1
}

@test "localhost from /etc/hosts, one or several operands" {
	in_files localhost || skip "localhost is not in /etc/hosts"
	run -0 sb resolve -4 localhost
	[ "$output" = 127.0.0.1 ]
	run -0 sb resolve -4 localhost localhost
	[ "$output" = "$(printf 'localhost\t127.0.0.1\nlocalhost\t127.0.0.1')" ]
	run -0 sb resolve -4 -j localhost
	[ "$output" = '{"query":"localhost","canonical":"localhost","aliases":[],"addresses":["127.0.0.1"]}' ]
}

@test "agrees with Python and getent on localhost and this host's name" {
	local n mode
	# Only lookups /etc/hosts answers: IPv4 or any family, never IPv6
	# alone, which would go on to the machine's DNS.
	for n in localhost "$(hostname)"; do
		in_files "$n" || continue
		for mode in plain plain4 first4 ex4 json4; do
			agree "$mode" "$n"
		done
		agree_ahosts "$n"
	done
	# Reverse, only for an address /etc/hosts names.
	if in_files 127.0.0.1; then
		agree addr 127.0.0.1
		agree addrl 127.0.0.1
	fi
}

# Run inside the namespace: every mode against the oracle, every name.
oracle_in_ns() {
	local n m
	for n in multi.test alias.test four.test six.test localhost \
	    'we"ird\name' 'al"ias' x.invalid; do
		for m in plain plain4 plain6 first4 ex4 json4; do
			agree "$m" "$n" || return 1
		done
	done
	for n in 192.0.2.20 192.0.2.77 127.0.0.1 ::1 192.0.2.1 2001:db8::10; do
		agree addr "$n" || return 1
		agree addrl "$n" || return 1
	done
	for n in multi.test alias.test four.test six.test localhost; do
		agree_ahosts "$n" || return 1
	done
	for n in multi.test alias.test four.test six.test localhost \
	    192.0.2.20 127.0.0.1 ::1; do
		agree_hosts "$n" || return 1
	done
}

@test "agrees with Python and getent through a real DNS server" {
	need_dns_ns
	export -f agree agree_ahosts agree_hosts
	export ORACLE
	run in_dns_ns "$BATS_TEST_TMPDIR/records" oracle_in_ns
	echo "$output"
	[ "$status" -eq 0 ]
	# The names really went to our dnsmasq, and nowhere else.
	grep -q 'query\[A\] alias.test from 127.0.0.1' \
		"$BATS_TEST_TMPDIR/dnsmasq.log"
	grep -q 'query\[PTR\] 20.2.0.192.in-addr.arpa' \
		"$BATS_TEST_TMPDIR/dnsmasq.log"
}

@test "several A and AAAA records, each address once; -4, -6, -1" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -0 in_dns_ns "$rec" sb resolve multi.test
	[ "${#lines[@]}" -eq 4 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '192.0.2.10\n192.0.2.11\n2001:db8::10\n2001:db8::11')" ]
	run -0 in_dns_ns "$rec" sb resolve -4 multi.test
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '192.0.2.10\n192.0.2.11')" ]
	# No AI_ADDRCONFIG: a namespace with only loopback still gets AAAA.
	run -0 in_dns_ns "$rec" sb resolve -6 multi.test
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '2001:db8::10\n2001:db8::11')" ]
	run -0 in_dns_ns "$rec" sb resolve -6 -1 six.test
	[ "$output" = 2001:db8::6 ]
	run -0 in_dns_ns "$rec" sb resolve -1 four.test
	[ "$output" = 192.0.2.4 ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -6 four.test
	[ -z "$output" ]
	[[ "$stderr" == "resolve: four.test: "* ]]
}

@test "a CNAME: canonical name and alias in -l and -j" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -0 in_dns_ns "$rec" sb resolve -4 -l alias.test
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '192.0.2.10\tmulti.test alias.test\n192.0.2.11\tmulti.test alias.test')" ]
	run -0 in_dns_ns "$rec" sb resolve -6 -j -1 alias.test
	[[ "$output" == '{"query":"alias.test","canonical":"multi.test","aliases":["alias.test"],"addresses":["2001:db8::1'?'"]}' ]]
}

@test "NXDOMAIN: the resolver's message, exit 1, the others still print" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve x.invalid
	[ -z "$output" ]
	[ "$stderr" = "resolve: x.invalid: $(libc_msg noname)" ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve x.invalid four.test
	[ "$output" = "$(printf 'four.test\t192.0.2.4')" ]
	[ "$stderr" = "resolve: x.invalid: $(libc_msg noname)" ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -j x.invalid
	[ "$output" = "{\"query\":\"x.invalid\",\"error\":\"$(libc_msg noname)\"}" ]
	[ "$stderr" = "resolve: x.invalid: $(libc_msg noname)" ]
	grep -q 'x.invalid is NXDOMAIN' "$BATS_TEST_TMPDIR/dnsmasq.log"
}

@test "reverse lookups: PTR, /etc/hosts, no name, brackets" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -0 in_dns_ns "$rec" sb resolve 192.0.2.20
	[ "$output" = named.test ]
	run -0 in_dns_ns "$rec" sb resolve -l 192.0.2.20 '[::1]'
	# musl's reverse lookups in /etc/hosts give the first name only.
	if is_musl; then
		[ "$output" = "$(printf '192.0.2.20\tnamed.test\n::1\tlocalhost')" ]
	else
		[ "$output" = "$(printf '192.0.2.20\tnamed.test\n::1\tlocalhost ip6-localhost')" ]
	fi
	run -0 in_dns_ns "$rec" sb resolve 192.0.2.20 ::1
	[ "$output" = "$(printf '192.0.2.20\tnamed.test\n::1\tlocalhost')" ]
	run -0 in_dns_ns "$rec" sb resolve -j 2001:db8::10
	[ "$output" = '{"query":"2001:db8::10","canonical":"multi.test","aliases":[],"addresses":["2001:db8::10"]}' ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve 192.0.2.1
	[ -z "$output" ]
	[ "$stderr" = "resolve: 192.0.2.1: no name for this address" ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -j 192.0.2.1
	[ "$output" = '{"query":"192.0.2.1","error":"no name for this address"}' ]
	# An address of the other family is a name getaddrinfo refuses.
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -6 192.0.2.20
	[ -z "$output" ]
	[[ "$stderr" == "resolve: 192.0.2.20: "* ]]
}

@test "-j escapes quotes, backslashes, control bytes and bad UTF-8" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records
	run -0 in_dns_ns "$rec" sb resolve -j 'al"ias'
	# musl: the query is the canonical name, there are no aliases.
	if is_musl; then
		[ "$output" = '{"query":"al\"ias","canonical":"al\"ias","aliases":[],"addresses":["192.0.2.77"]}' ]
	else
		[ "$output" = '{"query":"al\"ias","canonical":"we\"ird\\name","aliases":["al\"ias"],"addresses":["192.0.2.77"]}' ]
	fi
	# A reverse lookup names the line's first name with either libc.
	run -0 in_dns_ns "$rec" sb resolve -j 192.0.2.77
	[[ "$output" == '{"query":"192.0.2.77","canonical":"we\"ird\\name","aliases":['* ]]
	printf 'x"y\\z\t\001\303\251\377.invalid\n' >"$BATS_TEST_TMPDIR/names"
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -j -f "$BATS_TEST_TMPDIR/names"
	[ "$output" = '{"query":"x\"y\\z\t\u0001é\ufffd.invalid","error":"'"$(libc_msg noname)"'"}' ]
	# Every line is JSON Python can read.
	python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' <<<"$output"
}

@test "-f: comments and blanks skipped, input order kept, failures go on" {
	need_dns_ns
	local rec=$BATS_TEST_TMPDIR/records f=$BATS_TEST_TMPDIR/names i want
	{
		echo '# a comment'
		echo
		echo '  four.test  '
		echo 'x.invalid'
		printf '\t\n'
		echo 'six.test'
		echo '192.0.2.20'
	} >"$f"
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -f "$f"
	[ "$output" = "$(printf 'four.test\t192.0.2.4\nsix.test\t2001:db8::6\n192.0.2.20\tnamed.test')" ]
	[ "$stderr" = "resolve: x.invalid: $(libc_msg noname)" ]
	# Operands come first, then the file; - is stdin.
	run -0 in_dns_ns "$rec" bash -c 'printf "six.test\n" | "$SOCKBOX" resolve -f - four.test'
	[ "$output" = "$(printf 'four.test\t192.0.2.4\nsix.test\t2001:db8::6')" ]
	# Many names through few workers: answers stay in input order.
	: >"$f"
	want=
	for i in $(seq 1 60); do
		case $((i % 3)) in
		0) echo "n$i.invalid" >>"$f" ;;
		1) echo four.test >>"$f"; want+=$'four.test\t192.0.2.4\n' ;;
		2) echo 192.0.2.20 >>"$f"; want+=$'192.0.2.20\tnamed.test\n' ;;
		esac
	done
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -P 4 -f "$f"
	[ "$output" = "${want%$'\n'}" ]
	[ "${#stderr_lines[@]}" -eq 20 ]
	[ "${stderr_lines[0]}" = "resolve: n3.invalid: $(libc_msg noname)" ]
	[ "${stderr_lines[19]}" = "resolve: n60.invalid: $(libc_msg noname)" ]
	run -1 --separate-stderr in_dns_ns "$rec" sb resolve -P 1 -f "$f"
	[ "$output" = "${want%$'\n'}" ]
	[ "${#stderr_lines[@]}" -eq 20 ]
}

@test "-f with a file that cannot be read is a runtime failure" {
	run -1 --separate-stderr sb resolve -f "$BATS_TEST_TMPDIR/nonexistent"
	[ -z "$output" ]
	[[ "$stderr" == "resolve: $BATS_TEST_TMPDIR/nonexistent: No such file or directory" ]]
	: >"$BATS_TEST_TMPDIR/empty"
	run -0 sb resolve -f "$BATS_TEST_TMPDIR/empty"
	[ -z "$output" ]
}

@test "-f: a name with a NUL byte is reported in its turn, not cut short" {
	in_files localhost || skip "localhost is not in /etc/hosts"
	printf 'localhost\nlocal\0host\nlocalhost\n' >"$BATS_TEST_TMPDIR/names"
	run -1 --separate-stderr sb resolve -4 -f "$BATS_TEST_TMPDIR/names"
	[ "$output" = "$(printf 'localhost\t127.0.0.1\nlocalhost\t127.0.0.1')" ]
	[ "$stderr" = "resolve: local: name contains a NUL byte" ]
}

@test "bad input: exit 2, one line, nothing on stdout" {
	local args
	for args in '' '-x localhost' '-P 0 localhost' '-P 1025 localhost' \
	    '-P x localhost' '-P -1 localhost' '-P 99999999999999999999 a' \
	    '-4 -6 localhost' '-j -l localhost' '-P' '-f' '-1'; do
		run -2 --separate-stderr sb resolve $args
		assert_usage_error resolve
	done
	run -2 --separate-stderr sb resolve localhost ''
	assert_usage_error resolve
	[ "$stderr" = "resolve: invalid host name ''" ]
	run -2 --separate-stderr sb resolve -P 0 localhost
	[ "$stderr" = "resolve: invalid number of parallel lookups '0'" ]
	run -2 --separate-stderr sb resolve -4 -6 localhost
	[ "$stderr" = "resolve: -4 and -6 exclude each other" ]
}

@test "-h prints the usage" {
	run -0 sb resolve -h
	[[ "${lines[0]}" == "usage: resolve "* ]]
	run -0 sb resolve --help
	[[ "$output" == *"-P NUM"* ]]
}

@test "-f and -P: lookups really run at once, at most -P of them" {
	need_dns_ns
	need python3
	local f=$BATS_TEST_TMPDIR/names i
	for i in 1 2 3 4 5 6 7 8; do echo "c$i.test"; done >"$f"
	# This server answers nothing until it has been asked 8 names: one
	# lookup at a time would time out on the first.
	run -0 --separate-stderr in_ns_with_server \
		"exec python3 '$BATS_TEST_DIRNAME/bench/slowdns.py' --delay 0 --barrier 8" \
		sb resolve -4 -P 8 -f "$f"
	[ "${#lines[@]}" -eq 8 ]
	[ "${lines[0]}" = "$(printf 'c1.test\t192.0.2.1')" ]
	[ "${lines[7]}" = "$(printf 'c8.test\t192.0.2.1')" ]
	[ -z "$stderr" ]
}
