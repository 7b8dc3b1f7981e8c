"""Rust's exports, loaded in Python without vanilla-rnn's code, give the Rust model's predictions.

usage: check_interop.py RUN_DIR        (a `vanilla-rnn train` run on the built-in series)
       check_interop.py --to-pt SRC.safetensors DST.pt   (torch.save(state_dict) of a weights file)
"""
import csv
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from reference import RNN, TrignoDS, circle, load_state_dict_file, unroll  # noqa: E402

if sys.argv[1] == "--to-pt":
    torch.save(load_file(sys.argv[2]), sys.argv[3])
    sys.exit(0)

run = sys.argv[1]
config = json.load(open(os.path.join(run, "config.json")))
seq_len, hidden = config["settings"]["seq_len"], config["settings"]["hidden"]
_, values = circle()
ds = TrignoDS(values.astype(np.float32), seq_len)
with open(os.path.join(run, "predictions.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
rust = torch.tensor([[float(r["pred_sin"]), float(r["pred_cos"])] for r in rows], dtype=torch.float64).float()
bad = []


def same(got, want, what):
    if got.shape != want.shape or not torch.equal(got, want):
        bad.append(f"{what}: max abs diff {(got - want).abs().max().item() if got.shape == want.shape else 'shape ' + str(tuple(got.shape))}")


def close(got, want, what):
    # A batch of 1 may take BLAS's gemv path instead of gemm: other summation order, so not bitwise.
    if got.shape != want.shape or not torch.allclose(got, want, rtol=0, atol=1e-6):
        bad.append(f"{what}: shape {tuple(got.shape)}, max abs diff {(got - want).abs().max().item() if got.shape == want.shape else '-'}")


module = torch.jit.load(os.path.join(run, "model.pt"))
with torch.no_grad():
    for batch in (1, 100):
        close(module(ds.X[:batch]), rust[:batch], f"model.pt batch {batch}")
    same(module(ds.X), rust, "model.pt, all windows in one batch, vs predictions.csv")
    for weights in ("weights.safetensors", "weights.ot"):
        model = RNN(2, hidden, 2, config["settings"]["activation"])
        model.load_state_dict(load_state_dict_file(os.path.join(run, weights)))
        same(unroll(model, ds.X, hidden)[-1], rust, f"{weights} in the Python RNN")
for b in bad:
    print(b)
print("the Rust model's predictions: model.pt on all windows in one batch, weights.safetensors and weights.ot bitwise; "
      "model.pt on batches of 1 and 100 within 1e-6 (BLAS may take another path for them)" if not bad else f"{len(bad)} differences")
sys.exit(1 if bad else 0)
