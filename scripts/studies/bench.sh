#!/usr/bin/env bash
# Benchmark: microseconds per training step of the Rust trainer against scripts/reference.py,
# on this machine, in this command, alternating runs (Rust with autograd, Rust with the fast
# step, Python faithful, Python indexing, Rust, ...), timing only the training loop (see
# `vanilla-rnn bench` and scripts/studies/bench.py).
# Prints a markdown table with medians, spreads and ratios (Python / Rust), then a scaling table.
# One-thread runs are pinned to one core (taskset -c 0), so that they compare on a shared machine.
#   scripts/studies/bench.sh [REPEATS]     (default 7; the scaling table takes the median of 3 runs per point)
#   BENCH_ONLY=scaling scripts/studies/bench.sh    (the scaling table alone)
#   BENCH_PEERS=0 scripts/studies/bench.sh         (without the compiled peers below)
#   BENCH_ONLY=peers scripts/studies/bench.sh      (the blog's size, one thread, with the peers, alone)
# At the blog's size, one thread, two compiled peers run in the same alternation: PyTorch's
# torch.compile (scripts/studies/bench.py --mode compile, in the project's venv) and JAX's jax.jit
# (scripts/studies/bench_jax.py, with jax[cpu] installed into its own venv the first time it is asked for).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
build_release
repeats="${1:-7}"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
bin="$VANILLA_RNN"
# hidden batch seq_len rust_steps python_steps
configs=(
  "32 32 4 2000 400"
  "256 128 4 200 100"
  "1024 256 4 20 12"
  "32 32 64 200 60"
)
# The JAX peer's venv, made on first use (only when the benchmark asks for it).
jax_python() {
  local venv="${VANILLA_RNN_JAX_VENV:-$HOME/.cache/vanilla-rnn/venv-jax}"
  if ! "$venv/bin/python" -c "import jax" >/dev/null 2>&1; then
    echo "bench.sh: installing jax[cpu]==0.10.2 into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 && "$venv/bin/python" -m pip install -q --disable-pip-version-check "jax[cpu]==0.10.2" >&2 \
      || { echo "bench.sh: cannot install jax[cpu] (no PyPI?); run with BENCH_PEERS=0" >&2; exit 1; }
  fi
  echo "$venv/bin/python"
}
peers=0
if [[ "${BENCH_PEERS:-1}" != 0 && "${BENCH_ONLY:-}" != scaling ]]; then
  JAX_PYTHON="$(jax_python)"
  peers=1
fi
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
if [[ "${BENCH_ONLY:-}" == peers ]]; then configs=("${configs[0]}"); fi
for threads in 1 2; do
  [[ "${BENCH_ONLY:-}" == scaling ]] && break
  [[ "${BENCH_ONLY:-}" == peers && $threads == 2 ]] && break
  on=()
  [[ $threads == 1 ]] && on=("${pin[@]}")
  for c in "${configs[@]}"; do
    read -r h b s rs ps <<< "$c"
    for ((r = 0; r < repeats; r++)); do
      for backward in autograd fast; do
        "${on[@]}" "$bin" bench --backward "$backward" --lr 1e-3 --seed 0 --hidden "$h" --batch-size "$b" --seq-len "$s" --threads "$threads" --steps "$rs" --warmup $((rs / 10 + 2)) >> "$raw"
      done
      "${on[@]}" "$PYTHON" scripts/studies/bench.py --mode faithful --hidden "$h" --batch-size "$b" --seq-len "$s" --threads "$threads" --steps "$ps" --warmup $((ps / 10 + 2)) >> "$raw"
      "${on[@]}" "$PYTHON" scripts/studies/bench.py --mode indexing --hidden "$h" --batch-size "$b" --seq-len "$s" --threads "$threads" --steps "$ps" --warmup $((ps / 10 + 2)) >> "$raw"
      if [[ $peers == 1 && $threads == 1 && "$h $b $s" == "32 32 4" ]]; then
        "${on[@]}" "$PYTHON" scripts/studies/bench.py --mode compile --hidden "$h" --batch-size "$b" --seq-len "$s" --threads 1 --steps "$ps" --warmup 40 2>/dev/null >> "$raw"
        "${on[@]}" "$JAX_PYTHON" scripts/studies/bench_jax.py --hidden "$h" --batch-size "$b" --seq-len "$s" --threads 1 --steps "$rs" --warmup $((rs / 10 + 2)) >> "$raw"
      fi
    done
    echo "bench.sh: hidden $h batch $b seq_len $s threads $threads done" >&2
  done
done
# Scaling, Rust only, one thread: where the time goes as the model grows.
scaling_points=1
[[ "${BENCH_ONLY:-}" == peers ]] && scaling_points=0
scaling() {
  for ((r = 0; r < 3; r++)); do
    for backward in autograd fast; do
      "${pin[@]}" "$bin" bench --backward "$backward" --lr 1e-3 --seed 0 --hidden "$1" --batch-size "$2" --seq-len "$3" --steps "$4" --warmup 5 --profile | sed 's/^/S /' >> "$raw"
    done
  done
}
if [[ $scaling_points == 1 ]]; then
  for h in 32 64 128 256 512 1024; do scaling "$h" 32 4 $((20000 / h + 20)); done
  for b in 8 32 128 512; do scaling 32 "$b" 4 $((40000 / b + 20)); done
  for s in 4 8 16 32 64; do scaling 32 32 "$s" $((4000 / s + 20)); done
fi
"$PYTHON" - "$raw" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
scaling = collections.defaultdict(list)  # (hidden, batch, seq_len) -> its runs, both backwards
for line in open(sys.argv[1]):
    if line.startswith("S "):
        r = json.loads(line[2:])
        scaling[(r["hidden"], r["batch"], r["seq_len"])].append(r)
        continue
    r = json.loads(line)
    impl = r["implementation"] + ("-" + r["backward"] if "backward" in r else "")
    runs[(r["threads"], r["hidden"], r["batch"], r["seq_len"], impl)].append(r["us_per_step"])
def med(v): return statistics.median(v)
def median_run(rs):  # the run with the median time, so its phases belong to one run
    return sorted(rs, key=lambda r: r["us_per_step"])[len(rs) // 2]
def spread(v): return f"{(max(v) - min(v)) / med(v) * 100:.0f}%"
print("| threads | hidden | batch | seq_len | backward | Rust µs/step | Python faithful µs/step | Python indexing µs/step | faithful / Rust | indexing / Rust | best-run ratios | Rust windows/s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key in sorted({k[:4] for k in runs if not k[4].startswith(("python-compile", "jax"))}) if runs else []:
    faithful, indexing = (runs[key + (i,)] for i in ("python-faithful", "python-indexing"))
    for backward in ("autograd", "fast"):
        rust = runs[key + ("rust-" + backward,)]
        print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {backward} | {med(rust):.0f} (±{spread(rust)}) | {med(faithful):.0f} (±{spread(faithful)}) | "
              f"{med(indexing):.0f} (±{spread(indexing)}) | **{med(faithful) / med(rust):.2f}×** | **{med(indexing) / med(rust):.2f}×** | "
              f"{min(faithful) / min(rust):.2f}×, {min(indexing) / min(rust):.2f}× | {key[2] * 1e6 / med(rust):,.0f} |")
if runs:
    print(f"\nMedians of {len(faithful)} alternating runs each; ±: their spread, (max - min) / median; best-run ratios: fastest Python run / fastest Rust run.\n")
peer_key = (1, 32, 32, 4)
if runs.get(peer_key + ("jax-jit",)):
    print("Side by side at the blog's size (hidden 32, batch 32, seq_len 4), one thread pinned to one core, the same alternation:\n")
    print("| program | µs per step | spread | its time / `vanilla-rnn --backward fast` | its time / `vanilla-rnn` (autograd) |")
    print("|---|---|---|---|---|")
    fast, autograd = med(runs[peer_key + ("rust-fast",)]), med(runs[peer_key + ("rust-autograd",)])
    names = {"jax-jit": "JAX `jax.jit` of the whole step (scripts/studies/bench_jax.py)", "rust-fast": "`vanilla-rnn bench --backward fast`",
             "python-compile": "PyTorch `torch.compile`: loss and `optimizer.step` (bench.py --mode compile)", "rust-autograd": "`vanilla-rnn bench` (autograd)",
             "python-indexing": "eager PyTorch, batches by tensor indexing", "python-faithful": "the blog's `DataLoader` loop"}
    for impl in sorted(names, key=lambda i: med(runs[peer_key + (i,)])):
        v = runs[peer_key + (impl,)]
        print(f"| {names[impl]} | {med(v):.0f} | ±{spread(v)} | {med(v) / fast:.2f} | {med(v) / autograd:.2f} |")
    print()
if scaling:
    print("| hidden | batch | seq_len | autograd µs/step | data | forward | backward | optimizer | fast µs/step | data | forward + backward | optimizer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for rs in scaling.values():
    a = median_run([r for r in rs if r["backward"] == "autograd"])
    m = median_run([r for r in rs if r["backward"] == "fast"])
    d, f, b, o = (a["phases_us"][k] for k in ("data", "forward", "backward", "optimizer"))
    md, mb, mo = (m["phases_us"][k] for k in ("data", "backward", "optimizer"))
    print(f"| {a['hidden']} | {a['batch']} | {a['seq_len']} | {a['us_per_step']:.0f} | {d:.0f} | {f:.0f} | {b:.0f} | {o:.0f} | "
          f"{m['us_per_step']:.0f} | {md:.0f} | {mb:.0f} | {mo:.0f} |")
PY
