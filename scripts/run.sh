#!/usr/bin/env bash
# The README's first command: set up (once), build in release, run vanilla-rnn.
#   scripts/run.sh                      -> vanilla-rnn train --out runs/latest
#   scripts/run.sh predict --weights runs/latest/weights.safetensors
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
build_release
[ $# -gt 0 ] || set -- train --out runs/latest
exec "$VANILLA_RNN" "$@"
