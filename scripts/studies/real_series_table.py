#!/usr/bin/env python3
"""docs/real_series.md from the runs scripts/studies/real_series.sh made: ROOT SEEDS BOUND..."""
import csv
import json
import os
import platform
import statistics
import sys

root, n_seeds, bounds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
DEFAULT = "0.6"


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run(name, bound, seed):
    d = os.path.join(root, name, f"bound{bound}", f"seed{seed}")
    test = float(rows(os.path.join(d, "metrics.csv"))[-1]["test_loss"])
    base = {r["name"]: float(r["test_loss"]) for r in rows(os.path.join(d, "baselines.csv"))}
    with open(os.path.join(d, "config.json")) as f:
        config = json.load(f)
    return test, base["persistence"], base["linear"], config


def rmse(mse, config):
    """An MSE in model units as a root mean squared error in the series' own units."""
    s = config["scaling"]
    return (mse ** 0.5) / s["bound"] * (s["max"][0] - s["min"][0]) / 2


names = sorted(os.listdir(root))
names = [n for n in ["sunspots", "nile", "co2"] if n in names]
print("# Real series: the RNN against persistence and a linear autoregression\n")
print(f"Written by `scripts/studies/real_series.sh` ({n_seeds} seeds per cell; {platform.machine()}). Every run has the")
print("settings of a CSV run before 0.4, given explicitly (`--target level --seq-len 4 --val-fraction 0`; hidden 32, 40 epochs, lr 3e-3, batch 16, the last 20% of the windows")
print("held out) and the series' own flags. MSE in model units, as metrics.csv and baselines.csv write")
print("it; RMSE in the series' units. Medians over the seeds.\n")
print(f"## At the default --scale-bound {DEFAULT}\n")
print("| series | test MSE, RNN | persistence | linear | RNN RMSE | persistence RMSE | linear RMSE | seeds the RNN beats persistence | seeds it beats linear |")
print("|---|---|---|---|---|---|---|---|---|")
for name in names:
    runs = [run(name, DEFAULT, s) for s in range(1, n_seeds + 1)]
    t, p, l = (statistics.median(r[i] for r in runs) for i in range(3))
    cfg = runs[0][3]
    beat_p = sum(r[0] < r[1] for r in runs)
    beat_l = sum(r[0] < r[2] for r in runs)
    print(f"| {name} | {t:.3e} | {p:.3e} | {l:.3e} | {rmse(t, cfg):.4g} | {rmse(p, cfg):.4g} | {rmse(l, cfg):.4g} | {beat_p}/{n_seeds} | {beat_l}/{n_seeds} |")
helps = os.path.join(root, "helps")
if os.path.isdir(helps):
    print("\n## Sunspots: what a longer window and more epochs do\n")
    print("The linear baseline reads the same window, so it improves with `--seq-len` too.\n")
    print("| flags | test MSE, RNN | persistence | linear | seeds the RNN beats linear |")
    print("|---|---|---|---|---|")
    for variant in ["", "--seq-len_12", "--seq-len_12_--epochs_100"]:
        runs = []
        for s in range(1, n_seeds + 1):
            d = os.path.join(root, "sunspots", f"bound{DEFAULT}", f"seed{s}") if not variant else os.path.join(helps, variant, f"seed{s}")
            test = float(rows(os.path.join(d, "metrics.csv"))[-1]["test_loss"])
            base = {r["name"]: float(r["test_loss"]) for r in rows(os.path.join(d, "baselines.csv"))}
            runs.append((test, base["persistence"], base["linear"]))
        t, p, l = (statistics.median(r[i] for r in runs) for i in range(3))
        label = variant.replace("_", " ") or "(defaults)"
        print(f"| {label} | {t:.3e} | {p:.3e} | {l:.3e} | {sum(r[0] < r[2] for r in runs)}/{n_seeds} |")
print("\n## The headroom: --scale-bound\n")
print("The training rows' min and max map to -B and B; the model's tanh output reaches -1 and 1, so")
print("held-out values up to (1/B - 1)/2 of the training range beyond either end stay reachable. Each")
print("cell is the median over seeds of the RNN's test MSE divided by persistence's on the same run (the")
print("ratio does not depend on the units, which B changes); below 1 the RNN wins.\n")
print("| series | " + " | ".join(f"B = {b}" for b in bounds) + " |")
print("|---|" + "---|" * len(bounds))
for name in names:
    cells = []
    for b in bounds:
        runs = [run(name, b, s) for s in range(1, n_seeds + 1)]
        cells.append(f"{statistics.median(r[0] / r[1] for r in runs):.3f}")
    print(f"| {name} | " + " | ".join(cells) + " |")
print("\nHeld-out range against the training range (the first seed's B = 1 run):\n")
print("| series | training min | training max | held-out min | held-out max |")
print("|---|---|---|---|---|")
for name in names:
    d = os.path.join(root, name, "bound1", "seed1")
    cfg = run(name, "1", 1)[3]
    held = [float(r[f"target_{cfg['features'][0]}"]) for r in rows(os.path.join(d, "predictions.csv")) if r["split"] == "test"]
    s = cfg["scaling"]
    print(f"| {name} | {s['min'][0]:g} | {s['max'][0]:g} | {min(held):g} | {max(held):g} |")
ex = os.path.join(root, "sunspots-default")
if os.path.exists(ex):
    print("\n## The README's example (sunspots, seed 42)\n")
    base = {r["name"]: float(r["test_loss"]) for r in rows(os.path.join(ex, "baselines.csv"))}
    test = float(rows(os.path.join(ex, "metrics.csv"))[-1]["test_loss"])
    print(f"test MSE {test:.3e}; persistence {base['persistence']:.3e}, linear {base['linear']:.3e}\n")
    print("```")
    print(open(os.path.join(ex, "forecast.txt")).read().strip())
    print("```")
    hz = rows(os.path.join(ex, "forecast_horizons.csv"))
    print("\n| h | starts | RNN MSE | persistence MSE |")
    print("|---|---|---|---|")
    for r in hz[:10]:
        print(f"| {r['h']} | {r['starts']} | {float(r['rnn_mse']):.3e} | {float(r['persistence_mse']):.3e} |")
