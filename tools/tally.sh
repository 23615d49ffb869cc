#!/usr/bin/env bash
# One total for `make check` (and `make check-sanitize`): every part runs
# through `run`, which shows its output and adds its counts to a file; `total`
# sums them into one last line "N passed, M failed[, K skipped]".
#   tally.sh reset            forget the counts so far
#   tally.sh run NAME CMD...  run CMD (exit status kept), count its results
#   tally.sh total            the counts of each part, then the total;
#                             exits 1 when anything failed
# A part's counts are read from its own summary lines: cargo's "test
# result: ... N passed; M failed; K ignored", pytest's "== N passed, ...
# in 1.2s ==", and the shell runners' "N passed, M failed[, K skipped]".
# A part with no such line counts as one check; one that exits non-zero
# with no failure counted adds one failure (it broke outside its tests).
set -uo pipefail
file=${TALLY_FILE:-build/tally}

case ${1:-} in
reset)
    mkdir -p "$(dirname "$file")" && : >"$file" ;;
run)
    name=$2; shift 2
    log=$(mktemp)
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    read -r p f s n < <(awk '
        /^test result: / { for (i = 1; i <= NF; i++) {
                               if ($(i+1) ~ /^passed;/) p += $i
                               if ($(i+1) ~ /^failed;/) f += $i
                               if ($(i+1) ~ /^ignored;/) s += $i }
                           n++; next }
        /^=+ .* in [0-9.]+s( \(.*\))? =+$/ {
                           for (i = 2; i < NF; i++) {
                               w = $(i+1); sub(/,$/, "", w)
                               if (w == "passed" || w == "xpassed") p += $i
                               if (w == "failed" || w == "error" || w == "errors") f += $i
                               if (w == "skipped" || w == "xfailed") s += $i }
                           n++; next }
        /^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
                           p += $1; f += $3; if (NF >= 6) s += $5; n++ }
        END { print p + 0, f + 0, s + 0, n + 0 }' "$log")
    rm -f "$log"
    if [ "$n" = 0 ]; then
        if [ "$rc" = 0 ]; then p=1; else f=1; fi
    elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
    fi
    mkdir -p "$(dirname "$file")"
    echo "$name $p $f $s" >>"$file"
    [ "$rc" = 0 ] ;;
total)
    [ -f "$file" ] || { echo "tally: no counts in $file" >&2; exit 2; }
    awk '{ printf "  %-28s %d passed, %d failed%s\n", $1 ":", $2, $3, ($4 ? ", " $4 " skipped" : "")
           p += $2; f += $3; s += $4 }
         END { printf "%d passed, %d failed%s\n", p, f, (s ? ", " s " skipped" : "")
               exit (f > 0) }' "$file" ;;
*)
    echo "usage: $0 reset | run NAME CMD... | total" >&2; exit 2 ;;
esac
