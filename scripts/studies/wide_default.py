"""Should --columns-as-series be the default for a file of several columns? (issue 36)

The rule, written before the first run: --columns-as-series becomes the default for a CSV of
three or more numeric columns (without --series-column) only if, on every file below, its MASE
pooled over the columns is lower than the multivariate default's both one step ahead (scores.csv's
RNN rows: the mean over the columns for one series of many columns, the "all series" row for
the columns as series) and h steps ahead (the forecast's closed loops on the test tails, h one
season: the mean MASE over the columns' horizons). Otherwise it stays an option, and the doc says
which layout measured better where. Persistence's one-step MASE is given beside them, and h steps
ahead the closed loops' MSE over persistence's (forecast_horizons.csv: each horizon's MSE summed
over the horizons, and over the series in the long layout; below 1 is ahead of persistence).

The files are the vendored public ones with several columns (tests/data/SOURCES.md):
vega-datasets' us-employment (23 monthly columns), statsmodels' macrodata (12 quarterly columns)
and vega-datasets' seattle-weather (its 4 numeric daily columns). Each run: `train --data FILE`
with the defaults (plus --columns-as-series), then `forecast RUN`.

    scripts/studies/wide_default.sh      -> docs/wide_default.md
"""
import csv
import os
import platform
import re
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VANILLA_RNN", os.path.join(ROOT, "target", "release", "vanilla-rnn"))
WORK = os.path.join(ROOT, "runs", "wide_default")
FILES = [
    ("us-employment", "tests/data/vega/us-employment.csv", []),
    ("macrodata", "tests/data/macrodata.csv", []),
    ("seattle-weather", "tests/data/vega/seattle-weather.csv", ["--columns", "precipitation,temp_max,temp_min,wind"]),
]


def one_step(run, melted):
    """The RNN's and persistence's MASE pooled over the columns, from scores.csv."""
    rows = list(csv.DictReader(open(os.path.join(run, "scores.csv"))))
    def pooled(forecaster):
        if melted:
            return float(next(r["mase"] for r in rows if r["series"] == "all series" and r["forecaster"] == forecaster))
        mases = [float(r["mase"]) for r in rows if r["forecaster"] == forecaster]
        return sum(mases) / len(mases)
    return pooled("rnn"), pooled("persistence")


def h_steps(run, melted):
    """The forecast's closed-loop MASE on the test tails, pooled over the columns, and who forecast."""
    said = subprocess.run([BIN, "forecast", run], capture_output=True, text=True, check=True).stdout
    by = re.search(r", by (.*?) \(", said)
    if melted:
        mase = float(re.search(r"closed-loop MASE on the test tails ([0-9.]+)", said).group(1))
    else:
        mase = float(re.search(r"; MASE ([0-9.]+) over h=1\.\.", said).group(1))
    return mase, by.group(1) if by else "the RNN"


def against_persistence(run):
    """The closed loops' MSE summed over the horizons (and series) over persistence's."""
    rows = list(csv.DictReader(open(os.path.join(run, "forecast_horizons.csv"))))
    return sum(float(r["rnn_mse"]) for r in rows) / sum(float(r["persistence_mse"]) for r in rows)


def main():
    os.makedirs(WORK, exist_ok=True)
    lines = []
    verdicts = []
    for name, path, flags in FILES:
        got = {}
        for layout, extra in [("one series", []), ("--columns-as-series", ["--columns-as-series"])]:
            run = os.path.join(WORK, f"{name}-{'melted' if extra else 'wide'}")
            subprocess.run([BIN, "train", "--quiet", "--data", os.path.join(ROOT, path), *flags, *extra, "--out", run], check=True)
            rnn, persistence = one_step(run, bool(extra))
            h, by = h_steps(run, bool(extra))
            ratio = against_persistence(run)
            got[layout] = (rnn, persistence, h, by)
            lines.append(f"| {name} | {layout} | {rnn:.3f} | {persistence:.3f} | {h:.3f} | {ratio:.3f} | {by} |")
        wide, melted = got["one series"], got["--columns-as-series"]
        verdicts.append(melted[0] < wide[0] and melted[2] < wide[2])
    taken = all(verdicts)
    head = [
        "# Many columns: one series of many columns, or each column a series?",
        "",
        f"Written by `scripts/studies/wide_default.sh` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} cores); "
        "its docstring holds the rule, written before the first run, and how each figure is computed.",
        "",
        "| file | layout | one step: RNN's MASE | persistence's | h steps: closed-loop MASE | its MSE over persistence's | forecast by |",
        "|---|---|---|---|---|---|---|",
    ]
    which = ", ".join(f"{f[0]}: {'yes' if v else 'no'}" for f, v in zip(FILES, verdicts))
    tail = [
        "",
        f"Lower for --columns-as-series on both measures: {which}.",
        "",
        ("By the rule, --columns-as-series becomes the default for three or more columns." if taken else
         "By the rule, --columns-as-series stays an option: it was not lower on both measures on every file."),
    ]
    with open(os.path.join(ROOT, "docs", "wide_default.md"), "w") as f:
        f.write("\n".join(head + lines + tail) + "\n")
    print("\n".join(lines + tail))


if __name__ == "__main__":
    main()
