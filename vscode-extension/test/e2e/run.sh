#!/usr/bin/env bash
# End-to-end test in a real VS Code (code-server 4.100.3 in Debian's chromium, driven by
# playwright-core), with the real codeloop CLI: package the .vsix and install it, open a
# throwaway repo, and from the command palette run Fix failing tests, Generate function body,
# Extract method and Review current file; each one's preview (or findings) is seen, applied,
# and the files are checked on disk. Run by .ci/run. Fails loudly; never skips.
#   CODELOOP_E2E_CACHE  install cache (default ${XDG_CACHE_HOME:-~/.cache}/codeloop-vscode-e2e)
#   CODELOOP_BIN        folder holding the codeloop executable and the python with pytest
#                       (default: where `codeloop` on PATH lives, e.g. the activated venv's bin)
#   CODELOOP_E2E_PORT   port of the code-server (default 8097)
#   CODELOOP_E2E_VSIX   the .vsix to test (default: packaged now by build-vsix.sh)
# Screenshots (one per command) go to test/e2e/output/ (git-ignored), logs to a temp folder.
set -euo pipefail
start=$(date +%s.%N)
HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$(cd "$HERE/../.." && pwd)
CACHE=$("$HERE/install.sh")
CS=$CACHE/cs/node_modules/.bin/code-server
PORT=${CODELOOP_E2E_PORT:-8097}
BIN=${CODELOOP_BIN:-$(dirname "$(command -v codeloop || echo /nonexistent/codeloop)")}
[ -x "$BIN/codeloop" ] || { echo "E2E FAILED: no codeloop in '$BIN': activate the venv or set CODELOOP_BIN" >&2; exit 2; }
if curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
  echo "E2E FAILED: port $PORT is taken by another server; set CODELOOP_E2E_PORT" >&2; exit 2
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/codeloop-e2e.XXXXXX")
DATA=$RUN/data WS=$RUN/ws SHOTS=$HERE/output
rm -rf "$SHOTS" && mkdir -p "$DATA/user/User" "$DATA/ext" "$WS" "$SHOTS"
cat > "$DATA/user/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.enabled": false,
  "editor.codeActionWidget.includeNearbyQuickFixes": true,
  "codeloop.noModel": true
}
JSON

# The throwaway repo: add() has a one-token bug its test catches; mul() has lines to extract;
# double() is a stub with a doctest; util.py has a saved, uncommitted typo (`reslt`).
cat > "$WS/calc.py" <<'PY'
def add(a, b):
    return a - b


def mul(a, b):
    x = a
    y = b
    r = x * y
    return r


def double(n):
    """Return n doubled.

    >>> double(4)
    8
    """
PY
printf 'from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n' > "$WS/test_calc.py"
printf 'def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n' > "$WS/util.py"
git -C "$WS" init -q
git -C "$WS" add -A
git -C "$WS" -c user.name=e2e -c user.email=e2e@codeloop.invalid commit -qm "buggy add, a stub"
sed -i 's/return result/return reslt/' "$WS/util.py"

VSIX=${CODELOOP_E2E_VSIX:-$("$EXT/build-vsix.sh")}
[ -f "$VSIX" ] || { echo "E2E FAILED: no .vsix at '$VSIX'" >&2; exit 2; }
XDG_CONFIG_HOME=$DATA/xdg "$CS" --user-data-dir "$DATA/user" --extensions-dir "$DATA/ext" --install-extension "$VSIX" >&2

# The extension host inherits the server's environment: that is how it finds codeloop (and the
# venv's python, which runs the tests). Without VSCODE_CLI=1 the server replaces PATH with the
# one of a login shell (`$SHELL -ilc env`, where /etc/profile resets it).
PATH="$BIN:$PATH" VSCODE_CLI=1 XDG_CONFIG_HOME=$DATA/xdg setsid "$CS" --bind-addr "127.0.0.1:$PORT" --auth none \
  --user-data-dir "$DATA/user" --extensions-dir "$DATA/ext" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override > "$RUN/server.log" 2>&1 &
SRV=$!
trap 'kill -- -$SRV 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "E2E FAILED: code-server did not start; see $RUN/server.log" >&2; tail -20 "$RUN/server.log" >&2; exit 1; }

if ! NODE_PATH=$CACHE/tools/node_modules node "$HERE/e2e.js" "http://127.0.0.1:$PORT/?folder=$WS" "$WS" "$SHOTS"; then
  echo "E2E FAILED: see $SHOTS/failed.png, the extension's log and the server's under $RUN" >&2
  find "$DATA/user/logs" -name '*codeloop*' -exec tail -40 {} + >&2 2>/dev/null || true
  exit 1
fi

# What the user applied is what is on disk, and the tests agree.
fail() { echo "E2E FAILED: $1" >&2; sed 's/^/    /' "$WS/calc.py" "$WS/util.py" >&2; exit 1; }
grep -q '    return a + b' "$WS/calc.py" || fail "calc.py on disk is not fixed"
grep -q '^def product(a, b):' "$WS/calc.py" || fail "lines 6-8 of calc.py were not extracted into product()"
grep -q '    return result$' "$WS/util.py" || fail "util.py does not have the quick fix"
(cd "$WS" && "$BIN/python" -m doctest calc.py && "$BIN/python" -m pytest -q -p no:cacheprovider >/dev/null) || fail "calc.py's doctest or tests fail"
echo "e2e: calc.py on disk now reads:"; sed 's/^/    /' "$WS/calc.py"
echo "e2e: PASSED in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (screenshots in $SHOTS, logs in $RUN)"
