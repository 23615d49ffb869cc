#!/usr/bin/env bash
# tool/demo.sh - the second half of "make demo": the udsock tool, live.
#
# Uses the staged install (make stage). Everything happens in a private
# directory that is removed at the end; every process it starts is waited for.
set -euo pipefail
[ -n "${UDSOCK_BIN:-}" ] || . "$(dirname "$0")/../build/stage/env.sh"
udsock=$UDSOCK_BIN
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# A demo, not a test: waiting for a server's socket file is a short poll.
listening() { for _ in $(seq 1000); do [ -S "$1" ] && return 0; sleep 0.01; done; echo "no $1" >&2; return 1; }
show() { echo "   \$ $*"; }

echo
echo "== The udsock tool ($("$udsock" --version)), live"
echo
echo "1. A file's descriptor, passed to a process that never opened it"
printf 'the contents of secret.txt\n' > secret.txt
show "udsock recv-fd rx.sock -- sh -c 'echo \"pid \$\$ read: \$(cat)\"' &"
"$udsock" recv-fd rx.sock -- sh -c 'echo "   pid $$ (given the descriptor as its stdin) read: $(cat)"' &
rx=$!
listening rx.sock
show "udsock send-fd rx.sock secret.txt     # opens the file, sends the descriptor"
"$udsock" send-fd rx.sock secret.txt
wait $rx

echo
echo "2. Who is on the other end: pid, uid and executable, from the kernel"
show "udsock peer --json who.sock &"
"$udsock" peer --json who.sock > peer.json &
peer=$!
listening who.sock
show "python3 -c 'connect to who.sock'"
python3 -c 'import os, socket; s = socket.socket(socket.AF_UNIX); s.connect("who.sock"); print("   the client: pid", os.getpid(), "uid", os.getuid()); s.recv(1)'
wait $peer
sed 's/^/   peer says: /' peer.json

echo
echo "3. A service started by socket activation: the socket exists before the service"
show "udsock activate -l web.sock=web -- python3 service.py &"
cat > service.py <<'PY'
import os, socket
print("   service pid", os.getpid(), "got LISTEN_FDS=" + os.environ["LISTEN_FDS"],
      "LISTEN_FDNAMES=" + os.environ["LISTEN_FDNAMES"], "LISTEN_PID is mine:", os.environ["LISTEN_PID"] == str(os.getpid()), flush=True)
s = socket.socket(fileno=3)
c, _ = s.accept()
c.sendall(b"hello from the activated service\n")
PY
"$udsock" activate -l "$dir/web.sock=web" -- python3 service.py &
svc=$!
listening web.sock
show "udsock connect web.sock"
"$udsock" connect web.sock </dev/null | sed 's/^/   client got: /'
wait $svc
echo
echo "udsock: 3 of 3 shown"
