#!/usr/bin/env bats
# The manual pages against the usage texts, so the two never drift apart;
# mandoc's lint and rendering of every page.
bats_require_minimum_version 1.5.0
load helpers

DOC=$BATS_TEST_DIRNAME/../doc

# The pages: sockbox.1 and one per applet.
pages() {
	echo sockbox
	sb --list
}

# page_flags FILE: every option a Fl macro names, sorted. Fl takes the
# words after it up to the next macro or delimiter; "-crlf" is --crlf.
page_flags() {
	awk '/^\./ {
		for (i = 1; i <= NF; i++) {
			if ($i != "Fl" && $i != ".Fl")
				continue
			for (j = i + 1; j <= NF; j++) {
				if ($j ~ /^[A-Z][a-z%][a-z]?$/ || $j ~ /^[][|,.:;()]$/)
					break
				print "-" $j
			}
		}
	}' "$1" | split_flags | sort -u
}

# described_flags FILE: the options an .It line of the page describes.
described_flags() {
	grep '^\.It ' "$1" >"$BATS_TEST_TMPDIR/items"
	page_flags "$BATS_TEST_TMPDIR/items"
}

@test "there is a page for sockbox and for every applet, and no other" {
	want=$(pages | sed 's/$/.1/' | sort)
	have=$(cd "$DOC" && ls -- *.1 | sort)
	[ "$have" = "$want" ]
}

@test "every option of a usage text is on its page, and every option on a page is in its usage text" {
	for p in $(pages); do
		u=$(usage_flags "$p")
		f=$(page_flags "$DOC/$p.1")
		[ -n "$u" ] && [ -n "$f" ]
		if [ "$u" != "$f" ]; then
			echo "$p: usage text vs page:" >&2
			diff <(echo "$u") <(echo "$f") >&2
			return 1
		fi
	done
}

@test "every option of a usage text has an item of its own in the page's option list" {
	for p in $(pages); do
		u=$(usage_flags "$p")
		d=$(described_flags "$DOC/$p.1")
		missing=$(comm -23 <(echo "$u") <(echo "$d"))
		[ -z "$missing" ] || { echo "$p: not described: $missing" >&2; return 1; }
	done
}

@test "the extraction sees short clusters, long options and options in prose" {
	printf '%s\n' '.Op Fl 4xZ' '.It Fl C , Fl -crlf' 'text Fl q' \
	    '.Op Fl -echo Op Fl -max-pending Ar bytes' '.Fl q Cm 0' \
	    >"$BATS_TEST_TMPDIR/t.1"
	run -0 page_flags "$BATS_TEST_TMPDIR/t.1"
	[ "$output" = "$(printf '%s\n' -4 -C -Z -q -x --crlf --echo \
	    --max-pending | sort)" ]
	run -0 usage_flags tcpconnect
	[[ "$output" == *$'\n-z\n'* ]] && [[ "$output" == *$'\n--wait'* ]]
	# Prose such as "(1-1024, default 64)" or "LO-HI" names no option.
	run -0 usage_flags resolve
	[ "$output" = "$(printf '%s\n' -1 -4 -6 -P -f -j -l | sort)" ]
}

@test "each applet page's SYNOPSIS renders as its usage line" {
	need mandoc
	for p in $(sb --list); do
		syn=$(mandoc -Tascii -O width=300 "$DOC/$p.1" | sed 's/.\x08//g' |
		    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d')
		# The usage lines: the first and those indented under it.
		use=$(sb "$p" --help | awk 'NR > 1 && !/^ / { exit } { print }')
		# Case, spacing and the "usage:" prefix apart, the same words.
		a=$(echo "$syn" | tr -d ' \n' | tr 'A-Z' 'a-z')
		b=$(echo "$use" | sed 's/^usage: //' | tr -d ' \n' | tr 'A-Z' 'a-z')
		[ "$a" = "$b" ] || { printf '%s:\n%s\n%s\n' "$p" "$a" "$b" >&2; return 1; }
	done
}

@test "mandoc -Tlint -W warning finds nothing on any page" {
	need mandoc
	for p in $(pages); do
		run -0 mandoc -Tlint -W warning "$DOC/$p.1"
		[ -z "$output" ]
	done
	# ... and is strict enough to find real mistakes: SEE ALSO out of
	# order is a warning, an unknown macro an error.
	head='.Dd December 1, 2026\n.Dt X 1\n.Os\n.Sh NAME\n.Nm x\n.Nd y\n'
	head="$head"'.Sh DESCRIPTION\nText.\n'
	printf "$head"'.Sh SEE ALSO\n.Xr nc 1 ,\n.Xr cat 1\n' >"$BATS_TEST_TMPDIR/w.1"
	run -2 mandoc -Tlint -W warning "$BATS_TEST_TMPDIR/w.1"
	[[ "$output" == *"WARNING: unusual Xr order"* ]]
	printf "$head"'.Zz bad\n' >"$BATS_TEST_TMPDIR/e.1"
	run -3 mandoc -Tlint -W warning "$BATS_TEST_TMPDIR/e.1"
	[[ "$output" == *"ERROR"* ]]
}

@test "every page renders with its name, sections and the applet's description" {
	need mandoc
	for p in $(pages); do
		run -0 --separate-stderr mandoc -Tascii "$DOC/$p.1"
		[ -z "$stderr" ]
		for s in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' 'SEE ALSO'; do
			echo "$output" | sed 's/.\x08//g' | grep -qx "$s"
		done
	done
	# NAME says what the applet table says.
	for p in $(sb --list); do
		d=$(sb --help | sed -n "s/^  $p  *//p")
		mandoc -Tascii -O width=300 "$DOC/$p.1" | sed 's/.\x08//g' |
		    grep -qxF "     $p - $d"
	done
}

@test "man -l renders every page without a warning" {
	need man
	for p in $(pages); do
		MANPAGER=cat MANWIDTH=80 run -0 --separate-stderr man -l "$DOC/$p.1"
		[ -z "$stderr" ] || { echo "$p: $stderr" >&2; return 1; }
		echo "$output" | grep -q "^NAME"
	done
}
