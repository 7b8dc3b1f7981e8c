#!/usr/bin/env python3
"""Time the blog's training step in JAX, compiled whole: the loop over time, the MSE of the last
step, `jax.value_and_grad`, and Adam (PyTorch's defaults), as one `jax.jit`. A peer for
`vanilla-rnn bench` and scripts/studies/bench.py, with the same command line and output line.

Same model (h = tanh(W_h [h : x] + b_h), y = tanh(W_y [h : x] + b_y), from zeros), same data
(the circle's windows, the last 20% held out), batches of the shuffled training windows, Adam at
lr 1e-3. Initial weights are drawn like nn.Linear's (uniform within 1/sqrt(fan_in)) from numpy,
not from torch's generator: this peer is timed, not compared bit for bit. It checks that its loss
falls like the reference's (below half the first batch's loss), and exits 1 if not.

Runs in its own venv (scripts/studies/bench.sh installs jax[cpu] there when asked); needs only numpy+jax.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_args  # noqa: E402

a = bench_args.parse(__doc__.splitlines()[0])
if a.threads == 1:  # read when jax starts, so set before it is imported
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

x = np.linspace(0, 100, 1000)
series = np.stack([np.sin(x), np.cos(x)], axis=1).astype(np.float32)
windows = np.stack([series[i:i + a.seq_len] for i in range(len(series) - a.seq_len)])
targets = series[a.seq_len:]
n_train = len(windows) - int(len(windows) * 0.2)
X, Y = windows[:n_train], targets[:n_train]  # batches gathered on the host, handed to the jitted step

rng = np.random.default_rng(0)
H, I = a.hidden, 2


def linear(fan_out):
    bound = 1 / np.sqrt(H + I)
    return (jnp.asarray(rng.uniform(-bound, bound, (fan_out, H + I)).astype(np.float32)),
            jnp.asarray(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)))


params = {"get_ht": linear(H), "get_yt": linear(I)}


def loss_fn(params, inputs, target):
    (wh, bh), (wy, by) = params["get_ht"], params["get_yt"]
    h = jnp.zeros((inputs.shape[0], H), inputs.dtype)
    for t in range(a.seq_len):  # the loop over time, outside the step, unrolled by the trace
        data = jnp.concatenate([h, inputs[:, t]], axis=1)
        y = jnp.tanh(data @ wy.T + by)
        h = jnp.tanh(data @ wh.T + bh)
    return jnp.mean((y - target) ** 2)


def adam(params, grads, m, v, step, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    step = step + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    c1, c2 = 1 - b1 ** step, 1 - b2 ** step
    params = jax.tree.map(lambda p, m, v: p - lr / c1 * m / (jnp.sqrt(v) / jnp.sqrt(c2) + eps), params, m, v)
    return params, m, v, step


@jax.jit
def train_step(params, m, v, step, epoch_x, epoch_y, b):
    # the batch sliced inside the compiled step from the epoch's windows (put on the device once
    # per epoch), as vanilla-rnn slices each batch from its once-gathered epoch
    inputs = jax.lax.dynamic_slice_in_dim(epoch_x, b * a.batch_size, a.batch_size)
    target = jax.lax.dynamic_slice_in_dim(epoch_y, b * a.batch_size, a.batch_size)
    loss, grads = jax.value_and_grad(loss_fn)(params, inputs, target)
    params, m, v, step = adam(params, grads, m, v, step)
    return params, m, v, step, loss


m = jax.tree.map(jnp.zeros_like, params)
v = jax.tree.map(jnp.zeros_like, params)
step = jnp.zeros((), jnp.float32)
per_epoch = n_train // a.batch_size


def batches():
    epoch = 0
    while True:
        epoch += 1
        order = np.random.default_rng(epoch).permutation(n_train)
        epoch_x, epoch_y = jnp.asarray(X[order]), jnp.asarray(Y[order])
        for b in range(per_epoch):
            yield epoch_x, epoch_y, b


first = last = None
start = None
for k, (epoch_x, epoch_y, b) in enumerate(batches()):
    if k == a.warmup:
        jax.block_until_ready(params)
        start = time.perf_counter()
    if k == a.warmup + a.steps:
        break
    params, m, v, step, loss = train_step(params, m, v, step, epoch_x, epoch_y, b)
    loss = float(loss)  # as the others read their loss every step
    first = loss if first is None else first
    last = loss
seconds = time.perf_counter() - start
if not last < first / 2:
    sys.exit(f"bench_jax.py: the loss did not fall like the reference's: first batch {first:.3e}, last {last:.3e}")
print(json.dumps({"implementation": "jax-jit", "hidden": a.hidden, "batch": a.batch_size, "seq_len": a.seq_len, "threads": a.threads,
                  "steps": a.steps, "us_per_step": seconds / a.steps * 1e6, "windows_per_s": a.steps * a.batch_size / seconds,
                  "first_loss": first, "last_loss": last, "jax": jax.__version__}))
