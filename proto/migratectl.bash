# bash completion for migratectl(8): the commands (from migratectl --help),
# migration names (from the daemon, through the same socket as the command
# line's -s), the keys `set` takes (from `migratectl plan NAME`), plan
# files for `create`, the phases `wait --phase` takes, and each command's
# options.

# The forward path, in order: the daemon's phase table lists the same in
# wait's usage error (t-completion compares the two).
_migratectl_phases="planned preflight seeding replicating shadow shifting ready
cutover full_traffic soak decommission done"

_migratectl_ctl()
{
	command migratectl "${_migratectl_sock[@]}" "$@" 2>/dev/null
}

_migratectl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i cmd= cmdi=0 name= words
	_migratectl_sock=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --socket)
			_migratectl_sock=(-s "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		--phase | --timeout | -n) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]} cmdi=$i
			elif [[ -z $name ]]; then
				name=${COMP_WORDS[i]}
			fi
			;;
		esac
	done
	if [[ $prev == -s || $prev == --socket ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			words="-s --socket --json -h --help --version"
		else
			words=$(command migratectl --help 2>/dev/null |
			    awk '/^commands:/ { f = 1; next } /^$/ { f = 0 }
			    f && /^  [a-z]/ { print $1 }')
		fi
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case $cmd in
	create)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	list | stats)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		case $cmd in
		status) words="-w --watch" ;;
		history) words="-n" ;;
		wait) words="--phase --done --timeout" ;;
		*) words= ;;
		esac
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	[[ $cmd == history && $prev == -n ]] && return
	if [[ $cmd == wait && $prev == --phase ]]; then
		COMPREPLY=($(compgen -W "$_migratectl_phases" -- "$cur"))
		return
	fi
	[[ $cmd == wait && $prev == --timeout ]] && return
	if [[ -z $name ]]; then
		words=$(_migratectl_ctl list |
		    awk 'NR > 1 && $0 != "no migrations" { print $1 }')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	if [[ $cmd == set && $cur != *=* ]]; then
		words=$(_migratectl_ctl plan "$name" |
		    sed -n 's/^set keys: //p')
		COMPREPLY=($(compgen -S = -W "$words" -- "$cur"))
		compopt -o nospace 2>/dev/null
	fi
}

complete -F _migratectl migratectl
