# bash completion for sockbox and its applets (installed as
# completions/sockbox, with a link per applet name for bash-completion's
# on-demand loading). The options come from the applet's own usage text,
# read at completion time, so they cannot drift from the binary.

# _sockbox_usage CMD APPLET: the usage text of APPLET run through CMD.
_sockbox_usage()
{
	local cmd=${1/#\~/$HOME}
	if [[ ${cmd##*/} == sockbox* ]]; then
		"$cmd" "$2" --help 2>/dev/null
	else
		"$cmd" --help 2>/dev/null
	fi
}

# _sockbox_options USAGE: every option USAGE names, one a line; a cluster
# such as [-46v] is one option per letter.
_sockbox_options()
{
	local w i
	grep -oE '(^|[][ (,|/])--?[A-Za-z0-9][A-Za-z0-9-]*' <<<"$1" |
	    sed 's/^[^-]*//' |
	    while read -r w; do
		if [[ $w == --* ]]; then
			printf '%s\n' "$w"
		else
			for ((i = 1; i < ${#w}; i++)); do printf '%s\n' "-${w:i:1}"; done
		fi
	    done | sort -u
}

# _sockbox_metavar USAGE OPT: the operand OPT takes (SECS, USER...), if any;
# for one that starts optional (-M [SOURCE@]GROUP), its first word.
_sockbox_metavar()
{
	grep -oE "(^|[[ ,])$2 \[?[A-Z][A-Z_]*" <<<"$1" | head -n 1 |
	    sed 's/.* //; s/^\[//'
}

# _sockbox_short_arg USAGE WORD: the option of a cluster (-vi) whose operand
# is the next word: its last letter, if no letter before takes the rest of
# the word (-i5v) as its operand; fails if there is none.
_sockbox_short_arg()
{
	local i
	for ((i = 1; i < ${#2}; i++)); do
		if [[ -n $(_sockbox_metavar "$1" "-${2:i:1}") ]]; then
			[[ $i -eq $((${#2} - 1)) ]] || return 1
			echo "-${2:i:1}"
			return 0
		fi
	done
	return 1
}

# _sockbox_services: the service names of services(5).
_sockbox_services()
{
	awk '!/^[ \t]*#/ && NF >= 2 { print $1 }' /etc/services 2>/dev/null |
	    sort -u
}

# _sockbox_words CUR WORDS...: COMPREPLY = the WORDS starting with CUR.
_sockbox_words()
{
	local cur=$1 w
	shift
	COMPREPLY=()
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# _sockbox_sockopts APPLET CUR: the --sockopt names that fit APPLET's
# sockets; a name that needs a value comes with its "=" and no space.
_sockbox_sockopts()
{
	local names=(rcvbuf= sndbuf= tos= ttl= bindtodevice= mark=)
	case $1 in
	tcp*) names+=(nodelay keepalive keepalive= user-timeout= linger=) ;;
	esac
	case $1 in
	*serve) names+=(reuseport) ;;
	esac
	_sockbox_words "$2" "${names[@]}"
	[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
	return 0
}

# _sockbox_value APPLET OPTION METAVAR CUR: complete the operand of an
# option.
_sockbox_value()
{
	local applet=$1 opt=$2 what=$3 cur=$4 IFS=$'\n'
	case $opt:$what in
	-u:USER)	# USER[:GROUP]
		if [[ $cur == *:* ]]; then
			COMPREPLY=($(compgen -P "${cur%%:*}:" -g -- "${cur#*:}"))
		else
			COMPREPLY=($(compgen -u -- "$cur"))
		fi ;;
	*:FILE | *:PATH)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*:PORT)
		_sockbox_words "$cur" $(_sockbox_services) ;;
	*:IFACE)
		_sockbox_words "$cur" $(ls /sys/class/net 2>/dev/null) ;;
	*:ADDR | *:HOST)
		COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
	--sockopt:NAME)
		_sockbox_sockopts "$applet" "$cur" ;;
	*:TARGET)	# HOST:PORT, unix:PATH
		if [[ $cur == unix:* ]]; then
			COMPREPLY=($(compgen -P unix: -f -- "${cur#unix:}"))
		else
			compopt -o nospace 2>/dev/null || :
			COMPREPLY=($(compgen -S : -A hostname -- "$cur"))
			if [[ unix: == "$cur"* ]]; then
				COMPREPLY+=(unix:)
			fi
		fi ;;
	*:PROTO)
		if [[ $applet == getserv ]]; then
			_sockbox_words "$cur" tcp udp
		else
			_sockbox_words "$cur" 4 5 connect
		fi ;;
	*)
		COMPREPLY=() ;;	# a number, a duration, a CIDR: nothing to offer
	esac
}

# _sockbox_operand APPLET N CUR: complete the Nth operand (0 first).
_sockbox_operand()
{
	local applet=$1 n=$2 cur=$3 IFS=$'\n'
	case $applet in
	getserv)
		_sockbox_words "$cur" $(_sockbox_services) ;;
	resolve)
		COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
	fqdn)
		[[ $n -eq 0 ]] && COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
	*)	# HOST PORT [PROG [ARGS...]], udpsend's HOST PORT [MESSAGE...]
		case $n in
		0) COMPREPLY=($(compgen -A hostname -- "$cur")) ;;
		1) _sockbox_words "$cur" $(_sockbox_services) ;;
		2) [[ $applet == udpsend ]] ||
		    COMPREPLY=($(compgen -c -- "$cur")) ;;
		*) [[ $applet == udpsend ]] ||
		    COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac ;;
	esac
}

_sockbox()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[0]}
	local applet first=1 usage i w what opt n=0 endopts=0 handed=0
	local skip=0	# -U PATH takes HOST PORT's place: operands 0 and 1
	COMPREPLY=()

	applet=${cmd##*/}
	if [[ $applet == sockbox* ]]; then
		if [[ $COMP_CWORD -eq 1 ]]; then
			_sockbox_words "$cur" $("${cmd/#\~/$HOME}" --list \
			    2>/dev/null) --help --install --list --version
			return 0
		fi
		applet=${COMP_WORDS[1]}
		first=2
		case $applet in
		--install)
			if [[ $cur == -* ]]; then
				_sockbox_words "$cur" -s
			else
				COMPREPLY=($(compgen -d -- "$cur"))
			fi
			return 0 ;;
		-*)
			return 0 ;;
		esac
	fi
	usage=$(_sockbox_usage "$cmd" "$applet") || return 0

	# Walk the words before the cursor as getopt does: options up to the
	# first operand (or --), an option's operand in the next word.
	for ((i = first; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $endopts -eq 1 || $n -gt 0 || $w != -?* ]]; then
			n=$((n + 1))
			continue
		fi
		if [[ $w == -- ]]; then
			endopts=1
			continue
		fi
		# A socket handed over takes HOST PORT's place: PROG is first.
		[[ $w == --systemd || $w == --systemd=* || $w == --fd* ]] &&
		    handed=2
		# --wait=5 and -i5 carry their operand; --wait, -i and -vi
		# take the next word.
		[[ $w == --*=* ]] && continue
		if [[ $w != --* ]]; then
			opt=$(_sockbox_short_arg "$usage" "$w") || continue
		else
			opt=$w
		fi
		what=$(_sockbox_metavar "$usage" "$opt")
		[[ -n $what ]] || continue
		w=$opt
		[[ $w == -U ]] && skip=2
		if [[ $((i + 1)) -eq $COMP_CWORD ]]; then
			_sockbox_value "$applet" "$w" "$what" "$cur"
			return 0
		fi
		i=$((i + 1))
	done
	if [[ $n -eq 0 && $endopts -eq 0 && $cur == -* ]]; then
		_sockbox_words "$cur" $(_sockbox_options "$usage")
		return 0
	fi
	_sockbox_operand "$applet" "$((n + handed + skip))" "$cur"
	return 0
}

complete -F _sockbox sockbox fqdn getserv resolve tcpconnect tcpserve \
    udpsend udpserve
