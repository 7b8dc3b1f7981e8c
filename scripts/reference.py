#!/usr/bin/env python3
"""The blog's vanilla RNN in PyTorch (../shared/seed/blog.txt), made complete and runnable.

It is the reference the Rust port is held to: same data, same windows, same batches, same
initial weights, same loop, and it writes the same files (config.json, metrics.csv, steps.csv,
weights.safetensors, predictions.csv), so `scripts/compare.py RUST_DIR PYTHON_DIR` can compare
the two runs number for number. Shuffling: epoch e draws its order from
`torch.randperm(n, generator=torch.Generator().manual_seed((seed * 1000003 + e) % 2**64))`.
"""
import argparse
import csv
import json
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


class TrignoDS(Dataset):
    def __init__(self, data, seq_length=4, targets=None):
        self.input_size = data.shape[1]
        self.seq_length = seq_length
        # The windows whose targets are these rows (every window when None; fewer when a gap is skipped).
        self.targets = list(range(seq_length, len(data))) if targets is None else targets
        X, Y = self.make_data(data)
        self.X = X
        self.Y = Y

    def make_data(self, data):
        x_tensor = torch.tensor(np.array([data[t - self.seq_length:t] for t in self.targets])).float()
        y_tensor = torch.tensor(np.array([data[t] for t in self.targets])).float()
        return x_tensor, y_tensor

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return self.X[idx], self.Y[idx]


class RNN(nn.Module):
    def __init__(self, input_length, hidden_state_length, output_length, activation="tanh"):
        super().__init__()
        self.input_length = input_length
        self.hidden_length = hidden_state_length
        self.output_length = output_length
        self.get_ht = nn.Linear(self.hidden_length + self.input_length, self.hidden_length)
        self.get_yt = nn.Linear(self.hidden_length + self.input_length, self.output_length)
        self.tanh = nn.Tanh()
        # --activation picks the hidden state's f; the output's g stays tanh (targets are in [-1, 1]).
        self.f = nn.ReLU() if activation == "relu" else nn.Tanh()

    def forward(self, hiddens, inputs):
        data = torch.concat((hiddens, inputs), dim=1)
        ht = self.f(self.get_ht(data))
        yt = self.tanh(self.get_yt(data))
        return ht, yt


def circle():
    x = np.linspace(0, 100, 1000)
    return ["sin", "cos"], np.stack([np.sin(x), np.cos(x)], axis=1).astype(np.float32).astype(np.float64)


def is_missing(text):
    return text == "" or text.lower() in ("na", "nan")


def number(text, decimal_comma):
    """float(text), or in a ; or tab file with one decimal comma ("1,5")."""
    try:
        return float(text)
    except ValueError:
        if decimal_comma and text.count(",") == 1 and "." not in text:
            return float(text.replace(",", "."))
        raise


TIME_NAMES = ("year", "date", "time", "month", "ds", "timestamp", "datetime", "day", "week", "quarter", "period", "dt")


# A label as train reads a point in time (data/season.rs): YYYYMMDD, YYYY-Qn, YYYY-MM, YYYY-MM-DD
# (or /), maybe with a time of day.
DATED = re.compile(r"^\d{4}([-/]?\d{2}([-/]?\d{2})?|-[Qq][1-4])([ T]\d{2}:\d{2}(:\d{2})?)?$")


def read_csv(path, time_column=None, columns=None, missing="error", series_column=None):
    """names, values (NaN for a gap kept by --missing skip), time labels (or None), gaps found,
    and for a long-format file (series_column) each series' name and first row, the rows
    gathered series by series in the order each first appears, in the file's order within one
    (train sorts a series by its time labels when they read as times; give this script files
    already in time order within each series)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    head = text.split("\n", 1)[0]
    counts = {d: head.count(d) for d in (",", ";", "\t")}
    delimiter = max((",", ";", "\t"), key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if r]
    header = [n.strip() for n in rows[0]]
    if header[0] == "" and len(header) > 1:
        header[0] = "Unnamed: 0"  # pandas' unnamed index: never a feature
    body = rows[1:]
    g = header.index(series_column) if series_column else None
    if g is not None:  # series after series, each in the file's order
        order = {}
        for r in body:
            order.setdefault(r[g].strip(), []).append(r)
        groups = [(name, len(rs)) for name, rs in order.items()]
        body = [r for rs in order.values() for r in rs]
    else:
        groups = None

    def first(j):
        return next((r[j].strip() for r in body if not is_missing(r[j].strip())), None)

    def textual(j):
        try:
            number(first(j), delimiter != ",")
            return False
        except (TypeError, ValueError, AttributeError):
            return first(j) is not None

    if time_column is not None:
        t = header.index(time_column)
    else:  # dates (or text under a time's name), else text, wherever it stands; else a number named like a time
        candidates = [j for j in range(len(header)) if j != g and not (columns and header[j] in columns)]
        dated = [j for j in candidates if textual(j) and (header[j].lower() in TIME_NAMES or DATED.match(first(j)))]
        t = next(iter(dated), None)
        if t is None:
            t = next((j for j in candidates if textual(j)), None)
        if t is None:
            t = next((j for j in candidates if header[j].lower() in TIME_NAMES), None)
    features = [header.index(c) for c in columns] if columns else [j for j in range(len(header)) if j not in (t, g) and header[j] != "Unnamed: 0"]
    labels = [r[t].strip() for r in body] if t is not None else None
    values = np.array([[math.nan if is_missing(r[j].strip()) else number(r[j].strip(), delimiter != ",") for j in features] for r in body], dtype=np.float64)
    gaps = int(np.isnan(values).sum())
    if gaps and missing == "error":
        sys.exit(f"error: {path} has {gaps} missing cells (--missing interpolate or skip)")
    spans = series_spans(groups, len(values))
    if missing == "interpolate":
        for a, b in spans:
            interpolate(values[a:b])
    named = [(name, a) for (name, _), (a, _) in zip(groups, spans)] if groups else None
    return [header[j] for j in features], values, labels, gaps, named


def series_spans(groups, rows):
    """(first row, end) of each series; the whole file for one."""
    if groups is None:
        return [(0, rows)]
    out, start = [], 0
    for _, n in groups:
        out.append((start, start + n))
        start += n
    return out


def interpolate(values):
    """Linear in row order between the known values either side; the edges take the nearest."""
    for j in range(values.shape[1]):
        known = [i for i in range(len(values)) if not math.isnan(values[i, j])]
        if not known:
            continue
        values[:known[0], j] = values[known[0], j]
        values[known[-1] + 1:, j] = values[known[-1], j]
        for a, b in zip(known, known[1:]):
            va, vb = float(values[a, j]), float(values[b, j])
            for i in range(a + 1, b):
                values[i, j] = va + (vb - va) * ((i - a) / (b - a))


def usable_targets(values, seq_len, span=None):
    """Target rows of the windows within the rows span (all of them) that touch no gap."""
    start, end = span or (0, len(values))
    gap = np.isnan(values).any(axis=1)
    return [t for t in range(start + seq_len, end) if not gap[t - seq_len:t + 1].any()]


def transformed(values, transform):
    """--transform log: each value's log by libm's log (math.log), as data/scaling.rs's f64::ln."""
    if transform == "none":
        return values
    return np.vectorize(lambda v: v if math.isnan(v) else math.log(v), otypes=[np.float64])(values)


def fit_scaling(values, rows, bound, transform):
    """Each column's min and max (of its logs with --transform log) over the rows the training
    windows read, mapped to -bound, bound."""
    seen = transformed(values[sorted(rows)], transform)
    return np.nanmin(seen, axis=0), np.nanmax(seen, axis=0), bound, transform


def scale(values, scaling):
    mn, mx, bound, transform = scaling
    values = transformed(values, transform)
    rng = mx - mn
    out = np.zeros_like(values)
    for j in range(values.shape[1]):
        if rng[j] > 0:
            out[:, j] = ((values[:, j] - mn[j]) / rng[j] * 2.0 - 1.0) * bound
    return out


def unscale(j, s, scaling):
    mn, mx, bound, transform = scaling
    v = (s / bound + 1.0) / 2.0 * (mx[j] - mn[j]) + mn[j]
    return math.exp(v) if transform == "log" else v


ONE_BATCH = 1 << 16  # windows at once at most (data::ONE_BATCH)


def design(x):
    """[window's inputs, flattened | 1] in float64 (data/framing.rs)."""
    flat = x.flatten(1).double()
    return torch.cat([flat, torch.ones(len(flat), 1, dtype=torch.float64)], 1)


RIDGES = [1e-8, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]  # data::framing::RIDGES


def solve(a, b, ridge):
    """W from (A + lambda I) W = B, lambda = ridge trace(A) / d, by Cholesky in plain loops (the
    same operations in the same order as data/framing.rs); None when not positive definite."""
    d, f = len(b), len(b[0])
    trace = 0.0
    for i in range(d):
        trace += a[i][i]
    lam = ridge * trace / d
    L = [[0.0] * d for _ in range(d)]
    for j in range(d):
        s = a[j][j] + lam
        for k in range(j):
            s -= L[j][k] * L[j][k]
        if math.isnan(s) or s <= 0.0:
            return None
        L[j][j] = math.sqrt(s)
        for i in range(j + 1, d):
            s = a[i][j]
            for k in range(j):
                s -= L[i][k] * L[j][k]
            L[i][j] = s / L[j][j]
    w = [[0.0] * f for _ in range(d)]
    for c in range(f):
        z = [0.0] * d
        for i in range(d):
            s = b[i][c]
            for k in range(i):
                s -= L[i][k] * z[k]
            z[i] = s / L[i][i]
        for i in reversed(range(d)):
            s = z[i]
            for k in range(i + 1, d):
                s -= L[k][i] * w[k][c]
            w[i][c] = s / L[i][i]
    return w


MAX_AR_INPUTS = 1024  # data::autoregression::MAX_AR_INPUTS


def reads_own_lags(rows, columns, windows):
    """data/autoregression.rs: each column on its own lags alone where the full autoregression
    would have more inputs than MAX_AR_INPUTS, or more unknowns per column than windows."""
    return columns > 1 and (rows * columns > MAX_AR_INPUTS or rows * columns + 1 > windows)


def own_design(x):
    """[columns, windows, rows + 1]: each column's own values in the window and a 1, in float64."""
    lags = x.permute(2, 0, 1).double()
    return torch.cat([lags, torch.ones(lags.shape[0], lags.shape[1], 1, dtype=torch.float64)], 2)


def predict(w, x):
    """Each window's next point by W in float64: on every lag, or on each column's own lags."""
    rows, f = x.shape[1], x.shape[2]
    if w.shape[0] == rows * f + 1:
        return design(x).matmul(w)
    return (x.double() * w[:rows]).sum(dim=1, dtype=torch.float64) + w[rows]


def towards(x, y, own=False):
    """The normal equations of a fit towards persistence, as data/autoregression.rs's Towards:
    A = D'D and B - A P, D'D and D'Y summed by torch over batches of ONE_BATCH windows (with own
    lags, one system per column); and the design's first column of the window's last point."""
    dtd = dty = None
    for first in range(0, len(x), ONE_BATCH):
        xb, yb = x[first:first + ONE_BATCH], y[first:first + ONE_BATCH].double()
        d, yb = (own_design(xb), yb.t().unsqueeze(2)) if own else (design(xb), yb)
        dt = d.transpose(-2, -1)
        a, b = dt.matmul(d), dt.matmul(yb)
        dtd, dty = (a, b) if dtd is None else (dtd + a, dty + b)
    pairs = zip(dtd.tolist(), dty.tolist()) if own else [(dtd.tolist(), dty.tolist())]
    systems = []
    for a, b in pairs:
        d, f = len(b), len(b[0])
        last = d - 1 - f  # the design's columns of the window's last point
        systems.append((a, [[b[i][c] - a[i][last + c] for c in range(f)] for i in range(d)]))
    return systems, last, own


def solve_towards(systems, last, own, ridge):
    """W = P + V at `ridge` (with own lags: column c from system c), None when it cannot be solved."""
    columns = []
    for a, left in systems:
        w = solve(a, left, ridge)
        if w is None:
            return None
        for c in range(len(left[0])):
            w[last + c][c] += 1.0
        columns.append(w)
    if own:
        return torch.tensor([[w[i][0] for w in columns] for i in range(len(columns[0]))], dtype=torch.float64)
    return torch.tensor(columns[0], dtype=torch.float64)


def fit_linear(x, y, val_x, val_y, choice):
    """--target linear's autoregression, as data/framing.rs fits it: ridge regression towards
    persistence, W = P + V with (D'D + lambda I) V = D'Y - D'D P; lambda = r trace(D'D) / d, r the
    one of RIDGES whose W has the lowest squared error on the validation windows (the first
    without any), or with --ridge-choice one-se the largest within one standard error of it, or
    with none the least that can be solved. Returns (W, r)."""
    own = reads_own_lags(x.shape[1], x.shape[2], len(x))
    if not own and x.shape[1] * x.shape[2] > MAX_AR_INPUTS:
        sys.exit("--target linear's autoregression: a window over MAX_AR_INPUTS values")
    system = towards(x, y, own)
    f = x.shape[2]
    fits = []
    for ridge in RIDGES if len(val_x) or choice == "none" else RIDGES[:1]:
        w = solve_towards(*system, ridge)
        if w is not None:
            fits.append((w, ridge))
            if choice == "none":  # the least ridge that can be solved
                break
    if not fits:
        sys.exit("--target linear: the autoregression cannot be solved")
    if len(fits) == 1:
        return fits[0]
    w = torch.cat([fw for fw, _ in fits], 1) if not own else None
    sums, each = [0.0] * len(fits), []  # each: per window, per fit, summed over the features
    for first in range(0, len(val_x), ONE_BATCH):
        vx, vy = val_x[first:first + ONE_BATCH], val_y[first:first + ONE_BATCH]
        if own:
            predicted = torch.stack([predict(fw, vx) for fw, _ in fits], 1)
        else:
            predicted = design(vx).matmul(w).view(len(vx), len(fits), f)
        squared = (predicted - vy.double().unsqueeze(1)).square()
        errors = squared.sum(dim=(0, 2), dtype=torch.float64).tolist()
        sums = [s + e for s, e in zip(sums, errors)]
        each += squared.sum(dim=2, dtype=torch.float64).tolist()
    best = 0
    for k in range(len(fits)):
        if sums[k] < sums[best]:
            best = k
    if choice == "lowest":
        return fits[best]
    # one-se: within the lowest sum plus n times its standard error (none below two windows), the largest ridge
    n, mean, square = len(each), sums[best] / len(each), 0.0
    for window in each:
        square += (window[best] - mean) * (window[best] - mean)
    within = sums[best] + (math.sqrt(n * square / (n - 1)) if n >= 2 else 0.0)
    return fits[max(k for k in range(len(fits)) if sums[k] <= within)]


LINEAR = None  # --target linear's fitted W


def linear_ar(w, features, ridge, rows):
    """config.json's linear_ar: own_lags only where the fit read each column's own lags."""
    saved = {"weights": w.flatten().tolist(), "features": features, "ridge": ridge}
    if w.shape[0] != rows * features + 1:
        saved["own_lags"] = True
    return saved


def frame(x, target, norm):
    """src/data/framing.rs: the window's inputs as the model sees them, and the map of its output
    back to scaled units (x' = (x - s) / c, y' = (y - a) / c, prediction = a + c * out)."""
    last = x[:, -1, :]
    shift, scale = None, None
    if norm == "last":
        shift = last
    elif norm == "revin":
        shift, scale = x.mean(dim=1), torch.sqrt(x.var(dim=1, unbiased=False) + 1e-5)
    inputs = x - shift.unsqueeze(1) if shift is not None else x
    if scale is not None:
        inputs = inputs / scale.unsqueeze(1)
    anchor = last if target == "change" else shift
    if target == "linear":  # in batches of ONE_BATCH windows, as data/framing.rs computes it
        anchor = torch.cat([predict(LINEAR, x[i:i + ONE_BATCH]).float() for i in range(0, max(len(x), 1), ONE_BATCH)])

    def to_frame(y):
        y = y - anchor if anchor is not None else y
        return y / scale if scale is not None else y

    def back(out):
        out = out * scale if scale is not None else out
        return anchor + out if anchor is not None else out
    return inputs, to_frame, back


def epoch_order(n, shuffle, seed, epoch):
    if not shuffle:
        return torch.arange(n)
    g = torch.Generator().manual_seed((seed * 1000003 + epoch) % 2**64)
    return torch.randperm(n, generator=g)


def unroll(model, inputs, hidden):
    hiddens = torch.zeros(inputs.shape[0], hidden)
    outputs = []
    for t in range(inputs.shape[1]):  # the loop over time, outside forward
        hiddens, yt = model(hiddens, inputs[:, t, :])
        outputs.append(yt)
    return outputs


def ahead(ds, first, count, h):
    """data/windows.rs Windows::ahead: the windows' next h points [count, h, features] (--rollout),
    NaN where a point is not the part's (past its end, across a gap, in the next series)."""
    rows, known = [], []
    for i in range(count):
        for j in range(h):
            ok = i + j < count and ds.targets[first + i + j] == ds.targets[first + i] + j
            rows.append(i + j if ok else i)
            known.append(ok)
    y = ds.Y[first:first + count].index_select(0, torch.tensor(rows, dtype=torch.long)).view(count, h, -1)
    return y.masked_fill(~torch.tensor(known).view(count, h, 1), float("nan"))


def load_state_dict_file(path):
    """.safetensors, torch.save(state_dict) .pt, or the tch/libtorch .ot archive."""
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file
        return load_file(path)
    if path.endswith(".ot"):
        return {k.replace("|", "."): v.detach() for k, v in torch.jit.load(path).named_parameters()}
    return torch.load(path, map_location="cpu", weights_only=True)


def num(v):
    return "nan" if math.isnan(v) else repr(float(v))


def csv_defaults(a, labels, rows):
    """train/settings.rs: the circle keeps the blog's run; a CSV series predicts what the linear
    autoregression leaves, from a
    window of two seasons (8 rows without one; at most a quarter of the rows, at least 4), with a
    tenth of the windows validating, for 100 epochs. (train finds a dated series' season from its calendar; here
    a dated CSV needs --season or --seq-len.)"""
    if not a.data:
        a.seq_len, a.target, a.val_fraction = a.seq_len or 4, a.target or "level", a.val_fraction or 0.0
        a.epochs = 40 if a.epochs is None else a.epochs
        a.yt_init = a.yt_init or "pytorch"
        return
    if a.seq_len is None:
        if labels is not None and not a.season:
            sys.exit("error: reference.py cannot read a calendar's season: give --season or --seq-len")
        a.seq_len = max(4, min(2 * a.season if a.season else 8, rows // 4))
    a.target = a.target or "linear"
    a.val_fraction = 0.1 if a.val_fraction is None else a.val_fraction
    a.epochs = 100 if a.epochs is None else a.epochs
    a.yt_init = a.yt_init or "zero"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/reference")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--seq-len", type=int)  # 4; a CSV's: csv_defaults
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int)  # 40; a CSV's: csv_defaults
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rollout", type=int, default=1)
    p.add_argument("--no-shuffle", action="store_true")
    p.add_argument("--init")
    p.add_argument("--loss", choices=["last", "all"], default="last")
    p.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    p.add_argument("--clip-grad-norm", type=float)
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--val-fraction", type=float)  # 0; a CSV's: csv_defaults
    p.add_argument("--patience", type=int, default=0)
    p.add_argument("--target", choices=["level", "change", "linear"])  # level; a CSV's: csv_defaults
    p.add_argument("--window-norm", choices=["none", "last", "revin"], default="none")
    p.add_argument("--yt-init", choices=["pytorch", "zero"])  # pytorch; a CSV's: csv_defaults
    p.add_argument("--ridge-choice", choices=["lowest", "one-se", "none"], default="lowest")
    p.add_argument("--ar-fit", choices=["training", "before-test"], default="training")
    p.add_argument("--season", type=int, default=0)  # the seasonal baseline's: changes no number here
    p.add_argument("--data")
    p.add_argument("--time-column")
    p.add_argument("--columns", type=lambda v: v.split(","))
    p.add_argument("--missing", choices=["error", "interpolate", "skip"], default="error")
    p.add_argument("--series-column")
    p.add_argument("--scale-bound", type=float, default=0.6)
    p.add_argument("--transform", choices=["none", "log"], default="none")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    if a.data:
        names, values, labels, gaps, named = read_csv(a.data, a.time_column, a.columns, a.missing, a.series_column)
    else:
        (names, values), labels, gaps, named = circle(), None, 0, None
    if a.transform == "log" and not (a.data and np.all(np.isnan(values) | (values > 0))):
        sys.exit("--transform log needs a CSV series (--data) with every value above 0")
    spans = series_spans(None if named is None else [(n, 0) for n, _ in named], len(values))
    if named is not None:
        starts = [start for _, start in named] + [len(values)]
        spans = list(zip(starts, starts[1:]))
    lengths = sorted(b - a for a, b in spans)
    csv_defaults(a, labels, lengths[len(lengths) // 2])  # a file of many series: its median series' length
    # Each series' windows, train | validation | test in time order; then all series' training
    # windows, all their validation windows, all their test windows.
    parts = {"train": [], "val": [], "test": []}
    scalings = []
    for span in spans:
        own = usable_targets(values, a.seq_len, span)
        n_test = int(len(own) * a.test_fraction)
        n_val = int(len(own) * a.val_fraction)
        n_train = len(own) - n_test - n_val
        parts["train"].append(own[:n_train])
        parts["val"].append(own[n_train:n_train + n_val])
        parts["test"].append(own[n_train + n_val:])
        # Scaled by what its training windows read, and nothing of the held-out tail.
        train_rows = {i for t in own[:n_train] for i in range(t - a.seq_len, t + 1)}
        if a.data:
            scalings.append(fit_scaling(values, train_rows, a.scale_bound, a.transform) if train_rows else None)
    targets = [t for k in ("train", "val", "test") for own in parts[k] for t in own]
    n_train, n_val = sum(map(len, parts["train"])), sum(map(len, parts["val"]))
    data = values.copy()
    if a.data:
        for (start, end), scaling in zip(spans, scalings):
            if scaling is not None:
                data[start:end] = scale(values[start:end], scaling)
    data = data.astype(np.float32)
    scaling = scalings[0] if a.data and named is None else None

    def series_of(index):
        return next(k for k, (start, end) in enumerate(spans) if start <= index < end)

    ds = TrignoDS(data, a.seq_len, targets)
    val_x, val_y = ds.X[n_train:n_train + n_val], ds.Y[n_train:n_train + n_val]
    test_x, test_y = ds.X[n_train + n_val:], ds.Y[n_train + n_val:]
    # The model trains on its framing of the training windows (--target, --window-norm).
    global LINEAR
    if a.target == "linear":
        LINEAR, RIDGE = fit_linear(ds.X[:n_train], ds.Y[:n_train], val_x, val_y, a.ridge_choice)
        if a.ar_fit == "before-test" and n_val:  # --ar-fit: again, at that ridge, on the validation windows too
            own = reads_own_lags(a.seq_len, len(names), n_train)
            LINEAR = solve_towards(*towards(ds.X[:n_train + n_val], ds.Y[:n_train + n_val], own), RIDGE)
            if LINEAR is None:
                sys.exit("--ar-fit before-test: the autoregression cannot be solved")
    train_x, to_frame, _ = frame(ds.X[:n_train], a.target, a.window_norm)
    train_ds = TensorDataset(train_x, to_frame(ds.Y[:n_train]))
    if a.rollout > 1:  # the windows as they are, each with its next points, framed as it rolls
        train_ds = TensorDataset(ds.X[:n_train], ahead(ds, 0, n_train, a.rollout))
        val_ahead = ahead(ds, n_train, n_val, a.rollout)

    def predict(x):  # in scaled units, whatever the framing
        inputs, _, back = frame(x, a.target, a.window_norm)
        return back(unroll(model, inputs, a.hidden)[-1])

    torch.manual_seed(a.seed)
    model = RNN(ds.input_size, a.hidden, ds.input_size, a.activation)
    if a.yt_init == "zero":  # the untrained output is 0: the prediction is the framing's alone
        with torch.no_grad():
            model.get_yt.weight.zero_()
            model.get_yt.bias.zero_()
    if a.init:
        model.load_state_dict(load_state_dict_file(a.init))
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)

    def loss_on(x, y):
        if len(x) == 0:
            return float("nan")
        with torch.no_grad():
            return criterion(predict(x), y).item()

    def test_loss():
        return loss_on(test_x, test_y)

    def rollout_loss(x, y):
        """model/loss.rs: the forecast's closed loop over y's steps, each prediction fed back as
        the window's newest point; the MSE over the known (not NaN) targets, in scaled units."""
        known, truth = (~torch.isnan(y)).float(), torch.nan_to_num(y, nan=0.0)
        window, total = x, torch.zeros(())
        for j in range(y.shape[1]):
            inputs, _, back = frame(window, a.target, a.window_norm)
            nxt = back(unroll(model, inputs, a.hidden)[-1])
            total = total + ((nxt - truth[:, j]).square() * known[:, j]).sum(dtype=torch.float32)
            window = torch.cat([window[:, 1:], nxt.unsqueeze(1)], 1)
        return total / known.sum(dtype=torch.float32)

    def val_loss():
        if a.rollout == 1:
            return loss_on(val_x, val_y)
        if n_val == 0:
            return float("nan")
        with torch.no_grad():
            return rollout_loss(val_x, val_ahead).item()

    os.makedirs(a.out, exist_ok=True)
    metrics = ["epoch,train_loss,val_loss,test_loss,seconds"]
    best_val, best_epoch, best_state = math.inf, None, None  # the epoch of the lowest validation loss
    steps = ["epoch,step,loss"]
    start = time.perf_counter()
    step = 0
    for epoch in range(1, a.epochs + 1):
        if a.patience and best_epoch is not None and (epoch - 1) - best_epoch >= a.patience:
            break  # early stopping: --patience epochs without a lower validation loss
        order = epoch_order(n_train, not a.no_shuffle, a.seed, epoch)
        loader = DataLoader(train_ds, batch_size=a.batch_size, sampler=order.tolist())
        total, batches = 0.0, 0
        for inputs, targets in loader:
            outputs = unroll(model, inputs, a.hidden) if a.rollout == 1 else None
            if a.rollout > 1:  # the forecast's closed loop, backpropagated through
                loss = rollout_loss(inputs, targets)
            elif a.loss == "last":  # the blog: loss from the final step only
                loss = criterion(outputs[-1], targets)
            else:  # every step predicts its next point
                nexts = [inputs[:, t + 1, :] for t in range(a.seq_len - 1)] + [targets]
                loss = torch.stack([criterion(y, n) for y, n in zip(outputs, nexts)]).mean()
            optimizer.zero_grad()
            loss.backward()
            if a.clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip_grad_norm)
            optimizer.step()
            step += 1
            value = loss.item()
            steps.append(f"{epoch},{step},{num(value)}")
            total += value  # plain left-to-right f64 sum, as the Rust side does
            batches += 1
        seconds = time.perf_counter() - start
        vl, tl = val_loss(), test_loss()
        if vl < best_val:
            best_val, best_epoch = vl, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        metrics.append(f"{epoch},{num(total / batches)},{num(vl)},{num(tl)},{seconds:.3f}")
        if not a.quiet:
            print(f"epoch {epoch:>4}/{a.epochs}  train {total / batches:.3e}  test {tl:.3e}", file=sys.stderr)

    if best_state is not None:  # the outputs hold the best validation epoch's weights
        model.load_state_dict(best_state)
    with torch.no_grad():
        preds = predict(ds.X).double().numpy()
    timed = ["time"] if labels is not None else []
    many = ["series"] if named is not None else []
    lines = [",".join(many + ["index"] + timed + ["split"] + [f"target_{n}" for n in names] + [f"pred_{n}" for n in names])]
    for i, index in enumerate(ds.targets):
        k = series_of(index)
        own = scalings[k] if a.data else None
        target = [num(v) for v in values[index]]
        pred = [num(unscale(j, preds[i, j], own) if own else preds[i, j]) for j in range(len(names))]
        time_label = [labels[index]] if labels is not None else []
        split = "train" if i < n_train else "val" if i < n_train + n_val else "test"
        series = [named[k][0]] if named is not None else []
        lines.append(",".join(series + [str(index - spans[k][0])] + time_label + [split] + target + pred))

    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(a.out, "weights.safetensors"))
    for name, text in [("metrics.csv", metrics), ("steps.csv", steps), ("predictions.csv", lines)]:
        with open(os.path.join(a.out, name), "w") as f:
            f.write("\n".join(text) + "\n")
    settings = {k: v for k, v in vars(a).items() if k != "quiet"}
    settings.update(device="cpu", init=a.init, data=a.data)
    config = {
        "settings": settings, "seed": a.seed, "device": "cpu", "features": names,
        "time_column": a.time_column,
        "gaps": {"missing": a.missing, "cells": gaps, "filled": gaps if a.missing == "interpolate" else 0,
                 "skipped_windows": sum(max(0, end - start - a.seq_len) for start, end in spans) - len(targets)},
        "scaling": {"min": scaling[0].tolist(), "max": scaling[1].tolist(), "bound": scaling[2], "transform": scaling[3]} if scaling else None,
        "series": [{"name": name, "scaling": {"min": sc[0].tolist(), "max": sc[1].tolist(), "bound": sc[2], "transform": sc[3]}}
                   for (name, _), sc in zip(named or [], scalings) if sc is not None],
        "linear_ar": linear_ar(LINEAR, len(names), RIDGE, a.seq_len) if LINEAR is not None else None,
        "windows": len(ds), "train_windows": n_train, "val_windows": n_val, "kept_epoch": best_epoch or a.epochs,
        "versions": {"vanilla_rnn": "scripts/reference.py", "tch": "none", "libtorch": torch.__version__},
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if not a.quiet:
        print(f"trained {a.epochs} epochs in {time.perf_counter() - start:.1f}s: test MSE {test_loss():.3e}; wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
