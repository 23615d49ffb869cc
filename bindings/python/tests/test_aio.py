"""udsock.aio: fd passing and frames with fds on asyncio, under load, with
frames split at every byte."""

import asyncio
import os
import socket
import struct

import pytest

import udsock


def _ident(fd):
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _nonblocking_pair():
    a, b = udsock.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def test_aio_send_recv_fds(pipe):
    r, w = pipe

    async def main(a, b):
        got = asyncio.ensure_future(udsock.aio.recv_fds(b, 10, 2))
        await asyncio.sleep(0)  # the receiver waits first
        assert await udsock.aio.send_fds(a, [b"fd"], [w]) == 2
        return await got

    a, b = _nonblocking_pair()
    with a, b:
        data, fds, flags, addr = asyncio.run(main(a, b))
    assert (data, len(fds), flags, addr) == (b"fd", 1, 0, None)
    assert _ident(fds[0]) == _ident(w)
    os.close(fds[0])


def test_aio_needs_a_nonblocking_socket():
    a, b = udsock.socketpair()
    with a, b:
        with pytest.raises(ValueError):
            asyncio.run(udsock.aio.recv_frame(b))


async def _trickle(sock, wire, fd_at):
    """Write wire one byte at a time; fd_at maps offsets to fds to attach
    to that byte. Yields to the loop between bytes."""
    loop = asyncio.get_running_loop()
    for i in range(len(wire)):
        byte = wire[i:i + 1]
        while True:
            try:
                if i in fd_at:
                    socket.send_fds(sock, [byte], fd_at[i])
                else:
                    sock.send(byte)
                break
            except BlockingIOError:
                await asyncio.sleep(0)
        await asyncio.sleep(0)
    assert loop.is_running()


def test_frames_with_fds_split_at_every_byte_under_load():
    CONNS, FRAMES = 8, 25
    pipes = [os.pipe() for _ in range(3)]
    try:
        async def one(n):
            a, b = _nonblocking_pair()
            with a, b:
                wire = b""
                fd_at = {}
                expect = []
                for k in range(FRAMES):
                    body = (b"%d/%d:" % (n, k)) * (k % 5)
                    fds = [pipes[(n + k) % 3][1]] if k % 2 else []
                    if fds:
                        fd_at[len(wire)] = fds  # the frame's first byte
                    wire += struct.pack("=I", len(body)) + body
                    expect.append((body, [_ident(f) for f in fds]))
                writer = asyncio.ensure_future(_trickle(a, wire, fd_at))
                for body, idents in expect:
                    got = await udsock.aio.recv_frame_fds(b, maxfds=2)
                    assert got is not None
                    data, fds = got
                    assert data == body
                    assert [_ident(f) for f in fds] == idents
                    for f in fds:
                        os.close(f)
                await writer
                a.close()
                assert await udsock.aio.recv_frame_fds(b, maxfds=2) is None

        async def main():
            await asyncio.gather(*(one(n) for n in range(CONNS)))

        asyncio.run(main())
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)


def test_aio_send_frame_to_aio_recv_frame_large_and_with_fds(pipe):
    r, w = pipe
    big = os.urandom(3 << 20)  # more than the socket holds at once

    async def main(a, b):
        sender = asyncio.ensure_future(udsock.aio.send_frame(a, big, fds=[w]))
        data, fds = await udsock.aio.recv_frame_fds(b, maxsize=4 << 20,
                                                    maxfds=1)
        await sender
        await udsock.aio.send_frame(a, b"plain")
        assert await udsock.aio.recv_frame(b) == b"plain"
        return data, fds

    a, b = _nonblocking_pair()
    with a, b:
        data, fds = asyncio.run(main(a, b))
    assert data == big and len(fds) == 1
    assert _ident(fds[0]) == _ident(w)
    os.close(fds[0])


def test_cancelled_recv_frame_loses_nothing():
    async def main(a, b):
        a.send(struct.pack("=I", 4) + b"ha")
        t = asyncio.ensure_future(udsock.aio.recv_frame(b))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        a.send(b"lf")
        return await udsock.aio.recv_frame(b)

    a, b = _nonblocking_pair()
    with a, b:
        assert asyncio.run(main(a, b)) == b"half"



def test_cancelled_send_frame_leaves_nothing_behind(pipe):
    # A frame that must wait for room and is cancelled while it waits puts
    # no byte on the wire, even when there was room for part of it: the
    # next frame is the next thing read.
    r, w = pipe
    frame = os.urandom(100000)

    async def main(a, b):
        filled = 0
        while True:  # fill the socket until it takes no more
            try:
                filled += a.send(b"x" * 4096)
            except BlockingIOError:
                break
        drained = len(b.recv(32768))  # room for part of the frame
        t = asyncio.ensure_future(udsock.aio.send_frame(a, frame, fds=[w]))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert not t.done()
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        loop = asyncio.get_running_loop()
        left = filled - drained
        while left > 0:  # the rest of the filler, and nothing else
            left -= len(await loop.sock_recv(b, min(left, 65536)))
        await udsock.aio.send_frame(a, b"next")
        return await asyncio.wait_for(udsock.aio.recv_frame_fds(b), 5)

    a, b = _nonblocking_pair()
    with a, b:
        before = set(os.listdir("/proc/self/fd"))
        assert asyncio.run(main(a, b)) == (b"next", [])
        assert set(os.listdir("/proc/self/fd")) <= before
