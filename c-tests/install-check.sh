#!/usr/bin/env bash
# `make install` and `make uninstall` into private DESTDIR trees: the .pc
# file names its directories relative to ${prefix}/${exec_prefix} where
# they lie below them, and uninstall removes what install created (files,
# then directories left empty), never a directory that was there before
# or that holds anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

pass=0 fail=0
ok()  { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# make with a private record of created directories (not build/'s).
mk() { make --no-print-directory -s "$@" INSTALL_RECORD="$dir/record" >"$dir/make.log" 2>&1 ||
       { sed 's/^/    /' "$dir/make.log"; return 1; }; }
pcvar() { sed -n "s/^$1=//p" "$2"; }

# A distribution layout: multiarch libdir below the prefix. /usr/share
# holds a file and /usr/include exists, empty: both were there before.
d=$dir/dist
mkdir -p "$d/usr/share" "$d/usr/include"
touch "$d/usr/share/keep"
layout=(PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR="$d")
check "make install (PREFIX=/usr, multiarch LIBDIR)" mk install "${layout[@]}"
pc=$d/usr/lib/x86_64-linux-gnu/pkgconfig/udsock.pc
check "udsock.pc: prefix=/usr" [ "$(pcvar prefix "$pc")" = /usr ]
check "udsock.pc: exec_prefix=\${prefix}" [ "$(pcvar exec_prefix "$pc")" = '${prefix}' ]
check "udsock.pc: libdir=\${exec_prefix}/lib/x86_64-linux-gnu" \
    [ "$(pcvar libdir "$pc")" = '${exec_prefix}/lib/x86_64-linux-gnu' ]
check "udsock.pc: includedir=\${prefix}/include" [ "$(pcvar includedir "$pc")" = '${prefix}/include' ]
check "udsock.pc names no URL" bash -c "! grep -q '^URL:' '$pc'"
check "make uninstall" mk uninstall "${layout[@]}"
left=$(cd "$d" && find . | sort | paste -sd' ')
check "uninstall leaves only what was there before (left: $left)" \
    [ "$left" = ". ./usr ./usr/include ./usr/share ./usr/share/keep" ]

# A directory install created that holds another file by uninstall time
# stays, with that file; the empty ones around it go.
d=$dir/shared
check "make install (default PREFIX)" mk install DESTDIR="$d"
touch "$d/usr/local/lib/other.so"
check "make uninstall" mk uninstall DESTDIR="$d"
left=$(cd "$dir" && find shared | sort | paste -sd' ')
check "uninstall keeps a directory holding another file (left: $left)" \
    [ "$left" = "shared shared/usr shared/usr/local shared/usr/local/lib shared/usr/local/lib/other.so" ]

# Directories outside the prefix are written as they are.
d=$dir/split
check "make install (LIBDIR and INCLUDEDIR outside PREFIX)" \
    mk install PREFIX=/opt/udsock LIBDIR=/usr/lib64 INCLUDEDIR=/usr/include/udsock DESTDIR="$d"
pc=$d/usr/lib64/pkgconfig/udsock.pc
check "udsock.pc: libdir=/usr/lib64" [ "$(pcvar libdir "$pc")" = /usr/lib64 ]
check "udsock.pc: includedir=/usr/include/udsock" [ "$(pcvar includedir "$pc")" = /usr/include/udsock ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
