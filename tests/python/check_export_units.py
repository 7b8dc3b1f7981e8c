"""A CSV run's model.pt, loaded in Python without vanilla-rnn's code, takes the series' raw
values and gives predictions.csv's predictions, in the series' units, to the bit (with
--transform log, to within 4 units in the last place: the module's log and exp are libtorch's,
predictions.csv's are libm's).

usage: check_export_units.py RUN_DIR SERIES.csv   (a `vanilla-rnn train --data SERIES.csv` run,
                                                  with a time column and no gaps)

A run on many series (--series-column) exports model(x, series): each window's series, as its
index into config.json's `series`; its rows are read here series by series, in the file's order
(the file's rows in time order within each series).
"""
import csv
import json
import os
import sys

import torch

run, series = sys.argv[1], sys.argv[2]
config = json.load(open(os.path.join(run, "config.json")))
seq_len, features = config["settings"]["seq_len"], config["features"]
with open(series, newline="") as f:
    table = list(csv.DictReader(f))
column = config["settings"].get("series_column")
names = [s["name"] for s in config.get("series", [])]
raw = {}  # each series' raw rows
for r in table:
    raw.setdefault(r[column] if column else None, []).append([float(r[c]) for c in features])
raw = {k: torch.tensor(v, dtype=torch.float64) for k, v in raw.items()}
with open(os.path.join(run, "predictions.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
want = torch.tensor([[float(r[f"pred_{c}"]) for c in features] for r in rows], dtype=torch.float64)
of = [r["series"] if column else None for r in rows]
windows = torch.stack([raw[k][int(r["index"]) - seq_len:int(r["index"])] for k, r in zip(of, rows)])  # the raw rows before each target

module = torch.jit.load(os.path.join(run, "model.pt"))
extra = (torch.tensor([names.index(k) for k in of]),) if column else ()
got = module(windows, *extra)
if got.dtype != torch.float64 or got.shape != want.shape:
    sys.exit(f"model.pt gave {got.dtype} {tuple(got.shape)}, expected float64 {tuple(want.shape)}")
scalings = [config["scaling"]] if config.get("scaling") else [s["scaling"] for s in config.get("series", [])]
logged = scalings[0].get("transform") == "log"
ulps = ((got - want).abs() / torch.finfo(torch.float64).eps / want.abs()).max().item()
if not (torch.allclose(got, want, rtol=4 * torch.finfo(torch.float64).eps, atol=0) if logged else torch.equal(got, want)):
    sys.exit(f"model.pt on raw values differs from predictions.csv: max abs {(got - want).abs().max().item():.3e} ({ulps:.1f} units in the last place)")
one = module(windows[:1], *(e[:1] for e in extra)).double()
if not torch.allclose(one, want[:1], rtol=1e-6, atol=0):
    sys.exit("model.pt on a batch of one is off")
agree = f"to within {ulps:.1f} units in the last place" if logged else "to the bit"
print(f"model.pt on {len(rows)} raw windows gives predictions.csv's {features} {agree}, in the series' units")
