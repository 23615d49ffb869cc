#!/usr/bin/env bash
# The README's C example, compiled with the README's own two commands
# (dynamic and static) against the staged install, and run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The example uses /tmp/demo.sock: point it into the private directory.
awk '/^```c$/{f=1; next} /^```$/{f=0} f' README.md | sed "s|/tmp/demo.sock|$dir/demo.sock|g" > "$dir/demo.c"
commands=$(awk '/^```sh$/{f=1; next} /^```$/{f=0} f' README.md | sed -n '/^cc .*demo.c/,/-o demo/p')
[ -n "$commands" ] || { echo "not ok - README has no cc commands for demo.c"; exit 1; }
pass=0 fail=0
cd "$dir"
while IFS= read -r cmd; do
    rm -f demo
    if eval "$cmd" && [ "$(./demo)" = hello ] && [ ! -e demo.sock ]; then
        echo "ok - README example: ${cmd:0:60}..."; pass=$((pass + 1))
    else
        echo "not ok - README example: $cmd"; fail=$((fail + 1))
    fi
done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' <<<"$commands" | sed 's/ *# .*$//')
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" = 2 ]
