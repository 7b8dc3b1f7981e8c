# Sourced by run.sh and test.sh: runs setup.sh and points the build at its python and libtorch.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
setup_out="$("$here/setup.sh")" || exit 1
PYTHON="$(printf '%s\n' "$setup_out" | tail -n 1 | sed -n 's/^python=//p')"
[ -n "$PYTHON" ] || { echo "setup.sh did not report a python" >&2; exit 1; }
export PYTHON
if [ -z "${LIBTORCH:-}" ]; then
  # torch-sys runs `python` (inside a venv) to find the wheel's libtorch.
  export LIBTORCH_USE_PYTORCH=1
  # (the venv's bin/ has a `python`; a plain python3 with torch gets one via a shim directory)
  if [ -x "$(dirname "$PYTHON")/python" ]; then
    export VIRTUAL_ENV="$(dirname "$(dirname "$PYTHON")")"
    export PATH="$(dirname "$PYTHON"):$PATH"
  else
    shim="${TMPDIR:-/tmp}/vanilla-rnn-python-shim"; mkdir -p "$shim"; ln -sf "$PYTHON" "$shim/python"
    export VIRTUAL_ENV="$shim" PATH="$shim:$PATH"
  fi
fi
