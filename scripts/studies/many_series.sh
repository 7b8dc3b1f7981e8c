#!/usr/bin/env bash
# One model across many series (--series-column) against one model per series, on the vendored
# panels (tests/data/cigar.csv, grunfeld.csv). Writes its table into docs/real_series.md.
#   scripts/studies/many_series.sh [SEEDS...]     (default seeds: 1 2 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
build_release
seeds=("${@:-1 2 3}")
seeds=(${seeds[*]})
root=runs/many_series
rm -rf "$root"
"$PYTHON" scripts/studies/many_series.py "$VANILLA_RNN" "$root" "${seeds[@]}"
echo "many_series.sh: wrote its table into docs/real_series.md" >&2
