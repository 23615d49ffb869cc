#!/usr/bin/env bash
# Raw system calls vs libudsock, side by side (bench/README.md says how).
#
#   bash bench/run.sh           full run: build/bench/results.csv, a table on
#                               stdout, bench/results.md and bench/ratios.png
#   bash bench/run.sh --smoke   a few iterations of every workload, checked
#                               (results, zero heap allocations); no timing
#   bash bench/run.sh --instr   user-space instructions per call under
#                               callgrind, raw vs libudsock: bench/instr.md
#
# `make bench`, `make check` and `make bench-instr` run it with the staged
# install's environment (build/stage/env.sh); run by hand, it sources that
# file itself. BENCH_ARGS adds options to the C programs in the full run
# (e.g. BENCH_ARGS="--only fds-1").
set -uo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
    "") ;;
    --smoke) mode=smoke ;;
    --instr) mode=instr ;;
    *) echo "usage: bash bench/run.sh [--smoke | --instr]" >&2; exit 2 ;;
esac

if [ -z "${UDS_LIBDIR:-}" ]; then
    . build/stage/env.sh 2>/dev/null || { echo "bench: run 'make stage' first" >&2; exit 2; }
fi
out=build/bench
mkdir -p "$out"
python=${PYTHON:-python3}

# ---- build: as a C user does, through pkg-config; dynamic and static ----
CC=${CC:-cc}
FLAGS="-O2 -std=c99 -Wall -Wextra -Werror"
cflags=$(pkg-config --cflags udsock) || { echo "bench: pkg-config cannot find udsock" >&2; exit 2; }
libs=$(pkg-config --libs udsock)
# Static: libudsock.a into the otherwise dynamic program (build/stage/env.sh).
static_libs=$UDS_STATIC_LIBS

# Workloads 1-4 and 8 (data), 5-7 (fds, credentials, batches).
progs=(core anc)
srcs_core=bench/w_data.c
srcs_anc=bench/w_anc.c
# Workload 9: the resumable reader and writer.
progs+=(stream)
srcs_stream=bench/w_stream.c

built=()
for p in "${progs[@]}"; do
    src_var=srcs_$p
    for link in dynamic static; do
        bin="$out/bench-$p-$link"
        if [ $link = dynamic ]; then l=$libs; else l=$static_libs; fi
        if ! $CC $FLAGS $cflags -Ibench bench/harness.c ${!src_var} -o "$bin" $l; then
            echo "not ok - bench-$p ($link): does not compile"
            [ $mode = smoke ] && { echo "0 passed, 1 failed"; }
            exit 1
        fi
        if [ $link = static ] && readelf -d "$bin" | grep -q 'NEEDED.*libudsock'; then
            echo "not ok - bench-$p ($link): linked to the shared library"; exit 1
        fi
        built+=("$bin")
    done
done

# The scale benchmark: the library against itself, 0 vs 9,000 connections held.
if ! $CC $FLAGS $cflags bench/scale.c -o "$out/scale" $libs; then
    echo "not ok - scale: does not compile"; exit 1
fi

# The Python workload: the binding against the standard library.
py_env=(env UDSOCK_LIBRARY="$UDS_LIBDIR/libudsock.so" PYTHONPATH=bindings/python PYTHONDONTWRITEBYTECODE=1)

# What was measured: BENCH_LIBRARY names it (e.g. the commits it was built
# from); by default the installed version and this checkout's commit.
library=${BENCH_LIBRARY:-"libudsock $(pkg-config --modversion udsock), staged from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"}

# ---- smoke ----------------------------------------------------------------
if [ $mode = smoke ]; then
    pass=0 fail=0 skip=0
    log=$out/smoke.log
    : >"$log"
    for bin in "${built[@]}"; do
        timeout 60 "$bin" --smoke 2>&1 | sed "s/^\(ok\|not ok\) - /&$(basename "$bin"): /" >>"$log"
        rc=$?
        [ $rc -eq 0 ] || grep -q '^not ok' "$log" || { echo "not ok - $(basename "$bin"): exit $rc" >>"$log"; }
    done
    timeout 60 "$out/scale" --smoke >>"$log" 2>&1 || echo "not ok - scale: it failed" >>"$log"
    timeout 60 "${py_env[@]}" "$python" bench/py_bench.py --smoke >>"$log" 2>&1 ||
        grep -q '^not ok - py' "$log" || echo "not ok - py_bench: it failed" >>"$log"
    cat "$log"
    pass=$(grep -c '^ok - ' "$log")
    fail=$(grep -c '^not ok - ' "$log")
    skip=$(grep -c '^skip - ' "$log")
    echo "bench smoke: each workload, raw and libudsock, single-process and two-process, dynamic and static"
    echo "$pass passed, $fail failed, $skip skipped"
    [ "$fail" = 0 ]
    exit
fi

# ---- instr: callgrind ----------------------------------------------------
if [ $mode = instr ]; then
    command -v valgrind >/dev/null || { echo "bench: valgrind is needed for --instr" >&2; exit 2; }
    csv=$out/instr.csv
    echo "program,link,id,calls,per_iter,raw_send_call,lib_send_call,raw_recv_call,lib_recv_call,raw_send,lib_send,raw_recv,lib_recv" >"$csv"
    n=200
    for bin in "${built[@]}"; do
        name=$(basename "$bin"); link=${name##*-}; prog=${name%-*}
        for id in $("$bin" --list); do
            cg=$out/callgrind.$name.$id
            info=$(valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect='instr_*' \
                   "$bin" --instr "$id" $n 2>"$cg.log") || { echo "bench: $name --instr $id failed:" >&2; cat "$cg.log" >&2; exit 1; }
            counts=$(callgrind_annotate --inclusive=yes --threshold=100 "$cg" 2>/dev/null |
                awk -v n=$n '
                    { gsub(",", "", $1) }
                    /:instr_raw_send / { rs = $1 } /:instr_lib_send / { ls = $1 }
                    /:instr_raw_recv / { rr = $1 } /:instr_lib_recv / { lr = $1 }
                    END { printf "%.1f,%.1f,%.1f,%.1f", rs / n, ls / n, rr / n, lr / n }')
            # info: id,calls,per_iter,raw_send_call,lib_send_call,raw_recv_call,lib_recv_call
            echo "$prog,$link,$info,$counts" >>"$csv"
        done
    done
    # Python paths are not counted: the interpreter's own work dwarfs both.
    "$python" bench/report.py instr "$csv" bench/instr.md --library "$library"
    exit
fi

# ---- full -------------------------------------------------------------------
csv=$out/results.csv
rm -f "$csv.new"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: load average before: $load_before (2 CPUs: below ~0.3 is quiet)" >&2
first=1
for p in "${progs[@]}"; do
    bin=$out/bench-$p-dynamic
    echo "bench: $bin" >&2
    if [ $first = 1 ]; then h=--header; first=0; else h=; fi
    "$bin" $h ${BENCH_ARGS:-} >>"$csv.new" || { echo "bench: $bin failed" >&2; exit 1; }
done
# Static linking: the single-process loops again, with libudsock.a.
for p in "${progs[@]}"; do
    bin=$out/bench-$p-static
    echo "bench: $bin (single-process only)" >&2
    "$bin" --link static --no-cross --reps 15 ${BENCH_ARGS:-} >>"$csv.new" || { echo "bench: $bin failed" >&2; exit 1; }
done
echo "bench: Python binding" >&2
"${py_env[@]}" "$python" bench/py_bench.py >>"$csv.new" || { echo "bench: py_bench failed" >&2; exit 1; }
mv "$csv.new" "$csv"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: load average after: $load_after" >&2

# The chart: gnuplot (Debian's gnuplot-nox), installed here if missing.
if ! command -v gnuplot >/dev/null; then
    echo "bench: installing gnuplot-nox for the chart" >&2
    if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
    { $sudo apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 ||
      { $sudo apt-get update -qq && $sudo apt-get install -y -qq gnuplot-nox >/dev/null 2>&1; }; } ||
    echo "bench: gnuplot could not be installed: no chart" >&2
fi
"$python" bench/report.py full "$csv" bench/results.md bench/ratios.png \
    --load "$load_before" "$load_after" --command "make bench" --library "$library"
# The scale rows: the library against itself as a process holds more
# connections (its table must stay O(1) per operation).
echo "bench: $out/scale (0 vs 9,000 connections held)" >&2
{
    echo
    echo "## Scale: the same operations with 0 and with 9,000 connections held"
    echo
    echo "\`bench/scale.c\`: each figure is the median of 9 repetitions of 2,000"
    echo "operations; the held connections are accepted from a listener bound to a"
    echo "300-byte path, so each has a record in the library's table. The ratio is"
    echo "held / none, in the same run."
    echo
    "$out/scale" || { echo "bench: scale failed" >&2; exit 1; }
} >>bench/results.md
