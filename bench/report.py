#!/usr/bin/env python3
"""Tables, target checks and the chart for bench/run.sh.

    report.py full  RESULTS.csv OUT.md OUT.png --load BEFORE AFTER --command CMD
    report.py instr INSTR.csv OUT.md

Prints the table on stdout and writes the Markdown figures of record.
"""

import csv
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile

SINGLE_TARGET = 1.02     # single-process loops: median ratio libudsock/raw
CROSS_CPU_TARGET = 1.03  # two processes: CPU-time ratio
BATCH_CPU_GAIN = 1.2     # batches: messages per CPU-second vs one send per message
INSTR_ADDED = 150        # callgrind: instructions added per call


def f(x, nd=0):
    return f"{float(x):,.{nd}f}"


def rng(med, lo, hi):
    return f"{f(med)} ({f(lo)}–{f(hi)})"


def text_table(head, rows):
    w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    out = ["  ".join(str(c).ljust(w[i]) for i, c in enumerate(head)),
           "  ".join("-" * x for x in w)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/sys/net/unix/max_dgram_qlen") as fh:
            qlen = fh.read().strip()
    except OSError:
        qlen = "?"
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 1048576:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    libc = " ".join(platform.libc_ver())
    return (f"{os.cpu_count()} vCPU {model}, {mem} RAM, Linux {platform.release()}, "
            f"{libc}, net.unix.max_dgram_qlen {qlen}")


def verdict(ok):
    return "met" if ok else "**missed**"


def full(args):
    path, md_out, png_out = args[0], args[1], args[2]
    load = command = library = None
    i = 3
    while i < len(args):
        if args[i] == "--library":
            library = args[i + 1]
            i += 2
        elif args[i] == "--load":
            load = (args[i + 1], args[i + 2])
            i += 3
        elif args[i] == "--command":
            command = args[i + 1]
            i += 2
        else:
            sys.exit(f"report.py: unknown argument {args[i]}")
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    def order(r):   # the workload order; the programs run 1-4, 8, then 5-7
        return int(r["workload"]) if r["workload"].isdigit() else 99
    c_all = sorted((r for r in rows if r["link"] == "dynamic" and r["program"] != "python"), key=order)
    # Rows against raw code that keeps the library's guarantees: no target,
    # they show what the guarantees cost (w_anc.c, "what the guarantees cost").
    kept = [r for r in c_all if r["workload"] == "kept"]
    c_dyn = [r for r in c_all if r["workload"] != "kept"]
    c_static = sorted((r for r in rows if r["link"] == "static" and r["workload"] != "kept"), key=order)
    py = [r for r in rows if r["program"] == "python"]

    head = ["#", "operation", "kind", "raw ns/op (min–max)", "libudsock ns/op (min–max)",
            "ratio", "CPU raw", "CPU lib", "CPU ratio", "allocs/msg lib", "target"]
    checks = []
    table = []
    for r in c_dyn:
        ratio, cratio = float(r["ratio"]), float(r["cpu_ratio"])
        if r["kind"] == "single":
            ok = ratio <= SINGLE_TARGET
            tgt = f"ratio ≤ {SINGLE_TARGET}: {verdict(ok)}"
        else:
            ok = cratio <= CROSS_CPU_TARGET
            tgt = f"CPU ≤ {CROSS_CPU_TARGET}: {verdict(ok)}"
        checks.append((f"{r['id']} {r['kind']}", ok))
        allocs = float(r["lib_allocs_per_msg"])
        if r["id"] != "dial-accept":
            checks.append((f"{r['id']} {r['kind']} zero allocations", allocs == 0))
        table.append([r["workload"], f"{r['operation']} ({r['lib_call']})", r["kind"],
                      rng(r["raw_ns"], r["raw_min"], r["raw_max"]),
                      rng(r["lib_ns"], r["lib_min"], r["lib_max"]),
                      f"{ratio:.3f}", f(r["raw_cpu_ns"]), f(r["lib_cpu_ns"]), f"{cratio:.3f}",
                      f"{allocs:g}", tgt])

    # Batches vs one send() per message (raw), per message.
    batch_lines = []
    by = {(r["id"], r["kind"]): r for r in c_dyn}
    for kind in ("single", "one-way 1 CPU", "one-way 2 CPUs"):
        one, bat = by.get(("dgram-one", kind)), by.get(("dgram-batch", kind))
        if not one or not bat:
            continue
        wall_gain = float(one["raw_ns"]) / float(bat["lib_ns"])
        cpu_gain = float(one["raw_cpu_ns"]) / float(bat["lib_cpu_ns"])
        raw_gain = float(one["raw_cpu_ns"]) / float(bat["raw_cpu_ns"])
        ok_w, ok_c = wall_gain >= 1.0, cpu_gain >= BATCH_CPU_GAIN
        checks.append((f"batch {kind} not slower", ok_w))
        checks.append((f"batch {kind} ≥ {BATCH_CPU_GAIN}× msgs per CPU-second", ok_c))
        batch_lines.append([kind, f(one["raw_ns"]), f(one["raw_cpu_ns"]),
                            f(bat["raw_cpu_ns"]), f(bat["lib_ns"]), f(bat["lib_cpu_ns"]),
                            f"{raw_gain:.2f}×", f"{wall_gain:.2f}× ({verdict(ok_w)})",
                            f"{cpu_gain:.2f}× ({verdict(ok_c)})"])
    batch_head = ["kind", "send() per msg: ns/msg", "CPU ns/msg", "raw sendmmsg: CPU ns/msg",
                  "uds_send_batch: ns/msg", "CPU ns/msg", "raw batch gain (CPU)",
                  "uds batch gain (wall)", "uds batch gain (msgs/CPU-s)"]

    static_head = ["operation", "ratio dynamic", "ratio static", "CPU ratio dynamic", "CPU ratio static"]
    static_rows = []
    dyn_single = {r["id"]: r for r in c_dyn if r["kind"] == "single"}
    for r in c_static:
        d = dyn_single.get(r["id"])
        static_rows.append([f"{r['operation']} ({r['lib_call']})",
                            f"{float(d['ratio']):.3f}" if d else "-", f"{float(r['ratio']):.3f}",
                            f"{float(d['cpu_ratio']):.3f}" if d else "-", f"{float(r['cpu_ratio']):.3f}"])

    kept_head = ["operation", "raw that keeps the guarantees", "raw ns/op", "libudsock ns/op",
                 "ratio", "ratio against the careless raw code above"]
    kept_rows = []
    for r in kept:
        plain = dyn_single.get(r["id"].removesuffix("-kept"))
        kept_rows.append([f"{r['operation']} ({r['lib_call']})", r["raw_call"],
                          rng(r["raw_ns"], r["raw_min"], r["raw_max"]),
                          rng(r["lib_ns"], r["lib_min"], r["lib_max"]),
                          f"{float(r['ratio']):.3f}",
                          f"{float(plain['ratio']):.3f}" if plain else "-"])

    py_head = ["operation", "kind", "C raw ns/op", "Python socket ns/op",
               "udsock binding ns/op", "udsock/socket", "CPU udsock/socket",
               "socket/C raw", "target"]
    py_rows = []
    c_ref = {"py-fds-1": "fds-1", "py-stream-1": "stream-1"}
    for r in py:
        cref = by.get((c_ref.get(r["id"], ""), r["kind"]))
        cr = float(cref["raw_ns"]) if cref else None
        if r["id"] == "py-fds-1":   # the target is on fd passing only
            ok = float(r["ratio"]) <= 1.0
            checks.append((f"python {r['id']} {r['kind']} at least as fast", ok))
            tgt = f"≤ 1: {verdict(ok)}"
        else:
            tgt = "(no target)"
        py_rows.append([r["operation"], r["kind"], f(cr) if cr else "-",
                        rng(r["raw_ns"], r["raw_min"], r["raw_max"]),
                        rng(r["lib_ns"], r["lib_min"], r["lib_max"]),
                        f"{float(r['ratio']):.3f}", f"{float(r['cpu_ratio']):.3f}",
                        f"{float(r['raw_ns']) / cr:.2f}×" if cr else "-", tgt])

    print(text_table(head, table))
    if batch_lines:
        print("\nDatagram batches (32-byte datagrams, batches of 64) vs one send() per message:")
        print(text_table(batch_head, batch_lines))
    if static_rows:
        print("\nStatic linking (libudsock.a), single-process loops:")
        print(text_table(static_head, static_rows))
    if kept_rows:
        print("\nAgainst raw code that keeps the guarantees (no target):")
        print(text_table(kept_head, kept_rows))
    if py_rows:
        print("\nPython:")
        print(text_table(py_head, py_rows))
    missed = [c for c, ok in checks if not ok]
    print(f"\ntargets: {len(checks) - len(missed)} met, {len(missed)} missed"
          + (": " + "; ".join(missed) if missed else ""))

    chart = draw(c_dyn, png_out)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [f"# Benchmark results: raw system calls vs libudsock",
          "",
          f"Figures of record, written by `{command or 'bash bench/run.sh'}` on {now}.",
          f"Machine: {machine()}.",
          f"Library: {library or '?'}.",
          f"Load average (1, 5, 15 min) before: {load[0] if load else '?'}; after: {load[1] if load else '?'}.",
          "",
          "ns/op: wall-clock nanoseconds per operation (one message sent and received; a round",
          "trip for ping-pong); median of the repetitions, (min–max). ratio: median over the",
          "repetitions of libudsock/raw, each repetition running both back to back. CPU: user +",
          "system time of both processes per operation. allocs/msg: heap allocations per",
          "message in libudsock's measured loop. bench/README.md explains the method.",
          "",
          md_table(head, table)]
    if batch_lines:
        md += ["", "## Datagram batches", "",
               "32-byte datagrams in batches of 64, per message, against one `send()` per message.", "",
               md_table(batch_head, batch_lines)]
    if static_rows:
        md += ["", "## Static linking", "",
               "The single-process loops again, linked with `libudsock.a` instead of `libudsock.so`.", "",
               md_table(static_head, static_rows)]
    if kept_rows:
        md += ["", "## What the guarantees cost", "",
               "Single-process loops against raw code that keeps the library's guarantees while "
               "knowing nothing about the descriptor it is handed, as a library call cannot: a "
               "frame reader that never waits on a non-blocking socket must ask whether it is one "
               "(or peek, which duplicates the descriptors in flight and costs as much); a "
               "credentials call must ask whether `SO_PASSCRED` is on, since a cached answer goes "
               "stale when the number is closed and reused, and ids looked up once go stale after "
               "`setuid()`. No target: the first ratio is what libudsock adds to that code, the "
               "second (from the table above) what the guarantees cost against code that keeps "
               "neither.", "",
               md_table(kept_head, kept_rows)]
    if py_rows:
        md += ["", "## Python", "",
               "The binding (`udsock.send_fds`/`recv_fds`, `udsock.send`/`recv`) against Python's own "
               "(`socket.send_fds`/`recv_fds`, `sock.send`/`recv`); the C column is the raw C loop "
               "of the same operation above.", "",
               md_table(py_head, py_rows)]
    md += ["", "## Targets", "",
           f"{len(checks) - len(missed)} met, {len(missed)} missed."]
    if missed:
        md += ["", "Missed: " + "; ".join(missed) + "."]
    if chart:
        md += ["", f"![ratios]({os.path.basename(png_out)})"]
    with open(md_out, "w") as fh:
        fh.write("\n".join(md) + "\n")
    readme(os.path.join(os.path.dirname(md_out), "README.md"), "results", md[2:])
    print(f"\nwrote {md_out}" + (f" and {png_out}" if chart else ""))
    return 0


def readme(path, tag, lines):
    """Puts `lines` between <!-- tag --> and <!-- /tag --> in the README."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return
    start, end = f"<!-- {tag} -->", f"<!-- /{tag} -->"
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    # One level down: the README's own sections are "##".
    body = "\n".join(l.replace("## ", "### ", 1) if l.startswith("## ") else l
                     for l in "\n".join(lines).split("\n"))
    with open(path, "w") as fh:
        fh.write(head + start + "\n" + body + "\n" + end + tail)


def draw(rows, png):
    """A bar per row: the ratio libudsock/raw (wall for single-process
    loops, CPU time for two processes), drawn by gnuplot: bench/run.sh
    installs it (gnuplot-nox) where it is missing."""
    labels, vals, colors = [], [], []
    for r in rows:
        single = r["kind"] == "single"
        labels.append(f"{r['id']} {r['kind']}")
        vals.append(float(r["ratio"] if single else r["cpu_ratio"]))
        colors.append(single)
    if not shutil.which("gnuplot"):
        print("report.py: no gnuplot: no chart", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        with open(data, "w") as fh:
            for i, (l, v, s) in enumerate(zip(labels, vals, colors)):
                fh.write(f'{i} "{l}" {v:.4f} {1 if s else 2}\n')
        lo = min(vals + [0.9]) - 0.02
        hi = max(vals + [1.1]) + 0.02
        script = f"""
set terminal pngcairo size 1100,{160 + 24 * len(vals)} font "sans,10"
set output "{png}"
set title "libudsock / raw: wall-time ratio (single process, blue), CPU-time ratio (two processes, orange)"
set yrange [{len(vals)}:-1]
set xrange [{lo:.2f}:{hi:.2f}]
set ytics nomirror
set grid xtics
set style fill solid 0.8
set key off
set arrow from 1.02, graph 0 to 1.02, graph 1 nohead dt 2 lc rgb "#1f77b4"
set arrow from 1.03, graph 0 to 1.03, graph 1 nohead dt 2 lc rgb "#ff7f0e"
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb "black"
plot "{data}" using (($3+1)/2):1:(1):($3):($1-0.35):($1+0.35):($4 == 1 ? 0x1f77b4 : 0xff7f0e):ytic(2) with boxxyerror lc rgb variable, \\
 "{data}" using ($3):1:(sprintf("%.3f", $3)) with labels left offset 0.5,0
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True,
                           capture_output=True)
            return True
        except subprocess.CalledProcessError as e:
            print(f"report.py: gnuplot failed: {e.stderr}", file=sys.stderr)
    return False


def instr(args):
    path, md_out = args[0], args[1]
    library = args[3] if len(args) > 3 and args[2] == "--library" else None
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    head = ["operation", "link", "send path: raw", "libudsock", "added",
            "receive path: raw", "libudsock", "added", f"target ≤ {INSTR_ADDED} added"]
    table, missed = [], []
    for r in rows:
        rs, ls, rr, lr = (float(r[k]) for k in ("raw_send", "lib_send", "raw_recv", "lib_recv"))
        per = int(r["per_iter"])
        # dgram-one makes one call per message, 64 a path: count per call.
        calls = per if r["id"] == "dgram-one" else 1
        rs, ls, rr, lr = rs / calls, ls / calls, rr / calls, lr / calls
        if r["id"] == "dial-accept":
            mark = "n/a (not a send/receive path)"
        else:
            ok = ls - rs <= INSTR_ADDED and lr - rr <= INSTR_ADDED
            mark = verdict(ok)
            if not ok:
                missed.append(f"{r['id']} ({r['link']})")
        if calls > 1:
            note = " (per call: one message)"
        elif per > 1:
            note = f" (per call of {per} messages: {(ls - rs) / per:+,.0f} / {(lr - rr) / per:+,.0f} a message)"
        else:
            note = ""
        table.append([f"{r['id']}: {r['lib_send_call']} / {r['lib_recv_call']}{note}", r["link"],
                      f(rs), f(ls), f"{ls - rs:+,.0f}", f(rr), f(lr), f"{lr - rr:+,.0f}", mark])
    n_checked = sum(1 for r in rows if r["id"] != "dial-accept")
    print(text_table(head, table))
    print(f"\ninstructions per call: {n_checked - len(missed)} met, {len(missed)} missed"
          + (": " + ", ".join(missed) if missed else ""))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = ["# Instructions per call (callgrind)", "",
          f"Written by `make bench-instr` on {now}. Machine: {machine()}.",
          f"Library: {library or '?'}.", "",
          "User-space instructions per call, inclusive of everything the call runs in user",
          "space (libc's system-call wrapper included, the kernel not), counted by",
          "`valgrind --tool=callgrind` over 200 calls after 20 warm-up calls. The raw",
          "column is the hand-written C path, the libudsock column the library call doing",
          "the same; both include the benchmark's own stamping and checking of the message,",
          "which is the same code for both, so `added` is exactly what libudsock costs.", "",
          md_table(head, table), "",
          f"{n_checked - len(missed)} met, {len(missed)} missed"
          + (": " + ", ".join(missed) + "." if missed else ".")]
    with open(md_out, "w") as fh:
        fh.write("\n".join(md) + "\n")
    readme(os.path.join(os.path.dirname(md_out), "README.md"), "instr", md[2:])
    print(f"wrote {md_out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("full", "instr"):
        sys.exit(__doc__)
    sys.exit(full(sys.argv[2:]) if sys.argv[1] == "full" else instr(sys.argv[2:]))
