#!/usr/bin/env bash
# The C programs in examples/, built against the staged install as a user
# builds them (pkg-config, strict flags) and run with their default sizes
# under a time limit: each must exit 0.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh || { echo "run 'make stage' first" >&2; exit 2; }
CC=${CC:-cc}
out=build/examples
mkdir -p "$out"
pass=0 fail=0
for src in examples/*.c; do
    name=$(basename "$src" .c)
    if ! $CC -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags udsock) "$src" -o "$out/$name" \
         $(pkg-config --libs udsock); then
        echo "not ok - example $name: does not compile"; fail=$((fail + 1)); continue
    fi
    if timeout 120 "$out/$name" >"$out/$name.log" 2>&1; then
        echo "ok - example $name: $(tail -n 1 "$out/$name.log")"; pass=$((pass + 1))
    else
        echo "not ok - example $name:"; sed 's/^/    /' "$out/$name.log"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
