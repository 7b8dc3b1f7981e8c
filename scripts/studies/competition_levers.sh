#!/usr/bin/env bash
# Two levers of issue 34 on competition.sh's runs (scripts/studies/competition_levers.py, whose
# docstring has the flags), in competition.sh's venv and with its build.
set -euo pipefail
COMPETITION_SCRIPT=competition_levers.py exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/competition.sh" "$@"
