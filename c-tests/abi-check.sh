#!/usr/bin/env bash
# ABI checks on the staged install: SONAME, exported symbols, header names,
# version agreement, install layout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${UDS_LIBDIR:-}" ] || . build/stage/env.sh

pass=0 fail=0
ok()  { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

so="$UDS_LIBDIR/libudsock.so"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check "SONAME is libudsock.so.0 (got '$soname')" [ "$soname" = "libudsock.so.0" ]

check "libudsock.so -> .so.0 -> .so.$version" \
    [ "$(readlink "$UDS_LIBDIR/libudsock.so")" = libudsock.so.0 -a \
      "$(readlink "$UDS_LIBDIR/libudsock.so.0")" = "libudsock.so.$version" ]
check "libudsock.a installed" [ -f "$UDS_LIBDIR/libudsock.a" ]

# Defined dynamic symbols as NAME@@VERSION (the version definitions
# themselves, absolute symbols named after their node, left out).
dynsyms=$(readelf --dyn-syms -W "$so" | awk '$7 != "UND" && $7 != "ABS" && $5 ~ /GLOBAL|WEAK/ {print $8}' | sort)
exported=$(sed 's/@.*//' <<<"$dynsyms" | sort -u)
foreign=$(grep -v '^uds_' <<<"$exported" || true)
check "only uds_* symbols exported${foreign:+ (also: $(echo $foreign))}" [ -z "$foreign" ]

# Every export carries a version node of udsock.map (UDSOCK_0 for the 0.x
# functions), as the default version (@@) a newly linked program binds to.
nodes=$(sed -n 's/^\(UDSOCK_[0-9.]*\) *{.*/\1/p' udsock.map)
check "udsock.map defines the node UDSOCK_0" grep -qx UDSOCK_0 <<<"$nodes"
unversioned=$(grep -vE "@@($(paste -sd'|' <<<"$nodes"))\$" <<<"$dynsyms" || true)
check "every export carries a udsock.map version${unversioned:+ (not: $(echo $unversioned))}" [ -z "$unversioned" ]
check "the library defines the version UDSOCK_0" \
    bash -c "readelf -V -W '$so' | grep -q 'Name: UDSOCK_0\$'"

# pkgconf applies the sysroot to variables too; pkg-config 0.29 does not.
header="$(pkg-config --variable=includedir udsock)/udsock.h"
[ -f "$header" ] || header="$PKG_CONFIG_SYSROOT_DIR$header"
declared=$(grep -oE '\buds_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
undeclared=$(comm -13 <(echo "$declared") <(echo "$exported"))
check "every declared function is exported${missing:+ (missing: $(echo $missing))}" [ -z "$missing" ]
check "every exported function is declared${undeclared:+ (undeclared: $(echo $undeclared))}" [ -z "$undeclared" ]

# Every name the header defines carries the prefix (no leaked Rust constants).
stray=$(grep -oE '^#define [A-Za-z_0-9]+' "$header" | awk '{print $2}' | grep -vE '^(UDS_|UDSOCK_H$)' || true)
check "header macros all UDS_*${stray:+ (stray: $(echo $stray))}" [ -z "$stray" ]

pcver=$(pkg-config --modversion udsock)
check "pkg-config version $pcver = Cargo.toml $version" [ "$pcver" = "$version" ]
hdr=$(sed -n 's/^#define UDS_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$header" | paste -sd.)
check "header UDS_VERSION_* $hdr = $version" [ "$hdr" = "$version" ]
check "header is the committed include/udsock.h" cmp -s "$header" include/udsock.h

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
