#!/usr/bin/env bash
# The README's C example, compiled with the README's own commands
# (dynamic, libudsock.a, fully static) and run, each twice:
#   staged   against the staged install as the tests see it (a sysroot)
#   relocated with only PKG_CONFIG_PATH pointing into the DESTDIR tree and
#            `pkg-config --define-prefix`: the .pc file must relocate
# A fully static program is linked from nothing but what pkg-config prints.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh
stage_pc=$PKG_CONFIG_LIBDIR
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The example uses /tmp/demo.sock: point it into the private directory.
awk '/^```c$/{f=1; next} /^```$/{f=0} f' README.md | sed "s|/tmp/demo.sock|$dir/demo.sock|g" > "$dir/demo.c"
commands=$(awk '/^```sh$/{f=1; next} /^```$/{f=0} f' README.md | sed -n '/^cc .*demo.c/,/-o demo/p' |
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | sed 's/ *# .*$//')
[ -n "$commands" ] || { echo "not ok - README has no cc commands for demo.c"; exit 1; }
grep -q -- ' -static ' <<<"$commands" || { echo "not ok - README has no fully static (cc -static) command"; exit 1; }

# How the program came out linked: what the command asked for.
linked_as_asked() {    # COMMAND
    case $1 in
        *' -static '*) ! readelf -l demo | grep -q INTERP && ! readelf -d demo | grep -q NEEDED ;;
        *libudsock.a*) ! readelf -d demo | grep -q 'NEEDED.*libudsock' ;;
        *) readelf -d demo | grep -q 'NEEDED.*\[libudsock\.so\.0\]' ;;
    esac
}

# Runs every command in the current environment; $1 names it.
run_all() {
    local how=$1 cmd
    while IFS= read -r cmd; do
        rm -f demo
        if (eval "$cmd") >build.log 2>&1 && linked_as_asked "$cmd" &&
           [ "$(./demo)" = hello ] && [ ! -e demo.sock ]; then
            echo "ok - README example ($how): ${cmd:0:70}..."; pass=$((pass + 1))
        else
            echo "not ok - README example ($how): $cmd"; sed 's/^/    /' build.log; fail=$((fail + 1))
        fi
    done <<<"$commands"
}

pass=0 fail=0
cd "$dir"
run_all staged

# pkg-config relocates the .pc file: its prefix is where the file lies.
relocated() (
    unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
    export PKG_CONFIG_PATH=$stage_pc
    pkg-config() { command pkg-config --define-prefix "$@"; }
    libdir=$(pkg-config --variable=libdir udsock)
    if [ "$libdir" = "$UDS_LIBDIR" ]; then
        echo "ok - pkg-config --define-prefix: libdir is the staged $libdir"; pass=$((pass + 1))
    else
        echo "not ok - pkg-config --define-prefix: libdir is '$libdir', not $UDS_LIBDIR"; fail=$((fail + 1))
    fi
    export LD_LIBRARY_PATH=$libdir
    run_all relocated
    echo "$pass $fail" >counts
)
relocated
read -r pass fail <counts
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" = $((2 * $(wc -l <<<"$commands") + 1)) ]
