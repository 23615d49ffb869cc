"""Per-call cost of udsock next to the standard library's own socket calls.

    python3 bench.py [ROUNDS]

Each line times ROUNDS round trips over a socketpair in one thread (send,
then receive) and prints microseconds per round trip for both. fd passing
sends one fd and closes the received one, the same work on both sides.
"""

import os
import socket
import sys
import time

import udsock


def timed(fn, rounds):
    fn(rounds // 10 or 1)  # warm up: first-use resolution, buffers
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        fn(rounds)
        best = min(best, time.perf_counter() - t)
    return best / rounds * 1e6


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    r, w = os.pipe()
    fds = [w]
    msg = b"x" * 64

    def py_fds(n):
        for _ in range(n):
            socket.send_fds(a, [msg], fds)
            _, got, _, _ = socket.recv_fds(b, 64, 1)
            os.close(got[0])

    def uds_fds(n):
        send_fds, recv_fds, close = udsock.send_fds, udsock.recv_fds, os.close
        for _ in range(n):
            send_fds(a, msg, fds)
            close(recv_fds(b, 64, 1)[1][0])

    def py_data(n):
        for _ in range(n):
            a.send(msg)
            b.recv(64)

    def uds_data(n):
        send, recv = udsock.send, udsock.recv
        for _ in range(n):
            send(a, msg)
            recv(b, 64)

    def py_frame(n):
        hdr = len(msg).to_bytes(4, sys.byteorder)
        for _ in range(n):
            a.sendall(hdr + msg)
            size = int.from_bytes(b.recv(4), sys.byteorder)
            b.recv(size)

    def uds_frame(n):
        send_frame, recv_frame = udsock.send_frame, udsock.recv_frame
        for _ in range(n):
            send_frame(a, msg)
            recv_frame(b, 64)

    print("libudsock %s from %s, %d rounds, best of 5"
          % (udsock.version(), udsock.library_path(), rounds))
    print("%-34s %10s %10s %7s" % ("round trip", "stdlib us", "udsock us",
                                   "ratio"))
    for label, py, uds in (
            ("fd passing: send_fds + recv_fds", py_fds, uds_fds),
            ("64 bytes: send + recv", py_data, uds_data),
            ("frame: send_frame + recv_frame", py_frame, uds_frame)):
        tp, tu = timed(py, rounds), timed(uds, rounds)
        print("%-34s %10.2f %10.2f %7.2f" % (label, tp, tu, tu / tp))
    a.close()
    b.close()
    os.close(r)
    os.close(w)


if __name__ == "__main__":
    main()
