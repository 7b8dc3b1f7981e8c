#!/usr/bin/env bash
# What a long series costs (scripts/studies/long_series.py): train --epochs 0 and one epoch at 1M, 4M and
# 10M rows, beside pandas' read_csv (from the peers' venv, made by scripts/studies/forecast_peers.sh).
#   scripts/studies/long_series.sh [ROWS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
build_release
peers="${VANILLA_RNN_PEERS_VENV:-$HOME/.cache/vanilla-rnn/venv-peers}/bin/python"
if [ -x "$peers" ] && "$peers" -c "import pandas" >/dev/null 2>&1; then export PANDAS_PYTHON="$peers"; fi
exec "$PYTHON" scripts/studies/long_series.py "$@"
