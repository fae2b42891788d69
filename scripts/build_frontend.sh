#!/usr/bin/env bash
# Build the web app into frontend/dist (served by the API at /).
#   npm ci            only when node_modules is missing or package-lock.json changed
#   npm run check:api the committed typed client matches frontend/openapi.json
#   npm run build     skipped when dist is newer than every source file
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../frontend"

if ! command -v npm >/dev/null 2>&1; then
  echo "build_frontend: npm not found (Node.js >= 20.19 is needed to build the web app)" >&2
  exit 1
fi

stamp_deps=node_modules/.jiebang-package-lock.json
if [ ! -d node_modules ] || ! cmp -s package-lock.json "$stamp_deps"; then
  echo "== frontend: npm ci =="
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp_deps"
fi

stamp_build=dist/.jiebang-build-stamp
sources=(src public index.html vite.config.ts tsconfig.json package.json package-lock.json openapi.json scripts)
if [ -f dist/index.html ] && [ -f "$stamp_build" ] \
  && [ -z "$(find "${sources[@]}" -newer "$stamp_build" -print -quit 2>/dev/null)" ]; then
  echo "== frontend: dist is up to date =="
  exit 0
fi

echo "== frontend: check:api =="
npm run --silent check:api
echo "== frontend: build =="
npm run --silent build
touch "$stamp_build"
