#!/usr/bin/env bash
# Package the extension as dist/codeloop-VERSION.vsix (vsce 3 from the e2e cache, installed
# once by test/e2e/install.sh) and print its path. .ci/run builds it this way.
set -euo pipefail
EXT=$(cd "$(dirname "$0")" && pwd)
CACHE=$("$EXT/test/e2e/install.sh")
version=$(node -p "require('$EXT/package.json').version")
mkdir -p "$EXT/dist"
out="$EXT/dist/codeloop-$version.vsix"
(cd "$EXT" && "$CACHE/tools/node_modules/.bin/vsce" package --no-dependencies -o "$out" >&2)
echo "$out"
