#!/usr/bin/env python3
"""The port beside its peers, on the same splits: `vanilla-rnn train --data FILE` with its
defaults, the baselines it writes (scores.csv), darts' vanilla RNN and statsmodels' ETS.

    scripts/studies/forecast_peers.sh [--set tuning|unseen|fresh|selection] [--doc docs/peers_<set>.md]

(forecast_peers.sh makes the peers' venv, ~/.cache/vanilla-rnn/venv-peers, on first use.)
`tuning` is tests/data, which chose the defaults; `unseen` is scripts/studies/unseen_series.py's series,
which chose nothing (though two settings were prototyped on them); `fresh` is
scripts/studies/fresh_series.py's, run first after the defaults were fixed; `selection` is
tests/data/selection, whose cut tails, before these test tails, weighed the defaults against their
alternatives (scripts/studies/select_defaults.py) and chose nothing. Every forecaster predicts each test target one step ahead from the rows
before it; the peers, and the port's linear AR baseline, fit on the rows before the first test
target (the port's train and validation windows). Scores: MASE as scores.csv computes it (the MAE over the in-sample MAE of
the seasonal naive on the rows up to the last training target).

- darts: `RNNModel(model="RNN", hidden_dim=32, n_epochs=100)`, input_chunk_length the port's
  seq_len, training_length twice that, on the series MinMax-scaled on its fitting rows (darts'
  `Scaler`), `historical_forecasts(..., forecast_horizon=1, retrain=False)`.
- the port's seeds: the table's port column is train's default seed (42); the run is repeated with
  `--seed 1` to `--seed 4` (`--seeds`), whose MASE the next column gives as a median and range,
  because on a short series the seed moves the port's score by as much as the margins between
  forecasters.
- darts' seeds: the table's darts column is `random_state=0`; `--darts-seeds N` (default 3) also
  runs 1 to N-1, and "Each forecaster against the goal's bars" counts their median too.
- the correction: each port run's MSE over that of its own linear AR alone (config.json's
  linear_ar, which the RNN corrects), on the validation windows and on the test tail.
- statsmodels: `ETSModel(error="add", trend="add", damped_trend=True, seasonal="add")` with the
  run's season (no seasonal part without one), fitted on the fitting rows, then smoothed over the
  whole series with those parameters: its one-step-ahead fitted values at the test targets.
- the differences: the Diebold-Mariano test of the port's one-step absolute errors against each
  rival's (persistence, the seasonal naive, ETS, darts at random_state 0), so that a distance on a
  short test tail can be told from noise.
"""
import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "vanilla-rnn")
TUNING = [("co2", ["--missing", "interpolate"]), ("elec_equip", []), ("elnino", []), ("realgdp", []), ("nile", []), ("sunspots", [])]
UNSEEN = [(n, []) for n in ["airpassengers", "wineind", "ausbeer", "austres", "woolyrnq", "lynx", "taylor", "heartrate", "msft"]]
# scripts/studies/fresh_series.py's, listed before any of them was run
FRESH = [(n, []) for n in ["ukdriverdeaths", "nottem", "usaccdeaths", "ukgas", "johnsonjohnson", "lakehuron", "nhtemp", "discoveries",
                           "treering", "wwwusage", "bjsales"]]
# the sets measured away from tests/data: the script that writes their CSVs, and the series
FETCHED = {"unseen": ("unseen_series.py", UNSEEN), "fresh": ("fresh_series.py", FRESH)}


def fetched(name, data_dir=None):
    """A fetched set's series, [(path, name, flags)], its CSVs written by its script into
    `data_dir` (default runs/<set>-data)."""
    fetch, names = FETCHED[name]
    data_dir = data_dir or os.path.join(ROOT, "runs", f"{name}-data")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", fetch), data_dir], check=True, stdout=subprocess.DEVNULL)
    return [(os.path.join(data_dir, f"{n}.csv"), n, flags) for n, flags in names]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def port(path, flags, out):
    """The port's run with its defaults: the series as it read it (interpolated), its split, its scores."""
    subprocess.run([BIN, "train", "--quiet", "--data", path, *flags, "--out", out], check=True)
    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f)
    preds = rows(os.path.join(out, "predictions.csv"))
    feature = config["features"][0]
    series = {int(r["index"]): float(r[f"target_{feature}"]) for r in preds}
    # the rows no window targets (the first seq_len) from the file; the rest as the run read them
    with open(path, newline="") as f:
        raw = [r[feature] for r in csv.DictReader(f)]
    values = np.array([series.get(i, float(raw[i]) if raw[i] not in ("", "NA") else math.nan) for i in range(len(raw))])
    values = np.array(interpolate(values))
    test = [int(r["index"]) for r in preds if r["split"] == "test"]
    last_train = max(int(r["index"]) for r in preds if r["split"] == "train")
    scores = {r["forecaster"]: float(r["mase"]) for r in rows(os.path.join(out, "scores.csv"))}
    # the band: forecast a season ahead (8 rows without one) from every test start, asked 90%
    steps = str(config.get("season") or 8)
    subprocess.run([BIN, "forecast", out, "--steps", steps, "--coverage", "0.9"], check=True, stderr=subprocess.DEVNULL)
    horizons = rows(os.path.join(out, "forecast_horizons.csv"))
    held = [(float(h["coverage"]), int(h["starts"])) for h in horizons if h["coverage"]]
    scores["band"] = sum(c * n for c, n in held) / sum(n for _, n in held) if held else None
    scores["correction"] = correction(values, preds, config)
    feature = config["features"][0]
    scores["test_preds"] = np.array([float(r[f"pred_{feature}"]) for r in preds if r["split"] == "test"])
    return config, values, test, last_train, scores


def port_seed(path, flags, seed, values):
    """The port's one-step MASE on the test tail with another --seed (train alone), and its correction."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([BIN, "train", "--quiet", "--data", path, *flags, "--seed", str(seed), "--out", out], check=True)
        with open(os.path.join(out, "config.json")) as f:
            config = json.load(f)
        mase_rnn = float({r["forecaster"]: r["mase"] for r in rows(os.path.join(out, "scores.csv"))}["rnn"])
        return mase_rnn, correction(values, rows(os.path.join(out, "predictions.csv")), config)


def correction(values, preds, config):
    """What the RNN's correction did: the port's MSE over that of its own linear AR alone (the
    --target linear framing, config.json's linear_ar, fitted as --ar-fit says), on the
    validation windows and on the test tail."""
    seq_len, ar = config["settings"]["seq_len"], config["linear_ar"]
    scaling = config["scaling"]
    lo, hi, bound = scaling["min"][0], scaling["max"][0], scaling["bound"]
    scaled = (values - lo) / (hi - lo) * 2 * bound - bound
    feature = config["features"][0]
    ratio = {}
    for split in ("val", "test"):
        part = [r for r in preds if r["split"] == split]
        idx = np.array([int(r["index"]) for r in part])
        design = np.hstack([np.stack([scaled[i - seq_len:i] for i in idx]), np.ones((len(idx), 1))])
        linear = (design @ np.array(ar["weights"]) + bound) / (2 * bound) * (hi - lo) + lo
        truth, pred = values[idx], np.array([float(r[f"pred_{feature}"]) for r in part])
        ratio[split] = float(np.mean((pred - truth) ** 2) / np.mean((linear - truth) ** 2))
    return ratio


def interpolate(v):
    idx = np.arange(len(v))
    known = ~np.isnan(v)
    return np.interp(idx, idx[known], v[known])


def mase(values, test, preds, last_train, season):
    m = season or 1
    scale = np.mean(np.abs(values[m:last_train + 1] - values[:last_train + 1 - m]))
    return float(np.mean(np.abs(values[test] - preds)) / scale)


def darts_rnn(values, test, seq_len, seed):
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import RNNModel
    series = TimeSeries.from_values(values.astype(np.float32))
    fit, _ = series.split_before(test[0])
    scaler = Scaler()
    scaler.fit(fit)
    model = RNNModel(model="RNN", hidden_dim=32, n_epochs=100, input_chunk_length=seq_len, training_length=2 * seq_len,
                     random_state=seed, pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
                                                           "enable_model_summary": False, "logger": False})
    model.fit(scaler.transform(fit), verbose=False)
    hist = model.historical_forecasts(scaler.transform(series), start=test[0], forecast_horizon=1, stride=1,
                                      retrain=False, last_points_only=True, verbose=False)
    return scaler.inverse_transform(hist).values()[:, 0].astype(np.float64)


def ets(values, test, season):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    seasonal = dict(seasonal="add", seasonal_periods=season) if season and test[0] >= 2 * season + 10 else {}
    spec = dict(error="add", trend="add", damped_trend=True, **seasonal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ETSModel(values[:test[0]], **spec).fit(disp=False)
        smoothed = ETSModel(values, **spec).smooth(fitted.params)
    return np.asarray(smoothed.fittedvalues)[test]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=["tuning", "unseen", "fresh", "selection"], default="unseen")
    p.add_argument("--doc", help="default: docs/peers_<set>.md")
    p.add_argument("--data-dir", help="where a fetched set's CSVs go (default: runs/<set>-data)")
    p.add_argument("--seeds", type=int, default=4, help="the port's runs with --seed 1..N beside the default seed's (default 4)")
    p.add_argument("--darts-seeds", type=int, default=3, help="darts' runs, with random_state 0..N-1 (default 3)")
    a = p.parse_args()
    a.doc = a.doc or os.path.join(ROOT, "docs", f"peers_{a.set}.md")
    import torch
    torch.set_num_threads(1)
    if a.set in FETCHED:
        series = fetched(a.set, a.data_dir)
    elif a.set == "selection":
        from select_defaults import SELECTION
        series = [(os.path.join(ROOT, "tests", "data", n), n[len("selection/"):-4], flags) for n, flags, _ in SELECTION]
    else:
        series = [(os.path.join(ROOT, "tests", "data", f"{n}.csv"), n, flags) for n, flags in TUNING]
    table, started = [], time.time()
    for path, name, flags in series:
        with tempfile.TemporaryDirectory() as out:
            config, values, test, last_train, scores = port(path, flags, out)
        others = [port_seed(path, flags, k, values) for k in range(1, a.seeds + 1)]
        seeds = [scores["rnn"]] + [m for m, _ in others]
        corrections = [scores["correction"]] + [c for _, c in others]
        season, seq_len = config.get("season"), config["settings"]["seq_len"]
        t = time.time()
        darts_preds = [darts_rnn(values, test, seq_len, k) for k in range(a.darts_seeds)]
        darts_seeds = [mase(values, test, d, last_train, season) for d in darts_preds]
        darts = darts_seeds[0]
        darts_s = time.time() - t
        ets_preds = ets(values, test, season)
        ets_mase = mase(values, test, ets_preds, last_train, season)
        # each rival's one-step predictions of the test targets, for the tests of the differences
        truth, idx = values[test], np.array(test)
        rivals = {"persistence": values[idx - 1], "seasonal naive": values[idx - season] if season else None,
                  "ETS": ets_preds, "darts' RNN": darts_preds[0]}
        tests = {k: diebold_mariano(scores["test_preds"] - truth, v - truth) for k, v in rivals.items() if v is not None}
        table.append(dict(name=name, rows=len(values), test=len(test), season=season, seq_len=seq_len, rnn=scores["rnn"],
                          persistence=scores["persistence"], seasonal=scores.get("seasonal_naive"), linear=scores["linear"],
                          darts=darts, ets=ets_mase, darts_s=darts_s, val_windows=config["val_windows"], band=scores["band"], seeds=seeds,
                          darts_seeds=darts_seeds, corrections=corrections, tests=tests))
        print(table[-1], file=sys.stderr)
    write(a, table, time.time() - started)


def command_seeds(a):
    """The seed flags of the command that wrote a doc, where they are not the defaults."""
    return (f" --seeds {a.seeds}" if a.seeds != 4 else "") + (f" --darts-seeds {a.darts_seeds}" if a.darts_seeds != 3 else "")


def write(a, table, seconds):
    fmt = lambda v: "" if v is None else f"{v:.3f}"
    pct = lambda v: "" if v is None else f"{100 * v:.1f}%"
    spread = lambda v: f"{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})"
    best_base = lambda r: min(v for v in (r["persistence"], r["seasonal"], r["linear"]) if v is not None)
    lines = [f"# The port beside its peers: {a.set} series", "",
             f"Written by `scripts/studies/forecast_peers.sh --set {a.set}{command_seeds(a)}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {seconds:.0f} s). "
             "One-step-ahead MASE on each run's test tail (the last 20% of its windows; lower is better, 1 is the in-sample "
             "seasonal naive). The port: `vanilla-rnn train --data FILE` with no tuning flag; its baselines from its scores.csv; "
             "darts' vanilla RNN and statsmodels' ETS on the same split (the script's docstring says how). The band: "
             "`vanilla-rnn forecast RUN --steps <season, or 8> --coverage 0.9`, the share of the test tail's truths within it "
             "over every start and horizon (forecast_horizons.csv). The port over seeds: the median and range of its MASE "
             f"over train's default seed and `--seed 1` to `--seed {len(table[0]['seeds']) - 1}`.", "",
             "| series | rows | test | season | seq_len | port RNN | port over seeds | persistence | seasonal naive | linear AR | darts RNN | ETS | band held (90% asked) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        lines.append(f"| {r['name']} | {r['rows']} | {r['test']} | {r['season'] or ''} | {r['seq_len']} | **{fmt(r['rnn'])}** | {spread(r['seeds'])} | "
                     f"{fmt(r['persistence'])} | {fmt(r['seasonal'])} | {fmt(r['linear'])} | {fmt(r['darts'])} | {fmt(r['ets'])} | "
                     f"{pct(r['band'])} |")
    n = len(table)
    geo = lambda key: math.exp(sum(math.log(r[key]) for r in table) / n)
    lines += ["",
              f"- ahead of persistence on {sum(r['rnn'] < r['persistence'] for r in table)} of {n};",
              f"- ahead of the best of persistence, the seasonal naive and the linear AR on {sum(r['rnn'] < best_base(r) for r in table)} of {n}"
              f" (geometric mean of port / best baseline: {math.exp(sum(math.log(r['rnn'] / best_base(r)) for r in table) / n):.3f});",
              f"- ahead of darts' vanilla RNN on {sum(r['rnn'] < r['darts'] for r in table)} of {n} (geometric means: port {geo('rnn'):.3f}, darts {geo('darts'):.3f});",
              f"- ETS: geometric mean {geo('ets'):.3f}; the port / ETS: {math.exp(sum(math.log(r['rnn'] / r['ets']) for r in table) / n):.3f}"
              f" (ahead of ETS on {sum(r['rnn'] < r['ets'] for r in table)} of {n});",
              f"- over the seeds: the median ahead of the best baseline on {sum(statistics.median(r['seeds']) < best_base(r) for r in table)} of {n},"
              f" of persistence on {sum(statistics.median(r['seeds']) < r['persistence'] for r in table)} of {n};"
              f" each run ahead of the best baseline in {sum(v < best_base(r) for r in table for v in r['seeds'])} of {sum(len(r['seeds']) for r in table)};",
              f"- the band held within 5 points of the 90% asked on {sum(r['band'] is not None and abs(r['band'] - 0.9) <= 0.05 for r in table)} of {n};"
              f" a band that holds each truth with probability 0.9 exactly, independently from start to start, would do so on "
              f"{sum(calibrated_within(r['test']) for r in table):.1f} of {n} on average (binomial over each test tail's starts), "
              "so that on short tails the bar is met by chance as much as by calibration.", ""]
    lines += bars(table, best_base) + corrections(table) + differences(table)
    os.makedirs(os.path.dirname(a.doc), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


def bars(table, best_base):
    """Issue 18's bars (ahead of persistence; ahead of the best naive baseline) met by each
    forecaster, the peers included, so that the port's count reads against theirs."""
    n, med = len(table), statistics.median
    who = [("the port, default seed", lambda r: r["rnn"]), ("the port, median over its seeds", lambda r: med(r["seeds"])),
           ("darts' RNN, random_state 0", lambda r: r["darts"]),
           (f"darts' RNN, median over random_state 0 to {len(table[0]['darts_seeds']) - 1}", lambda r: med(r["darts_seeds"])),
           ("statsmodels' ETS", lambda r: r["ets"])]
    lines = ["## Each forecaster against the goal's bars", "",
             "| forecaster | ahead of persistence | ahead of the best of persistence, seasonal naive and linear AR | geometric mean over the best baseline |",
             "|---|---|---|---|"]
    for name, score in who:
        gm = math.exp(sum(math.log(score(r) / best_base(r)) for r in table) / n)
        lines.append(f"| {name} | {sum(score(r) < r['persistence'] for r in table)} of {n} | "
                     f"{sum(score(r) < best_base(r) for r in table)} of {n} | {gm:.3f} |")
    return lines + [""]


def corrections(table):
    """What the RNN's correction did on the validation windows (which chose the kept epoch)
    against what it did on the test tail, over the port's seeds."""
    spread = lambda v: f"{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})"
    lines = ["## What the RNN's correction did, on validation and on the test tail", "",
             "The port's MSE over that of its own linear AR alone (the `--target linear` framing, fitted on the training "
             "windows; config.json's linear_ar), on the validation windows that chose the kept epoch and on the test tail; "
             "median (range) over the seeds. Below 1, the RNN's correction helped.", "",
             "| series | validation windows | validation | test tail |", "|---|---|---|---|"]
    runs = [c for r in table for c in r["corrections"]]
    for r in table:
        lines.append(f"| {r['name']} | {r['val_windows']} | {spread([c['val'] for c in r['corrections']])} | "
                     f"{spread([c['test'] for c in r['corrections']])} |")
    lines += ["", f"- the correction helped on validation in {sum(c['val'] < 1 for c in runs)} of {len(runs)} runs, "
              f"and on the test tail in {sum(c['test'] < 1 for c in runs)} of {len(runs)}.", ""]
    return lines


def calibrated_within(n, coverage=0.9, points=0.05):
    """The chance that k of n independent truths, each held with probability `coverage`, give a
    share k / n within `points` of it."""
    return sum(math.comb(n, k) * coverage ** k * (1 - coverage) ** (n - k) for k in range(n + 1) if abs(k / n - coverage) <= points + 1e-12)


def diebold_mariano(e_port, e_rival):
    """The Diebold-Mariano test of equal one-step accuracy on the absolute errors (the MASE's
    loss), with Harvey, Leybourne and Newbold's small-sample correction and Student's t with n - 1
    degrees of freedom: (the port's mean absolute error minus the rival's, over the rival's;
    the two-sided p-value)."""
    from scipy import stats
    d = np.abs(e_port) - np.abs(e_rival)
    n, mean = len(d), float(np.mean(d))
    var = float(np.mean((d - mean) ** 2))
    relative = mean / float(np.mean(np.abs(e_rival)))
    if var == 0.0:
        return relative, 1.0
    statistic = mean / math.sqrt(var / n) * math.sqrt((n - 1) / n)
    return relative, float(2 * stats.t.sf(abs(statistic), n - 1))


def differences(table):
    """Which of the port's distances from its rivals are more than the noise of a short test tail
    (Diebold-Mariano, one step ahead)."""
    rivals = ["persistence", "seasonal naive", "ETS", "darts' RNN"]
    cell = lambda t: "" if t is None else f"{100 * t[0]:+.0f}% (p {t[1]:.3f})"
    lines = ["## Which differences are more than noise", "",
             "Per series, the port's mean absolute one-step error on the test tail against each rival's: how much larger "
             "(+) or smaller (−) it is, and the two-sided p-value of the Diebold-Mariano test of equal accuracy (absolute "
             "errors, Harvey-Leybourne-Newbold's small-sample correction, Student's t with n − 1 degrees of freedom). On a "
             "test tail of a few dozen windows, a p-value above 0.05 says the data cannot tell the two apart.", "",
             "| series | test | " + " | ".join(f"port vs {r}" for r in rivals) + " |", "|---|---|" + "---|" * len(rivals)]
    for r in table:
        lines.append(f"| {r['name']} | {r['test']} | " + " | ".join(cell(r["tests"].get(k)) for k in rivals) + " |")
    lines.append("")
    for k in rivals:
        got = [r["tests"][k] for r in table if k in r["tests"]]
        behind = [t for t in got if t[0] > 0]
        ahead = [t for t in got if t[0] < 0]
        lines.append(f"- against {k} ({len(got)} series): behind on {len(behind)}, {sum(t[1] < 0.05 for t in behind)} of them at p < 0.05; "
                     f"ahead on {len(ahead)}, {sum(t[1] < 0.05 for t in ahead)} of them at p < 0.05;")
    lines[-1] = lines[-1][:-1] + "."
    return lines + [""]


if __name__ == "__main__":
    main()
