# Sourced by run.sh, test.sh, bench.sh and experiments.sh: runs setup.sh (which links the libtorch
# it found to .libtorch, where .cargo/config.toml points cargo) and exports $PYTHON, the Python
# with torch that the Python-side checks use.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
setup_out="$("$here/setup.sh")" || exit 1
PYTHON="$(printf '%s\n' "$setup_out" | tail -n 1 | sed -n 's/^python=//p')"
[ -n "$PYTHON" ] || { echo "setup.sh did not report a python" >&2; exit 1; }
export PYTHON

# Builds the release binary and sets $VANILLA_RNN to it, wherever CARGO_TARGET_DIR points.
build_release() {
  cargo build --release --quiet || return 1
  local target
  target="$(cargo metadata --format-version 1 --no-deps | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')" || return 1
  VANILLA_RNN="$target/release/vanilla-rnn"
}
