//! Property-based fuzzing (proptest: stable Rust has no cargo-fuzz) of the readers a user can
//! point at anything: the CSV reader, the weights reader, and the checkpoint reader with the
//! resume behind it. Whatever the bytes, they return Ok or an error; they never panic. The
//! seeds are the files in tests/corpus (csv/, weights/, and the checkpoint of run-v0.1/).
//!
//! Replay: the random stream is fixed (`FUZZ_SEED` below), so a failure recurs on every run
//! until fixed; `PROPTEST_RNG_SEED=N cargo test --release --test fuzz` explores another stream,
//! and proptest also keeps each failing case it finds in proptest-regressions/ and tries it
//! first. Case counts keep CI bounded (a few seconds).

mod common;

use common::{read_raw, write_raw, RawTensor};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::{Path, PathBuf};
use vanilla_rnn::data::{circle, Missing, Reading, ScalingRule, Split, Windows};
use vanilla_rnn::fast::BackwardArg;
use vanilla_rnn::files::checkpoint::Checkpoint;
use vanilla_rnn::train::{Laps, Trainer};

/// The random stream of every property here, unless PROPTEST_RNG_SEED names another.
const FUZZ_SEED: u64 = 20261129;

fn config(cases: u32) -> ProptestConfig {
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(FUZZ_SEED);
    ProptestConfig { cases, rng_seed: RngSeed::Fixed(seed), ..ProptestConfig::default() }
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A corpus file with a few bytes overwritten, some cut off or appended.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        0..seeds.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(move |(i, flips, cut, tail)| {
            let mut b = seeds[i].clone();
            for (at, v) in flips {
                if !b.is_empty() {
                    let k = at.index(b.len());
                    b[k] = v;
                }
            }
            if !b.is_empty() {
                b.truncate(cut.index(b.len() + 1));
            }
            b.extend(tail);
            b
        })
}

/// CSV-shaped text from tricky cells.
fn csv_text() -> impl Strategy<Value = String> {
    let cell = prop::sample::select(vec![
        "1", "-0", "0.5", "1e400", "-1e-400", "nan", "inf", "\"2\"", "", "abc", " 3 ", "\u{feff}", "\"a,b\"", "\"", "1_0", "0x10", "٣",
        "NA", "2020-01", ";", "\t",
    ]);
    let row = prop::collection::vec(cell, 1..5).prop_map(|c| c.join(","));
    prop::collection::vec(row, 0..12).prop_map(|rows| rows.join("\n"))
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn the_csv_reader_never_panics_on_csv_like_text(text in csv_text()) {
        let p = scratch_file("text.csv", text.as_bytes());
        for missing in [Missing::Error, Missing::Interpolate, Missing::Skip] {
            let reading = Reading { missing, ..Reading::default() };
            if let Ok(series) = vanilla_rnn::data::from_csv::read_csv(&p, &reading) {
                // gaps are NaN only when kept for the windows to skip
                prop_assert!(series.rows.iter().flatten().all(|v| v.is_finite() || (v.is_nan() && missing == Missing::Skip)));
                let _ = Windows::new(series, ScalingRule::Fit { bound: 0.8, transform: vanilla_rnn::data::Transform::None }, 2, Split { test_fraction: 0.2, val_fraction: 0.0 });
            }
        }
    }

    #[test]
    fn the_csv_reader_never_panics_on_mutated_corpus_files(bytes in mutated(corpus("csv"))) {
        let p = scratch_file("mutated.csv", &bytes);
        if let Ok(series) = vanilla_rnn::data::from_csv::read_csv(&p, &Reading::default()) {
            prop_assert!(series.rows.iter().flatten().all(|v| v.is_finite()));
            prop_assert!(series.rows.iter().all(|r| r.len() == series.names.len()));
        }
    }

    #[test]
    fn the_safetensors_reader_never_panics_on_mutated_weights(bytes in mutated(valid_weights())) {
        let p = scratch_file("w.safetensors", &bytes);
        if let Ok(params) = vanilla_rnn::files::weights::read_params(&p) {
            let _ = vanilla_rnn::files::weights::sizes_of(&p, &params);
        }
    }

    #[test]
    fn the_checkpoint_reader_never_panics_on_mutated_checkpoints(bytes in mutated(valid_checkpoint())) {
        let p = scratch_file("checkpoint.safetensors", &bytes);
        let _ = vanilla_rnn::files::checkpoint::Checkpoint::load(&p);
    }

    #[test]
    fn the_safetensors_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let p = scratch_file("any.safetensors", &bytes);
        let _ = vanilla_rnn::files::weights::read_params(&p);
    }
}

/// The weights corpus plus one valid file (made by a tiny run) to mutate.
fn valid_weights() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = corpus("weights").into_iter().filter(|b| !b.is_empty()).collect();
    seeds.push(std::fs::read(tiny_run().join("weights.safetensors")).unwrap());
    seeds
}

/// The corpus checkpoint (run-v0.1: hidden 4, stopped in epoch 2 of 2) and a fresh one.
fn valid_checkpoint() -> Vec<Vec<u8>> {
    vec![std::fs::read(corpus_checkpoint()).unwrap(), std::fs::read(tiny_run().join("checkpoint.safetensors")).unwrap()]
}

fn corpus_checkpoint() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/run-v0.1/checkpoint.safetensors")
}

/// One change to a well-formed checkpoint: the file stays valid safetensors, its insides wrong.
#[derive(Debug, Clone)]
enum Edit {
    /// Tensor `0` gets this shape (its data cut or padded with zeros to fit).
    Shape(prop::sample::Index, Vec<usize>),
    /// Tensor `0` gets this dtype (its data reinterpreted, cut or padded).
    Dtype(prop::sample::Index, safetensors::Dtype),
    /// Every float32 element of tensor `0` set to this value.
    Fill(prop::sample::Index, f32),
    /// Tensor `0` removed.
    Drop(prop::sample::Index),
    /// Metadata key set to this text.
    Meta(&'static str, String),
    /// A setting (a field of the settings JSON) set to this JSON value.
    Setting(&'static str, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    use safetensors::Dtype;
    let index = any::<prop::sample::Index>();
    let shape = prop::collection::vec(prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 6, 7]), 0..3);
    let dtype = prop::sample::select(vec![Dtype::F64, Dtype::I64, Dtype::F16, Dtype::U8, Dtype::I32]);
    let value = prop::sample::select(vec![f32::NAN, f32::INFINITY, -1.0, 0.0, 1e30, -0.0, 3.0]);
    let meta_key = prop::sample::select(vec!["epoch", "batch", "epoch_loss_bits", "elapsed_bits", "format", "series"]);
    let meta_value =
        prop::sample::select(vec!["0", "1", "2", "10", "50", "51", "99", "-1", "18446744073709551615", "x", ""]).prop_map(String::from);
    let field = prop::sample::select(vec![
        "hidden",
        "seq_len",
        "batch_size",
        "epochs",
        "lr",
        "test_fraction",
        "threads",
        "loss",
        "activation",
        "device",
        "clip_grad_norm",
        "seed",
    ]);
    let json = prop::sample::select(vec![
        "0", "-3", "1", "3", "5", "1e300", "0.5", "2", "null", "\"all\"", "\"relu\"", "\"cuda\"", "\"x\"", "100001",
    ])
    .prop_map(String::from);
    prop_oneof![
        (index.clone(), shape).prop_map(|(i, s)| Edit::Shape(i, s)),
        (index.clone(), dtype).prop_map(|(i, d)| Edit::Dtype(i, d)),
        (index.clone(), value).prop_map(|(i, v)| Edit::Fill(i, v)),
        index.prop_map(Edit::Drop),
        (meta_key, meta_value).prop_map(|(k, v)| Edit::Meta(k, v)),
        (field, json).prop_map(|(f, j)| Edit::Setting(f, j)),
    ]
}

fn apply(edit: &Edit, tensors: &mut std::collections::BTreeMap<String, RawTensor>, meta: &mut std::collections::HashMap<String, String>) {
    let name = |i: &prop::sample::Index, t: &std::collections::BTreeMap<String, RawTensor>| t.keys().nth(i.index(t.len())).unwrap().clone();
    let size = |d: safetensors::Dtype| d.size();
    match edit {
        Edit::Shape(i, shape) => {
            let t = tensors.get_mut(&name(i, tensors)).unwrap();
            t.data.resize(shape.iter().product::<usize>() * size(t.dtype), 0);
            t.shape = shape.clone();
        }
        Edit::Dtype(i, dtype) => {
            let t = tensors.get_mut(&name(i, tensors)).unwrap();
            t.data.resize(t.shape.iter().product::<usize>() * size(*dtype), 0);
            t.dtype = *dtype;
        }
        Edit::Fill(i, v) => {
            let t = tensors.get_mut(&name(i, tensors)).unwrap();
            if t.dtype == safetensors::Dtype::F32 {
                t.data = v.to_le_bytes().repeat(t.data.len() / 4);
            }
        }
        Edit::Drop(i) => {
            tensors.remove(&name(i, tensors));
        }
        Edit::Meta(k, v) => {
            meta.insert(k.to_string(), v.clone());
        }
        Edit::Setting(field, json) => {
            let mut settings: serde_json::Value = serde_json::from_str(&meta["settings"]).unwrap();
            settings[*field] = serde_json::from_str(json).unwrap();
            meta.insert("settings".into(), settings.to_string());
        }
    }
}

/// What `train --resume` does with a checkpoint, in process: read it, rebuild the trainer on
/// the built-in series, and take one step. Any of these may refuse; none may panic.
fn resume_one_step(path: &Path) {
    let Ok(ck) = Checkpoint::load(path) else { return };
    let Ok(windows) = Windows::new(circle(), ScalingRule::Unscaled, ck.settings.seq_len as usize, ck.settings.split()) else {
        return;
    };
    let Ok(mut t) = Trainer::resume(&ck.settings, &windows, ck.state, BackwardArg::Autograd) else { return };
    let batch = t.batches(t.position.epoch + 1).iter().next().expect("a batch");
    let _ = t.step(&batch, &mut Laps::off());
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn checkpoints_with_wrong_insides_are_refused_or_resume_but_never_panic(edits in prop::collection::vec(edit(), 1..4)) {
        let (mut tensors, mut meta) = read_raw(&corpus_checkpoint());
        for e in &edits {
            if !tensors.is_empty() {
                apply(e, &mut tensors, &mut meta);
            }
        }
        let p = scratch_file("edited.safetensors", &[]);
        write_raw(&p, &tensors, &meta);
        resume_one_step(&p);
    }
}

#[test]
fn the_corpus_checkpoint_resumes_and_steps_unedited() {
    // Guards the property above: the seed itself gets all the way to a step.
    let ck = Checkpoint::load(&corpus_checkpoint()).unwrap();
    let windows = Windows::new(circle(), ScalingRule::Unscaled, ck.settings.seq_len as usize, ck.settings.split()).unwrap();
    let mut t = Trainer::resume(&ck.settings, &windows, ck.state, BackwardArg::Autograd).unwrap();
    let batch = t.batches(t.position.epoch + 1).iter().next().unwrap();
    assert!(matches!(t.step(&batch, &mut Laps::off()).unwrap(), vanilla_rnn::train::StepOutcome::Loss(_)));
}

fn tiny_run() -> PathBuf {
    static RUN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-run-{}", std::process::id()));
        let ok = std::process::Command::new(env!("CARGO_BIN_EXE_vanilla-rnn"))
            .args(["train", "--quiet", "--epochs", "1", "--hidden", "3", "--out", out.to_str().unwrap()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        out
    })
    .clone()
}
