#!/usr/bin/env bash
# The reliability tests: load, faults and hostile input (see SECURITY.md).
# Builds every c-tests/reliability/*.c against the staged install through
# pkg-config (linked dynamically) and runs each under a timeout, printing
# the figures it reports (lines starting with #).
#   (no option)  the quick sizes, for `make check` (well under a minute)
#   --full       the sizes of the issue: 1,000 clients x 100 frames,
#                100,000 fds, 256 MiB under signals, 2,000 race rounds
#   --sanitize   quick sizes, built with -fsanitize=address,undefined
#   --valgrind   small sizes, under valgrind memcheck
# A test whose `/* needs: ... */` line names functions this build of the
# library does not have yet is skipped, as is one that exits with 77 (it
# cannot run here; its last line says why); the summary counts both.
set -uo pipefail
mode=${1:-quick}
case $mode in
    quick | --full | --sanitize | --valgrind) ;;
    *) echo "usage: $0 [--full | --sanitize | --valgrind]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh || { echo "run 'make stage' first" >&2; exit 2; }

CC=${CC:-cc}
FLAGS="-std=c99 -Wall -Wextra -Werror -pedantic -pthread"
out=build/reliability-${mode#--}
mkdir -p "$out"
cflags=$(pkg-config --cflags udsock)
libs=$(pkg-config --libs udsock)
extra="-O2"
limit=120
run=()
case $mode in
    --full) limit=900 ;;
    --sanitize) extra="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
        limit=300 ;;
    # --fair-sched: valgrind runs one thread at a time, and its default lock
    # lets a thread that spins in system calls (the stale-race attacker)
    # starve the others for many minutes.
    --valgrind) extra="-O1 -g"; limit=300
        run=(valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full
             --errors-for-leak-kinds=definite,indirect --track-fds=no) ;;
esac
export UDS_REL_FULL=0 UDS_TEST_MODE=$mode
[ "$mode" = --full ] && UDS_REL_FULL=1

# Whether the installed header declares function $1.
declared() {
    # grep reads it all (not -q): an early exit would make the compiler's
    # write fail (SIGPIPE), which pipefail reports as not declared.
    echo '#include <udsock.h>' | $CC $cflags -E - 2>/dev/null | grep "\\b$1 *(" >/dev/null
}

pass=0 fail=0 skipped=()
start=$(date +%s)
for src in c-tests/reliability/*.c; do
    name=$(basename "$src" .c)
    missing=
    for fn in $(sed -n 's|^/\* needs: \(.*\) \*/$|\1|p' "$src"); do
        declared "$fn" || missing="$missing $fn"
    done
    if [ -n "$missing" ]; then
        echo "skip - $name: this build has no$missing"; skipped+=("$name"); continue
    fi
    bin="$out/$name"
    if ! $CC $FLAGS $extra $cflags -Ic-tests/unit "$src" -o "$bin" $libs; then
        echo "not ok - $name: does not compile"; fail=$((fail + 1)); continue
    fi
    t0=$(date +%s%N)
    if timeout -k 10 $limit "${run[@]}" "$bin" >"$bin.log" 2>&1; then
        ms=$((($(date +%s%N) - t0) / 1000000))
        printf 'ok - %s (%d.%d s): %s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100)) \
            "$(tail -n 1 "$bin.log")"
        pass=$((pass + 1))
        grep '^#' "$bin.log" | sed 's/^/    /'
    else
        rc=$?
        if [ $rc = 77 ]; then
            echo "skip - $name: $(tail -n 1 "$bin.log")"; skipped+=("$name"); continue
        fi
        echo "not ok - $name (exit $rc$([ $rc = 124 ] && echo ", timed out after $limit s")):"
        sed 's/^/    /' "$bin.log"; fail=$((fail + 1))
    fi
done
[ ${#skipped[@]} = 0 ] || echo "${#skipped[@]} skipped: ${skipped[*]}"
echo "reliability ${mode#--}: $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
