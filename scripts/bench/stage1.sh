#!/usr/bin/env bash
# Stage 1 benchmark (see stage1.mjs): bash scripts/bench/stage1.sh [--smoke] [--repeats N] [--bench-file FILE]
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/stage1.mjs" "$@"
