#!/usr/bin/env bats
# getserv: service names to ports and back, checked against getent and
# Python's socket.getservbyname/getservbyport.
bats_require_minimum_version 1.5.0
load helpers

py() { python3 -c "import socket, sys; $1" "${@:2}"; }

@test "a name prints its port, a port prints its name" {
	run -0 sb getserv http
	[ "$output" = 80 ]
	run -0 sb getserv 22
	[ "$output" = ssh ]
	run -0 sb getserv http 443 domain/udp 53/tcp
	[ "$output" = "$(printf '80\nhttps\n53\ndomain')" ]
}

@test "agrees with Python's getservbyname and getservbyport" {
	for s in http https ssh smtp domain ntp www mail telnet ftp; do
		want=$(py 'print(socket.getservbyname(sys.argv[1]))' "$s")
		run -0 sb getserv "$s"
		[ "$output" = "$want" ]
		for p in tcp udp; do
			want=$(py 'print(socket.getservbyname(*sys.argv[1:]))' "$s" "$p" 2>/dev/null) || want=
			if [ -n "$want" ]; then
				run -0 sb getserv -p "$p" "$s"
				[ "$output" = "$want" ]
			else
				run -1 sb getserv -p "$p" "$s"
			fi
		done
	done
	for n in 7 21 22 25 53 80 123 443 514 8080; do
		want=$(py 'print(socket.getservbyport(int(sys.argv[1])))' "$n")
		run -0 sb getserv "$n"
		[ "$output" = "$want" ]
		want=$(py 'print(socket.getservbyport(int(sys.argv[1]), "udp"))' "$n" 2>/dev/null) || want=
		if [ -n "$want" ]; then
			run -0 sb getserv -p udp "$n"
			[ "$output" = "$want" ]
		else
			run -1 sb getserv -p udp "$n"
		fi
	done
}

@test "-l prints services(5) lines that agree with getent services" {
	local aliases=' www'
	# musl's getservbyname gives no aliases: the name and port alone.
	is_musl && aliases=
	run -0 sb getserv -l http
	[ "$output" = "$(printf 'http\t80/tcp%s' "$aliases")" ]
	for s in http ssh 53/udp domain/tcp smtp 514 syslog/udp; do
		want=$(getent services "$s" | tr -s ' ' ' ')
		is_musl && want=$(cut -d' ' -f1-2 <<<"$want")
		run -0 sb getserv -l "$s"
		[ "$(echo "$output" | tr '\t' ' ')" = "$want" ]
	done
}

@test "an unknown service is a runtime failure; the others still print" {
	run -1 --separate-stderr sb getserv nosuchservice http
	[ "$output" = 80 ]
	[ "$stderr" = "getserv: nosuchservice: unknown service" ]
	run -1 --separate-stderr sb getserv -p udp http
	[ "$stderr" = "getserv: http/udp: unknown service" ]
	[ -z "$output" ]
	run -1 --separate-stderr sb getserv 65000
	[ "$stderr" = "getserv: 65000: unknown service" ]
}

@test "bad input: exit 2, one line, nothing on stdout" {
	for args in 65536 99999999999999999999 '-p bogus http' \
	    'http/bogus' '-p tcp 53/udp' '-q http' '/tcp'; do
		run -2 --separate-stderr sb getserv $args
		assert_usage_error getserv
	done
	run -2 --separate-stderr sb getserv ''
	assert_usage_error getserv
	run -2 --separate-stderr sb getserv 65536
	[ "$stderr" = "getserv: invalid port '65536'" ]
	run -2 --separate-stderr sb getserv http 99999
	[ "$stderr" = "getserv: invalid port '99999'" ]
	[ -z "$output" ]
	run -2 --separate-stderr sb getserv
	assert_usage_error getserv
	run -2 --separate-stderr sb getserv -p
	assert_usage_error getserv
}
