#!/usr/bin/env python3
"""Public series that nothing in this repository was tuned on, as CSVs: the R datasets that
pmdarima ships in its wheel (MIT; the data are R's `datasets` and `forecast` packages'), fetched
with `pip download pmdarima --no-deps`. Used only to measure the defaults (scripts/studies/forecast_peers.py),
never to choose them (scripts/studies/tune_csv_defaults.py reads tests/data only).

    python3 scripts/studies/unseen_series.py OUTDIR

Writes OUTDIR/<name>.csv with a time column in a form train reads (monthly `YYYY-MM`, quarterly
`YYYY-Qn`, yearly `YYYY`, half-hourly `YYYY-MM-DD HH:MM`, daily dates), from each dataset's
documented start and frequency.
"""
import ast
import csv
import datetime
import glob
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile

# name: (first period, frequency) as the dataset's docstring gives them
SERIES = {
    "airpassengers": ((1949, 1), "month"),
    "wineind": ((1980, 1), "month"),
    "ausbeer": ((1956, 1), "quarter"),
    "austres": ((1971, 1), "quarter"),
    "woolyrnq": ((1965, 1), "quarter"),
    "lynx": ((1821, None), "year"),
    "taylor": (datetime.datetime(2000, 6, 5), "half-hour"),
    "heartrate": (None, None),
}


def label(start, freq, i):
    if freq == "month":
        y, m = start[0] + (start[1] - 1 + i) // 12, (start[1] - 1 + i) % 12 + 1
        return f"{y}-{m:02d}"
    if freq == "quarter":
        y, q = start[0] + (start[1] - 1 + i) // 4, (start[1] - 1 + i) % 4 + 1
        return f"{y}-Q{q}"
    if freq == "year":
        return str(start[0] + i)
    if freq == "half-hour":
        return (start + datetime.timedelta(minutes=30 * i)).strftime("%Y-%m-%d %H:%M")
    return None


def values_in(source):
    """The numbers of the module's `rslt = np.array([...])`, without a missing last value (ausbeer's)."""
    m = re.search(r"rslt = np\.array\(\[(.*?)\]", source, re.S)
    values = ast.literal_eval("[" + m.group(1) + "]")
    while values and values[-1] is None:
        values.pop()
    return [float(v) for v in values]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "pmdarima==2.1.1", "-d", tmp], check=True)
        wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
        for name, (start, freq) in SERIES.items():
            values = values_in(wheel.read(f"pmdarima/datasets/{name}.py").decode())
            with open(os.path.join(out, f"{name}.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["time", name] if freq else [name])
                for i, v in enumerate(values):
                    w.writerow([label(start, freq, i), repr(v)] if freq else [repr(v)])
        # the daily MSFT prices (Kaggle's, 1986-2017): the date and the close
        with tarfile.open(fileobj=io.BytesIO(wheel.read("pmdarima/datasets/data/msft.tar.gz"))) as t:
            rows = list(csv.DictReader(io.TextIOWrapper(t.extractfile("msft.csv"), encoding="utf-8")))
        with open(os.path.join(out, "msft.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["date", "close"])
            w.writerows([r["Date"], r["Close"]] for r in rows)
    print("\n".join(sorted(os.listdir(out))))


if __name__ == "__main__":
    main()
