#!/usr/bin/env bash
# The port beside darts' vanilla RNN and statsmodels' ETS (scripts/studies/forecast_peers.py), in their
# own venv, made on first use: darts (u8darts[torch]) and statsmodels, with the project's torch
# (the venv reads scripts/setup.sh's venv through a .pth file rather than installing a second torch).
#   scripts/studies/forecast_peers.sh [--set tuning|unseen|fresh|selection]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
torch_py="$(scripts/setup.sh | tail -1 | cut -d= -f2)"
cargo build --release -q
venv="${VANILLA_RNN_PEERS_VENV:-$HOME/.cache/vanilla-rnn/venv-peers}"
if ! "$venv/bin/python" -c "import darts, statsmodels, torch" >/dev/null 2>&1; then
  echo "forecast_peers.sh: installing darts 0.41.0 and statsmodels 0.15.0 into $venv" >&2
  python3 -m venv "$venv"
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  "$torch_py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$site/vanilla-rnn-torch.pth"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "u8darts[torch]==0.41.0" "statsmodels==0.15.0"
fi
exec "$venv/bin/python" scripts/studies/forecast_peers.py "$@"
