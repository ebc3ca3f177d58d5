#!/usr/bin/env bats
# doc/sockbox.bash: the completion function driven as bash would, with
# COMP_WORDS and COMP_CWORD set, checking COMPREPLY.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	source "$BATS_TEST_DIRNAME/../doc/sockbox.bash"
	# compgen -A hostname reads $HOSTFILE, /etc/hosts when unset.
	printf '192.0.2.7 zzsbhost zzsbalias\n' >"$BATS_TEST_TMPDIR/hosts"
	export HOSTFILE=$BATS_TEST_TMPDIR/hosts
}

# comp WORD...: complete the last WORD of the command line; prints
# COMPREPLY sorted, one a line.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_sockbox
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

@test "after sockbox: the applet names and sockbox's own options" {
	run -0 comp "$SOCKBOX" ''
	[ "$output" = "$( (sb --list; printf '%s\n' --help --install --list \
	    --version) | sort)" ]
	run -0 comp "$SOCKBOX" tcp
	[ "$output" = "$(printf '%s\n' tcpconnect tcpserve)" ]
	run -0 comp "$SOCKBOX" --v
	[ "$output" = --version ]
	run -0 comp "$SOCKBOX" --install -
	[ "$output" = -s ]
}

@test "every applet name is registered, and only those and sockbox" {
	run -0 complete -p
	have=$(echo "$output" | grep -- '-F _sockbox ' | sed 's/.* _sockbox //' |
	    tr ' ' '\n' | sort)
	[ "$have" = "$( (echo sockbox; sb --list) | sort)" ]
}

@test "each applet's options are the ones its usage text lists" {
	for a in $(sb --list); do
		run -0 comp "$SOCKBOX" "$a" -
		[ "$output" = "$(usage_flags "$a" | sort)" ]
		[ "${#lines[@]}" -ge 2 ] || [ "$a" = fqdn ]
	done
	run -0 comp "$SOCKBOX" tcpconnect --w
	[ "$output" = --wait ]
	run -0 comp "$SOCKBOX" tcpserve --rec
	[ "$output" = --recv-only ]
}

@test "through a link named after the applet, the same options" {
	ln -s "$SOCKBOX" "$BATS_TEST_TMPDIR/udpserve"
	run -0 comp "$BATS_TEST_TMPDIR/udpserve" --rep
	[ "$output" = "$(printf '%s\n' --reply-any --reply-rate)" ]
	run -0 comp "$BATS_TEST_TMPDIR/udpserve" -n 3 zzsb
	[ "$output" = "$(printf '%s\n' zzsbalias zzsbhost)" ]
}

@test "HOST operands complete host names, PORT operands service names" {
	for a in tcpconnect tcpserve udpsend udpserve; do
		run -0 comp "$SOCKBOX" "$a" zzsbh
		[ "$output" = zzsbhost ]
		run -0 comp "$SOCKBOX" "$a" zzsbhost htt
		echo "$output" | grep -qx http
		echo "$output" | grep -qx https
		! echo "$output" | grep -qv '^htt'
	done
	run -0 comp "$SOCKBOX" resolve 127.0.0.1 zzsba
	[ "$output" = zzsbalias ]
	run -0 comp "$SOCKBOX" fqdn zzsbh
	[ "$output" = zzsbhost ]
	run -0 comp "$SOCKBOX" getserv http domai
	echo "$output" | grep -qx domain
	! echo "$output" | grep -qv '^domai'

	# An option's operand is skipped when counting: PORT again.
	run -0 comp "$SOCKBOX" tcpconnect -w 5 -v zzsbhost ss
	echo "$output" | grep -qx ssh
	run -0 comp "$SOCKBOX" tcpconnect --wait=5 -vw5 zzsbhost ss
	echo "$output" | grep -qx ssh
	run -0 comp "$SOCKBOX" tcpconnect -s zzsb
	[ "$output" = "$(printf '%s\n' zzsbalias zzsbhost)" ]
	run -0 comp "$SOCKBOX" udpsend -p domai
	echo "$output" | grep -qx domain
}

@test "-u completes user names, and groups after the colon" {
	run -0 comp "$SOCKBOX" tcpserve -u roo
	[ "$output" = root ]
	run -0 comp "$SOCKBOX" udpserve -vu roo
	[ "$output" = root ]
	run -0 comp "$SOCKBOX" tcpserve -u nobody:roo
	[ "$output" = nobody:root ]
}

@test "-f completes file names; other option operands offer nothing" {
	mkdir "$BATS_TEST_TMPDIR/d"
	touch "$BATS_TEST_TMPDIR/d/names.txt" "$BATS_TEST_TMPDIR/d/nx"
	run -0 comp "$SOCKBOX" resolve -f "$BATS_TEST_TMPDIR/d/na"
	[ "$output" = "$BATS_TEST_TMPDIR/d/names.txt" ]
	run -0 comp "$SOCKBOX" resolve -4 -f "$BATS_TEST_TMPDIR/d/"
	[ "${#lines[@]}" -eq 2 ]
	run -0 comp "$SOCKBOX" tcpconnect -w ''
	[ -z "$output" ]
	run -0 comp "$SOCKBOX" tcpserve -a ''
	[ -z "$output" ]
	run -0 comp "$SOCKBOX" getserv -p ''
	[ "$output" = "$(printf '%s\n' tcp udp)" ]
	run -0 comp "$SOCKBOX" tcpconnect -X ''
	[ "$output" = "$(printf '%s\n' 4 5 connect)" ]
}

@test "PROG completes commands, its arguments files; options end at the first operand" {
	run -0 comp "$SOCKBOX" tcpserve 127.0.0.1 0 bas
	echo "$output" | grep -qx bash
	run -0 comp "$SOCKBOX" tcpconnect zzsbhost http
	echo "$output" | grep -qx http
	touch "$BATS_TEST_TMPDIR/prog-arg"
	run -0 comp "$SOCKBOX" tcpserve '' 0 cat "$BATS_TEST_TMPDIR/prog-a"
	[ "$output" = "$BATS_TEST_TMPDIR/prog-arg" ]
	# tcpserve's options are not offered for the program's.
	run -0 comp "$SOCKBOX" tcpserve '' 0 ls -
	! echo "$output" | grep -qx -- --echo
	run -0 comp "$SOCKBOX" tcpconnect -- -
	! echo "$output" | grep -qx -- -z
	# udpsend's MESSAGE is free text.
	run -0 comp "$SOCKBOX" udpsend zzsbhost 53 hel
	[ -z "$output" ]
}

@test "after --systemd[=NAME] or --fd N the first operand is PROG; -1 and -E are offered" {
	for words in '--systemd' '--systemd=web' '--fd 3' '-v --fd 3'; do
		run -0 comp "$SOCKBOX" tcpserve $words bas
		echo "$output" | grep -qx bash
	done
	run -0 comp "$SOCKBOX" udpserve --fd 3 --echo bas
	echo "$output" | grep -qx bash
	run -0 comp "$SOCKBOX" tcpserve -
	echo "$output" | grep -qx -- -E
	echo "$output" | grep -qx -- -1
	echo "$output" | grep -qx -- --ready-fd
}

@test "--sockopt NAME: the option names that fit the applet's sockets" {
	run -0 comp "$SOCKBOX" tcpserve --sockopt r
	[ "$output" = "$(printf '%s\n' rcvbuf= reuseport)" ]
	run -0 comp "$SOCKBOX" tcpconnect --sockopt no
	[ "$output" = nodelay ]
	run -0 comp "$SOCKBOX" tcpconnect --sockopt r
	[ "$output" = rcvbuf= ]
	run -0 comp "$SOCKBOX" udpsend --sockopt ''
	[ "$output" = "$(printf '%s\n' bindtodevice= mark= rcvbuf= sndbuf= tos= \
	    ttl= | sort)" ]
	run -0 comp "$SOCKBOX" udpserve --sockopt r
	[ "$output" = "$(printf '%s\n' rcvbuf= reuseport)" ]
	# After the name, the operands again.
	run -0 comp "$SOCKBOX" udpserve --sockopt reuseport zzsbh
	[ "$output" = zzsbhost ]
}

@test "--mcast-if completes interface names; -M takes the next word" {
	run -0 comp "$SOCKBOX" udpsend --mcast-if l
	[[ "$output" == *lo* ]]
	run -0 comp "$SOCKBOX" udpserve -M 239.1.2.3 zzsb
	[ "$output" = "$(printf '%s\n' zzsbalias zzsbhost)" ]
	run -0 comp "$SOCKBOX" udpserve -M 239.1.2.3 zzsbhost ''
	[[ "$output" == *domain* ]]
}

@test "-U PATH completes file names, and the operand after it is PROG" {
	touch "$BATS_TEST_TMPDIR/app.sock"
	run -0 comp "$SOCKBOX" tcpserve -U "$BATS_TEST_TMPDIR/app."
	[ "$output" = "$BATS_TEST_TMPDIR/app.sock" ]
	run -0 comp "$SOCKBOX" tcpserve -v -U "$BATS_TEST_TMPDIR/app.sock" ech
	[[ "$output" == *echo* ]]
	run -0 comp "$SOCKBOX" udpsend -U "$BATS_TEST_TMPDIR/app.sock" ''
	[ -z "$output" ]
	run -0 comp "$SOCKBOX" tcpserve -m ''
	[ -z "$output" ]
}
