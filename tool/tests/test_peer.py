"""peer: the client's pid, uid, gid, groups, label and executable."""

import json
import os
import shutil
import signal
import socket
import subprocess

from conftest import need


def test_json_about_socat(tmp, start, notified):
    socat = need("socat")
    p = start(["peer", "--json", str(tmp / "who")], notified)
    c = subprocess.Popen([socat, "-u", "UNIX-CONNECT:" + str(tmp / "who"), "-"], stdout=subprocess.PIPE)
    status, out, err = p.finish()
    c.wait(timeout=20)
    assert (status, err) == (0, b"")
    assert out.count(b"\n") == 1
    info = json.loads(out)
    assert info["pid"] == c.pid
    assert (info["uid"], info["gid"]) == (os.getuid(), os.getgid())
    assert sorted(info["groups"]) == sorted(os.getgroups())
    assert "label" in info
    assert info["exe"] == os.path.realpath(socat)


def test_line_about_python(tmp, start, notified):
    p = start(["peer", str(tmp / "who")], notified)
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "who"))
    status, out, _ = p.finish()
    c.close()
    assert status == 0
    fields = dict(f.split("=", 1) for f in out.decode().split())
    assert fields["pid"] == str(os.getpid())
    assert fields["uid"] == str(os.getuid())
    assert fields["exe"] == os.path.realpath(f"/proc/{os.getpid()}/exe")


def test_strange_executable_name_is_escaped(tmp, start, notified):
    socat = need("socat")
    odd = tmp / 'so"cat\\ with\nnewline'
    shutil.copy(socat, odd)
    p = start(["peer", "--json", str(tmp / "who")], notified)
    c = subprocess.Popen([str(odd), "-u", "UNIX-CONNECT:" + str(tmp / "who"), "-"], stdout=subprocess.PIPE)
    status, out, _ = p.finish()
    c.wait(timeout=20)
    assert status == 0 and out.count(b"\n") == 1
    assert json.loads(out)["exe"] == str(odd)


def test_exited_peer_has_no_exe(tmp, start, notified):
    p = start(["peer", "--json", str(tmp / "who")], notified)
    # A client that connects and is gone (and reaped) before peer looks:
    # peer is stopped meanwhile.
    os.kill(p.proc.pid, signal.SIGSTOP)
    subprocess.run(["python3", "-c", f"import socket; socket.socket(socket.AF_UNIX).connect({str(tmp / 'who')!r})"],
                   check=True, timeout=20)
    os.kill(p.proc.pid, signal.SIGCONT)
    status, out, _ = p.finish()
    assert status == 0
    assert json.loads(out)["exe"] is None
