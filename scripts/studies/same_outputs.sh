#!/usr/bin/env bash
# Every default run's outputs, byte for byte, from two builds: the circle, a CSV series and a
# many-series file, each trained, predicted, forecast, exported and replotted, and each stdout
# and stderr line. Only the wall-clock columns differ between two runs of one build (metrics.csv's
# `seconds`, the summary's "in 0.5s"); they are blanked before the comparison.
#
#     scripts/studies/same_outputs.sh OLD_BINARY [NEW_BINARY]    # NEW defaults to target/release/vanilla-rnn
#
# Exit 0 when every file and message is the same; else the first differences.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
old="$(realpath "$1")"
new="$(realpath "${2:-target/release/vanilla-rnn}")"
data="$PWD/tests/data"
work="$(mktemp -d)"
[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || trap 'rm -rf "$work"' EXIT

runs() {
  local bin="$1" dir="$2"
  mkdir -p "$dir" && cd "$dir"
  {
    "$bin" train --out circle
    "$bin" predict circle --out circle/p.csv
    "$bin" forecast circle --steps 50
    "$bin" export --weights circle/weights.safetensors --out circle/e.pt
    "$bin" plot circle
    "$bin" train --data "$data/elec_equip.csv" --out csv
    "$bin" predict csv --out csv/p.csv
    "$bin" forecast csv --steps 24
    "$bin" forecast csv --steps 12 --from 100 --out csv/from.csv
    "$bin" export --weights csv/weights.safetensors --out csv/e.pt
    "$bin" plot csv
    "$bin" train --data "$data/grunfeld.csv" --series-column firm --columns inv --out many
    "$bin" predict many --out many/p.csv
    "$bin" forecast many --steps 5
    "$bin" forecast many --steps 5 --series 3 --out many/three.csv
    "$bin" plot many
  } >"$dir/stdout" 2>"$dir/stderr"
  # wall-clock: metrics.csv's last column, and "in N.Ns" in a summary
  for m in */metrics.csv; do sed -i -E 's/,[0-9.]+$/,T/' "$m"; done
  sed -i -E 's/ in [0-9.]+s/ in Ts/; s/ [0-9.]+s$/ Ts/' "$dir/stdout" "$dir/stderr"
  # a safetensors header's metadata is a map in no set order, and the checkpoint's holds its
  # elapsed time (and its metrics history each epoch's seconds): each file becomes its sorted
  # header without that field, then its bytes with those seconds at 0
  for c in */*.safetensors; do
    python3 -c "
import json, struct, sys
p = sys.argv[1]; b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n]); h.get('__metadata__', {}).pop('elapsed_bits', None)
data = bytearray(b[8 + n:]); m = h.get('history.metrics')
if m:
    (lo, hi), cols = m['data_offsets'], m['shape'][1]
    for row in range(lo, hi, 8 * cols): data[row + 24:row + 32] = bytes(8)  # (epoch, train, test, seconds, val)
open(p, 'wb').write(json.dumps(h, sort_keys=True).encode() + bytes(data))" "$c"
  done
  sed -i "s|$bin|BIN|g" "$dir/stdout" "$dir/stderr"
  cd - >/dev/null
}

runs "$old" "$work/old"
runs "$new" "$work/new"
# model.pt is a zip whose entries carry the file name of its code; compare its parts instead.
for d in old new; do
  for pt in "$work/$d"/*/e.pt "$work/$d"/*/model.pt; do
    mkdir -p "$pt.d" && (cd "$pt.d" && python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); [open(n.split('/',1)[1].replace('/','_'),'wb').write(z.read(n)) for n in z.namelist()]" "$pt") && rm "$pt"
  done
done
if diff -r "$work/old" "$work/new" >"$work/diff" 2>&1; then
  echo "same_outputs.sh: every file and message byte-identical ($(find "$work/new" -type f | wc -l) files)"
else
  head -40 "$work/diff"
  exit 1
fi
