#!/usr/bin/env bash
# Builds every c-tests/unit/*.c against the staged install through
# pkg-config, once linked dynamically and once statically, and runs both.
#   --sanitize   instead: built with -fsanitize=address,undefined (dynamic)
#   --valgrind   instead: the dynamic build run under valgrind memcheck
# A test that exits with 77 cannot run here (its last line says why): it
# is reported as skipped.
set -uo pipefail
mode=${1:-plain}
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh || { echo "run 'make stage' first" >&2; exit 2; }

CC=${CC:-cc}
FLAGS="-std=c99 -Wall -Wextra -Werror -pedantic"
out=build/c-unit-${mode#--}
mkdir -p "$out"
cflags=$(pkg-config --cflags udsock)
libs=$(pkg-config --libs udsock)
# Static: libudsock.a into the otherwise dynamic test (build/stage/env.sh).
static_libs=$UDS_STATIC_LIBS

pass=0 fail=0 skip=0
for src in c-tests/unit/*.c; do
    name=$(basename "$src" .c)
    links="dynamic static"; [ "$mode" = plain ] || links=dynamic
    for link in $links; do
        bin="$out/$name-$link"
        if [ $link = dynamic ]; then l=$libs; else l=$static_libs; fi
        extra=
        [ "$mode" = --sanitize ] && extra="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g"
        [ "$mode" = --valgrind ] && extra=-g
        if ! $CC $FLAGS $extra $cflags -Ic-tests/unit "$src" -o "$bin" $l; then
            echo "not ok - $name ($link): does not compile"; fail=$((fail + 1)); continue
        fi
        if [ $link = static ] && readelf -d "$bin" | grep -q 'NEEDED.*libudsock'; then
            echo "not ok - $name ($link): linked to the shared library"; fail=$((fail + 1)); continue
        fi
        run=()
        # --fair-sched: valgrind runs one thread at a time, and its default
        # lock lets a thread that spins in system calls starve the others.
        [ "$mode" = --valgrind ] && run=(valgrind -q --fair-sched=yes --error-exitcode=99
            --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no)
        UDS_TEST_MODE=$mode timeout 300 "${run[@]}" "$bin" >"$bin.log" 2>&1
        rc=$?
        if [ $rc = 0 ]; then
            echo "ok - $name ($link): $(tail -n 1 "$bin.log")"; pass=$((pass + 1))
        elif [ $rc = 77 ]; then
            echo "skip - $name ($link): $(tail -n 1 "$bin.log")"; skip=$((skip + 1))
        else
            echo "not ok - $name ($link):"; sed 's/^/    /' "$bin.log"; fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed$([ $skip = 0 ] || echo ", $skip skipped")"
[ "$fail" = 0 ]
