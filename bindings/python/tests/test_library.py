"""Loading the library, version, errors, and the documentation itself."""

import ctypes.util
import errno
import inspect
import os
import pydoc
import re
import shutil
import socket
import subprocess
import threading

import pytest

import udsock
from conftest import PKG_DIR, child_env, run_python

# Every function of the C ABI contract, and the Python function binding it.
API = {
    "uds_getsockname": "getsockname", "uds_getpeername": "getpeername",
    "uds_addr_format": "format_addr", "uds_socket": "socket",
    "uds_bind": "bind", "uds_bind_abstract": "bind_abstract",
    "uds_autobind": "autobind", "uds_listen": "listen",
    "uds_accept": "accept", "uds_connect": "connect",
    "uds_connect_abstract": "connect_abstract",
    "uds_socketpair": "socketpair", "uds_listener": "listener",
    "uds_dial": "dial", "uds_unlink": "unlink", "uds_close": "close",
    "uds_unlink_path": "unlink_path", "uds_send": "send", "uds_recv": "recv",
    "uds_send_all": "send_all", "uds_recv_exact": "recv_exact",
    "uds_pending": "pending", "uds_sendto": "sendto",
    "uds_recvfrom": "recvfrom", "uds_send_frame": "send_frame",
    "uds_recv_frame": "recv_frame", "uds_send_fds": "send_fds",
    "uds_recv_fds": "recv_fds", "uds_send_fd": "send_fd",
    "uds_recv_fd": "recv_fd", "uds_peer_cred": "peer_cred",
    "uds_peer_pidfd": "peer_pidfd", "uds_set_passcred": "set_passcred",
    "uds_peer_groups": "peer_groups", "uds_peer_security": "peer_security",
    "uds_send_creds": "send_creds", "uds_recv_creds": "recv_creds",
    "uds_sendmsg": "sendmsg", "uds_recvmsg": "recvmsg",
    "uds_send_batch": "send_batch", "uds_recv_batch": "recv_batch",
    "uds_send_frame_fds": "send_frame_fds",
    "uds_recv_frame_fds": "recv_frame_fds",
    "uds_set_passpidfd": "set_passpidfd",
    "uds_set_passrights": "set_passrights", "uds_recv_pidfd": "recv_pidfd",
    "uds_recvmsg_pidfd": "recvmsg_pidfd",
    "uds_recv_batch_pidfd": "recv_batch_pidfd",
    "uds_listen_fds": "listen_fds",
    "uds_listen_fd_by_name": "listen_fd_by_name",
    "uds_notify": "notify", "uds_notify_fds": "notify",
    "uds_watchdog_enabled": "watchdog_enabled",
    "uds_last_error": "last_error", "uds_version": "version",
}

# Python constant -> the C macro or enumerator it mirrors.
CONSTANTS = {
    "MAX_FDS": "UDS_MAX_FDS", "LISTEN_FDS_START": "UDS_LISTEN_FDS_START",
    "REPLACE_STALE": "UDS_REPLACE_STALE", "MSG_TRUNC": "UDS_MSG_TRUNC",
    "MSG_CTRUNC": "UDS_MSG_CTRUNC", "MSG_CRED": "UDS_MSG_CRED",
    "MSG_PIDFD": "UDS_MSG_PIDFD",
}


def installed_header():
    """The text of the udsock.h that pkg-config points at, or None."""
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "udsock"],
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    for flag in flags.stdout.split():
        if flag.startswith("-I"):
            path = os.path.join(flag[2:], "udsock.h")
            if os.path.exists(path):
                with open(path) as f:
                    return f.read()
    return None


def test_version():
    v = udsock.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v), v


def test_package_version_matches_pyproject():
    with open(os.path.join(PKG_DIR, "pyproject.toml")) as f:
        m = re.search(r'^version = "([^"]+)"', f.read(), re.M)
    assert m and m.group(1) == udsock.__version__


def test_library_path_is_the_chosen_one():
    want = os.environ.get("UDSOCK_LIBRARY")
    if want:
        assert udsock.library_path() == want


def test_every_api_function_is_bound():
    for cname, pyname in API.items():
        assert cname in udsock._lib.PROTOS, cname
        fn = getattr(udsock, pyname)
        assert callable(fn), pyname


def test_every_api_function_is_in_the_library():
    for cname in API:
        assert hasattr(udsock._lib.cdll, cname), "library lacks " + cname


def test_header_declares_what_we_bind_and_the_same_constants():
    h = installed_header()
    if h is None:
        pytest.skip("pkg-config finds no udsock.h")
    declared = set(re.findall(r"\b(uds_\w+)\s*\(", h))
    for cname in API:
        assert cname in declared, cname
    for pyname, cname in CONSTANTS.items():
        value = r"\(?\s*(0x[0-9a-fA-F]+|\d+)"
        m = re.search(r"#define\s+%s\s+%s" % (cname, value), h) \
            or re.search(r"\b%s\s*=\s*%s" % (cname, value), h)
        assert m, "header has no value for " + cname
        assert int(m.group(1), 0) == getattr(udsock, pyname), cname
    # Functions added to the header later must be bound as well.
    unbound = sorted(declared - set(udsock._lib.PROTOS))
    assert not unbound, "header functions without a binding: %s" % unbound


def test_failure_raises_oserror_subclass_with_last_error(tmp_path):
    missing = str(tmp_path / "nothing-here")
    with pytest.raises(FileNotFoundError) as ei:
        udsock.dial(missing)
    e = ei.value
    assert e.errno == errno.ENOENT
    assert e.strerror == udsock.last_error()
    assert e.strerror.startswith("uds_dial")
    assert missing in e.strerror


def test_last_error_is_per_thread_and_empty_at_first(tmp_path):
    with pytest.raises(OSError):
        udsock.dial(str(tmp_path / "x"))
    assert udsock.last_error() != ""
    seen = []
    t = threading.Thread(target=lambda: seen.append(udsock.last_error()))
    t.start()
    t.join()
    assert seen == [""]


def test_explicit_library_that_does_not_load(tmp_path):
    bad = str(tmp_path / "libnot.so")
    p = run_python("import udsock", env=child_env(UDSOCK_LIBRARY=bad),
                   check=False)
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "UDSOCK_LIBRARY" in p.stderr
    assert bad in p.stderr


def _copy_package(dst):
    """A copy of the package laid out as in the source tree under dst."""
    pkg = os.path.join(dst, "bindings", "python")
    shutil.copytree(os.path.join(PKG_DIR, "udsock"),
                    os.path.join(pkg, "udsock"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def _env_without_library(pkg):
    return child_env(UDSOCK_LIBRARY=None, LD_LIBRARY_PATH=None,
                     PYTHONPATH=pkg)


def _no_system_library():
    """True if, without our variables, the system's loader finds nothing."""
    p = run_python("import ctypes, ctypes.util\n"
                   "found = ctypes.util.find_library('udsock')\n"
                   "try:\n"
                   "    ctypes.CDLL('libudsock.so')\n"
                   "except OSError:\n"
                   "    print(found)\n"
                   "else:\n"
                   "    print('libudsock.so')\n",
                   env=_env_without_library(PKG_DIR))
    return p.stdout.strip() == "None"


def test_falls_back_to_the_source_trees_build(tmp_path):
    if not _no_system_library():
        pytest.skip("a system libudsock would be found first")
    real = os.environ.get("UDSOCK_LIBRARY") or udsock.library_path()
    if not os.path.isabs(real):
        pytest.skip("cannot tell where the library under test is")
    pkg = _copy_package(str(tmp_path))
    os.makedirs(str(tmp_path / "target" / "debug"))
    (tmp_path / "Cargo.toml").write_text("")  # what marks a source tree
    os.symlink(real, str(tmp_path / "target" / "debug" / "libudsock.so"))
    p = run_python("import udsock; print(udsock.library_path()); "
                   "print(udsock.version())",
                   env=_env_without_library(pkg))
    path, version = p.stdout.split()
    assert path == str(tmp_path / "target" / "debug" / "libudsock.so")
    assert version == udsock.version()


def test_import_error_says_what_was_tried(tmp_path):
    if not _no_system_library():
        pytest.skip("a system libudsock would be found")
    pkg = _copy_package(str(tmp_path))
    p = run_python("import udsock", env=_env_without_library(pkg),
                   check=False)
    assert p.returncode != 0
    err = p.stderr
    assert "ImportError" in err
    assert "UDSOCK_LIBRARY: not set" in err
    assert "find_library" in err
    assert os.path.join(pkg, "udsock", "libudsock*.so") in err
    # Not a source tree (no Cargo.toml): its target/ is never tried, so
    # never named.
    assert "target" not in err
    (tmp_path / "Cargo.toml").write_text("")
    p = run_python("import udsock", env=_env_without_library(pkg),
                   check=False)
    assert str(tmp_path / "target" / "release" / "libudsock.so") in p.stderr
    assert str(tmp_path / "target" / "debug" / "libudsock.so") in p.stderr


def test_missing_function_fails_at_call_not_import():
    libc = ctypes.util.find_library("c")
    p = run_python(
        "import udsock\n"
        "try:\n"
        "    udsock.version()\n"
        "except NotImplementedError as e:\n"
        "    print('NotImplementedError:', e)\n",
        env=child_env(UDSOCK_LIBRARY=libc))
    assert "NotImplementedError: uds_version is not in" in p.stdout


def test_help_reads_well():
    text = pydoc.render_doc(udsock, renderer=pydoc.plaintext)
    for name in ("send_fds", "recv_fds", "listener", "Ownership",
                 "UDSOCK_LIBRARY", "Cred", "Message"):
        assert name in text


def test_public_functions_have_docstrings_and_hints():
    for name in udsock.__all__ + ["socket"]:
        obj = getattr(udsock, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, name
            for p in sig.parameters.values():
                assert p.annotation is not inspect.Parameter.empty, \
                    (name, p.name)


def test_star_import_does_not_shadow_socket_module():
    ns = {}
    exec("import socket\nfrom udsock import *", ns)
    assert ns["socket"] is socket
