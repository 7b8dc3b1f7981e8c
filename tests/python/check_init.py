"""Exit 0 iff WEIGHTS (safetensors) is bitwise what torch.manual_seed(SEED) + the blog's RNN gives.

usage: check_init.py WEIGHTS SEED HIDDEN FEATURES
"""
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from reference import RNN  # noqa: E402

path, seed, hidden, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(seed)
model = RNN(features, hidden, features)
ours = load_file(path)
bad = 0
for name, want in model.state_dict().items():
    got = ours[name]
    if got.shape != want.shape or not torch.equal(got.view(torch.int32), want.view(torch.int32)):
        bad += 1
        print(f"{name}: differs from PyTorch's init (max abs diff {(got - want).abs().max().item() if got.shape == want.shape else 'shape'})")
sys.exit(1 if bad else 0)
