#!/usr/bin/env bash
# Idempotent install of what the e2e needs; prints the cache folder. Once: ~0.8 GB, a few
# minutes; afterwards a few checks. Everything goes to the user cache folder, nothing into the repo:
#   Debian packages (apt, when missing; as root): chromium ripgrep libkrb5-dev libsecret-1-dev pkg-config
#   code-server 4.100.3 (VS Code 1.100, the last that runs on Node 20), playwright-core 1, @vscode/vsce 3
#   into ${CODELOOP_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/codeloop-vscode-e2e}.
set -euo pipefail
CACHE=${CODELOOP_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codeloop-vscode-e2e}
CS_VERSION=4.100.3
mkdir -p "$CACHE/cs" "$CACHE/tools" "$CACHE/tmp"

# chromium drives the UI; rg: VS Code's search, seeded below; the -dev packages and
# pkg-config: code-server's native modules (kerberos, keytar) build against them.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -e /usr/include/krb5.h ] || need+=(libkrb5-dev)
[ -e /usr/include/libsecret-1/libsecret/secret.h ] || need+=(libsecret-1-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e: apt-get install ${need[*]}" >&2
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
  else
    echo "e2e: missing ${need[*]}: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
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
  [ -f "$CACHE/cs/package.json" ] || echo '{"private":true}' > "$CACHE/cs/package.json"
  (cd "$CACHE/cs" && TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
     npm_config_dangerously_allow_all_scripts=true \
     npm install --no-audit --no-fund "code-server@$CS_VERSION" >&2)
  touch "$CACHE/cs/.installed-$CS_VERSION"
fi

if [ ! -d "$CACHE/tools/node_modules/playwright-core" ] || [ ! -d "$CACHE/tools/node_modules/@vscode/vsce" ]; then
  echo "e2e: installing playwright-core and @vscode/vsce 3 into $CACHE/tools" >&2
  [ -f "$CACHE/tools/package.json" ] || echo '{"private":true}' > "$CACHE/tools/package.json"
  # vsce 4 needs Node >= 22.
  (cd "$CACHE/tools" && npm install --no-audit --no-fund playwright-core@1 "@vscode/vsce@3" >&2)
fi
echo "$CACHE"
