# t-completion: the shell completion of migratectl, against a running
# daemon: commands from migratectl --help, migration names from the daemon
# through the command line's socket, the keys `set` takes, options, plan
# files. bash's own completion machinery runs proto/migratectl.bash; zsh,
# when installed, runs proto/_migratectl with its compadd recording.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

start_daemon
make_plan shop
make_plan shed
ctl create "$T/plans/shop.ini" >/dev/null
ctl create "$T/plans/shed.ini" >/dev/null

# complete WORD...: what bash offers for the last word, one per line.
complete_bash() {
	PATH="$BIN:$PATH" bash -c '
	    source "$0"
	    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
	    _migratectl
	    printf "%s\n" "${COMPREPLY[@]}" | sort' \
	    "$ROOT/proto/migratectl.bash" "$@"
}

expect_eq "commands" "start stats status" \
    "$(complete_bash migratectl st | tr '\n' ' ' | sed 's/ $//')"
expect_eq "names from the daemon" "shed shop" \
    "$(complete_bash migratectl -s "$SOCK" status sh | tr '\n' ' ' |
    sed 's/ $//')"
expect_eq "names for any command taking one" "shop" \
    "$(complete_bash migratectl -s "$SOCK" --json abort sho)"
expect_eq "set keys from the daemon" "gates.max_p99= gates.max_p99_ratio=" \
    "$(complete_bash migratectl -s "$SOCK" set shop gates.max_p9 | tr '\n' ' ' |
    sed 's/ $//')"
expect_eq "status options" "--watch -w" \
    "$(complete_bash migratectl -s "$SOCK" status shop - | tr '\n' ' ' |
    sed 's/ $//')"
expect_eq "plan files for create" "$T/plans/shed.ini" \
    "$(complete_bash migratectl create "$T/plans/she")"
expect_eq "commands after a long usage line" "wait" \
    "$(complete_bash migratectl wa)"
expect_eq "wait's options" "--done --phase --timeout" \
    "$(complete_bash migratectl -s "$SOCK" wait shop -- | tr '\n' ' ' |
    sed 's/ $//')"
expect_eq "wait --phase: phases" "shadow shifting" \
    "$(complete_bash migratectl -s "$SOCK" wait shop --phase sh | tr '\n' ' ' |
    sed 's/ $//')"
expect_eq "a name after --phase PHASE" "shed shop" \
    "$(complete_bash migratectl -s "$SOCK" wait --phase done sh | tr '\n' ' ' |
    sed 's/ $//')"
# The completion's phases are the daemon's forward path, in its order.
ctl wait shop --phase nosuch 2>"$T/err"
daemon_phases=$(sed -n 's/.*forward path; one of: //p' "$T/err" | tr -d ',')
expect_eq "the phases are the daemon's" "$daemon_phases" \
    "$(PATH="$BIN:$PATH" bash -c 'source "$0"; echo $_migratectl_phases' \
    "$ROOT/proto/migratectl.bash")"
expect_eq "no daemon: no names, no error" "" \
    "$(complete_bash migratectl -s "$T/none.sock" status sh 2>&1)"

if command -v zsh >/dev/null 2>&1; then
	ok "zsh script parses" zsh -n "$ROOT/proto/_migratectl"
	# compadd and _files are the completion system's; record what the
	# function offers instead.
	complete_zsh() {
		PATH="$BIN:$PATH" zsh -f -c '
		    compadd() { local s=; while [[ $1 == -* ]]; do
			case $1 in -S) s=$2; shift 2;; -a) shift;
			    for w in ${(P)1}; do print -r -- "$w$s"; done;
			    return;; --) shift; break;; *) shift;; esac; done
			for w; do print -r -- "$w$s"; done; }
		    _files() { print -r -- "<files>"; }
		    source "$0"
		    words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
		    _migratectl' \
		    "$ROOT/proto/_migratectl" "$@" | grep -- "^${*: -1}" | sort
	}
	expect_eq "zsh: names" "shed shop" \
	    "$(complete_zsh migratectl -s "$SOCK" status sh | tr '\n' ' ' |
	    sed 's/ $//')"
	expect_eq "zsh: wait --phase" "shadow shifting" \
	    "$(complete_zsh migratectl -s "$SOCK" wait shop --phase sh | tr '\n' ' ' |
	    sed 's/ $//')"
	expect_eq "zsh: the phases are the daemon's" "$daemon_phases" \
	    "$(zsh -f -c 'source "$0" 2>/dev/null; print -r -- $_migratectl_phases' \
	    "$ROOT/proto/_migratectl" 2>/dev/null)"
	expect_eq "zsh: set keys" "gates.max_p99= gates.max_p99_ratio=" \
	    "$(complete_zsh migratectl -s "$SOCK" set shop gates.max_p9 | tr '\n' ' ' |
	    sed 's/ $//')"
fi
stop_daemon
finish
