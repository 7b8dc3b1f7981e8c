#!/usr/bin/env bash
# What a newcomer reads: the messages on the public files of issue 35, quoted. Writes
# docs/messages.md (scripts/studies/messages.py's docstring says how).
#   scripts/studies/messages.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
cargo build --release --quiet
exec "$PYTHON" scripts/studies/messages.py "$@"
