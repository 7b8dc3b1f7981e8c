"""Replays the optimizer case written by tests/pytorch.rs with torch.optim.Adam and
torch.nn.utils.clip_grad_norm_, and exits 0 iff every result is bitwise what Rust computed.

usage: check_optim.py CASE.safetensors   (tensors p{i}, g{s}_{i}; results rust_p{i}, rust_m{i}, rust_v{i}, rust_clip{i})
"""
import sys

import torch
from safetensors.torch import load_file

t = load_file(sys.argv[1])
n = sum(1 for k in t if k.startswith("p"))
steps = sum(1 for k in t if k.startswith("g") and k.endswith("_0"))
lr, max_norm = t["lr"].item(), t["max_norm"].item()
params = [torch.nn.Parameter(t[f"p{i}"].clone()) for i in range(n)]
opt = torch.optim.Adam(params, lr=lr)
for s in range(steps):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = t[f"g{s}_{i}"].clone()
    opt.step()
bad = []


def same(a, b):
    return a.shape == b.shape and torch.equal(a.contiguous().view(torch.int32), b.contiguous().view(torch.int32))


for i, p in enumerate(params):
    st = opt.state[p]
    for name, want in [("p", p.detach()), ("m", st["exp_avg"]), ("v", st["exp_avg_sq"])]:
        if not same(t[f"rust_{name}{i}"], want):
            bad.append(f"{name}{i} {tuple(want.shape)} max abs diff {(t[f'rust_{name}{i}'] - want).abs().max().item():.3e}")
    if not same(t["rust_step"], st["step"].reshape(1)):
        bad.append(f"step {t['rust_step']} vs {st['step']}")

# clip_grad_norm_ on the last step's gradients
grads = [torch.nn.Parameter(torch.zeros_like(t[f"p{i}"])) for i in range(n)]
for i, p in enumerate(grads):
    p.grad = t[f"g{steps - 1}_{i}"].clone()
total = torch.nn.utils.clip_grad_norm_(grads, max_norm)
if not same(t["rust_total_norm"], total.reshape(1)):
    bad.append(f"total norm {t['rust_total_norm'].item()} vs {total.item()}")
for i, p in enumerate(grads):
    if not same(t[f"rust_clip{i}"], p.grad):
        bad.append(f"clipped grad {i}")
for b in bad:
    print(b)
print(f"{n} tensors, {steps} Adam steps, clip at {max_norm}: {'bitwise identical' if not bad else str(len(bad)) + ' differences'}")
sys.exit(1 if bad else 0)
