#!/usr/bin/env python3
"""Time the Python reference's training step, as `vanilla-rnn bench` times Rust's: only the loop.

--mode faithful: the blog's loop, batches from a DataLoader over TrignoDS (scripts/reference.py);
--mode indexing: the same model and step, batches taken by tensor indexing (X[idx]);
--mode compile: as indexing, with torch.compile (inductor): the loop over time and the loss compiled
  (AOTAutograd compiles its backward too), and optimizer.step compiled, after a compiling warm-up.
Prints one JSON line like `vanilla-rnn bench`.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_args  # noqa: E402
from reference import RNN, TrignoDS, circle, epoch_order, unroll  # noqa: E402

a = bench_args.parse(__doc__.splitlines()[0], lambda p: p.add_argument("--mode", choices=["faithful", "indexing", "compile"], required=True))
torch.set_num_threads(a.threads)
import numpy as np  # noqa: E402

_, values = circle()
ds = TrignoDS(values.astype(np.float32), a.seq_len)
n_train = len(ds) - int(len(ds) * 0.2)
torch.manual_seed(0)
model = RNN(2, a.hidden, 2)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
per_epoch = n_train // a.batch_size


def batches():
    epoch = 0
    while True:
        epoch += 1
        order = epoch_order(n_train, True, 0, epoch)[: per_epoch * a.batch_size]
        if a.mode == "faithful":
            yield from DataLoader(ds, batch_size=a.batch_size, sampler=order.tolist())
        else:
            for b in range(per_epoch):
                idx = order[b * a.batch_size:(b + 1) * a.batch_size]
                yield ds.X[idx], ds.Y[idx]




def loss_of(inputs, targets):
    return criterion(unroll(model, inputs, a.hidden)[-1], targets)


optimizer_step = optimizer.step
if a.mode == "compile":
    loss_of = torch.compile(loss_of)
    @torch.compile(fullgraph=False)
    def optimizer_step():  # as PyTorch's "compiling the optimizer" recipe wraps it
        optimizer.step()

start = None
first = last = None
for k, (inputs, targets) in enumerate(batches()):
    if k == a.warmup:
        start = time.perf_counter()
    if k == a.warmup + a.steps:
        break
    loss = loss_of(inputs, targets)
    optimizer.zero_grad(set_to_none=a.mode != "compile")  # compiled: keep the grads, no recompiles
    loss.backward()
    optimizer_step()
    last = loss.item()
    first = last if first is None else first
seconds = time.perf_counter() - start
if not last < first / 2:
    sys.exit(f"bench.py: the loss did not fall (first batch {first:.3e}, last {last:.3e})")
print(json.dumps({"implementation": f"python-{a.mode}", "hidden": a.hidden, "batch": a.batch_size, "seq_len": a.seq_len, "threads": a.threads,
                  "steps": a.steps, "us_per_step": seconds / a.steps * 1e6, "windows_per_s": a.steps * a.batch_size / seconds}))
