#!/usr/bin/env bash
# Builds every c-tests/unit/*.c against the staged install through
# pkg-config, once linked dynamically and once statically, and runs both.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh || { echo "run 'make stage' first" >&2; exit 2; }

CC=${CC:-cc}
FLAGS="-std=c99 -Wall -Wextra -Werror -pedantic"
out=build/c-unit
mkdir -p "$out"
cflags=$(pkg-config --cflags udsock)
libs=$(pkg-config --libs udsock)
# Static: the archive itself, then what Libs.private says it needs.
static_libs="$UDS_LIBDIR/libudsock.a $(pkg-config --static --libs-only-l udsock | sed 's/-ludsock//')"

pass=0 fail=0
for src in c-tests/unit/*.c; do
    name=$(basename "$src" .c)
    for link in dynamic static; do
        bin="$out/$name-$link"
        if [ $link = dynamic ]; then l=$libs; else l=$static_libs; fi
        if ! $CC $FLAGS $cflags -Ic-tests/unit "$src" -o "$bin" $l; then
            echo "not ok - $name ($link): does not compile"; fail=$((fail + 1)); continue
        fi
        if [ $link = static ] && readelf -d "$bin" | grep -q 'NEEDED.*libudsock'; then
            echo "not ok - $name ($link): linked to the shared library"; fail=$((fail + 1)); continue
        fi
        if timeout 120 "$bin" >"$bin.log" 2>&1; then
            echo "ok - $name ($link): $(tail -n 1 "$bin.log")"; pass=$((pass + 1))
        else
            echo "not ok - $name ($link):"; sed 's/^/    /' "$bin.log"; fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
