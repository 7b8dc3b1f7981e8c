#!/usr/bin/env python3
"""A CSV series' defaults against their alternatives on the wider selection set: the six series
of tests/data and the nineteen of tests/data/selection (scripts/studies/selection_series.py), two held-out
tails each, cut before the test tail. Writes docs/selection.md.

    python3 scripts/studies/select_defaults.py [--seeds 3] [--out runs/selection]

Why: docs/tuning.md chose on the six alone, one tail each, and two of its choices in a row won
there and lost on the measurement sets. Here every candidate runs on 25 series x 2 tails x the
seeds. A series' test tail (the last 20% of its windows, as `train` holds it out) is cut from the
file and never read; of the rows left, tail 1 is the last H windows and tail 2 the H before them
(the rows of tail 1 cut too), H being as many windows as the full run validates on. Each run is
`vanilla-rnn train --data CUT` with a CSV series' defaults, the candidate's flags and its tail
held out as the test tail; then `vanilla-rnn forecast RUN --steps <season, or 8>` for the band.

The rule, written before the first run: a candidate replaces the defaults when its geometric mean
(over the 50 series-and-tail cells, of the median over the seeds of the run's one-step MASE over
its best baseline's) is more than 1% lower, and it is lower on more cells than it is higher.
"""
import argparse
import concurrent.futures
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from tune_csv_defaults import BIN, ROOT, SERIES as TUNING, coverage_reached, geomean, mase_ratios, near

DATA = os.path.join(ROOT, "tests", "data")
# (file under tests/data, its flags, its season in rows or None)
SELECTION = [(f"selection/{n}", ["--missing", "interpolate"] if n == "presidents.csv" else [], None)
             for n in sorted(os.listdir(os.path.join(DATA, "selection")))]
SERIES = [(n, f) for n, f, _ in TUNING] + [(n, f) for n, f, _ in SELECTION]
SEEDS = [42, 1, 2]
TAILS = [1, 2]

# (label, flags); a flags value that is a function takes the series' season (None without one)
CANDIDATES = [
    ("defaults", []),
    ("--ar-fit before-test", ["--ar-fit", "before-test"]),
    ("--ridge-choice none --ar-fit before-test", ["--ridge-choice", "none", "--ar-fit", "before-test"]),
    ("--window-norm last", ["--window-norm", "last"]),
    ("--seq-len one season, else 8", lambda season: ["--seq-len", str(season or 8)]),
    ("--hidden 8", ["--hidden", "8"]),
    ("--lr 1e-3", ["--lr", "1e-3"]),
    ("--epochs 40", ["--epochs", "40"]),
    ("--val-fraction 0.2", ["--val-fraction", "0.2"]),
    ("--epochs 0 (the autoregression alone)", ["--epochs", "0"]),
    ("--patience 10", ["--patience", "10"]),
    ("--patience 25", ["--patience", "25"]),
    ("--scale-bound 0.3", ["--scale-bound", "0.3"]),
    ("--batch-size 32", ["--batch-size", "32"]),
    ("--hidden 64", ["--hidden", "64"]),
]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def config(out):
    with open(os.path.join(out, "config.json")) as f:
        return json.load(f)


def cut(a, name, flags):
    """The series' full run (its test tail, H and season), and its two cut files: [(tail, path, held)]."""
    base = os.path.join(a.out, name[:-4].replace("/", "_"))
    full = os.path.join(base, "full")
    if not os.path.exists(os.path.join(full, "config.json")):
        run([BIN, "train", "--quiet", "--data", os.path.join(DATA, name), *flags, "--epochs", "0", "--out", full])
    c = config(full)
    n_test, held = c["windows"] - c["train_windows"] - c["val_windows"], c["val_windows"]
    with open(os.path.join(DATA, name)) as f:
        lines = f.read().splitlines()
    cuts = []
    for tail in TAILS:
        path = os.path.join(base, f"tail{tail}.csv")
        with open(path, "w") as f:
            f.write("\n".join(lines[:len(lines) - n_test - (tail - 1) * held]) + "\n")
        cuts.append((tail, path, held))
    return c.get("season"), cuts


def run_dir(a, name, tail, label):
    """Where a candidate's runs on one cut tail go, a folder per seed."""
    return os.path.join(a.out, name[:-4].replace("/", "_"), f"tail{tail}", label.split(" (")[0].replace(" ", "_").strip("-"))


def held_out(a, name, flags, tail, path, held, label, extra, seeds):
    """The --test-fraction that holds out `held` of the windows this candidate makes of the cut
    file (its --seq-len may differ), from one run that trains no epoch (the candidate's own
    --epochs and its value left out); None when every seed's run is there already."""
    where = run_dir(a, name, tail, label)
    if all(os.path.exists(os.path.join(where, f"seed{seed}", "forecast_horizons.csv")) for seed in seeds):
        return None
    probe, shaping = os.path.join(where, "probe"), [f for i, f in enumerate(extra) if "--epochs" not in extra[max(i - 1, 0):i + 1]]
    run([BIN, "train", "--quiet", "--data", path, *flags, *shaping, "--epochs", "0", "--out", probe])
    return str((held + 0.5) / config(probe)["windows"])


def job(a, name, flags, season, tail, path, label, extra, fraction, seed):
    """One candidate's run on one cut tail, `fraction` of its windows held out: its MASE over the
    best baseline's and persistence's, and its band's coverage."""
    out = os.path.join(run_dir(a, name, tail, label), f"seed{seed}")
    ran = not os.path.exists(os.path.join(out, "forecast_horizons.csv"))
    if ran:
        run([BIN, "train", "--quiet", "--data", path, *flags, *extra, "--test-fraction", fraction, "--seed", str(seed), "--out", out])
        run([BIN, "forecast", out, "--steps", str(season or 8)])
    return (name, tail, label), {**mase_ratios(out), "band": coverage_reached(out), "ran": ran}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=len(SEEDS))
    p.add_argument("--out", default=os.path.join(ROOT, "runs", "selection"))
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "selection.md"))
    a = p.parse_args()
    start = time.time()
    seeds = SEEDS[:a.seeds]
    # (series, flags, season, tail, cut file, held, candidate, its flags)
    candidates_on_tails = []
    for name, flags in SERIES:
        season, cuts = cut(a, name, flags)
        candidates_on_tails += [(name, flags, season, tail, path, held, label, extra(season) if callable(extra) else extra)
                  for tail, path, held in cuts for label, extra in CANDIDATES]
    got = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        # a probe per candidate and tail, before its seeds' runs
        fractions = list(pool.map(lambda c: held_out(a, c[0], c[1], *c[3:], seeds), candidates_on_tails))
        jobs = [(a, *c[:5], *c[6:], fraction, seed) for c, fraction in zip(candidates_on_tails, fractions) for seed in seeds]
        for key, r in pool.map(lambda j: job(*j), jobs):
            got.setdefault(key, []).append(r)
    cells = [(name, tail) for name, _ in SERIES for tail in TAILS]
    med = {(c, label): statistics.median(r["best"] for r in got[(*c, label)]) for c in cells for label, _ in CANDIDATES}
    lines = ["# A CSV series' defaults on the wider selection set", "",
             f"Written by `python3 scripts/studies/select_defaults.py --seeds {len(seeds)}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
             f"{len(jobs)} runs, {sum(r['ran'] for rs in got.values() for r in rs)} of them run in {time.time() - start:.0f} s, the rest read back from --out). The script's docstring says how the "
             f"{len(SERIES)} series' two held-out tails are cut before their test tails (never read). A cell of the first table: over the "
             f"{len(cells)} series-and-tail cells, the geometric mean of the median over {len(seeds)} seeds of the run's one-step MASE "
             "over its best baseline's (persistence, the seasonal naive, the linear AR; below 1: ahead of them); then the cells where "
             "the candidate is lower and higher than the defaults; the runs ahead of the best baseline and of persistence; the runs "
             "whose 90% band held within 5 points of 90% on the tail; and the band's coverage pooled over the runs (their mean).", "",
             "| candidate | geometric mean | cells lower than the defaults | higher | runs ahead of the best baseline | of persistence | band within 5 points | band's mean coverage |",
             "|---|---|---|---|---|---|---|---|"]
    means = {}
    for label, _ in CANDIDATES:
        runs = [r for c in cells for r in got[(*c, label)]]
        means[label] = geomean([med[(c, label)] for c in cells])
        lower = sum(med[(c, label)] < med[(c, "defaults")] for c in cells)
        higher = sum(med[(c, label)] > med[(c, "defaults")] for c in cells)
        lines.append(f"| {label} | {means[label]:.3f} | {lower} | {higher} | {sum(r['best'] < 1 for r in runs)} of {len(runs)} | "
                     f"{sum(r['persistence'] < 1 for r in runs)} of {len(runs)} | {near([r['band'] for r in runs])} of {len(runs)} | "
                     f"{100 * statistics.mean(r['band'] for r in runs):.1f}% |")
    winners = [label for label, _ in CANDIDATES if means[label] < means["defaults"] / 1.01
               and sum(med[(c, label)] < med[(c, "defaults")] for c in cells) > sum(med[(c, label)] > med[(c, "defaults")] for c in cells)]
    best = min(winners, key=means.get) if winners else None
    lines += ["", ("By the docstring's rule, the defaults stand: no candidate is more than 1% lower and lower on more cells than higher."
                   if best is None else f"By the docstring's rule: `{best}` ({means[best]:.3f} against {means['defaults']:.3f})."), "",
              "## Per series", "",
              "The median over the seeds of the run's MASE over its best baseline's, the geometric mean of the two tails.", "",
              "| series | " + " | ".join(label for label, _ in CANDIDATES) + " |", "|---|" + "---|" * len(CANDIDATES)]
    for name, _ in SERIES:
        lines.append(f"| {name[:-4]} | " + " | ".join(f"{geomean([med[((name, t), label)] for t in TAILS]):.3f}" for label, _ in CANDIDATES) + " |")
    lines.append("")
    with open(a.doc, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
