#!/usr/bin/env python3
"""One model across many series against one model per series, on the vendored panels
(tests/data/cigar.csv, grunfeld.csv; SOURCES.md there): the same windows, splits and scaling
either way (each series is cut, split and scaled on its own in both), so the only difference is
what the model trains on.

    python3 scripts/studies/many_series.py BIN ROOT SEEDS...    (scripts/studies/many_series.sh runs it)

For each panel and seed: `train --series-column` once, and `train` on each series' own file
(its rows, time and value columns) with the same --seq-len and seed. Each series' one-step MASE
on its test tail (scores.csv) is read from both. Writes the table into docs/real_series.md,
between its many-series markers.
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import time

# name: (file, series column, time column, value column, what)
PANELS = {
    "cigar": ("tests/data/cigar.csv", "state", "year", "sales", "cigarette packs per capita, 46 US states, 1963-1992"),
    "grunfeld": ("tests/data/grunfeld.csv", "firm", "year", "inv", "gross investment, 10 US firms, 1935-1954"),
}
BEGIN, END = "<!-- scripts/studies/many_series.sh: begin -->", "<!-- scripts/studies/many_series.sh: end -->"


def train(binary, args):
    start = time.perf_counter()
    subprocess.run([binary, "train", "--quiet", *args], check=True)
    return time.perf_counter() - start


def scores(run):
    """{(series or None, forecaster): mase} from a run's scores.csv."""
    with open(os.path.join(run, "scores.csv"), newline="") as f:
        return {(r.get("series"), r["forecaster"]): float(r["mase"]) for r in csv.DictReader(f)}


def own_files(path, column, time_column, value, out):
    """Each series' rows as its own CSV (time, value), in the file's order; their paths by name."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    by = {}
    for r in rows:
        by.setdefault(r[column], []).append(r)
    os.makedirs(out, exist_ok=True)
    files = {}
    for name, own in by.items():
        files[name] = os.path.join(out, f"{name}.csv")
        with open(files[name], "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([time_column, value])
            w.writerows([r[time_column], r[value]] for r in own)
    return files


def measure(binary, root, seeds, name):
    path, column, time_column, value, _ = PANELS[name]
    files = own_files(path, column, time_column, value, os.path.join(root, name, "files"))
    per_seed = []
    for seed in seeds:
        g = os.path.join(root, name, f"global-seed{seed}")
        seconds_global = train(binary, ["--data", path, "--series-column", column, "--columns", value, "--seed", seed, "--out", g])
        seq_len = str(json.load(open(os.path.join(g, "config.json")))["settings"]["seq_len"])
        pooled = scores(g)
        seconds_own, own = 0.0, {}
        for series, f in files.items():
            o = os.path.join(root, name, f"own-seed{seed}", series)
            seconds_own += train(binary, ["--data", f, "--time-column", time_column, "--seq-len", seq_len, "--seed", seed, "--out", o])
            own[series] = scores(o)
        names = sorted(files, key=lambda s: (len(s), s))
        row = {
            "global": [pooled[(s, "rnn")] for s in names],
            "own": [own[s][(None, "rnn")] for s in names],
            "persistence": [own[s][(None, "persistence")] for s in names],
            "linear_own": [own[s][(None, "linear")] for s in names],
            "linear_pooled": [pooled[(s, "linear")] for s in names],
            "seconds": (seconds_global, seconds_own),
            "seq_len": seq_len,
            "series": len(names),
        }
        per_seed.append(row)
        print(f"many_series.py: {name} seed {seed}: global {statistics.mean(row['global']):.3f}, own {statistics.mean(row['own']):.3f}", file=sys.stderr)
    return per_seed


def table(results, seeds):
    med = statistics.median
    lines = [
        BEGIN,
        "## Many series: one model across them, or one per series",
        "",
        f"Written by `scripts/studies/many_series.sh` ({len(seeds)} seeds: {', '.join(seeds)}; x86_64). The vendored panels (tests/data/SOURCES.md),",
        "each trained once with `--series-column` (one model, every series' training windows) and once per",
        "series on that series' own file, with the same `--seq-len`, seed and CSV defaults. Both cut, split",
        "and scale each series on its own, so every series has the same test tail either way. Each cell is",
        "the mean over the series of their one-step MASE on their own test tail (scores.csv), median over",
        "the seeds; \"global ahead\" counts the series whose MASE is lower with the one model (median over",
        "seeds). The linear AR is fitted per series (as on its own file) and pooled (one across the",
        "series, as a `--series-column` run fits it).",
        "",
        "| panel | series | rows each | seq_len | one model (global) | one per series | global ahead | persistence | linear AR, per series | linear AR, pooled | seconds, global | seconds, per series |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, per_seed in results.items():
        mean = lambda key: med([statistics.mean(r[key]) for r in per_seed])
        ahead = med([sum(g < o for g, o in zip(r["global"], r["own"])) for r in per_seed])
        with open(PANELS[name][0], newline="") as f:
            rows = sum(1 for _ in csv.DictReader(f))
        n = per_seed[0]["series"]
        lines.append(
            f"| {name} ({PANELS[name][4]}) | {n} | {rows // n} | {per_seed[0]['seq_len']} | {mean('global'):.3f} | {mean('own'):.3f} | "
            f"{ahead:g}/{n} | {mean('persistence'):.3f} | {mean('linear_own'):.3f} | {mean('linear_pooled'):.3f} | "
            f"{med([r['seconds'][0] for r in per_seed]):.1f} | {med([r['seconds'][1] for r in per_seed]):.1f} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def main():
    binary, root, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
    results = {name: measure(binary, root, seeds, name) for name in PANELS}
    block = table(results, seeds)
    doc = "docs/real_series.md"
    text = open(doc).read()
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(doc, "w").write(text)
    print(block)


if __name__ == "__main__":
    main()
