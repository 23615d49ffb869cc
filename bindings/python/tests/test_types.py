"""The package's type hints pass mypy --strict, and so does typed code
that uses it."""

import os
import subprocess
import sys

import pytest

from conftest import PKG_DIR

USER = '''
import socket
from typing import List, Optional, Tuple
import udsock

def serve(path: str) -> None:
    with udsock.listener(path) as srv:
        conn, addr = udsock.accept(srv)
        data, fds, flags, peer = udsock.recv_fds(conn, 100, 4)
        fds2: List[int] = fds
        frame: Optional[bytes] = udsock.recv_frame(conn)
        n: int = udsock.send_fds(conn, [b"x"], fds2)
        conn.settimeout(1.0)
        udsock.send_all(conn, b"y")

async def aserve(conn: socket.socket) -> Optional[Tuple[bytes, List[int]]]:
    await udsock.aio.send_fds(conn, [b"x"], [0])
    return await udsock.aio.recv_frame_fds(conn, maxfds=1)
'''


def _mypy():
    p = subprocess.run([sys.executable, "-c", "import mypy"],
                       capture_output=True)
    return p.returncode == 0


@pytest.mark.skipif(not _mypy(), reason="mypy is not installed (.ci/run "
                    "installs it: pip install mypy)")
def test_mypy_strict(tmp_path):
    user = tmp_path / "user.py"
    user.write_text(USER)
    env = dict(os.environ, MYPYPATH=PKG_DIR)
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict",
                        "--no-incremental", "--cache-dir", str(tmp_path / "c"),
                        "udsock", str(user)],
                       capture_output=True, text=True, cwd=PKG_DIR, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
