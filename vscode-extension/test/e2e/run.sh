#!/usr/bin/env bash
# End-to-end test in a real VS Code (code-server 4.100.3 in Debian's chromium, driven by
# playwright-core): package the extension, install it, open a throwaway repo whose add() is
# buggy, run "codeloop: Fix failing tests" from the command palette, and check the file on disk
# and the notification. Not part of pytest/CI (its one-time install is ~0.8 GB); see ../../README.md.
#   CODELOOP_E2E_CACHE  install cache (default ~/.cache/codeloop-vscode-e2e)
#   CODELOOP_BIN        folder holding the codeloop executable and the python with pytest
#                       (default: where `codeloop` on PATH lives, e.g. the activated venv's bin)
#   CODELOOP_E2E_PORT   port of the code-server (default 8097)
set -euo pipefail
start=$(date +%s.%N)
HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$(cd "$HERE/../.." && pwd)
CACHE=$("$HERE/install.sh")
CS=$CACHE/cs/node_modules/.bin/code-server
PORT=${CODELOOP_E2E_PORT:-8097}
BIN=${CODELOOP_BIN:-$(dirname "$(command -v codeloop || echo /nonexistent/codeloop)")}
[ -x "$BIN/codeloop" ] || { echo "e2e: no codeloop in '$BIN': activate the venv or set CODELOOP_BIN" >&2; exit 2; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/codeloop-e2e.XXXXXX")
DATA=$RUN/data WS=$RUN/ws
mkdir -p "$DATA/user/User" "$DATA/ext" "$WS"
cat > "$DATA/user/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "codeloop.noModel": true
}
JSON

# The throwaway repo: one bug, one failing test.
printf 'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    x = a\n    y = b\n    r = x * y\n    return r\n' > "$WS/calc.py"
printf 'from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n' > "$WS/test_calc.py"
git -C "$WS" init -q
git -C "$WS" add -A
git -C "$WS" -c user.name=e2e -c user.email=e2e@codeloop.invalid commit -qm "buggy add"
# A staged change for the review step: a name defined nowhere (a blocking finding on line 2;
# the index still holds the buggy add, so the failing test is a second, unanchored one).
printf 'def twice(x):\n    return double(x)\n' > "$WS/util.py"
git -C "$WS" add util.py

(cd "$EXT" && "$CACHE/tools/node_modules/.bin/vsce" package --no-dependencies -o "$RUN/codeloop.vsix" >&2)
XDG_CONFIG_HOME=$DATA/xdg "$CS" --user-data-dir "$DATA/user" --extensions-dir "$DATA/ext" --install-extension "$RUN/codeloop.vsix" >&2

# The extension host inherits the server's environment: that is how it finds codeloop (and the
# venv's python, which runs the tests). Without VSCODE_CLI=1 the server replaces PATH with the
# one of a login shell (`$SHELL -ilc env`, where /etc/profile resets it).
PATH="$BIN:$PATH" VSCODE_CLI=1 XDG_CONFIG_HOME=$DATA/xdg setsid "$CS" --bind-addr "127.0.0.1:$PORT" --auth none \
  --user-data-dir "$DATA/user" --extensions-dir "$DATA/ext" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override > "$RUN/server.log" 2>&1 &
SRV=$!
trap 'kill -- -$SRV 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done

SHOTS=${CODELOOP_E2E_SCREENSHOTS:-$RUN}
mkdir -p "$SHOTS"
NODE_PATH=$CACHE/tools/node_modules node "$HERE/e2e.js" "http://127.0.0.1:$PORT/?folder=$WS" "$SHOTS"

if ! grep -q 'return a + b' "$WS/calc.py"; then
  echo "E2E FAILED: calc.py on disk is not fixed:" >&2; cat "$WS/calc.py" >&2; exit 1
fi
if ! grep -q '^def compute_r(a, b):' "$WS/calc.py"; then
  echo "E2E FAILED: lines 6-8 of calc.py were not extracted:" >&2; cat "$WS/calc.py" >&2; exit 1
fi
echo "e2e: calc.py on disk now reads:"; sed 's/^/    /' "$WS/calc.py"
echo "e2e: PASSED in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (screenshots in $SHOTS, logs in $RUN)"
