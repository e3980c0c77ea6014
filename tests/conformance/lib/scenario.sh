# Functions a scenario file uses. Sourced by the runner in a subshell, once
# for docker and once for rvol; everything a function captures goes to fd 3
# (the side's capture file), so a scenario's own setup commands (mkdir,
# echo > file) may print freely without changing what is compared.
#
# Set by the runner: RT (docker|rvol), H (this side's fresh host dir, also
# the cwd), RVOL (the rvol command), DOCKER_HOST, RVOL_ROOT, CONF_TMP.
#
#   run ARGS...          $RT run --network none ARGS (stdin is /dev/null)
#   rt VERB ARGS...      any other verb: rt volume ls, rt rm -v c1, ...
#       options before VERB (removed before the runtime sees them):
#       @anyerr   the runtime's own error text is not compared (only that
#                 there was one): for texts that name runc's internals
#       @table    collapse runs of blanks in stdout (tables whose column
#                 widths follow times and ids)
#       @nostdout stdout is not captured (e.g. an id printed by -d)
#       @jqsort   stdout is a JSON array compared as a set (docker's CLI
#                 builds some lists from Go maps, in random order)
#       @usage    stderr compared whole, usage and help hints included
#                 (the runtime's name read as RT): for the CLI's own texts
#       @sort     stdout compared as a sorted list (after ids are mapped:
#                 show the ids first, e.g. with mounts, so their labels
#                 do not depend on the order)
#   mounts C...          inspect --format '{{json .Mounts}}', as a set
#   inspect [@OPT] C TEMPLATE   inspect --format TEMPLATE C
#   tree PATH...         the host's view of files below PATH
#   voltree NAME         tree of a volume's Mountpoint (via volume inspect)
#   mnttree C DEST       tree of the Source of C's mount at DEST
#   host CMD...          a host command, captured like rt
#   say TEXT             a line in the capture

runtime() {
    local verb=$1
    shift
    case $verb in
    run | create) set -- "$verb" --network none "$@" ;;
    *) set -- "$verb" "$@" ;;
    esac
    if [ "$RT" = docker ]; then
        timeout -k 5 "${CONF_CMD_TIMEOUT:-60}" docker "$@"
    else
        timeout -k 5 "${CONF_CMD_TIMEOUT:-60}" $RVOL "$@"
    fi
}

# Runtime-specific framing of an error -> "error: CORE". Docker's CLI says
# `docker: Error response from daemon: CORE` (plus a usage hint), rvol says
# `rvol-TOOL: [STEP: ]CORE`; the comparison later accepts rvol's text when it
# ends with docker's CORE.
errnorm() {
    perl -ne '
        chomp;
        next if /^\s*$/;
        next if /^Run \x27(?:docker|rvol) .*--help\x27 for more information/;
        next if /^See \x27(?:docker|rvol) .*--help\x27\.?$/;
        next if /^Usage:\s+(?:docker|rvol) /;
        next if /^Unable to find image /;
        if (s/^(?:docker: )?Error response from daemon: // || s/^docker: // || s/^Error: //
            || s/^invalid argument ".*" for "[^"]*" flag: //
            || s/^rvol(?:-[a-z]+)?: //) {
            s/\.$//;
            $_ = $ENV{CONF_ANYERR} ? "error: (runtime text, not compared)" : "error: $_";
        } elsif (/^(?:unknown (?:shorthand )?flag|flag needs an argument)/) {
            # the CLI'"'"'s flag errors come without a prefix
            $_ = $ENV{CONF_ANYERR} ? "error: (runtime text, not compared)" : "error: $_";
        }
        print "$_\n";'
}

rt() {
    local anyerr= table= nostdout= sort= jqsort= usage=
    while :; do
        case ${1:-} in
        @usage) usage=1 ;;
        @sort) sort=1 ;;
        @jqsort) jqsort=1 ;;
        @anyerr) anyerr=1 ;;
        @table) table=1 ;;
        @nostdout) nostdout=1 ;;
        @*) echo "scenario: unknown option $1" >&2; return 2 ;;
        *) break ;;
        esac
        shift
    done
    cmdline "$@"
    local rc=0
    runtime "$@" >"$CONF_TMP/out" 2>"$CONF_TMP/err" </dev/null || rc=$?
    [ -n "$sort" ] && echo "@@sort{" >&3
    capture_out "$table" "$nostdout" "$jqsort"
    [ -n "$sort" ] && echo "@@sort}" >&3
    if [ -n "$usage" ]; then
        perl -pe 's/\b(?:docker|rvol)\b(?!-)/RT/g' <"$CONF_TMP/err" | sed 's/^/! /' >&3
    else
        CONF_ANYERR=$anyerr errnorm <"$CONF_TMP/err" | sed 's/^/! /' >&3
    fi
    echo "= $rc" >&3
    return 0
}

run() {
    local opts=()
    while [[ ${1:-} == @* ]]; do opts+=("$1"); shift; done
    rt "${opts[@]}" run "$@"
}

# The command line as it would be typed: arguments with blanks or quotes
# shown quoted.
cmdline() {
    local a out='$'
    for a; do
        case $a in
        *[[:space:]\'\"\$\;\&\|\<\>\(\)\*]* | '') out+=" '${a//\'/\'\\\'\'}'" ;;
        *) out+=" $a" ;;
        esac
    done
    printf '%s\n' "$out" >&3
}

capture_out() {
    local f=$CONF_TMP/out
    if [ -n "$2" ]; then
        [ -s "$f" ] && echo "| (stdout not compared)" >&3
        return 0
    fi
    if [ -n "$3" ]; then
        # a JSON array compared as a set
        jq -c 'if type == "array" then sort else . end' <"$f" >"$f.sorted" 2>/dev/null && f=$f.sorted
    fi
    if [ -n "$1" ]; then
        sed -E 's/[[:space:]]{2,}/  /g; s/[[:space:]]+$//; s/^/| /' "$f" >&3
    else
        sed 's/^/| /' "$f" >&3
    fi
    # like diff, say so when the last line has no newline
    if [ -s "$f" ] && [ -n "$(tail -c1 "$f")" ]; then
        printf '\n| \\ no newline at end\n' >&3
    fi
}

host() {
    printf '$ host %s\n' "$*" >&3
    local rc=0
    "$@" >"$CONF_TMP/out" 2>"$CONF_TMP/err" </dev/null || rc=$?
    sed 's/^/| /' "$CONF_TMP/out" >&3
    sed 's/^/! /' "$CONF_TMP/err" >&3
    echo "= $rc" >&3
}

say() { printf '# %s\n' "$*" >&3; }

# The JSON of C's Mounts, one compact object per line, sorted by destination
# (docker's own order is map order, so the array is compared as a set).
mounts() {
    local c
    for c; do
        printf '$ mounts %s\n' "$c" >&3
        local rc=0
        runtime inspect --format '{{json .Mounts}}' "$c" >"$CONF_TMP/out" 2>"$CONF_TMP/err" || rc=$?
        if [ $rc = 0 ] && jq -c 'sort_by(.Destination)[]' <"$CONF_TMP/out" >"$CONF_TMP/sorted" 2>/dev/null; then
            sed 's/^/| /' "$CONF_TMP/sorted" >&3
        else
            [ -s "$CONF_TMP/out" ] && sed 's/^/| /' "$CONF_TMP/out" >&3
            errnorm <"$CONF_TMP/err" | sed 's/^/! /' >&3
            echo "= $rc" >&3
        fi
    done
}

inspect() {
    local opts=()
    while [[ ${1:-} == @* ]]; do opts+=("$1"); shift; done
    rt "${opts[@]}" inspect --format "$2" "$1"
}

# Files below each PATH as the host sees them: path, type, mode, owner,
# hard-link group, size and checksum of regular files, symlink target,
# extended attributes, and
# whether the mtime is the image's fixed one (2020) or new.
tree() {
    local p
    for p; do
        printf 'tree %s\n' "$p" >&3
        if [ ! -e "$p" ] && [ ! -L "$p" ]; then
            echo "  (absent)" >&3
            continue
        fi
        getfattr -R -h -d -m - --absolute-names -e text "$p" >"$CONF_TMP/xattrs" 2>/dev/null
        find "$p" -printf '%P\t%y\t%m\t%U:%G\t%n\t%i\t%s\t%l\t%T@\n' | LC_ALL=C sort |
            (cd "$p" 2>/dev/null || cd /; XATTRS=$CONF_TMP/xattrs TOP=$p perl -ne '
                BEGIN {
                    # getfattr -d: "# file: PATH", then name="value" lines
                    if (open my $x, "<", $ENV{XATTRS}) {
                        my $f;
                        while (<$x>) {
                            chomp;
                            if (/^# file: (.*)$/) { $f = $1; $f = substr($f, length($ENV{TOP})); $f =~ s{^/}{}; $f = "." if $f eq ""; }
                            elsif (/^(\S+?)=(.*)$/ && defined $f) { $xa{$f} .= ($xa{$f} ? "," : "") . "$1=$2"; }
                        }
                    }
                }
                chomp;
                my ($path, $type, $mode, $own, $n, $ino, $size, $target, $mtime) = split /\t/;
                $path = "." if $path eq "";
                my $line = "  $path $type $mode $own";
                if ($type eq "f") {
                    if ($n > 1) { $g{$ino} //= "hl" . ++$ng; $line .= " $g{$ino}/$n"; }
                    my $sum = "-";
                    if (open my $fh, "<", $path) { local $/; my $d = <$fh>; $sum = length($d) <= 40 ? "\"" . join("", map { /[ -~]/ && $_ ne "\\" ? $_ : sprintf("\\x%02x", ord) } split //, $d) . "\"" : sprintf("%08x", unpack("%32C*", $d)); }
                    $line .= " s=$size $sum";
                }
                $line .= " -> $target" if $type eq "l";
                $line .= " xattr[$xa{$path}]" if $xa{$path};
                $line .= $mtime < 1600000000 ? " t=image" : " t=new" if $type ne "d";
                print "$line\n";') >&3
    done
}

voltree() {
    local mp
    mp=$(runtime volume inspect "$1" 2>/dev/null | jq -r '.[0].Mountpoint' 2>/dev/null)
    if [ -z "$mp" ] || [ "$mp" = null ]; then
        printf 'tree volume %s\n  (no such volume)\n' "$1" >&3
        return 0
    fi
    tree "$mp"
}

mnttree() {
    local src
    src=$(runtime inspect --format '{{json .Mounts}}' "$1" 2>/dev/null |
        jq -r --arg d "$2" '.[] | select(.Destination == $d) | .Source' 2>/dev/null)
    if [ -z "$src" ]; then
        printf 'tree %s:%s\n  (no such mount)\n' "$1" "$2" >&3
        return 0
    fi
    tree "$src"
}
