#!/usr/bin/env bash
# Run the udsock tool's tests (tool/tests, pytest) against the staged
# install: the installed binary and manual pages, real peers (socat,
# CPython's socket module, systemd-socket-activate, libsystemd).
#
# `make check` runs this after `make stage`, with build/stage/env.sh sourced;
# run by hand, it sources that file itself. Extra arguments go to pytest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
python=${PYTHON:-python3}

if [ -z "${UDSOCK_BIN:-}" ]; then
    env_sh="$root/build/stage/env.sh"
    if [ ! -f "$env_sh" ]; then
        echo "run-tests.sh: $env_sh is missing: run 'make stage' first" >&2
        exit 2
    fi
    # shellcheck disable=SC1090
    . "$env_sh"
fi
if [ ! -x "$UDSOCK_BIN" ]; then
    echo "run-tests.sh: no udsock at UDSOCK_BIN=$UDSOCK_BIN" >&2
    exit 2
fi

if ! "$python" -c 'import pytest' 2>/dev/null; then
    "$python" -m pip install --quiet pytest || {
        echo "run-tests.sh: pytest is missing and pip cannot install it:" \
             "install python3-pytest (Debian) or run .ci/run" >&2
        exit 2
    }
fi

export PYTHONDONTWRITEBYTECODE=1
export UDSOCK_ROOT="$root"
cd "$here"
exec "$python" -m pytest -p no:cacheprovider "$@" tests
