#!/usr/bin/env bash
# docs-demo.sh - the body of "make demo".
#
# For each document, builds its programs as ported to udsock.h, starts the
# ported server, runs its client(s) live, and prints the transcript the
# document expects beside the one just produced. Ends with the line
# "N of N documents reproduced"; exits 0 only if all were.
#
# The library comes from the staged install (make stage), as for
# docs-check.sh, whose functions this script uses. Everything runs in a
# private directory that is removed at the end.

set -u
# shellcheck source=c-tests/docs-check.sh
. "$(dirname "${BASH_SOURCE[0]}")/docs-check.sh"

docs_demo_title() {
    case $1 in
    socket-server-v) echo '000 "How to write a socket server V": wcserver and wcclient (reconstructed; the post prints no transcript)' ;;
    brief-my-sock)   echo '001 "Brief": the my_sock server and its client (the page prints no transcript; it says what they print)' ;;
    unix7-seqpacket) echo '002 unix(7): the SOCK_SEQPACKET summing server and client, its "Example output"' ;;
    uds-listener)    echo '003 "Unix Domain Sockets": listener and test_client, its "Execution example"' ;;
    alp-sockets)     echo '004 Advanced Linux Programming 5.5: socket-server and socket-client (5.5.5), a socket pair (5.5.7)' ;;
    esac
}

# Two columns: what the document expects, what was produced; diff marks a
# differing line with "|" and a missing one with "<" or ">".
docs_demo_side_by_side() {
    local exp=$1 got=$2
    printf '    %-70s   %s\n' "expected: ${exp#"$DOCS_ROOT"/}" "produced"
    diff -y -t -W 150 <(docs_normalize "$exp") <(docs_normalize "$got") | sed 's/^/    /'
    return 0
}

docs_demo_main() {
    local doc session sessions out ok reproduced=0 total=0 build f
    docs_env || { echo "0 of ${#DOCS_DOCUMENTS[@]} documents reproduced"; exit 1; }
    docs_setup_work || exit 1
    echo "libudsock $(pkg-config --modversion udsock): the documents' programs, ported to udsock.h, run live"
    for doc in "${DOCS_DOCUMENTS[@]}"; do
        total=$((total + 1))
        echo
        echo "== $(docs_demo_title "$doc")"
        echo "   c-tests/$doc/ported/, built with pkg-config, socket in a private directory"
        build=$(docs_build_doc "$doc" ported)
        if grep -q '^not ok' <<<"$build"; then
            grep '^not ok' <<<"$build" | sed 's/^/   /'
            echo "   NOT reproduced: the ported programs do not build"
            continue
        fi
        ok=1
        sessions=("$doc")
        [ "$doc" = alp-sockets ] && sessions+=(alp-socketpair)
        for session in "${sessions[@]}"; do
            out=$(docs_newdir out)
            if ! docs_play "$session" "$DOCS_BUILD/$doc/ported" "$DOCS_BUILD/$doc/ported" "$out"; then
                ok=0
            fi
            for f in $DOCS_FILES; do
                [ -f "$out/$f" ] || : >"$out/$f"
                echo
                docs_demo_side_by_side "$(docs_expected_dir "$session")/$f" "$out/$f"
            done
            [ "$session" = unix7-seqpacket ] &&
                echo "    (the job's pid, 25887 in the man page, cannot repeat: it is compared as PID)"
            [ -n "$DOCS_WHY" ] && echo "    ($DOCS_WHY)"
        done
        echo
        if [ $ok = 1 ]; then
            reproduced=$((reproduced + 1))
            echo "   reproduced"
        else
            echo "   NOT reproduced"
        fi
    done
    docs_cleanup
    echo
    echo "$reproduced of $total documents reproduced"
    [ "$reproduced" = "$total" ]
}

docs_demo_main "$@"
