#!/usr/bin/env bash
# Should --columns-as-series be the default for a file of several columns? The rule and the
# measures are scripts/studies/wide_default.py's docstring. Writes docs/wide_default.md.
#   scripts/studies/wide_default.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
cargo build --release --quiet
exec "$PYTHON" scripts/studies/wide_default.py "$@"
