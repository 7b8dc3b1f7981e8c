#!/usr/bin/env bash
# The README's second command (and CI's): set up, then the whole suite. The Python-side checks
# (tests/python/*.py, scripts/reference.py, scripts/compare.py) run inside cargo's tests
# (tests/pytorch.rs), with the $PYTHON that setup.sh reports, so one command covers both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
echo "test.sh: python=$PYTHON" >&2
# One profile only: the tests link the same release build of torch-sys as the binary.
cargo test --release "$@"
echo "test.sh: all tests passed" >&2
