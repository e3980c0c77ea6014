# Sourced by every scripts/rvol-VERB (not a verb itself): where the binaries
# are, docker's usage-error texts, argv normalization, container lookup.
# POSIX sh.

if [ -z "${RVOL_SCRIPTS:-}" ]; then
    RVOL_SCRIPTS=${0%/*}
    [ "$RVOL_SCRIPTS" != "$0" ] || RVOL_SCRIPTS=.
    case $RVOL_SCRIPTS in /*) ;; *) RVOL_SCRIPTS=$PWD/$RVOL_SCRIPTS ;; esac
fi

# Binaries: $RVOL_BIN_DIR, else those installed with these scripts
# (scripts/install: PREFIX/lib/rvol/ holds the verbs, PREFIX/bin the
# binaries), else PATH, else the workspace's target/<triple>/release
# (.cargo/config.toml builds for the host's triple).
# Nothing is ever built here, and nothing forks: every verb starts with this.
# The binaries' directory goes first on PATH: scripts/rvol-commit and
# scripts/rvol-inspect share their names with binaries, and a verb must never
# exec itself when scripts/ is on PATH too.
if [ -n "${RVOL_BIN_DIR:-}" ]; then
    PATH=$RVOL_BIN_DIR:$PATH
else
    _rvol_bin=''
    if [ -x "$RVOL_SCRIPTS/../../bin/rvol-unpack" ]; then
        _rvol_bin=$RVOL_SCRIPTS/../../bin
    else
        _ifs=$IFS
        IFS=:
        for _d in $PATH; do
            if [ -x "${_d:-.}/rvol-unpack" ]; then
                _rvol_bin=${_d:-.}
                break
            fi
        done
        IFS=$_ifs
    fi
    if [ -z "$_rvol_bin" ]; then
        for _d in "$RVOL_SCRIPTS"/../target/*/release; do
            if [ -x "$_d/rvol-unpack" ]; then
                _rvol_bin=$_d
                break
            fi
        done
    fi
    [ -z "$_rvol_bin" ] || PATH=$_rvol_bin:$PATH
fi
export PATH RVOL_SCRIPTS

# The state root none names: rootless (we do not own /: a user, or root of
# a user namespace), the user's data directory; rvol_state::rootless's
# default_root, the same rule. Set here so the verbs' own paths agree.
if [ -z "${RVOL_ROOT:-}" ] && ! [ -O / ]; then
    RVOL_ROOT=${XDG_DATA_HOME:-${HOME:-/}/.local/share}/rvol
    export RVOL_ROOT
fi

need_bin() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "rvol: $1 not found on PATH nor in $RVOL_SCRIPTS/../target/*/release: run 'cargo build --release' first" >&2
    exit 125
}

# _quote ARG: sets _q to ARG single-quoted for eval, in this shell: no
# command substitution, which would drop ARG's trailing newlines (and fork).
_quote() {
    _q_in=$1
    _q=
    while :; do
        case $_q_in in
        *"'"*)
            _q="$_q${_q_in%%"'"*}'\\''"
            _q_in=${_q_in#*"'"}
            ;;
        *) break ;;
        esac
    done
    _q="'$_q$_q_in'"
}

# q ARG: ARG single-quoted for eval, on stdout.
q() {
    _quote "$1"
    printf '%s' "$_q"
}

# qa VAR ARG: append ARG, quoted for eval, to the variable VAR.
qa() {
    _quote "$2"
    eval "$1=\"\${$1} \$_q\""
}

# The command usage texts name: $RVOL_CMD when a management form (`rvol
# container rm`: scripts/rvol-container) runs the verb, else VERB itself.
# rvol-inspect reads the same variable.
shown() {
    _shown=${RVOL_CMD:-$1}
}

# usage_error VERB SYNOPSIS MESSAGE: docker's text for a bad command line, 125.
usage_error() {
    shown "$1"
    printf '%s\n\nUsage:  rvol %s %s\n\nRun '"'"'rvol %s --help'"'"' for more information\n' \
        "$3" "$_shown" "$2" "$_shown" >&2
    exit 125
}

# unknown_flag VERB SYNOPSIS FLAG
unknown_flag() {
    case $3 in
    --*) usage_error "$1" "$2" "unknown flag: ${3%%=*}" ;;
    *) usage_error "$1" "$2" "unknown shorthand flag: '$(printf '%s' "${3#-}" | cut -c1)' in $3" ;;
    esac
}

# boolval VERB SYNOPSIS FLAG VALUE: a boolean flag's `--flag=VALUE` as the
# CLI's flag parser (pflag: strconv.ParseBool) reads it; sets _b to 1 or 0,
# or gives docker's error. FLAG is named as docker's error names it
# (`-d, --detach`, `--rm`).
boolval() {
    case $4 in
    1 | t | T | TRUE | true | True) _b=1 ;;
    0 | f | F | FALSE | false | False) _b=0 ;;
    *) usage_error "$1" "$2" "invalid argument \"$4\" for \"$3\" flag: strconv.ParseBool: parsing \"$4\": invalid syntax" ;;
    esac
}

# needs_value VERB SYNOPSIS FLAG NARGS: a flag given last without its value.
needs_value() {
    [ "$4" -ge 2 ] && return 0
    case $3 in
    --*) usage_error "$1" "$2" "flag needs an argument: $3" ;;
    *) usage_error "$1" "$2" "flag needs an argument: '${3#-}' in $3" ;;
    esac
}

# nargs VERB SYNOPSIS MIN MAX COUNT: docker's text for a wrong number of
# operands (MAX empty: no upper bound), exit 1. The four forms are the CLI's
# (cli/required.go): "at least" ends with See, the others with Run; "at
# most" prints "SRun" in Docker 20.10, the reference, and so here too.
nargs() {
    if [ "$5" -ge "$3" ] && { [ -z "$4" ] || [ "$5" -le "$4" ]; }; then
        return 0
    fi
    _n=$4
    if [ -z "$4" ]; then
        _n=$3 _w="at least $3" _see=See
    elif [ "$3" = "$4" ]; then
        _w=$3 _see=Run
    elif [ "$3" = 0 ]; then
        _w="at most $4" _see=SRun
    else
        _w="at least $3 and at most $4" _see=Run
    fi
    _s=''
    [ "$_n" -gt 1 ] && _s=s
    shown "$1"
    printf "rvol: 'rvol %s' requires %s argument%s\n\nUsage:  rvol %s %s\n\n%s 'rvol %s --help' for more information\n" \
        "$_shown" "$_w" "$_s" "$_shown" "$2" "$_see" "$_shown" >&2
    exit 1
}

# min_args VERB SYNOPSIS N COUNT: docker's "requires at least N argument(s)", exit 1.
min_args() {
    nargs "$1" "$2" "$3" '' "$4"
}

# normalize SHORT_VALUE_FLAGS LONG_VALUE_FLAGS ARGS...: print ARGS quoted for
# `eval set --`, with `-it` split into `-i -t`, `-eK=V` into `-e K=V` and
# `--name=x` into `--name x`, up to the first operand or `--`.
normalize() {
    normalize_to "$@"
    printf '%s\n' "$_out"
}

# normalize_to: normalize's result left in $_out (no subshell to read it).
normalize_to() {
    _vs=$1
    _vl=" $2 "
    shift 2
    _out=''
    while [ $# -gt 0 ]; do
        case $1 in
        --)
            _out="$_out --"
            shift
            break
            ;;
        --*=*)
            case $_vl in
            *" ${1%%=*} "*)
                qa _out "${1%%=*}"
                qa _out "${1#*=}"
                ;;
            *) qa _out "$1" ;;
            esac
            ;;
        --?*)
            qa _out "$1"
            case $_vl in
            *" $1 "*)
                if [ $# -gt 1 ]; then
                    shift
                    qa _out "$1"
                fi
                ;;
            esac
            ;;
        -?*)
            _c=${1#-}
            while [ -n "$_c" ]; do
                _f=${_c%"${_c#?}"}
                _c=${_c#?}
                qa _out "-$_f"
                case $_vs in
                *"$_f"*)
                    if [ -n "$_c" ]; then
                        qa _out "$_c"
                        _c=''
                    elif [ $# -gt 1 ]; then
                        shift
                        qa _out "$1"
                    fi
                    ;;
                esac
            done
            ;;
        *) break ;;
        esac
        shift
    done
    for _a in "$@"; do
        qa _out "$_a"
    done
}

# resolve NAME|ID: sets cid, cstatus, cpid, cbundle; docker's text and
# exit 1 for an unknown container.
resolve() {
    need_bin rvol-inspect
    if ! _r=$(rvol-inspect --type container \
        -f '{{.Id}}|{{.State.Status}}|{{.State.Pid}}|{{.HostnamePath}}' \
        -- "$1" 2>&1); then
        case $_r in
        *"No such container: "*) echo "Error: No such container: $1" >&2 ;;
        *) printf '%s\n' "$_r" >&2 ;;
        esac
        exit 1
    fi
    cid=${_r%%|*}
    _r=${_r#*|}
    cstatus=${_r%%|*}
    _r=${_r#*|}
    cpid=${_r%%|*}
    _r=${_r#*|}
    cbundle=${_r%/*}
}

# wait_recorded ID: after the container's process was killed, wait (5 s
# at most) until rvol-ns has recorded its end. Until then rvol-inspect
# says `running`, or `dead` once the process is gone; a killed rvol-ns
# records nothing, and the state stays `dead`.
wait_recorded() {
    _i=0
    while [ $_i -lt 100 ]; do
        case $(rvol-inspect --type container -f '{{.State.Status}}' -- "$1" 2>/dev/null) in
        running | dead) ;;
        *) return 0 ;;
        esac
        sleep 0.05
        _i=$((_i + 1))
    done
}

# chain BUNDLE [--detach]: sets _chain to the chain that runs a created
# container (DESIGN.md: namespaces, mounts, exec), quoted for eval.
# rvol-ns relays its output to the bundle's log (and, unless --detach, to
# ours).
chain() {
    need_bin rvol-ns
    need_bin rvol-mount
    need_bin rvol-exec
    _chain="rvol-ns${2:+ $2} --bundle"
    qa _chain "$1"
    _chain="$_chain -- rvol-mount apply --bundle"
    qa _chain "$1"
    _chain="$_chain -- rvol-exec --bundle"
    qa _chain "$1"
}

# wait_started PID ID: after a background start, until its command runs
# (the State says `running` and its PID 1 is past the chain: no longer
# rvol-ns, rvol-mount or rvol-exec, rvol-ns' child before its exec) or
# the start is over (PID, the process that becomes rvol-ns, is gone: it
# recorded the end first), 10 s at most. Docker's start returns once the
# command runs or has failed to start; rvol-ns records `running` at its
# fork, before the chain has found the command.
wait_started() {
    _i=0
    while [ $_i -lt 1000 ]; do
        readlink "/proc/$1/exe" >/dev/null 2>&1 || return 0
        _s=$(rvol-inspect --type container -f '{{.State.Status}} {{.State.Pid}}' -- "$2" 2>/dev/null) || _s=''
        case $_s in
        "running "*[!0]*)
            _exe=$(readlink "/proc/${_s#running }/exe" 2>/dev/null) || _exe=rvol-exec
            case ${_exe##*/} in
            rvol-ns | rvol-mount | rvol-exec) ;;
            *) return 0 ;;
            esac
            ;;
        esac
        sleep 0.01
        _i=$((_i + 1))
    done
}

# start_detached BUNDLE ID: run the chain in its own session, nobody
# attached: rvol-ns writes its output to the bundle's log, and serves
# attach.sock. (An --rm container removes itself when it ends:
# rvol-mount create gave it a poststop hook, which rvol-ns runs.) A command
# that could not be started (the state stays `created` with an exit code)
# is reported and its status returned.
start_detached() {
    chain "$1" --detach
    # In the background without job control: setsid execs, so $! is the
    # process that becomes rvol-ns.
    setsid sh -c 'exec sh -c "$1"' rvol-start "$_chain" </dev/null >/dev/null 2>&1 &
    wait_started $! "$2"
    _s=$(rvol-inspect --type container \
        -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' -- "$2" 2>/dev/null) || return 0
    case $_s in
    "created 0 "* | running* | exited* | dead*) return 0 ;;
    created*)
        _s=${_s#created }
        echo "rvol: ${_s#* }" >&2
        # 128 is docker's record of a start that failed before the
        # command (a volume's mount): its CLI's status comes from the text
        # (rvol_state::error::cli_start_status).
        case ${_s%% *}:${_s#* } in
        128:*"no such file or directory"*) return 127 ;;
        128:*"permission denied"*) return 126 ;;
        128:*) return 125 ;;
        esac
        return "${_s%% *}"
        ;;
    esac
}

# start_attached BUNDLE INTERACTIVE: become the chain (exec), so every
# signal reaches rvol-ns, which passes it on, and the command's status is
# ours. Without -i the container's stdin is /dev/null, as docker's. With
# -t (the spec's process.terminal) rvol-ns makes the container's pty and
# relays it; with -it too it splits, its front holding the user's
# terminal (docs/docker-behaviour.md §11). An --rm container removes
# itself when it ends (its poststop hook, run by rvol-ns).
start_attached() {
    chain "$1"
    [ "$2" = 1 ] || exec </dev/null
    eval "exec $_chain"
}

RUN_SYN='[OPTIONS] IMAGE [COMMAND] [ARG...]'

# parse_create VERB ARGS...: docker's run/create flags sorted for the tools.
# Sets ufl (rvol-unpack's process flags), mfl (rvol-mount create's mount
# flags, --name, --rm, and the security flags --cap-add, --cap-drop,
# --security-opt, which create records in HostConfig), detach, interactive, tty, and rest: IMAGE [CMD
# ARGS...] quoted for `eval set -- $rest`. A usage error exits (125), --help
# calls the verb's help and exits 0.
parse_create() {
    _verb=$1
    shift
    normalize_to evwuh '--env --env-file --workdir --user --hostname --network --net --entrypoint --volume --mount --tmpfs --volumes-from --name --cap-add --cap-drop --security-opt' "$@"
    eval "set -- $_out"
    _u=''
    _m=''
    _d=0 _i=0 _t=0 _rm=0 _ro=0
    while [ $# -gt 0 ]; do
        case $1 in
        -e | --env)
            needs_value "$_verb" "$RUN_SYN" "$1" $#
            _u="$_u --env"
            qa _u "$2"
            shift 2
            ;;
        --env-file)
            needs_value "$_verb" "$RUN_SYN" "$1" $#
            _u="$_u --env-file"
            qa _u "$2"
            shift 2
            ;;
        -w | --workdir | -u | --user | -h | --hostname | --network | --net | --entrypoint)
            needs_value "$_verb" "$RUN_SYN" "$1" $#
            case $1 in
            -w) _f=--workdir ;;
            -u) _f=--user ;;
            -h) _f=--hostname ;;
            --net) _f=--network ;;
            *) _f=$1 ;;
            esac
            _u="$_u $_f"
            qa _u "$2"
            shift 2
            ;;
        -v | --volume | --mount | --tmpfs | --volumes-from | --name | --cap-add | --cap-drop | --security-opt)
            needs_value "$_verb" "$RUN_SYN" "$1" $#
            _f=$1
            [ "$_f" = -v ] && _f=--volume
            _m="$_m $_f"
            qa _m "$2"
            shift 2
            ;;
        --read-only) _ro=1; shift ;;
        # Not docker's: rvol build's RUN keeps what it writes under a VOLUME.
        --no-image-volumes) _u="$_u --no-image-volumes"; shift ;;
        --rm) _rm=1; shift ;;
        -d | --detach) _d=1; shift ;;
        -i | --interactive) _i=1; shift ;;
        -t | --tty) _t=1; shift ;;
        --read-only=*) boolval "$_verb" "$RUN_SYN" --read-only "${1#*=}" && _ro=$_b; shift ;;
        --rm=*) boolval "$_verb" "$RUN_SYN" --rm "${1#*=}" && _rm=$_b; shift ;;
        --detach=*) boolval "$_verb" "$RUN_SYN" "-d, --detach" "${1#*=}" && _d=$_b; shift ;;
        --interactive=*) boolval "$_verb" "$RUN_SYN" "-i, --interactive" "${1#*=}" && _i=$_b; shift ;;
        --tty=*) boolval "$_verb" "$RUN_SYN" "-t, --tty" "${1#*=}" && _t=$_b; shift ;;
        --help)
            help
            exit 0
            ;;
        --)
            shift
            break
            ;;
        -?*) unknown_flag "$_verb" "$RUN_SYN" "$1" ;;
        *) break ;;
        esac
    done
    min_args "$_verb" "$RUN_SYN" 1 $#
    [ "$_t" = 0 ] || _u="$_u --tty"
    [ "$_ro" = 0 ] || _m="$_m --read-only"
    [ "$_rm" = 0 ] || _m="$_m --rm"
    ufl=$_u mfl=$_m detach=$_d interactive=$_i tty=$_t
    rest=''
    for _a in "$@"; do
        qa rest "$_a"
    done
}

# create_container: rvol-unpack | rvol-mount create with what parse_create
# set (ufl, mfl, rest = IMAGE [CMD...]); sets bundle and cid.
create_container() {
    need_bin rvol-unpack
    need_bin rvol-mount
    # A pipeline: the two start side by side (0.8-2 ms less than one after
    # the other, scripts/bench-run). When rvol-unpack fails it says why and
    # create, seeing no spec, exits 125 without a word (--quiet-empty).
    # Both inherit one open images/.gc.lock: the shared flock rvol-unpack
    # takes on it lasts until create has recorded the layers, so rmi and
    # image prune cannot collect them in between (ARCHITECTURE.md, "Layer
    # garbage collection"). Opened in the substitution's subshell only.
    _lk=${RVOL_ROOT:-/var/lib/rvol}/images
    [ -d "$_lk" ] || mkdir -p -- "$_lk"
    bundle=$(exec 9>>"$_lk/.gc.lock"
        RVOL_LAYERS_LOCK_FD=9
        export RVOL_LAYERS_LOCK_FD
        eval "rvol-unpack $ufl -- $rest | rvol-mount create --quiet-empty $mfl")
    cid=${bundle%/}
    cid=${cid##*/}
}

# no_args VERB SYNOPSIS COUNT: docker's text for operands given to a verb
# that takes none (the current CLI's words), exit 1.
no_args() {
    [ "$3" -eq 0 ] && return 0
    shown "$1"
    printf "rvol: 'rvol %s' accepts no arguments\n\nUsage:  rvol %s %s\n\nRun 'rvol %s --help' for more information\n" \
        "$_shown" "$_shown" "$2" "$_shown" >&2
    exit 1
}

# run_as NAME VERB ARGS...: scripts/rvol-VERB run as `rvol NAME` (docker's
# management forms: `rvol container rm` is `rvol rm`), read in this shell
# with ARGS; its usage texts name NAME ($RVOL_CMD, which rvol-inspect reads
# too), and so does its help's Usage line. A VERB not installed is an
# unknown command, as at the front door.
run_as() {
    RVOL_CMD=$1
    export RVOL_CMD
    _as=$2
    shift 2
    if [ ! -f "$RVOL_SCRIPTS/rvol-$_as" ]; then
        printf "rvol: unknown command: rvol %s\n\nRun 'rvol --help' for more information\n" "$RVOL_CMD" >&2
        exit 1
    fi
    # --help among the flags (before the first operand): the verb's help,
    # its Usage line renamed. Anything else runs the verb itself.
    _skip=''
    for _a in "$@"; do
        if [ -n "$_skip" ]; then
            _skip=''
            continue
        fi
        case $_a in
        # the management form's own `--type container` before the user's args
        --type) _skip=1 ;;
        --help | -h)
            (. "$RVOL_SCRIPTS/rvol-$_as") | sed "1s/^Usage:  rvol $_as /Usage:  rvol $RVOL_CMD /"
            exit 0
            ;;
        --) break ;;
        -*) ;;
        *) break ;;
        esac
    done
    . "$RVOL_SCRIPTS/rvol-$_as"
}

# unknown_sub GROUP SUB: docker's text for `docker GROUP SUB` when GROUP
# has no SUB, exit 1.
unknown_sub() {
    printf "rvol: unknown command: rvol %s %s\n\nUsage:  rvol %s\n\nRun 'rvol %s --help' for more information\n" \
        "$1" "$2" "$1" "$1" >&2
    exit 1
}

# human_size BYTES: go-units' HumanSize (decimal units, 4 significant
# digits), as docker prints `Total reclaimed space:`.
human_size() {
    awk -v n="$1" 'BEGIN { split("B kB MB GB TB PB EB", u, " "); i = 1
        while (n >= 1000 && i < 7) { n /= 1000; i++ }
        printf "%.4g%s\n", n, u[i] }'
}

# size_bytes SIZE: a human_size back to bytes (to 4 digits: what a prune
# that reports only its text total reclaimed).
size_bytes() {
    awk -v s="$1" 'BEGIN { n = s + 0; sub(/^[0-9.]+/, "", s)
        m = 1; if (s == "kB") m = 1e3; else if (s == "MB") m = 1e6
        else if (s == "GB") m = 1e9; else if (s == "TB") m = 1e12
        printf "%d\n", n * m }'
}

# group_flag GROUP FLAG: docker's text for a flag given to a management
# command itself (`docker container --bogus`), exit 125.
group_flag() {
    case $2 in
    --*) _m="unknown flag: ${2%%=*}" ;;
    *) _m="unknown shorthand flag: '$(printf '%s' "${2#-}" | cut -c1)' in $2" ;;
    esac
    printf "%s\n\nUsage:  rvol %s\n\nRun 'rvol %s --help' for more information\n" "$_m" "$1" "$1" >&2
    exit 125
}
