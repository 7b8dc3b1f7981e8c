"""The command line the per-step benchmarks share with `vanilla-rnn bench` (scripts/studies/bench.py and
scripts/studies/bench_jax.py): the model's size, the threads, how many steps to time after a warm-up.
Imports nothing but argparse, so that every peer's venv can use it."""
import argparse


def parse(description, add_more=None):
    p = argparse.ArgumentParser(description=description)
    if add_more:
        add_more(p)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    return p.parse_args()
