"""What a wide file costs: `train --epochs 1` with the defaults on 200 rows of 1 to 5,000 numeric
columns, as one multivariate series and with --columns-as-series; the outcome (trained, or the
refusal's first words), wall seconds and peak resident memory by /usr/bin/time. Writes
docs/wide_files.md.

    scripts/studies/wide_files.sh [COLUMNS...]     (default: 1 10 100 1000 5000)
"""
import os
import platform
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VANILLA_RNN", os.path.join(ROOT, "target", "release", "vanilla-rnn"))
WORK = os.path.join(ROOT, "runs", "wide_files")
ROWS = 200
LIMIT = 300  # seconds a run may take before it is stopped and reported as over


def write_csv(path, columns):
    """A monthly time column and `columns` noisy trends, each its own level and season."""
    rng = random.Random(columns)
    with open(path, "w") as f:
        f.write("date," + ",".join(f"c{j}" for j in range(columns)) + "\n")
        level = [rng.uniform(10, 1000) for _ in range(columns)]
        for i in range(ROWS):
            date = f"{2000 + i // 12}-{i % 12 + 1:02d}"
            f.write(date + "," + ",".join(f"{level[j] * (1 + 0.002 * i + 0.05 * ((i + j) % 12) / 12 + rng.gauss(0, 0.01)):.3f}" for j in range(columns)) + "\n")


def timed(cmd):
    """(outcome, wall seconds, peak MB): `trained`, the refusal's first words, or over the limit."""
    try:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], capture_output=True, text=True, timeout=LIMIT)
    except subprocess.TimeoutExpired:
        return f"stopped after {LIMIT} s", None, None
    lines = r.stderr.strip().splitlines()
    seconds, kb = lines[-1].split()
    if r.returncode == 0:
        return "trained", float(seconds), int(kb) / 1024
    why = next((l for l in lines if l.startswith("error: ")), "failed")
    return "refused: " + why[len("error: "):][:70] + "…", float(seconds), int(kb) / 1024


def main():
    sizes = [int(v) for v in sys.argv[1:]] or [1, 10, 100, 1000, 5000]
    os.makedirs(WORK, exist_ok=True)
    lines = ["# What a wide file costs", "",
             f"Written by `scripts/studies/wide_files.sh` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} cores; one run each, not pinned). "
             f"A CSV of a monthly time column and {ROWS} rows of C numeric columns; `train --data FILE --epochs 1` with the CSV defaults "
             "(a window of two seasons, at most a quarter of the rows; `--target linear`), as one multivariate series and with `--columns-as-series`; "
             "seconds of wall time and peak resident memory by /usr/bin/time. `--target linear`'s autoregression reads every lag of every "
             "column where the training windows can fit them, else each column's own lags alone; one model of more columns than training "
             "windows is refused before it allocates, naming --columns-as-series (docs/robustness.md).", "",
             "| columns | layout | outcome | s | peak MB |", "|---|---|---|---|---|"]
    for columns in sizes:
        path = os.path.join(WORK, f"wide-{columns}.csv")
        write_csv(path, columns)
        for layout, extra in (("one series", []), ("--columns-as-series", ["--columns-as-series"])):
            out = os.path.join(WORK, f"run-{columns}-{'melted' if extra else 'wide'}")
            outcome, s, peak = timed([BIN, "train", "--quiet", "--data", path, "--epochs", "1", *extra, "--out", out])
            cells = [f"{columns:,}", layout, outcome, "" if s is None else f"{s:.1f}", "" if peak is None else f"{peak:.0f}"]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    with open(os.path.join(ROOT, "docs", "wide_files.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
