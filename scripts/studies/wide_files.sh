#!/usr/bin/env bash
# What a wide file costs (scripts/studies/wide_files.py): train --epochs 1 on 200 rows of 1 to
# 5,000 columns, as one series and with --columns-as-series. Writes docs/wide_files.md.
#   scripts/studies/wide_files.sh [COLUMNS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
cargo build --release --quiet
exec "$PYTHON" scripts/studies/wide_files.py "$@"
