//! Property-based fuzzing (proptest: stable Rust has no cargo-fuzz) of the two readers a user
//! can point at anything: the CSV reader and the weights/checkpoint readers. Whatever the bytes,
//! they return Ok or an error; they never panic. Seeds come from tests/corpus; proptest keeps
//! any failing case in proptest-regressions/. Case counts keep CI bounded (a few seconds).

use proptest::prelude::*;
use std::path::{Path, PathBuf};

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
    ]);
    let row = prop::collection::vec(cell, 1..5).prop_map(|c| c.join(","));
    prop::collection::vec(row, 0..12).prop_map(|rows| rows.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn the_csv_reader_never_panics_on_csv_like_text(text in csv_text()) {
        let p = scratch_file("text.csv", text.as_bytes());
        let _ = vanilla_rnn::data::from_csv::read_csv(&p);
    }

    #[test]
    fn the_csv_reader_never_panics_on_mutated_corpus_files(bytes in mutated(corpus("csv"))) {
        let p = scratch_file("mutated.csv", &bytes);
        if let Ok(series) = vanilla_rnn::data::from_csv::read_csv(&p) {
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

fn valid_checkpoint() -> Vec<Vec<u8>> {
    vec![std::fs::read(tiny_run().join("checkpoint.safetensors")).unwrap()]
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
