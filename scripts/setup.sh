#!/usr/bin/env bash
# Idempotent set-up: a Python venv (outside the checkout) holding the pinned torch wheel,
# whose libtorch tch-rs builds and links against. The last line printed is `python=<path>`.
#
# Respects an existing libtorch: when LIBTORCH is set, or the active python3 already has
# torch 2.13.0 (with numpy and safetensors), nothing is installed.
#
# Either way it links the libtorch it found to .libtorch in the checkout (git ignores it), where
# .cargo/config.toml points cargo's LIBTORCH, and the python to .python, which the tests use when
# $PYTHON is not set: after this script, plain `cargo run --release` and `cargo test --release`
# work with no environment variable set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
link="$here/../.libtorch"
req="$here/requirements.txt"
want_torch="2.13.0"
venv="${VANILLA_RNN_VENV:-$HOME/.cache/vanilla-rnn/venv-torch-$want_torch}"

die() { echo "setup.sh: error: $*" >&2; exit 1; }

# Points .libtorch at $1 (a libtorch: lib/ and include/ inside) and .python to $2 (what plain
# `cargo test` runs the Python-side checks with), and reports $2 as the python.
done_with() {
  [ -d "$1/lib" ] && [ -d "$1/include" ] || die "$1 is not a libtorch (no lib/ and include/ in it)"
  ln -sfn "$1" "$link" || die "cannot link $link to $1"
  # a script rather than a link: a venv's python finds its venv only when called by its own path
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$2" > "$here/../.python" && chmod +x "$here/../.python" || die "cannot write $here/../.python"
  echo "python=$2"
  exit 0
}

torch_dir() { # $1 = python with torch: the torch package, which is a libtorch
  "$1" -c 'import os, torch; print(os.path.dirname(torch.__file__))'
}

has_stack() { # $1 = python; true when it has the pinned torch and the other Python-side packages
  "$1" - "$want_torch" >/dev/null 2>&1 <<'PY'
import sys, torch, numpy, safetensors
sys.exit(0 if torch.__version__.split("+")[0] == sys.argv[1] else 1)
PY
}

command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH; install Python 3.9+ (with venv and pip) and run again"

if [ -n "${LIBTORCH:-}" ]; then
  echo "setup.sh: LIBTORCH=$LIBTORCH is set: building against it, installing nothing" >&2
  py="$(command -v python3)"
  has_stack "$py" || echo "setup.sh: note: $py lacks torch==$want_torch/numpy/safetensors; the Python-side checks need them" >&2
  done_with "$LIBTORCH" "$py"
fi

if has_stack "$(command -v python3)"; then
  echo "setup.sh: the active python3 already has torch $want_torch: using it, installing nothing" >&2
  done_with "$(torch_dir "$(command -v python3)")" "$(command -v python3)"
fi

py="$venv/bin/python"
stamp="$venv/.requirements.sha256"
sum="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$py" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && has_stack "$py"; then
  done_with "$(torch_dir "$py")" "$py"
fi

# A venv half made by an interrupted run (no pyvenv.cfg, no python, or a pip that does not run)
# is made again.
if [ -e "$venv" ] && ! { [ -f "$venv/pyvenv.cfg" ] && [ -x "$py" ] && "$py" -m pip --version >/dev/null 2>&1; }; then
  echo "setup.sh: $venv is incomplete (no pyvenv.cfg, python or working pip): removing it" >&2
  rm -rf "$venv" || die "cannot remove the incomplete venv $venv"
fi
if [ ! -x "$py" ]; then
  echo "setup.sh: creating venv $venv" >&2
  mkdir -p "$(dirname "$venv")" || die "cannot create $(dirname "$venv")"
  if ! python3 -m venv "$venv" >&2 || ! "$py" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    die "python3 -m venv failed (on Debian/Ubuntu: apt install python3-venv)"
  fi
fi
echo "setup.sh: installing $(grep -v '^#' "$req" | tr '\n' ' ')(torch pulls the CUDA runtime, ~4.7 GB, a few minutes the first time)" >&2
"$py" -m pip install --disable-pip-version-check -q -r "$req" >&2 \
  || die "pip install -r $req failed (no network to PyPI? no disk space?); see pip's message above"
has_stack "$py" || die "$py still cannot import torch==$want_torch, numpy and safetensors after installing"
echo "$sum" > "$stamp"
done_with "$(torch_dir "$py")" "$py"
