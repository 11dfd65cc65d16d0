#!/usr/bin/env bash
# One-time, idempotent install of what the e2e needs, into a cache outside the repo (~0.8 GB):
# code-server 4.100.3 (VS Code 1.100, the last that runs on Node 20), playwright-core, @vscode/vsce.
# System packages (Debian): chromium ripgrep libkrb5-dev libsecret-1-dev pkg-config.
set -euo pipefail
CACHE=${CODELOOP_E2E_CACHE:-$HOME/.cache/codeloop-vscode-e2e}
CS_VERSION=4.100.3
mkdir -p "$CACHE/cs" "$CACHE/tools" "$CACHE/tmp"

missing=()
for bin in chromium rg pkg-config; do command -v "$bin" >/dev/null || missing+=("$bin"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: missing ${missing[*]}: apt-get install -y chromium ripgrep libkrb5-dev libsecret-1-dev pkg-config" >&2
  exit 2
fi

if [ ! -f "$CACHE/cs/.installed-$CS_VERSION" ]; then
  echo "e2e: installing code-server $CS_VERSION into $CACHE/cs (a few minutes, once)" >&2
  # @vscode/ripgrep's postinstall downloads rg from GitHub; seed its cache with Debian's rg instead.
  seed="$CACHE/tmp/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$seed"
  [ -f "$seed/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ] ||
    tar czf "$seed/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  # unsafe_perm: its postinstall refuses root; yes: node-pty's postinstall runs npx. npm >= 11.x
  # skips dependencies' install scripts unless allowed, and code-server's postinstall is what
  # installs VS Code's own native modules (by nested npm runs, which inherit this env setting).
  rm -rf "$CACHE/cs/node_modules"
  (cd "$CACHE/cs" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$CACHE/cs" && TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
     npm_config_dangerously_allow_all_scripts=true \
     npm install --no-audit --no-fund "code-server@$CS_VERSION" >&2)
  touch "$CACHE/cs/.installed-$CS_VERSION"
fi

if [ ! -d "$CACHE/tools/node_modules/playwright-core" ] || [ ! -d "$CACHE/tools/node_modules/@vscode/vsce" ]; then
  echo "e2e: installing playwright-core and @vscode/vsce 3 into $CACHE/tools" >&2
  (cd "$CACHE/tools" && [ -f package.json ] || echo '{"private":true}' > package.json)
  # vsce 4 needs Node >= 22.
  (cd "$CACHE/tools" && npm install --no-audit --no-fund playwright-core@1 "@vscode/vsce@3" >&2)
fi
echo "$CACHE"
