#!/usr/bin/env python3
"""What a long series costs: seconds and peak memory of `train --epochs 0` (reading, splitting,
scaling, baselines, predictions, figures: everything but training) and of one epoch at batch
1024, at 1M, 4M and 10M rows, beside pandas' `read_csv` of the same file. Writes
docs/long_series.md.

    scripts/studies/long_series.sh [ROWS...]        (default: 1000000 4000000 10000000)

The file: a time column (`YYYY-MM-DD HH:MM:SS`, one row per second) and three features (two
noisy cycles and a random walk), written once per size under runs/long_series/. Each command is
timed by /usr/bin/time (wall seconds, maximum resident set size), one run each, the machine as
it is (not pinned: predictions, losses and predictions.csv's text take a batch per core).
"""
import datetime
import math
import os
import platform
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "vanilla-rnn")
WORK = os.path.join(ROOT, "runs", "long_series")


def write_csv(path, rows):
    if os.path.exists(path):
        return
    rng = random.Random(0)
    start = datetime.datetime(2020, 1, 1)
    walk = 0.0
    with open(path + ".tmp", "w") as f:
        f.write("time,a,b,c\n")
        for i in range(rows):
            walk += rng.gauss(0, 0.1)
            t = (start + datetime.timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S")
            f.write(f"{t},{math.sin(i / 50) + rng.gauss(0, 0.1):.5f},{math.cos(i / 330):.5f},{walk:.5f}\n")
    os.replace(path + ".tmp", path)


def timed(cmd):
    """(wall seconds, peak RSS in MB) of a command, by /usr/bin/time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], capture_output=True, text=True)
    if r.returncode != 0:
        return None, None, r.stderr.strip().splitlines()[-2:]
    seconds, kb = r.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kb) / 1024, None


def pandas_read(path, python):
    code = f"import time, pandas as pd; t = time.perf_counter(); d = pd.read_csv({path!r}); print(time.perf_counter() - t)"
    r = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return float(r.stdout.strip()) if r.returncode == 0 else None


def main():
    sizes = [int(v) for v in sys.argv[1:]] or [1_000_000, 4_000_000, 10_000_000]
    python = os.environ.get("PANDAS_PYTHON", sys.executable)
    os.makedirs(WORK, exist_ok=True)
    lines = ["# What a long series costs", "",
             f"Written by `scripts/studies/long_series.sh` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} cores, all used; one run "
             "each, not pinned). A CSV of a time column and 3 features; `train --data FILE --out DIR` with the CSV defaults "
             "(a window of 8 rows; the target what a linear autoregression on it leaves), seconds of wall time and peak resident memory by /usr/bin/time.", "",
             "| rows | file MB | pandas read_csv s | `--epochs 0` s | `--epochs 0` peak MB | `--epochs 1 --batch-size 1024` s | peak MB | predictions.csv MB |",
             "|---|---|---|---|---|---|---|---|"]
    for rows in sizes:
        path = os.path.join(WORK, f"series-{rows}.csv")
        write_csv(path, rows)
        mb = os.path.getsize(path) / 1e6
        cells = [f"{rows:,}", f"{mb:.0f}", f"{pandas_read(path, python) or float('nan'):.2f}"]
        for extra in (["--epochs", "0"], ["--epochs", "1", "--batch-size", "1024"]):
            s, peak, err = timed([BIN, "train", "--quiet", "--data", path, *extra, "--out", os.path.join(WORK, f"run-{rows}")])
            cells += [f"{s:.1f}", f"{peak:.0f}"] if err is None else ["failed: " + " ".join(err), ""]
        written = os.path.join(WORK, f"run-{rows}", "predictions.csv")
        cells.append(f"{os.path.getsize(written) / 1e6:.0f}" if os.path.exists(written) else "")
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    with open(os.path.join(ROOT, "docs", "long_series.md"), "w") as f:
        f.write("\n".join(lines) + "\n" + COLUMNS)
    insert_into_benchmarks()
    print("\n".join(lines))


# Where the cost of columns, rather than rows, is measured.
COLUMNS = """
## Columns instead of rows

What a file of many columns costs (1 to 5,000 columns of 200 rows, as one series and with
`--columns-as-series`: seconds and peak memory) is [wide_files.md](wide_files.md); which layout
forecasts better on files of several columns, [wide_default.md](wide_default.md).
"""


def insert_into_benchmarks():
    """BENCHMARKS.md's section "Long series" is docs/long_series.md's table, whole."""
    with open(os.path.join(ROOT, "docs", "long_series.md")) as f:
        table = f.read().split("\n", 2)[2].split("\n## Columns instead of rows")[0].strip()
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path) as f:
        text = f.read()
    start, end = "<!-- long_series.py: begin -->", "<!-- long_series.py: end -->"
    section = f"{start}\n{table}\n{end}"
    if start in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Long series\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
