#!/usr/bin/env python3
"""`--transform log` against the values as they are, on every series above 0 of the four sets:
tests/data (tuning), tests/data/selection, and the measurement sets (unseen, fresh; fetched by
their scripts). Writes docs/transform.md.

    python3 scripts/studies/transform_screen.py [--seeds 42,1,2] [--out runs/transform]

Each run is `vanilla-rnn train --data FILE` with a CSV series' defaults (and the set's flags),
once with `--transform none` and once with `--transform log`, for each seed. A cell is the
median over the seeds of the run's one-step MASE on its test tail (scores.csv); the best
baseline is the better of persistence and the seasonal naive, which do not depend on the
transform (the linear baseline is fitted on what the model sees, so it does), and the
`--transform none` run's linear AR. This measures an option; it chooses no default (the test
tails of the measurement sets are read, so nothing here may choose one).
"""
import argparse
import concurrent.futures
import csv
import os
import platform
import statistics
import subprocess
import time

from forecast_peers import FETCHED, TUNING, fetched
from select_defaults import SELECTION
from tune_csv_defaults import BIN, ROOT, geomean, mase_of


def series_sets():
    """(set, [(name, path, flags)]), the fetched sets fetched into runs/<set>-data."""
    out = [("tuning", [(n, os.path.join(ROOT, "tests", "data", f"{n}.csv"), f) for n, f in TUNING]),
           ("selection", [(n[len("selection/"):-4], os.path.join(ROOT, "tests", "data", n), f) for n, f, _ in SELECTION])]
    for name in FETCHED:
        out.append((name, [(n, path, f) for path, n, f in fetched(name)]))
    return out


def above_zero(path):
    """Whether every number in the file's columns after the first is above 0 (gaps aside)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    cells = [c for r in rows for c in r[1:]]
    numbers = []
    for c in cells:
        try:
            numbers.append(float(c))
        except ValueError:
            pass
    return bool(numbers) and min(n for n in numbers if n == n) > 0


def job(path, flags, transform, seed, out):
    if not os.path.exists(os.path.join(out, "scores.csv")):
        subprocess.run([BIN, "train", "--quiet", "--data", path, *flags, "--transform", transform, "--seed", str(seed), "--out", out],
                       check=True)
    return mase_of(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="42,1,2")
    p.add_argument("--out", default=os.path.join(ROOT, "runs", "transform"))
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "transform.md"))
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    started = time.time()
    sets = series_sets()
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for set_name, series in sets:
            for name, path, flags in series:
                if not above_zero(path):
                    continue
                for t in ["none", "log"]:
                    for seed in seeds:
                        out = os.path.join(a.out, set_name, name, t, str(seed))
                        jobs[(set_name, name, t, seed)] = pool.submit(job, path, flags, t, seed, out)
        got = {k: f.result() for k, f in jobs.items()}
    lines = ["# `--transform log` against the values as they are",
             "",
             f"Written by `scripts/studies/transform_screen.py --seeds {a.seeds}` on {time.strftime('%Y-%m-%d')} "
             f"({platform.machine()}, {os.cpu_count()} cores, {time.time() - started:.0f} s with the runs it found cached). "
             "Every series above 0 of the four sets, with a CSV series' defaults; each cell is the median over the seeds "
             "of the one-step MASE on the run's test tail (scores.csv). The best baseline is the best of persistence, "
             "the seasonal naive and the `--transform none` run's linear AR. This measures an option and chooses nothing: "
             "the measurement sets' test tails are read here.",
             ""]
    summary = ["| set | series | log / none, geometric mean | log lower / higher | none ahead of the best baseline | log ahead of it |",
               "|---|---|---|---|---|---|"]
    tables = []
    every = []
    for set_name, series in sets:
        rows = ["", f"## {set_name}", "", "| series | none | log | log / none | best baseline |", "|---|---|---|---|---|"]
        ratios, ahead = [], {"none": 0, "log": 0}
        for name, _, _ in series:
            if (set_name, name, "none", seeds[0]) not in got:
                continue
            median = {t: statistics.median(got[(set_name, name, t, s)]["rnn"] for s in seeds) for t in ["none", "log"]}
            base = got[(set_name, name, "none", seeds[0])]
            best = min(v for k, v in base.items() if k != "rnn")
            ratio = median["log"] / median["none"]
            ratios.append(ratio)
            for t in ahead:
                ahead[t] += median[t] < best
            rows.append(f"| {name} | {median['none']:.3f} | {median['log']:.3f} | {ratio:.3f} | {best:.3f} |")
        every += ratios
        n = len(ratios)
        summary.append(f"| {set_name} | {n} | {geomean(ratios):.3f} | {sum(r < 1 for r in ratios)} / {sum(r > 1 for r in ratios)} | "
                       f"{ahead['none']} of {n} | {ahead['log']} of {n} |")
        tables += rows
    summary.append(f"| all | {len(every)} | {geomean(every):.3f} | {sum(r < 1 for r in every)} / {sum(r > 1 for r in every)} | | |")
    with open(a.doc, "w") as f:
        f.write("\n".join(lines + summary + tables) + "\n")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
