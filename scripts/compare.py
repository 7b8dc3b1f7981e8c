#!/usr/bin/env python3
"""Compare two runs (e.g. vanilla-rnn and scripts/reference.py) number for number.

usage: compare.py RUST_DIR PYTHON_DIR [--tolerance F]

Prints the largest absolute and relative difference of the per-epoch losses (metrics.csv), the
per-step losses (steps.csv), each final weight tensor (weights.safetensors) and the predictions
(predictions.csv). Exit 0 only when every difference is within the tolerance (default 0: bitwise).
A file that is missing or unreadable on either side is a difference.
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file


def read_csv(path, skip=()):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = [c for c in (rows[0].keys() if rows else []) if c not in skip]
    return cols, rows


def diffs(a, b):
    """(max abs, max rel) over paired values; NaN equals NaN; a shape mismatch is infinite."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf, math.inf
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.where(both_nan, 0.0, np.abs(a - b))
    d = np.where(np.isnan(d), math.inf, d)
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = np.where(d == 0, 0.0, d / np.where(scale == 0, 1.0, scale))
    return (float(d.max()) if d.size else 0.0), (float(rel.max()) if rel.size else 0.0)


def unreadable(what, da, db, read):
    """The row saying which side's `what` could not be read, or None when both sides can."""
    for d in (da, db):
        try:
            read(d)
        except Exception as e:  # missing, unreadable, not CSV or safetensors: all a difference
            return (what, math.inf, math.inf, f"cannot read {os.path.join(d, what)}: {type(e).__name__}: {e}".splitlines()[0])
    return None


def compare_csv(name, da, db, skip):
    bad = unreadable(name, da, db, lambda d: [float(v) for r in read_csv(os.path.join(d, name), skip)[1] for k, v in r.items() if k not in skip and k not in ("split", "time", "series")])
    if bad:
        return [bad]
    ca, ra = read_csv(os.path.join(da, name), skip)
    cb, rb = read_csv(os.path.join(db, name), skip)
    if ca != cb or len(ra) != len(rb):
        return [(name, math.inf, math.inf, f"columns {ca} vs {cb}, rows {len(ra)} vs {len(rb)}")]
    out = []
    labels = ("split", "epoch", "step", "index", "time", "series")
    numeric = [c for c in ca if c not in labels]
    for c in ca:
        if c in labels:
            same = [r[c] for r in ra] == [r[c] for r in rb]
            if not same:
                out.append((f"{name}:{c}", math.inf, math.inf, "labels differ"))
    for c in numeric:
        abs_d, rel_d = diffs([float(r[c]) for r in ra], [float(r[c]) for r in rb])
        out.append((f"{name}:{c}", abs_d, rel_d, ""))
    return out


def compare_weights(da, db, tolerance):
    name = "weights.safetensors"
    bad = unreadable(name, da, db, lambda d: load_file(os.path.join(d, name)))
    if bad:
        return [bad]
    wa, wb = load_file(os.path.join(da, name)), load_file(os.path.join(db, name))
    rows = []
    for k in sorted(set(wa) | set(wb)):
        if k not in wa or k not in wb:
            rows.append((f"weights:{k}", math.inf, math.inf, "missing on one side"))
            continue
        abs_d, rel_d = diffs(wa[k], wb[k])
        if wa[k].shape == wb[k].shape and tolerance == 0 and wa[k].tobytes() != wb[k].tobytes():
            abs_d = max(abs_d, math.ulp(0.0))  # same values, other bits (signed zeros): not bitwise
        rows.append((f"weights:{k}", abs_d, rel_d, ""))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--tolerance", type=float, default=0.0, help="largest relative difference allowed (default 0: bitwise)")
    args = p.parse_args()
    for d in (args.a, args.b):
        if not os.path.isdir(d):
            sys.exit(f"compare.py: error: {d} is not a run directory")
    rows = []
    rows += compare_csv("metrics.csv", args.a, args.b, skip=("seconds",))
    rows += compare_csv("steps.csv", args.a, args.b, skip=())
    rows += compare_weights(args.a, args.b, args.tolerance)
    rows += compare_csv("predictions.csv", args.a, args.b, skip=())
    worst = 0.0
    width = max(len(r[0]) for r in rows)
    for name, abs_d, rel_d, note in rows:
        ok = rel_d <= args.tolerance and (args.tolerance > 0 or abs_d == 0)
        worst = max(worst, rel_d)
        print(f"{name:<{width}}  max abs {abs_d:.3e}  max rel {rel_d:.3e}  {'ok' if ok else 'DIFFERENT'} {note}".rstrip())
    failed = [r for r in rows if not (r[2] <= args.tolerance and (args.tolerance > 0 or r[1] == 0))]
    print(f"{'bitwise identical' if not failed and args.tolerance == 0 else ('within tolerance ' + str(args.tolerance) if not failed else str(len(failed)) + ' differences above tolerance ' + str(args.tolerance))}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
