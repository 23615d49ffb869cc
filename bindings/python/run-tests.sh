#!/usr/bin/env bash
# Run the Python binding's tests against the staged library.
#
# `make check` runs this from the repository root after `make stage`, with
# build/stage/env.sh already sourced. Run by hand, it sources that file itself.
# Extra arguments go to pytest (e.g. -k frames, -x).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

if [ -z "${UDS_LIBDIR:-}" ]; then
    env_sh="$root/build/stage/env.sh"
    if [ ! -f "$env_sh" ]; then
        echo "run-tests.sh: $env_sh is missing: run 'make stage' first" >&2
        exit 2
    fi
    # shellcheck disable=SC1090
    . "$env_sh"
fi
if [ ! -f "$UDS_LIBDIR/libudsock.so" ]; then
    echo "run-tests.sh: no libudsock.so in UDS_LIBDIR=$UDS_LIBDIR" >&2
    exit 2
fi
export UDSOCK_LIBRARY="$UDS_LIBDIR/libudsock.so"

if ! "$python" -c 'import pytest' 2>/dev/null; then
    "$python" -m pip install --quiet pytest || {
        echo "run-tests.sh: pytest is missing and pip cannot install it:" \
             "install python3-pytest (Debian) or run .ci/run" >&2
        exit 2
    }
fi

# Test the source tree, not some installed copy, and leave no caches in it.
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
# Exit status 5 is pytest's "no tests collected" (e.g. a -k that matches
# nothing): nothing failed.
rc=0
"$python" -m pytest -p no:cacheprovider "$@" tests || rc=$?
[ "$rc" != 5 ] || { echo "run-tests.sh: pytest collected no tests"; rc=0; }
exit "$rc"
