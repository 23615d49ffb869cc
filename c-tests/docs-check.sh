#!/usr/bin/env bash
# docs-check.sh - the documents' example programs as conformance tests.
#
# For every document under c-tests/ (one folder each), builds its programs
# as printed (original/) and as ported to udsock.h (ported/) under
# build/docs/, runs every server/client pairing (original and ported on
# either side) against the document's transcript, byte for byte, and runs
# one test per bug of the printed programs, showing that the port gives a
# clean error where the original misbehaves.
#
# Prints "ok - NAME" or "not ok - NAME: REASON" per test and ends with
# "N passed, N failed"; exits 0 only if every test passed.
#
# The library comes from the staged install (make stage): if
# PKG_CONFIG_SYSROOT_DIR is not set, build/stage/env.sh is sourced.
# Every path used lives in one private mktemp directory, removed at exit;
# every program runs under timeout(1) and is stopped by its pid.
#
# docs-demo.sh sources this file for its functions: the tests run only
# when it is executed.

set -u

DOCS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCS_CT=$DOCS_ROOT/c-tests
DOCS_BUILD=$DOCS_ROOT/build/docs
DOCS_DOCUMENTS=(socket-server-v brief-my-sock unix7-seqpacket uds-listener alp-sockets)

# The socket names compiled into the programs whose path is fixed: relative,
# so that the programs, run in a private directory, bind there.
DOCS_BRIEF_SOCK=my_sock
DOCS_BRIEF_LONG="brief-socket.long-name"    # 22 bytes: more than the 14 a
                                            # 16-byte struct sockaddr holds
DOCS_UNIX7_SOCK=9Lq7BNBnBycd6nxy.socket

DOCS_STRICT=(-std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic)
# The originals are old code: build them as they are, quietly.
DOCS_LOOSE=(-w -Wno-error=incompatible-pointer-types -Wno-error=implicit-function-declaration
            -Wno-error=int-conversion)

DOCS_PASSED=0
DOCS_FAILED=0
DOCS_PIDS=()
DOCS_WORK=
DOCS_WHY=
DOCS_STATUS=0
DOCS_LAST_PID=

# ---------------------------------------------------------------- plumbing

docs_env() {
    cd "$DOCS_ROOT" || return 1
    if [ -z "${PKG_CONFIG_SYSROOT_DIR+set}" ]; then
        if [ ! -f build/stage/env.sh ]; then
            echo "docs: build/stage/env.sh is missing: run 'make stage' first" >&2
            return 1
        fi
        # shellcheck disable=SC1091
        . build/stage/env.sh
    fi
    if ! pkg-config --exists udsock; then
        echo "docs: pkg-config finds no udsock (PKG_CONFIG_LIBDIR=${PKG_CONFIG_LIBDIR:-unset}): run 'make stage'" >&2
        return 1
    fi
    ulimit -c 0     # a crashing original must not leave a core file
}

docs_setup_work() {
    DOCS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/udsock-docs.XXXXXX") || return 1
    trap docs_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # A crash of a printed program is a test result, not news: with these
    # signals trapped (a no-op here; programs start with the default
    # action) bash does not print "Segmentation fault" for the job.
    trap : SEGV ABRT BUS
}

# Stop whatever this script started and is still running, then remove the
# private directory. Programs run under "timeout -k 2": a signal sent to
# the timeout process is passed on to the program, and a KILL follows 2 s
# later if needed.
docs_cleanup() {
    local p
    for p in "${DOCS_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${DOCS_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    DOCS_PIDS=()
    [ -n "$DOCS_WORK" ] && rm -rf "$DOCS_WORK"
    DOCS_WORK=
}

docs_ok() {
    echo "ok - $1"
    DOCS_PASSED=$((DOCS_PASSED + 1))
}

docs_notok() {
    echo "not ok - $1: $2"
    DOCS_FAILED=$((DOCS_FAILED + 1))
}

docs_newdir() {
    mktemp -d "$DOCS_WORK/${1:-run}.XXXXXX"
}

# docs_start OUT DIR CMD...: start CMD in DIR in the background, its output
# (stdout line-buffered, as on a terminal, and stderr) appended to OUT.
# Sets DOCS_LAST_PID (the pid of its timeout process).
docs_start() {
    local out=$1 dir=$2
    shift 2
    (cd "$dir" && exec timeout -k 2 10 stdbuf -oL "$@") >>"$out" 2>&1 </dev/null &
    DOCS_LAST_PID=$!
    DOCS_PIDS+=("$DOCS_LAST_PID")
}

# docs_run OUT DIR CMD...: run CMD in DIR, output appended to OUT; the
# status is CMD's (124 if it ran 10 s). Standard input is the caller's.
docs_run() {
    local out=$1 dir=$2
    shift 2
    (cd "$dir" && exec timeout -k 2 10 stdbuf -oL "$@") >>"$out" 2>&1
}

# docs_run_for SECONDS OUT DIR CMD...: the same with a shorter limit, for a
# run that is expected to hang (the test is that it does not answer).
docs_run_for() {
    local secs=$1 out=$2 dir=$3
    shift 3
    (cd "$dir" && exec timeout -k 1 "$secs" stdbuf -oL "$@") >>"$out" 2>&1 </dev/null
}

docs_alive() {
    kill -0 "$1" 2>/dev/null
}

# docs_wait PID [POLLS]: wait (at most POLLS x 10 ms, default 5 s) for a
# process started by docs_start to end; its status goes to DOCS_STATUS.
# Returns 1 if it was still running and had to be stopped.
docs_wait() {
    local pid=$1 n=${2:-500} i
    for ((i = 0; i < n; i++)); do
        docs_alive "$pid" || break
        sleep 0.01
    done
    if docs_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        DOCS_STATUS=$?
        return 1
    fi
    wait "$pid" 2>/dev/null
    DOCS_STATUS=$?
    return 0
}

# docs_stop PID: stop a process started by docs_start (TERM, reaching the
# program through timeout) and reap it.
docs_stop() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# docs_listening PATH [COUNT]: is a socket listening at PATH? The file must
# exist and /proc/net/unix must list COUNT (default 1) listening sockets
# (flags 00010000) bound to that name: the kernel lists the name as bound,
# which is PATH, a relative name, or a /proc/self/fd/N/NAME alias for a
# long path, so the last component is compared. Without /proc/net/unix the
# file alone counts.
docs_listening() {
    local path=$1 base
    [ -S "$path" ] || return 1
    [ -r /proc/net/unix ] || return 0
    base=${path##*/}
    awk -v b="$base" -v want="${2:-1}" 'NR > 1 && $4 == "00010000" {
            p = $8; n = length(b)
            if (p == b || substr(p, length(p) - n) == "/" b) found++
        }
        END { exit !(found >= want) }' /proc/net/unix
}

# docs_wait_listening PATH PID: poll (at most 300 x 10 ms) until a socket
# listens at PATH; fail at once if PID ends first.
docs_wait_listening() {
    local i
    for ((i = 0; i < 300; i++)); do
        docs_listening "$1" && return 0
        docs_alive "$2" || return 1
        sleep 0.01
    done
    return 1
}

# docs_wait_lines FILE TEXT COUNT [PID]: poll (at most 300 x 10 ms) until
# FILE holds COUNT lines containing TEXT.
docs_wait_lines() {
    local i n
    for ((i = 0; i < 300; i++)); do
        n=$(grep -cF -- "$2" "$1" 2>/dev/null)
        [ "${n:-0}" -ge "$3" ] && return 0
        if [ -n "${4:-}" ] && ! docs_alive "$4"; then
            n=$(grep -cF -- "$2" "$1" 2>/dev/null)
            [ "${n:-0}" -ge "$3" ]
            return
        fi
        sleep 0.01
    done
    return 1
}

# The transcripts are compared byte for byte, except for the pid that the
# shell prints for a background job ("[1] 25887"), which cannot repeat.
docs_normalize() {
    sed -E 's/^\[1\] [0-9]+$/[1] PID/' "$1"
}

# docs_compare EXPECTED_DIR OUT_DIR FILE...: set DOCS_WHY and fail on the
# first transcript that differs.
docs_compare() {
    local exp=$1 out=$2 f d
    shift 2
    for f in "$@"; do
        if [ ! -f "$out/$f" ]; then
            DOCS_WHY="no $f was produced"
            return 1
        fi
        if ! cmp -s <(docs_normalize "$exp/$f") <(docs_normalize "$out/$f"); then
            d=$(diff <(docs_normalize "$exp/$f") <(docs_normalize "$out/$f") | grep '^[<>]' | head -4 |
                sed 's/^</expected/; s/^>/got/' | tr '\n' ' ')
            DOCS_WHY="$f differs from the document: ${d% }"
            return 1
        fi
    done
    return 0
}

# One line of a file, quoted, for a failure reason.
docs_show() {
    if [ -s "$1" ]; then
        printf "'%s'" "$(head -c 300 "$1" | tr '\n' '|' | sed 's/|$//')"
    else
        printf '(no output)'
    fi
}

# ------------------------------------------------------------------ build

# docs_cc NAME OUTPUT CC-ARGS...: compile, one test line per program.
docs_cc() {
    local name=$1 out=$2 log
    shift 2
    mkdir -p "$(dirname "$out")"
    log=$(docs_newdir build)/log
    if cc "$@" -o "$out" >"$log" 2>&1; then
        docs_ok "build $name"
    else
        rm -f "$out"
        docs_notok "build $name" "$(grep -m1 -E 'error|undefined' "$log" || head -n1 "$log")"
    fi
}

docs_build_original() {   # DOC PROG SOURCE [CFLAGS...] ; output name = PROG
    local doc=$1 prog=$2 src=$3
    shift 3
    docs_cc "$doc/original/$prog" "$DOCS_BUILD/$doc/original/$prog" \
        "${DOCS_LOOSE[@]}" "$@" "$DOCS_CT/$doc/original/$src"
}

docs_build_variant() {    # DOC NAME FORM SOURCE CFLAGS... ; into variants/
    local doc=$1 name=$2 form=$3 src=$4
    shift 4
    if [ "$form" = original ]; then
        docs_cc "$doc/variants/$name" "$DOCS_BUILD/$doc/variants/$name" \
            "${DOCS_LOOSE[@]}" "$@" "$DOCS_CT/$doc/original/$src"
    else
        # shellcheck disable=SC2046
        docs_cc "$doc/variants/$name" "$DOCS_BUILD/$doc/variants/$name" \
            "${DOCS_STRICT[@]}" "$@" $(pkg-config --cflags udsock) \
            "$DOCS_CT/$doc/ported/$src" $(pkg-config --libs udsock)
    fi
}

docs_build_ported() {     # DOC PROG SOURCE [CFLAGS...]
    local doc=$1 prog=$2 src=$3
    shift 3
    # shellcheck disable=SC2046
    docs_cc "$doc/ported/$prog" "$DOCS_BUILD/$doc/ported/$prog" \
        "${DOCS_STRICT[@]}" "$@" $(pkg-config --cflags udsock) \
        "$DOCS_CT/$doc/ported/$src" $(pkg-config --libs udsock)
}

# The same, linked with libudsock.a instead of the shared library.
# UDS_STATIC_LIBS: build/stage/env.sh's one definition of that link.
docs_build_static() {     # DOC PROG SOURCE [CFLAGS...]
    local doc=$1 prog=$2 src=$3
    shift 3
    # shellcheck disable=SC2046,SC2086
    docs_cc "$doc/ported-static/$prog" "$DOCS_BUILD/$doc/ported-static/$prog" \
        "${DOCS_STRICT[@]}" "$@" $(pkg-config --cflags udsock) \
        "$DOCS_CT/$doc/ported/$src" ${UDS_STATIC_LIBS:?build/stage/env.sh sets it}
}

docs_build_fixture() {    # DOC NAME SOURCE
    docs_cc "$1/tests/$2" "$DOCS_BUILD/$1/tests/$2" "${DOCS_STRICT[@]}" -D_GNU_SOURCE \
        "$DOCS_CT/$1/tests/$3"
}

# docs_build_doc DOC FORMS: build one document's programs; FORMS is any of
# original ported static variants fixtures.
docs_build_doc() {
    local doc=$1 forms=" $2 " f
    local brief=(-DSOCKET_PATH="\"$DOCS_BRIEF_SOCK\"")
    local unix7=(-DSOCKET_NAME="\"$DOCS_UNIX7_SOCK\"")
    case $doc in
    socket-server-v)
        for f in wcserver wcclient; do
            [[ $forms == *" original "* ]] && docs_build_original "$doc" "$f" "$f.c"
            [[ $forms == *" ported "* ]] && docs_build_ported "$doc" "$f" "$f.c"
            [[ $forms == *" static "* ]] && docs_build_static "$doc" "$f" "$f.c"
        done
        ;;
    brief-my-sock)
        for f in server client; do
            [[ $forms == *" original "* ]] && docs_build_original "$doc" "$f" "$f.c" "${brief[@]}"
            [[ $forms == *" ported "* ]] && docs_build_ported "$doc" "$f" "$f.c" "${brief[@]}"
            [[ $forms == *" static "* ]] && docs_build_static "$doc" "$f" "$f.c" "${brief[@]}"
            if [[ $forms == *" variants "* ]]; then
                docs_build_variant "$doc" "original-$f-long-name" original "$f.c" \
                    -DSOCKET_PATH="\"$DOCS_BRIEF_LONG\""
                docs_build_variant "$doc" "ported-$f-long-name" ported "$f.c" \
                    -DSOCKET_PATH="\"$DOCS_BRIEF_LONG\""
            fi
        done
        [[ $forms == *" fixtures "* ]] && docs_build_fixture "$doc" serve-forever serve-forever.c
        ;;
    unix7-seqpacket)
        for f in server client; do
            [[ $forms == *" original "* ]] && docs_build_original "$doc" "$f" "$f.c" "${unix7[@]}"
            [[ $forms == *" ported "* ]] && docs_build_ported "$doc" "$f" "$f.c" "${unix7[@]}"
            [[ $forms == *" static "* ]] && docs_build_static "$doc" "$f" "$f.c" "${unix7[@]}"
        done
        [[ $forms == *" variants "* ]] &&
            docs_build_variant "$doc" server-printed-6.04 original server.c "${unix7[@]}" -DPRINTED_6_04
        [[ $forms == *" fixtures "* ]] && docs_build_fixture "$doc" seqpacket-peer seqpacket-peer.c
        ;;
    uds-listener)
        for f in listener test_client; do
            [[ $forms == *" original "* ]] && docs_build_original "$doc" "$f" "$f.c"
            [[ $forms == *" ported "* ]] && docs_build_ported "$doc" "$f" "$f.c"
            [[ $forms == *" static "* ]] && docs_build_static "$doc" "$f" "$f.c"
        done
        ;;
    alp-sockets)
        for f in socket-server socket-client socketpair; do
            [[ $forms == *" original "* ]] && docs_build_original "$doc" "$f" "$f.c"
            [[ $forms == *" ported "* ]] && docs_build_ported "$doc" "$f" "$f.c"
            [[ $forms == *" static "* ]] && docs_build_static "$doc" "$f" "$f.c"
        done
        [[ $forms == *" variants "* ]] &&
            docs_build_variant "$doc" socket-server-printed original socket-server.c -DPRINTED_USE_AFTER_FREE
        [[ $forms == *" fixtures "* ]] && docs_build_fixture "$doc" raw-frame raw-frame.c
        ;;
    esac
}

# -------------------------------------------------------------- sessions
#
# session_DOC SERVER_DIR CLIENT_DIR OUT_DIR: play the document's session
# with the server from SERVER_DIR and the client(s) from CLIENT_DIR, writing
# what each terminal shows into OUT_DIR (the command as the document typed
# it, then the program's output). DOCS_FILES names the transcripts. Fails,
# with DOCS_WHY, if the session could not be played or a program's exit or
# socket file was not as the document says.

# 000: ./wcserver FILE in one terminal, a message piped to ./wcclient FILE
# in another. SOCKET (optional 4th argument) overrides the file name.
session_socket_server_v() {
    local sd=$1 cd=$2 out=$3 run sock pid st
    run=$(docs_newdir); sock=${4:-$run/yourfilename}
    DOCS_FILES="wcserver.txt wcclient.txt"
    echo '$ ./wcserver /tmp/yourfilename' >"$out/wcserver.txt"
    docs_start "$out/wcserver.txt" "$run" "$sd/wcserver" "$sock"; pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$sock" "$pid"; then
        docs_stop "$pid"; DOCS_WHY="wcserver did not listen: $(docs_show "$out/wcserver.txt")"; return 1
    fi
    echo '$ echo "Hello, server" | ./wcclient /tmp/yourfilename' >"$out/wcclient.txt"
    echo "Hello, server" | docs_run "$out/wcclient.txt" "$run" "$cd/wcclient" "$sock"
    st=${PIPESTATUS[1]}
    docs_wait "$pid" || { DOCS_WHY="wcserver did not end after its client"; return 1; }
    [ "$st" = 0 ] || { DOCS_WHY="wcclient exited with status $st"; return 1; }
    [ "$DOCS_STATUS" = 0 ] || { DOCS_WHY="wcserver exited with status $DOCS_STATUS"; return 1; }
    [ -e "$sock" ] && { DOCS_WHY="wcserver left its socket file behind"; return 1; }
    return 0
}

# 001: ./server, then ./client, both on the compiled-in socket path.
session_brief_my_sock() {
    local sd=$1 cd=$2 out=$3 run pid st
    run=$(docs_newdir)
    DOCS_FILES="server.txt client.txt"
    echo '$ ./server' >"$out/server.txt"
    docs_start "$out/server.txt" "$run" "$sd/server"; pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$run/$DOCS_BRIEF_SOCK" "$pid"; then
        docs_stop "$pid"; DOCS_WHY="server did not listen: $(docs_show "$out/server.txt")"; return 1
    fi
    echo '$ ./client' >"$out/client.txt"
    docs_run "$out/client.txt" "$run" "$cd/client" </dev/null; st=$?
    docs_wait "$pid" || { DOCS_WHY="server did not end after its client"; return 1; }
    [ "$st" = 0 ] || { DOCS_WHY="client exited with status $st"; return 1; }
    [ "$DOCS_STATUS" = 0 ] || { DOCS_WHY="server exited with status $DOCS_STATUS"; return 1; }
    [ -e "$run/$DOCS_BRIEF_SOCK" ] && { DOCS_WHY="the socket file was left behind"; return 1; }
    return 0
}

# 002: the man page's "Example output", played in one terminal: the server
# in the background, the client three times, the server ending on DOWN.
session_unix7_seqpacket() {
    local sd=$1 cd=$2 out=$3 run pid st args t=$3/example-output.txt
    run=$(docs_newdir)
    DOCS_FILES="example-output.txt"
    echo '$ ./server &' >"$t"
    docs_start "$t" "$run" "$sd/server"; pid=$DOCS_LAST_PID
    echo "[1] $pid" >>"$t"
    if ! docs_wait_listening "$run/$DOCS_UNIX7_SOCK" "$pid"; then
        docs_stop "$pid"; DOCS_WHY="server did not listen: $(docs_show "$t")"; return 1
    fi
    for args in "3 4" "11 -5" "DOWN"; do
        echo "\$ ./client $args" >>"$t"
        # shellcheck disable=SC2086
        docs_run "$t" "$run" "$cd/client" $args </dev/null; st=$?
        [ "$st" = 0 ] || { docs_stop "$pid"; DOCS_WHY="client $args exited with status $st: $(docs_show "$t")"; return 1; }
    done
    if ! docs_wait "$pid"; then
        DOCS_WHY="the server did not end on DOWN"; return 1
    fi
    if [ "$DOCS_STATUS" = 0 ]; then
        echo '[1]+ Done ./server' >>"$t"
    else
        echo "[1]+ Exit $DOCS_STATUS ./server" >>"$t"
    fi
    echo '$' >>"$t"
    [ -e "$run/$DOCS_UNIX7_SOCK" ] && { DOCS_WHY="the socket file was left behind"; return 1; }
    return 0
}

# 003: the listener in one terminal, two test_client runs in another, then
# Ctrl-C in the listener's terminal (the terminal echoes "^C").
session_uds_listener() {
    local sd=$1 cd=$2 out=$3 run pid st msg L=$3/listener.txt C=$3/test_client.txt sock
    run=$(docs_newdir); sock=$run/sock1
    DOCS_FILES="listener.txt test_client.txt"
    echo '$ ./listener /tmp/sock1' >"$L"
    docs_start "$L" "$run" "$sd/listener" "$sock"; pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$sock" "$pid"; then
        docs_stop "$pid"; DOCS_WHY="listener did not listen: $(docs_show "$L")"; return 1
    fi
    : >"$C"
    for msg in "Test this string" "Take another one"; do
        echo "\$ ./test_client /tmp/sock1 \"$msg\"" >>"$C"
        docs_run "$C" "$run" "$cd/test_client" "$sock" "$msg" </dev/null; st=$?
        [ "$st" = 0 ] || { docs_stop "$pid"; DOCS_WHY="test_client exited with status $st: $(docs_show "$C")"; return 1; }
    done
    if ! docs_wait_lines "$L" "Client socket was closed by peer" 2 "$pid"; then
        docs_stop "$pid"; DOCS_WHY="the listener did not log both clients: $(docs_show "$L")"; return 1
    fi
    printf '^C' >>"$L"
    kill -INT "$pid"
    docs_wait "$pid" || { DOCS_WHY="the listener did not end on SIGINT"; return 1; }
    [ "$DOCS_STATUS" = 0 ] || { DOCS_WHY="the listener exited with status $DOCS_STATUS on SIGINT"; return 1; }
    [ -e "$sock" ] && { DOCS_WHY="the listener left its socket file behind"; return 1; }
    return 0
}

# 004: ./socket-server in one terminal, ./socket-client three times in
# another, the last message "quit".
session_alp_sockets() {
    local sd=$1 cd=$2 out=$3 run pid st msg S=$3/socket-server.txt C=$3/socket-client.txt sock
    run=$(docs_newdir); sock=$run/socket
    DOCS_FILES="socket-server.txt socket-client.txt"
    echo '% ./socket-server /tmp/socket' >"$S"
    docs_start "$S" "$run" "$sd/socket-server" "$sock"; pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$sock" "$pid"; then
        docs_stop "$pid"; DOCS_WHY="socket-server did not listen: $(docs_show "$S")"; return 1
    fi
    : >"$C"
    for msg in "Hello, world." "This is a test." "quit"; do
        echo "% ./socket-client /tmp/socket \"$msg\"" >>"$C"
        docs_run "$C" "$run" "$cd/socket-client" "$sock" "$msg" </dev/null; st=$?
        [ "$st" = 0 ] || { docs_stop "$pid"; DOCS_WHY="socket-client exited with status $st: $(docs_show "$C")"; return 1; }
    done
    docs_wait "$pid" || { DOCS_WHY="socket-server did not end on \"quit\""; return 1; }
    [ "$DOCS_STATUS" = 0 ] || { DOCS_WHY="socket-server exited with status $DOCS_STATUS"; return 1; }
    [ -e "$sock" ] && { DOCS_WHY="socket-server left its socket file behind"; return 1; }
    return 0
}

# 004, section 5.5.7: one program, parent and child over a socket pair.
session_alp_socketpair() {
    local dir=$1 out=$3 run st
    run=$(docs_newdir)
    DOCS_FILES="socketpair.txt"
    echo '% ./socketpair' >"$out/socketpair.txt"
    docs_run "$out/socketpair.txt" "$run" "$dir/socketpair" </dev/null; st=$?
    [ "$st" = 0 ] || { DOCS_WHY="socketpair exited with status $st"; return 1; }
    return 0
}

docs_session_fn() {
    case $1 in
        alp-socketpair) echo session_alp_socketpair ;;
        *) echo "session_${1//-/_}" ;;
    esac
}

docs_expected_dir() {
    case $1 in
        alp-socketpair) echo "$DOCS_CT/alp-sockets/expected" ;;
        *) echo "$DOCS_CT/$1/expected" ;;
    esac
}

# docs_play SESSION SERVER_DIR CLIENT_DIR OUT: play and compare; DOCS_WHY.
docs_play() {
    local session=$1 sd=$2 cd=$3 out=$4 why=
    DOCS_WHY=
    "$(docs_session_fn "$session")" "$sd" "$cd" "$out" || why=$DOCS_WHY
    # shellcheck disable=SC2086
    if ! docs_compare "$(docs_expected_dir "$session")" "$out" $DOCS_FILES; then
        DOCS_WHY="$DOCS_WHY${why:+; $why}"
        return 1
    fi
    DOCS_WHY=$why
    [ -z "$why" ]
}

# docs_pair DOC SERVER_FORM CLIENT_FORM: one pairing test.
docs_pair() {
    local doc=$1 s=$2 c=$3 out name
    name="$doc: $s server, $c client"
    case $doc in
        uds-listener) name="$doc: $s listener, $c test_client" ;;
        socket-server-v) name="$doc: $s wcserver, $c wcclient" ;;
        alp-sockets) name="$doc: $s socket-server, $c socket-client" ;;
    esac
    [ "$s" = ported-static ] && name="$doc: server and client linked with libudsock.a"
    out=$(docs_newdir out)
    if docs_play "$doc" "$DOCS_BUILD/$doc/$s" "$DOCS_BUILD/$doc/$c" "$out"; then
        docs_ok "$name reproduce the document's transcript"
    else
        docs_notok "$name reproduce the document's transcript" "$DOCS_WHY"
    fi
}

# ------------------------------------------------------------ bug tests

B() { echo "$DOCS_BUILD/$1"; }

# 000: the path-length check. The original refuses a path that does not
# fit in sun_path, as the post says it must; the port serves it.
bug_socket_server_v_long_path() {
    local name="socket-server-v: a 150-byte path: the original refuses it (its length check), the port serves it"
    local run d sock out st
    run=$(docs_newdir)
    d=$run/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..40})
    mkdir -p "$d"; sock=$d/yourfilename
    docs_run "$run/original.txt" "$run" "$(B socket-server-v/original)/wcserver" "$sock" </dev/null; st=$?
    if [ "$st" != 1 ] || ! grep -q 'the filename must be shorter' "$run/original.txt"; then
        docs_notok "$name" "original wcserver: expected its length error, got status $st $(docs_show "$run/original.txt")"
        return
    fi
    [ -e "$sock" ] && { docs_notok "$name" "the original created the socket"; return; }
    out=$(docs_newdir out)
    # shellcheck disable=SC2086
    if ! session_socket_server_v "$(B socket-server-v/ported)" "$(B socket-server-v/ported)" "$out" "$sock" ||
        ! docs_compare "$DOCS_CT/socket-server-v/expected" "$out" $DOCS_FILES; then
        docs_notok "$name" "ported, ${#sock}-byte path: $DOCS_WHY"
        return
    fi
    docs_ok "$name"
}

# 001: the client unlinks socketPath, which is the server's. Against a
# server that outlives one client, the next client finds no socket.
bug_brief_client_unlinks() {
    local name="brief-my-sock: the original client deletes a live server's socket, the port's does not"
    local run pid form want got
    for form in original ported; do
        run=$(docs_newdir)
        docs_start "$run/server.txt" "$run" "$(B brief-my-sock/tests)/serve-forever" "$DOCS_BRIEF_SOCK"
        pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$run/$DOCS_BRIEF_SOCK" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "serve-forever did not listen"; return
        fi
        docs_run "$run/client.txt" "$run" "$(B brief-my-sock/$form)/client" </dev/null
        docs_run "$run/client.txt" "$run" "$(B brief-my-sock/$form)/client" </dev/null
        docs_stop "$pid"
        got=$(cat "$run/client.txt")
        if [ $form = original ]; then
            want=$'Server Message\nConnect Failed: No such file or directory'
        else
            want=$'Server Message\nServer Message'
        fi
        if [ "$got" != "$want" ]; then
            docs_notok "$name" "$form client twice: expected $(printf %q "$want"), got $(printf %q "$got")"
            return
        fi
    done
    docs_ok "$name"
}

# 001: bind(..., sizeof(struct sockaddr)) passes 16 bytes: 14 of the path.
# With a longer name the server binds a truncated name nobody connects to.
bug_brief_sizeof_sockaddr() {
    local name="brief-my-sock: the original server binds with sizeof(struct sockaddr) and truncates a 22-byte name to 14, the port binds it whole"
    local run pid st short=${DOCS_BRIEF_LONG:0:14}
    run=$(docs_newdir)
    docs_start "$run/server.txt" "$run" "$(B brief-my-sock/variants)/original-server-long-name"
    pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$run/$short" "$pid"; then
        docs_stop "$pid"; docs_notok "$name" "the original did not bind '$short': $(docs_show "$run/server.txt")"; return
    fi
    docs_run "$run/client.txt" "$run" "$(B brief-my-sock/variants)/original-client-long-name" </dev/null; st=$?
    docs_stop "$pid"
    if [ "$st" != 1 ] || [ "$(cat "$run/client.txt")" != "Connect Failed: No such file or directory" ]; then
        docs_notok "$name" "original client: expected ENOENT, got status $st $(docs_show "$run/client.txt")"; return
    fi
    run=$(docs_newdir)
    docs_start "$run/server.txt" "$run" "$(B brief-my-sock/variants)/ported-server-long-name"
    pid=$DOCS_LAST_PID
    if ! docs_wait_listening "$run/$DOCS_BRIEF_LONG" "$pid"; then
        docs_stop "$pid"; docs_notok "$name" "the port did not bind '$DOCS_BRIEF_LONG': $(docs_show "$run/server.txt")"; return
    fi
    docs_run "$run/client.txt" "$run" "$(B brief-my-sock/variants)/ported-client-long-name" </dev/null; st=$?
    docs_wait "$pid"
    if [ "$st" != 0 ] || [ "$(cat "$run/client.txt")" != "Server Message" ] || [ "$DOCS_STATUS" != 0 ]; then
        docs_notok "$name" "ported: client status $st $(docs_show "$run/client.txt"), server status $DOCS_STATUS"; return
    fi
    if [ -e "$run/$short" ] || [ -e "$run/$DOCS_BRIEF_LONG" ]; then
        docs_notok "$name" "ported: a socket file was left behind"; return
    fi
    docs_ok "$name"
}

# 002: the printed (6.04) server breaks on DOWN and closes with END unread;
# the client's read of the result then fails with ECONNRESET. A fixture
# makes it certain: it queues DOWN and END while the server is busy with
# another client, and reads only after the server has hung up.
bug_unix7_printed_reset() {
    local name="unix7-seqpacket: the printed 6.04 server resets the client after DOWN (ECONNRESET); the fixed original and the port answer"
    local server run pid got want
    for server in variants/server-printed-6.04 original/server ported/server; do
        run=$(docs_newdir)
        docs_start "$run/server.txt" "$run" "$(B unix7-seqpacket)/$server"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$run/$DOCS_UNIX7_SOCK" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$server did not listen"; return
        fi
        docs_run "$run/peer.txt" "$run" "$(B unix7-seqpacket/tests)/seqpacket-peer" "$DOCS_UNIX7_SOCK" \
            c0 s0:1 c1 s1:DOWN s1:END s0:END r0 h1 r1 </dev/null
        docs_wait "$pid"
        got=$(cat "$run/peer.txt")
        want=$'Result = 1\nResult = 0'
        [ "$server" = variants/server-printed-6.04 ] && want=$'Result = 1\nread: Connection reset by peer'
        if [ "$got" != "$want" ]; then
            docs_notok "$name" "$server: expected $(printf %q "$want"), got $(printf %q "$got")"; return
        fi
    done
    docs_ok "$name"
}

# 002: the server never checks read() for 0: a client that leaves without
# END makes it add the last number forever, serving nobody else.
bug_unix7_eof_spin() {
    local name="unix7-seqpacket: a client leaving without END: the original server spins on read()==0, the port drops it and serves the next"
    local form run pid st
    for form in original ported; do
        run=$(docs_newdir)
        docs_start "$run/server.txt" "$run" "$(B unix7-seqpacket/$form)/server"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$run/$DOCS_UNIX7_SOCK" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$form server did not listen"; return
        fi
        docs_run "$run/peer.txt" "$run" "$(B unix7-seqpacket/tests)/seqpacket-peer" "$DOCS_UNIX7_SOCK" c0 s0:3 x0 </dev/null
        if [ $form = original ]; then
            docs_run_for 1 "$run/client.txt" "$run" "$(B unix7-seqpacket/original)/client" DOWN; st=$?
            docs_stop "$pid"
            if [ "$st" != 124 ]; then
                docs_notok "$name" "original: expected no answer (timeout), got status $st $(docs_show "$run/client.txt")"; return
            fi
        else
            docs_run "$run/client.txt" "$run" "$(B unix7-seqpacket/original)/client" DOWN </dev/null; st=$?
            docs_wait "$pid"
            if [ "$st" != 0 ] || [ "$(cat "$run/client.txt")" != "Result = 0" ] || [ "$DOCS_STATUS" != 0 ] ||
                ! grep -q 'without END' "$run/server.txt"; then
                docs_notok "$name" "port: client status $st $(docs_show "$run/client.txt"), server status $DOCS_STATUS $(docs_show "$run/server.txt")"; return
            fi
        fi
    done
    docs_ok "$name"
}

# 002: a client that hangs up before its result: the server's write fails
# (EPIPE) and the server exits, leaving its socket file, so it cannot be
# restarted. The fixture hangs up while the server is busy with another
# client, so the order is certain.
bug_unix7_early_hangup() {
    local name="unix7-seqpacket: a client hanging up before its result: the original server exits on EPIPE leaving its socket, the port goes on"
    local form run pid st
    for form in original ported; do
        run=$(docs_newdir)
        docs_start "$run/server.txt" "$run" "$(B unix7-seqpacket/$form)/server"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$run/$DOCS_UNIX7_SOCK" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$form server did not listen"; return
        fi
        docs_run "$run/peer.txt" "$run" "$(B unix7-seqpacket/tests)/seqpacket-peer" "$DOCS_UNIX7_SOCK" \
            c0 s0:3 c1 s1:3 s1:END x1 s0:END r0 </dev/null
        if [ $form = original ]; then
            docs_wait "$pid"
            if [ "$DOCS_STATUS" != 1 ] || ! grep -q 'write: Broken pipe' "$run/server.txt" ||
                [ ! -S "$run/$DOCS_UNIX7_SOCK" ]; then
                docs_notok "$name" "original: expected exit 1 on EPIPE with the socket left, got status $DOCS_STATUS $(docs_show "$run/server.txt")"; return
            fi
        else
            docs_run "$run/client.txt" "$run" "$(B unix7-seqpacket/original)/client" DOWN </dev/null; st=$?
            docs_wait "$pid"
            if [ "$st" != 0 ] || [ "$(cat "$run/client.txt")" != "Result = 0" ] || [ "$DOCS_STATUS" != 0 ] ||
                [ -e "$run/$DOCS_UNIX7_SOCK" ]; then
                docs_notok "$name" "port: client status $st $(docs_show "$run/client.txt"), server status $DOCS_STATUS $(docs_show "$run/server.txt")"; return
            fi
        fi
        if [ "$(cat "$run/peer.txt")" != "Result = 3" ]; then
            docs_notok "$name" "$form: the first client got $(docs_show "$run/peer.txt")"; return
        fi
    done
    docs_ok "$name"
}

# 002: the client does not check read() for 0 either: a server that hangs
# up without a result makes it print "Result = END" (its own request) and
# succeed.
bug_unix7_client_eof() {
    local name="unix7-seqpacket: a server hanging up without a result: the original client prints 'Result = END', the port reports it"
    local form run pid st want
    for form in original ported; do
        run=$(docs_newdir)
        docs_start "$run/fixture.txt" "$run" "$(B unix7-seqpacket/tests)/seqpacket-peer" "$DOCS_UNIX7_SOCK" l a0 w0:END x0
        pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$run/$DOCS_UNIX7_SOCK" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "the fixture did not listen"; return
        fi
        docs_run "$run/client.txt" "$run" "$(B unix7-seqpacket/$form)/client" 3 </dev/null; st=$?
        docs_wait "$pid"
        if [ $form = original ]; then
            want="0 Result = END"
        else
            want="1 client: the server hung up without a result"
        fi
        if [ "$st $(cat "$run/client.txt")" != "$want" ]; then
            docs_notok "$name" "$form client: expected '$want', got status $st $(docs_show "$run/client.txt")"; return
        fi
    done
    docs_ok "$name"
}

# 003: SIGTERM, like Ctrl-C, ends the listener gracefully: it logs, exits 0
# and unlinks its socket.
bug_listener_sigterm() {
    local name="uds-listener: SIGTERM ends the listener gracefully and removes its socket (original and port)"
    local form run pid sock
    for form in original ported; do
        run=$(docs_newdir); sock=$run/sock1
        docs_start "$run/listener.txt" "$run" "$(B uds-listener/$form)/listener" "$sock"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$sock" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$form listener did not listen"; return
        fi
        docs_run "$run/client.txt" "$run" "$(B uds-listener/$form)/test_client" "$sock" hello </dev/null
        docs_wait_lines "$run/listener.txt" "Client socket was closed by peer" 1 "$pid"
        kill -TERM "$pid"
        docs_wait "$pid"
        if [ "$DOCS_STATUS" != 0 ] || [ -e "$sock" ] ||
            [ "$(tail -n1 "$run/listener.txt")" != "[LISTENER] INFO  Terminating service" ]; then
            docs_notok "$name" "$form: status $DOCS_STATUS, socket $( [ -e "$sock" ] && echo left || echo removed), log $(docs_show "$run/listener.txt")"; return
        fi
    done
    docs_ok "$name"
}

# 003: strncpy(sun_path, path, SOCKET_NAME_MAX_LEN) truncates a long path
# silently: the original binds (and leaves behind) a socket at a name that
# is not the one it was given. The port binds the real path.
bug_listener_long_path() {
    local name="uds-listener: a 160-byte path: the original binds a truncated name and leaves it behind, the port binds the real path and removes it"
    local form run pid sock short
    for form in original ported; do
        run=$(docs_newdir)
        mkdir -p "$run/$(printf 'a%.0s' {1..60})"
        sock=$run/$(printf 'a%.0s' {1..60})/$(printf 'b%.0s' {1..60}).sock
        short=${sock:0:107}
        docs_start "$run/listener.txt" "$run" "$(B uds-listener/$form)/listener" "$sock"; pid=$DOCS_LAST_PID
        if [ $form = original ]; then
            if ! docs_wait_listening "$short" "$pid"; then
                docs_stop "$pid"; docs_notok "$name" "the original did not bind the truncated name: $(docs_show "$run/listener.txt")"; return
            fi
        elif ! docs_wait_listening "$sock" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "the port did not bind the ${#sock}-byte path: $(docs_show "$run/listener.txt")"; return
        fi
        docs_run "$run/client.txt" "$run" "$(B uds-listener/$form)/test_client" "$sock" hello </dev/null
        docs_wait_lines "$run/listener.txt" "Client socket was closed by peer" 1 "$pid"
        kill -TERM "$pid"
        docs_wait "$pid"
        if ! grep -q 'Got back: Got your message' "$run/client.txt"; then
            docs_notok "$name" "$form client: $(docs_show "$run/client.txt")"; return
        fi
        if [ $form = original ] && { [ ! -S "$short" ] || [ -e "$sock" ]; }; then
            docs_notok "$name" "original: expected the truncated socket left behind"; return
        fi
        if [ $form = ported ] && { [ -e "$short" ] || [ -e "$sock" ] || [ "$DOCS_STATUS" != 0 ]; }; then
            docs_notok "$name" "port: status $DOCS_STATUS or a socket file left behind"; return
        fi
    done
    docs_ok "$name"
}

# 003: the listener unlinks its path before bind, whatever is there: a
# second listener started by mistake takes the path from a live one. The
# port replaces only a stale socket and refuses a live one.
bug_listener_steals_live() {
    local name="uds-listener: a second listener on a live path: the original unlinks the live socket and takes over, the port refuses (EADDRINUSE)"
    local form run first second sock ino st
    for form in original ported; do
        run=$(docs_newdir); sock=$run/sock1
        docs_start "$run/first.txt" "$run" "$(B uds-listener/ported)/listener" "$sock"; first=$DOCS_LAST_PID
        if ! docs_wait_listening "$sock" "$first"; then
            docs_stop "$first"; docs_notok "$name" "the first listener did not listen"; return
        fi
        ino=$(stat -c %i "$sock")
        if [ $form = original ]; then
            docs_start "$run/second.txt" "$run" "$(B uds-listener/original)/listener" "$sock"; second=$DOCS_LAST_PID
            for ((st = 0; st < 300; st++)); do
                [ "$(stat -c %i "$sock" 2>/dev/null)" != "$ino" ] && docs_listening "$sock" 2 && break
                sleep 0.01
            done
        else
            docs_run "$run/second.txt" "$run" "$(B uds-listener/ported)/listener" "$sock" </dev/null; st=$?
            if [ "$st" != 1 ] || ! grep -qi 'in use' "$run/second.txt"; then
                docs_stop "$first"
                docs_notok "$name" "port: expected the second listener to fail with EADDRINUSE, got status $st $(docs_show "$run/second.txt")"; return
            fi
        fi
        docs_run "$run/client.txt" "$run" "$(B uds-listener/ported)/test_client" "$sock" "who answers" </dev/null
        docs_stop "$first"
        [ $form = original ] && docs_stop "$second"
        if [ $form = original ] && ! grep -q 'Incoming message: who answers' "$run/second.txt"; then
            docs_notok "$name" "original: the second listener did not take over: $(docs_show "$run/second.txt")"; return
        fi
        if [ $form = ported ] && ! grep -q 'Incoming message: who answers' "$run/first.txt"; then
            docs_notok "$name" "port: the first listener lost its clients: $(docs_show "$run/first.txt")"; return
        fi
    done
    docs_ok "$name"
}

# 004: the printed server frees the text, then compares it with "quit": on
# current glibc the free has overwritten it, and the server never ends. The
# fixed original and the port end on "quit".
bug_alp_use_after_free() {
    local name="alp-sockets: the printed server (free before strcmp) never sees \"quit\"; the fixed original and the port end on it"
    local server run pid sock
    for server in variants/socket-server-printed original/socket-server ported/socket-server; do
        run=$(docs_newdir); sock=$run/socket
        docs_start "$run/server.txt" "$run" "$(B alp-sockets)/$server" "$sock"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$sock" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$server did not listen"; return
        fi
        docs_run "$run/client.txt" "$run" "$(B alp-sockets/original)/socket-client" "$sock" quit </dev/null
        if [ "$server" = variants/socket-server-printed ]; then
            # Still serving after "quit": it prints the next message.
            docs_run "$run/client.txt" "$run" "$(B alp-sockets/original)/socket-client" "$sock" "still serving" </dev/null
            if ! docs_wait_lines "$run/server.txt" "still serving" 1 "$pid"; then
                docs_stop "$pid"
                docs_notok "$name" "the printed server did not serve after quit: $(docs_show "$run/server.txt")"; return
            fi
            docs_stop "$pid"
        elif ! docs_wait "$pid" || [ "$DOCS_STATUS" != 0 ] || [ -e "$sock" ]; then
            docs_notok "$name" "$server did not end cleanly on quit (status $DOCS_STATUS)"; return
        fi
    done
    docs_ok "$name"
}

# 004: the server trusts the length prefix: 2 GiB (INT_MIN as an int) makes
# malloc fail, and the NULL text is printed and compared: a crash, with the
# socket file left behind. The port reports the oversized message, drops
# that client and serves the next.
bug_alp_huge_length() {
    local name="alp-sockets: a 2 GiB length prefix: the original server crashes and leaves its socket, the port reports it and goes on"
    local form run pid sock
    for form in original ported; do
        run=$(docs_newdir); sock=$run/socket
        docs_start "$run/server.txt" "$run" "$(B alp-sockets/$form)/socket-server" "$sock"; pid=$DOCS_LAST_PID
        if ! docs_wait_listening "$sock" "$pid"; then
            docs_stop "$pid"; docs_notok "$name" "$form server did not listen"; return
        fi
        docs_run "$run/raw.txt" "$run" "$(B alp-sockets/tests)/raw-frame" "$sock" 2147483648 hi </dev/null
        if [ $form = original ]; then
            docs_wait "$pid"
            if [ "$DOCS_STATUS" -lt 128 ] || [ ! -S "$sock" ]; then
                docs_notok "$name" "original: expected a crash leaving the socket, got status $DOCS_STATUS $(docs_show "$run/server.txt")"; return
            fi
        else
            docs_run "$run/client.txt" "$run" "$(B alp-sockets/original)/socket-client" "$sock" quit </dev/null
            docs_wait "$pid"
            if [ "$DOCS_STATUS" != 0 ] || [ -e "$sock" ] || [ "$(tail -n1 "$run/server.txt")" != quit ] ||
                ! grep -q '^socket-server: ' "$run/server.txt"; then
                docs_notok "$name" "port: status $DOCS_STATUS $(docs_show "$run/server.txt")"; return
            fi
        fi
    done
    docs_ok "$name"
}

# 004: the client checks nothing: with no server it "succeeds", its
# message lost. The port says why it failed.
bug_alp_client_no_server() {
    local name="alp-sockets: no server: the original client exits 0 with its message lost, the port reports the error"
    local run st
    run=$(docs_newdir)
    docs_run "$run/original.txt" "$run" "$(B alp-sockets/original)/socket-client" "$run/socket" hello </dev/null; st=$?
    if [ "$st" != 0 ] || [ -s "$run/original.txt" ]; then
        docs_notok "$name" "original: expected a silent status 0, got $st $(docs_show "$run/original.txt")"; return
    fi
    docs_run "$run/ported.txt" "$run" "$(B alp-sockets/ported)/socket-client" "$run/socket" hello </dev/null; st=$?
    if [ "$st" != 1 ] || ! grep -q '^socket-client: ' "$run/ported.txt"; then
        docs_notok "$name" "port: expected status 1 and a message, got $st $(docs_show "$run/ported.txt")"; return
    fi
    docs_ok "$name"
}

# The static builds must not need libudsock.so.
docs_check_static() {
    local name="ported programs linked with libudsock.a do not need libudsock.so" f bad=
    for f in "$DOCS_BUILD"/*/ported-static/*; do
        [ -x "$f" ] || continue
        if readelf -d "$f" 2>/dev/null | grep -q 'NEEDED.*libudsock'; then bad="$bad ${f#"$DOCS_BUILD"/}"; fi
    done
    if [ -n "$bad" ]; then docs_notok "$name" "linked to the shared library:$bad"; else docs_ok "$name"; fi
}

# ------------------------------------------------------------------ main

docs_check_main() {
    local doc s c
    docs_env || { echo "0 passed, 1 failed"; exit 1; }
    docs_setup_work || exit 1
    echo "# libudsock $(pkg-config --modversion udsock), documents' programs, build in ${DOCS_BUILD#"$DOCS_ROOT"/}"
    rm -rf "$DOCS_BUILD"
    for doc in "${DOCS_DOCUMENTS[@]}"; do
        docs_build_doc "$doc" "original ported static variants fixtures"
    done
    docs_check_static

    for doc in "${DOCS_DOCUMENTS[@]}"; do
        for s in original ported; do
            for c in original ported; do
                docs_pair "$doc" "$s" "$c"
            done
        done
        docs_pair "$doc" ported-static ported-static
    done
    for s in original ported; do
        if docs_play alp-socketpair "$DOCS_BUILD/alp-sockets/$s" "" "$(docs_newdir out)"; then
            docs_ok "alp-sockets: $s socketpair reproduces its transcript"
        else
            docs_notok "alp-sockets: $s socketpair reproduces its transcript" "$DOCS_WHY"
        fi
    done

    bug_socket_server_v_long_path
    bug_brief_client_unlinks
    bug_brief_sizeof_sockaddr
    bug_unix7_printed_reset
    bug_unix7_eof_spin
    bug_unix7_early_hangup
    bug_unix7_client_eof
    bug_listener_sigterm
    bug_listener_long_path
    bug_listener_steals_live
    bug_alp_use_after_free
    bug_alp_huge_length
    bug_alp_client_no_server

    docs_cleanup
    echo "$DOCS_PASSED passed, $DOCS_FAILED failed"
    [ "$DOCS_FAILED" = 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    docs_check_main "$@"
fi
