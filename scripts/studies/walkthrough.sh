#!/usr/bin/env bash
# The README's quick start, run for real: train on a monthly CSV with no tuning flag, forecast
# two years past its end with a band, and keep what the two commands print and draw.
# Writes docs/walkthrough.md and docs/plots/walkthrough/{forecast,predictions,loss}.png.
#   scripts/studies/walkthrough.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
build_release
run=runs/walkthrough
rm -rf "$run"
train_line="$("$VANILLA_RNN" train --data tests/data/elec_equip.csv --out "$run" 2>&1 | tail -n 2)"
forecast_lines="$("$VANILLA_RNN" forecast "$run" --steps 24 2>&1)"
mkdir -p docs/plots/walkthrough
cp "$run/plots/forecast.png" "$run/plots/predictions.png" "$run/plots/loss.png" docs/plots/walkthrough/
{
  echo "# Walk-through: a monthly series, trained and forecast"
  echo
  echo "Written by \`scripts/studies/walkthrough.sh\` on $(date +%F) ($(uname -m), $(nproc) cores)."
  echo
  echo '```'
  echo "\$ vanilla-rnn train --data tests/data/elec_equip.csv --out $run"
  echo "$train_line"
  echo "\$ vanilla-rnn forecast $run --steps 24"
  echo "$forecast_lines"
  echo '```'
  echo
  echo "scores.csv:"
  echo
  echo '```'
  cat "$run/scores.csv"
  echo '```'
  echo
  echo "![forecast](plots/walkthrough/forecast.png)"
} > docs/walkthrough.md
cat docs/walkthrough.md
