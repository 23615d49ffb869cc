"""The sockets work with the standard library; signals behave as in Python."""

import asyncio
import os
import selectors
import signal
import socket
import threading

import pytest

import udsock


def test_selectors(sock_path):
    srv = udsock.listener(sock_path,
                          type=socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    with selectors.DefaultSelector() as sel:
        sel.register(srv, selectors.EVENT_READ, "listener")
        with udsock.dial(sock_path) as cli:
            events = sel.select(timeout=10)
            assert [key.data for key, _ in events] == ["listener"]
            with udsock.accept(srv, socket.SOCK_NONBLOCK)[0] as conn:
                sel.register(conn, selectors.EVENT_READ, "conn")
                udsock.send_fds(cli, b"fd", [cli.fileno()])
                events = sel.select(timeout=10)
                assert [key.data for key, _ in events] == ["conn"]
                data, fds, _, _ = udsock.recv_fds(conn, 10, 1)
                assert data == b"fd"
                os.close(fds[0])
                sel.unregister(conn)
        sel.unregister(srv)
    udsock.close(srv)


def test_asyncio_streams(sock_path):
    async def main():
        async def handle(reader, writer):
            line = await reader.readline()
            writer.write(line.upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_unix_server(
            handle, sock=udsock.listener(sock_path))
        async with server:
            reader, writer = await asyncio.open_unix_connection(
                sock=udsock.dial(sock_path))
            writer.write(b"hello asyncio\n")
            reply = await reader.readline()
            writer.close()
            await writer.wait_closed()
            return reply

    assert asyncio.run(main()) == b"HELLO ASYNCIO\n"


def test_asyncio_fd_passing_with_add_reader():
    a, b = udsock.socketpair(socket.SOCK_SEQPACKET)
    b.setblocking(False)
    r, w = os.pipe()

    async def main():
        loop = asyncio.get_running_loop()
        got = loop.create_future()
        loop.add_reader(b, lambda: got.set_result(udsock.recv_fds(b, 10, 1)))
        udsock.send_fds(a, b"async", [w])
        data, fds, _, _ = await got
        loop.remove_reader(b)
        return data, fds

    with a, b:
        data, fds = asyncio.run(main())
    assert data == b"async" and len(fds) == 1
    os.write(fds[0], b"!")
    assert os.read(r, 1) == b"!"
    for fd in (r, w, fds[0]):
        os.close(fd)


def test_socket_methods_and_makefile(sock_path):
    with udsock.listener(sock_path) as srv, udsock.dial(sock_path) as cli:
        with udsock.accept(srv)[0] as conn:
            with cli.makefile("wb") as out, conn.makefile("rb") as inp:
                out.write(b"line one\n")
                out.flush()
                assert inp.readline() == b"line one\n"
            assert cli.getpeername() == sock_path


class Boom(Exception):
    pass


def _poke_main_thread(sig, stop):
    main = threading.main_thread().ident
    while not stop.wait(0.005):
        signal.pthread_kill(main, sig)


@pytest.fixture
def sigusr1():
    old = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, old)


def test_signal_handler_exception_interrupts_a_blocking_call(sock_path,
                                                             sigusr1):
    fired = []

    def handler(signum, frame):
        if not fired:  # once: later pokes must not hit the clean-up
            fired.append(signum)
            raise Boom()

    signal.signal(signal.SIGUSR1, handler)
    stop = threading.Event()
    t = threading.Thread(target=_poke_main_thread,
                         args=(signal.SIGUSR1, stop))
    with udsock.listener(sock_path) as srv:
        try:
            with pytest.raises(Boom):
                t.start()
                udsock.accept(srv)[0]  # nobody ever connects
        finally:
            stop.set()
            t.join()


def test_call_interrupted_by_a_quiet_handler_goes_on(sigusr1):
    seen = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    a, b = udsock.socketpair()
    stop = threading.Event()

    def poke_then_send():
        main = threading.main_thread().ident
        while not seen:
            signal.pthread_kill(main, signal.SIGUSR1)
            if stop.wait(0.005):
                return
        udsock.send_all(a, b"after the signal")

    t = threading.Thread(target=poke_then_send)
    with a, b:
        t.start()
        try:
            assert udsock.recv_exact(b, 16) == b"after the signal"
        finally:
            stop.set()
            t.join()
    assert seen


def test_reentrant_calls_do_not_share_the_scratch_space():
    # A signal handler or finalizer may call udsock between two bytecodes of
    # an outer call in the same thread. It must get its own buffers: the
    # outer call's are marked busy (simulated here).
    outer = udsock._lib.tls.s
    outer.fds[0] = -12345
    outer.view[:4] = b"keep"
    a, b = udsock.socketpair()
    r, w = os.pipe()
    outer.busy = True
    try:
        udsock.send_fds(a, b"inner", [w])
        data, fds, _, _ = udsock.recv_fds(b, 100, 1)
    finally:
        outer.busy = False
        a.close()
        b.close()
    assert data == b"inner" and len(fds) == 1
    assert outer.fds[0] == -12345 and outer.view[:4] == b"keep"
    for fd in fds + [r, w]:
        os.close(fd)
