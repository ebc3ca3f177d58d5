#!/usr/bin/env bats
# The multi-call dispatcher: names, links, --list/--help/--version/--install.
bats_require_minimum_version 1.5.0
load helpers

@test "--list prints every applet in the table, one per line" {
	run -0 sb --list
	want=$(grep -o '^APPLET.[a-z0-9_]*' "$BATS_TEST_DIRNAME/../applets/applets.h" | cut -c8-)
	[ "$output" = "$want" ]
	[ "${#lines[@]}" -ge 1 ]
}

@test "--help lists each applet with a description; no arguments is a usage error" {
	run -0 --separate-stderr sb --help
	[[ "$output" == usage:* ]]
	for a in $(sb --list); do
		echo "$output" | grep -Eq "^  $a +[a-z]"
	done
	run -2 --separate-stderr sb
	[ -z "$output" ]
	[[ "$stderr" == usage:* ]]
}

@test "--version prints the version and the C library the binary was built with" {
	run -0 --separate-stderr sb --version
	[ -z "$stderr" ]
	[[ "$output" =~ ^sockbox\ [0-9]+\.[0-9]+\.[0-9]+\ \((glibc|musl)\)$ ]]
	# Told apart from the binary itself: anything linked with glibc,
	# static or not, carries GLIBC_ symbol versions or tunables; musl none.
	if grep -qa GLIBC_ "$SOCKBOX"; then want=glibc; else want=musl; fi
	[ "${BASH_REMATCH[1]}" = "$want" ]
	[ "$output" = "sockbox $(sed -n 's/^#define SOCKBOX_VERSION "\(.*\)"$/\1/p' \
	    "$BATS_TEST_DIRNAME/../lib/sockbox.h") ($want)" ]
}

@test "an unknown applet exits 127 with one line" {
	run -127 --separate-stderr sb frobnicate
	[ "$stderr" = "sockbox: unknown applet 'frobnicate'" ]
	[ -z "$output" ]
	ln -s "$SOCKBOX" "$BATS_TEST_TMPDIR/frobnicate"
	run -127 --separate-stderr "$BATS_TEST_TMPDIR/frobnicate"
	[ "$stderr" = "sockbox: unknown applet 'frobnicate'" ]
}

@test "an unknown sockbox option is a usage error" {
	run -2 --separate-stderr sb --frob
	assert_usage_error sockbox
}

@test "a link named after an applet runs the same code as 'sockbox APPLET'" {
	ln -s "$SOCKBOX" "$BATS_TEST_TMPDIR/getserv"
	run -0 "$BATS_TEST_TMPDIR/getserv" http
	[ "$output" = 80 ]
	run -0 sb getserv http
	[ "$output" = 80 ]
	# Diagnostics carry the applet's name either way.
	run -2 --separate-stderr "$BATS_TEST_TMPDIR/getserv" -x
	[ "$stderr" = "getserv: unknown option '-x'" ]
	run -2 --separate-stderr sb getserv -x
	[ "$stderr" = "getserv: unknown option '-x'" ]
}

@test "every applet prints its usage for -h and --help, exit 0" {
	for a in $(sb --list); do
		run -0 --separate-stderr sb "$a" --help
		[[ "$output" == "usage: $a "* ]]
		[ -z "$stderr" ]
		run -0 sb "$a" -h
		[[ "$output" == "usage: $a "* ]]
	done
}

@test "every applet rejects an unknown option with exit 2" {
	for a in $(sb --list); do
		run -2 --separate-stderr sb "$a" --no-such-option
		assert_usage_error "$a"
	done
}

@test "--install makes hard links, or symbolic links with -s" {
	d=$BATS_TEST_TMPDIR/hard
	mkdir "$d"
	run -0 sb --install "$d"
	for a in $(sb --list); do
		[ -f "$d/$a" ] && [ ! -L "$d/$a" ]
		[ "$d/$a" -ef "$SOCKBOX" ]
	done
	run -0 "$d/getserv" 80
	[ "$output" = http ]
	d=$BATS_TEST_TMPDIR/sym
	mkdir "$d"
	run -0 sb --install -s "$d"
	for a in $(sb --list); do
		[ -L "$d/$a" ] && [ "$d/$a" -ef "$SOCKBOX" ]
	done
	# Links that already lead to sockbox are replaced without complaint.
	run -0 sb --install -s "$d"
	run -0 sb --install "$d"
	[ ! -L "$d/getserv" ] && [ "$d/getserv" -ef "$SOCKBOX" ]
}

@test "--install never clobbers a foreign file and reports each failure" {
	d=$BATS_TEST_TMPDIR/bin
	mkdir "$d"
	echo precious >"$d/getserv"
	run -1 --separate-stderr sb --install -s "$d"
	[ "$stderr" = "sockbox: $d/getserv: File exists" ]
	[ "$(cat "$d/getserv")" = precious ]
	# The other links were still made.
	for a in $(sb --list); do
		[ "$a" = getserv ] || [ "$d/$a" -ef "$SOCKBOX" ]
	done
	run -2 --separate-stderr sb --install
	assert_usage_error sockbox
	run -1 --separate-stderr sb --install "$BATS_TEST_TMPDIR/missing"
	[ -z "$output" ]
}

@test "a missing option argument is a usage error, also at the end of argv" {
	run -2 --separate-stderr sb getserv -p
	[ "$stderr" = "getserv: missing argument for option '-p'" ]
	[ -z "$output" ]
	run -2 --separate-stderr sb getserv -lp
	[ "$stderr" = "getserv: missing argument for option '-p'" ]
}

@test "options stop at the first operand" {
	run -1 --separate-stderr sb getserv http -l
	[ "$output" = 80 ]
	[ "$stderr" = "getserv: -l: unknown service" ]
}

@test "make install puts the binary, manual pages and completion, a link per applet, under DESTDIR; uninstall removes them" {
	d=$BATS_TEST_TMPDIR/root
	top=$BATS_TEST_DIRNAME/..
	run -0 make -s -C "$top" install DESTDIR="$d" PREFIX=/usr
	[ -x "$d/usr/bin/sockbox" ]
	for a in $(sb --list); do
		[ -L "$d/usr/bin/$a" ] && [ "$(readlink "$d/usr/bin/$a")" = sockbox ]
	done
	run -0 "$d/usr/bin/getserv" 443
	[ "$output" = https ]
	for a in sockbox $(sb --list); do
		cmp "$top/doc/$a.1" "$d/usr/share/man/man1/$a.1"
	done
	[ "$(ls "$d/usr/share/man/man1" | wc -l)" -eq $(($(sb --list | wc -l) + 1)) ]
	c=$d/usr/share/bash-completion/completions
	cmp "$top/doc/sockbox.bash" "$c/sockbox"
	for a in $(sb --list); do
		[ -L "$c/$a" ] && [ "$(readlink "$c/$a")" = sockbox ]
	done
	run -0 make -s -C "$top" uninstall DESTDIR="$d" PREFIX=/usr
	[ -z "$(ls -A "$d/usr/bin")" ]
	[ -z "$(ls -A "$d/usr/share/man/man1")" ]
	[ -z "$(ls -A "$c")" ]
}

@test "make install honours MANDIR" {
	d=$BATS_TEST_TMPDIR/root
	top=$BATS_TEST_DIRNAME/..
	run -0 make -s -C "$top" install DESTDIR="$d" PREFIX=/opt/sb MANDIR=/usr/man
	[ -f "$d/usr/man/man1/tcpconnect.1" ] && [ ! -e "$d/opt/sb/share/man" ]
	run -0 make -s -C "$top" uninstall DESTDIR="$d" PREFIX=/opt/sb MANDIR=/usr/man
	[ -z "$(ls -A "$d/usr/man/man1")" ]
}

@test "every PORT operand: abc, -1, 65536, 80x and empty are invalid ports, exit 2" {
	for a in tcpconnect tcpserve udpsend udpserve; do
		for p in abc -1 65536 80x ''; do
			run -2 --separate-stderr sb "$a" 127.0.0.1 "$p"
			assert_usage_error "$a"
			[ "$stderr" = "$a: invalid port '$p'" ]
		done
	done
}

@test "every duration option rejects what is not seconds, exit 2" {
	for args in 'tcpconnect -w' 'tcpconnect -i' 'tcpserve -i' \
	    'udpsend -r -w' 'udpserve -w'; do
		for d in abc -1 1.2.3 '' 1e3 0x10; do
			run -2 --separate-stderr sb $args "$d" 127.0.0.1 1
			assert_usage_error "${args%% *}"
			[ "$stderr" = "${args%% *}: invalid duration '$d'" ]
		done
	done
}
