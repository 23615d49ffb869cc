#!/usr/bin/env python3
"""The Python binding against Python's own socket module, the same way the C
programs compare libudsock with raw system calls (bench/README.md).

    py_bench.py [--reps N] [--ms MS] [--xreps N] [--xms MS]   CSV rows on stdout
    py_bench.py --smoke                                       ok / not ok lines

raw = the standard library (socket.send_fds/recv_fds, sock.send/recv, a
length-prefixed frame by hand), lib = the udsock package (udsock.send_fds/
recv_fds, udsock.send/recv, udsock.send_frame/recv_frame).
Run by bench/run.sh with UDSOCK_LIBRARY and PYTHONPATH set.
"""

import gc
import os
import socket
import statistics
import struct
import sys
import time

import udsock

RAW, LIB = 0, 1

# Two-process runs: one process per CPU, as in harness.c (a placement the
# scheduler would otherwise choose anew each run).
_ALL = sorted(os.sched_getaffinity(0))
CPU_A, CPU_B = (_ALL[0], _ALL[1]) if len(_ALL) >= 2 else (None, None)


def pin(cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


# Compositions: single, and ping-pong with both processes on one CPU or
# one on each (see harness.c).
KINDS = ["single", "ping-pong 1 CPU"] + (["ping-pong 2 CPUs"] if CPU_B is not None else [])


class Pair:
    def __init__(self, variant):
        if variant == RAW:
            self.a, self.b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.a, self.b = udsock.socketpair(socket.SOCK_STREAM)
        self.null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)

    def close(self):
        for s in (self.a, self.b):
            if s is not None:
                s.close()
        os.close(self.null)


# Each row: (send, recv, reply_send, reply_recv) per variant; each takes the
# socket and the Pair.

def raw_send_fds(s, p):
    if socket.send_fds(s, [b"x"], [p.null]) != 1:
        raise RuntimeError("socket.send_fds sent nothing")


def raw_recv_fds(s, p):
    data, fds, flags, _ = socket.recv_fds(s, 1, 1)
    for fd in fds:
        os.close(fd)
    if data != b"x" or len(fds) != 1 or flags & socket.MSG_CTRUNC:
        raise RuntimeError(f"socket.recv_fds: {data!r}, {fds}, flags {flags:#x}")


def lib_send_fds(s, p):
    if udsock.send_fds(s, [b"x"], [p.null]) != 1:
        raise RuntimeError("udsock.send_fds sent nothing")


def lib_recv_fds(s, p):
    data, fds, _, _ = udsock.recv_fds(s, 1, 1)
    for fd in fds:
        os.close(fd)
    if data != b"x" or len(fds) != 1:
        raise RuntimeError(f"udsock.recv_fds: {data!r}, {fds}")


def raw_send1(s, p):
    if s.send(b"r") != 1:
        raise RuntimeError("send")


def raw_recv1(s, p):
    if s.recv(1) != b"r":
        raise RuntimeError("recv")


def lib_send1(s, p):
    if udsock.send(s, b"r") != 1:
        raise RuntimeError("udsock.send")


def lib_recv1(s, p):
    if udsock.recv(s, 1) != b"r":
        raise RuntimeError("udsock.recv")


# Frames: 64 bytes behind a 4-byte native-endian length, the wire format of
# uds_send_frame; the standard library's side builds and parses it by hand.
FRAME = b"f" * 64
FRAME_HDR = len(FRAME).to_bytes(4, sys.byteorder)


def raw_send_frame(s, p):
    s.sendall(FRAME_HDR + FRAME)


def raw_recv_frame(s, p):
    hdr = s.recv(4, socket.MSG_WAITALL)
    n = int.from_bytes(hdr, sys.byteorder) if len(hdr) == 4 else -1
    if n != len(FRAME) or s.recv(n, socket.MSG_WAITALL) != FRAME:
        raise RuntimeError("frame")


def lib_send_frame(s, p):
    udsock.send_frame(s, FRAME)


def lib_recv_frame(s, p):
    if udsock.recv_frame(s, 64) != FRAME:
        raise RuntimeError("udsock.recv_frame")


ROWS = [
    ("py-fds-1", "1 fd + 1 B SOCK_STREAM (Python)", "socket.send_fds", "udsock.send_fds",
     # The one-byte reply is the standard library's in both, so that only
     # the fd passing differs (py-stream-1 compares send/recv).
     ((raw_send_fds, raw_recv_fds, raw_send1, raw_recv1),
      (lib_send_fds, lib_recv_fds, raw_send1, raw_recv1))),
    ("py-stream-1", "send+recv 1 B SOCK_STREAM (Python)", "sock.send", "udsock.send",
     ((raw_send1, raw_recv1, raw_send1, raw_recv1),
      (lib_send1, lib_recv1, lib_send1, lib_recv1))),
    ("py-frame-64", "frame of 64 B SOCK_STREAM (Python)", "sock.sendall+recv", "udsock.send_frame",
     # The one-byte reply is the standard library's in both.
     ((raw_send_frame, raw_recv_frame, raw_send1, raw_recv1),
      (lib_send_frame, lib_recv_frame, raw_send1, raw_recv1))),
]


def run(ops, kind, variant, warm, n):
    """(wall ns, cpu ns) over n measured iterations."""
    send, recv, rsend, rrecv = ops[variant]
    p = Pair(variant)
    try:
        if kind == "single":
            for _ in range(warm):
                send(p.a, p)
                recv(p.b, p)
            w0, c0 = time.perf_counter_ns(), time.process_time_ns()
            for _ in range(n):
                send(p.a, p)
                recv(p.b, p)
            return time.perf_counter_ns() - w0, time.process_time_ns() - c0
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(r)
                p.a.close()
                p.a = None
                pin(CPU_B if kind.endswith("2 CPUs") else CPU_A)
                for _ in range(warm):
                    recv(p.b, p)
                    rsend(p.b, p)
                c0 = time.process_time_ns()
                for _ in range(n):
                    recv(p.b, p)
                    rsend(p.b, p)
                os.write(w, struct.pack("q", time.process_time_ns() - c0))
                code = 0
            except BaseException as e:  # report, never return into the parent's code
                os.write(w, struct.pack("q", -1) + str(e).encode()[:200])
            finally:
                os._exit(code)
        os.close(w)
        p.b.close()
        p.b = None
        pin(CPU_A)
        for _ in range(warm):
            send(p.a, p)
            rrecv(p.a, p)
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        for _ in range(n):
            send(p.a, p)
            rrecv(p.a, p)
        wall, cpu = time.perf_counter_ns() - w0, time.process_time_ns() - c0
        res = os.read(r, 512)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        child = struct.unpack("q", res[:8])[0] if len(res) >= 8 else -1
        if child < 0 or status != 0:
            raise RuntimeError("receiver failed: " + res[8:].decode(errors="replace"))
        return wall, cpu + child
    finally:
        if kind != "single" and CPU_A is not None:
            os.sched_setaffinity(0, _ALL)
        p.close()


def calibrate(ops, kind, ms):
    n = 16
    while True:
        wall, _ = run(ops, kind, RAW, n // 4 + 1, n)
        if wall >= 8_000_000 or n >= 1 << 24:
            return max(5, int(ms * 1e6 / wall * n))
        n *= 4


def measure(row, kind, reps, ms):
    rid, op, raw_call, lib_call, ops = row
    n = calibrate(ops, kind, ms)
    w = [[], []]
    c = [[], []]
    ratio, cratio = [], []
    for i in range(reps):
        for j in range(2):
            v = j if i % 2 == 0 else 1 - j
            wall, cpu = run(ops, kind, v, n // 10 + 2, n)
            w[v].append(wall / n)
            c[v].append(cpu / n)
        ratio.append(w[LIB][-1] / w[RAW][-1])
        cratio.append(c[LIB][-1] / c[RAW][-1])
    med = statistics.median
    print(",".join(str(x) for x in [
        "python", "dynamic", "py", rid, kind, op, raw_call, lib_call, reps, n, 1,
        f"{med(w[RAW]):.1f}", f"{min(w[RAW]):.1f}", f"{max(w[RAW]):.1f}",
        f"{med(w[LIB]):.1f}", f"{min(w[LIB]):.1f}", f"{max(w[LIB]):.1f}", f"{med(ratio):.4f}",
        f"{med(c[RAW]):.1f}", f"{med(c[LIB]):.1f}", f"{med(cratio):.4f}", "", ""]), flush=True)
    print(f"  {rid:<14} {kind:<16} ratio {med(ratio):.3f}  cpu ratio {med(cratio):.3f}",
          file=sys.stderr)


def main(argv):
    reps, ms, xreps, xms = 21, 20.0, 9, 150.0
    smoke = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--smoke":
            smoke = True
            i += 1
            continue
        if i + 1 >= len(argv):
            sys.exit(__doc__)
        if a == "--reps":
            reps = int(argv[i + 1])
        elif a == "--ms":
            ms = float(argv[i + 1])
        elif a == "--xreps":
            xreps = int(argv[i + 1])
        elif a == "--xms":
            xms = float(argv[i + 1])
        else:
            sys.exit(__doc__)
        i += 2
    gc.disable()
    if smoke:
        failed = 0
        for row in ROWS:
            for kind in KINDS:
                for v, name in ((RAW, "python socket"), (LIB, "udsock")):
                    try:
                        run(row[4], kind, v, 2, 20)
                        print(f"ok - {row[0]} {kind} {name}")
                    except Exception as e:
                        print(f"not ok - {row[0]} {kind} {name}: {e}")
                        failed += 1
        return 1 if failed else 0
    for row in ROWS:
        for kind in KINDS:
            if kind == "single":
                measure(row, kind, reps, ms)
            else:
                measure(row, kind, xreps, xms)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
