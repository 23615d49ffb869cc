"""Socket activation: listen_fds, listen_fd_by_name, listen_sockets.

Each case runs in a child interpreter that receives the sockets, moves them
to fds 3, 4, ... and sets the LISTEN_* variables as systemd would.
"""

import json
import socket

import udsock
from conftest import run_python

CHILD = r"""
import ctypes, fcntl, json, os, sys
srcs = [int(x) for x in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in srcs]  # out of the way
for fd in srcs:
    os.close(fd)
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)  # inheritable, as systemd leaves them
    os.close(fd)
os.environ["LISTEN_PID"] = sys.argv[2] or str(os.getpid())
os.environ["LISTEN_FDS"] = str(len(srcs))
os.environ["LISTEN_FDNAMES"] = "web:admin"
import udsock
getenv = ctypes.CDLL(None).getenv
getenv.restype = ctypes.c_char_p
getenv.argtypes = [ctypes.c_char_p]
out = {}
out["fds"] = udsock.listen_fds(sys.argv[3] == "unset")
out["inheritable"] = [os.get_inheritable(fd) for fd in out["fds"]]
out["env_left"] = [getenv(v) is not None
                   for v in (b"LISTEN_PID", b"LISTEN_FDS", b"LISTEN_FDNAMES")]
try:
    out["admin"] = udsock.listen_fd_by_name("admin")
    out["web"] = udsock.listen_fd_by_name("web")
except OSError as e:
    out["by_name_error"] = e.errno
try:
    udsock.listen_fd_by_name("nope")
except FileNotFoundError:
    out["nope"] = "ENOENT"
out["again"] = udsock.listen_fds(False)
socks = udsock.listen_sockets(False) if out["again"] else []
out["types"] = [(s.family, s.type) for s in socks]
for s in socks:
    s.detach()
print(json.dumps(out))
"""


def activate(socks, listen_pid="", unset=False):
    fds = [s.fileno() for s in socks]
    p = run_python(CHILD, ",".join(map(str, fds)), listen_pid,
                   "unset" if unset else "keep", pass_fds=fds)
    return json.loads(p.stdout)


def test_listen_fds(sock_path):
    with udsock.listener(sock_path) as web, \
            udsock.listener(sock_path + "2", type=socket.SOCK_DGRAM) as adm:
        out = activate([web, adm])
    assert out["fds"] == [udsock.LISTEN_FDS_START, udsock.LISTEN_FDS_START + 1]
    assert out["inheritable"] == [False, False]  # marked close-on-exec
    assert out["env_left"] == [True, True, True]
    assert out["admin"] == 4 and out["web"] == 3
    assert out["nope"] == "ENOENT"
    assert out["again"] == [3, 4]
    assert out["types"] == [[socket.AF_UNIX, socket.SOCK_STREAM],
                            [socket.AF_UNIX, socket.SOCK_DGRAM]]


def test_listen_fds_unset_keeps_names(sock_path):
    with udsock.listener(sock_path) as web, \
            udsock.listener(sock_path + "2") as adm:
        out = activate([web, adm], unset=True)
    assert out["fds"] == [3, 4]
    assert out["env_left"] == [False, False, False]
    assert out["admin"] == 4 and out["web"] == 3


def test_listen_fds_for_another_pid(sock_path):
    with udsock.listener(sock_path) as web:
        out = activate([web], listen_pid="1")
    assert out["fds"] == []
    assert out["again"] == []
