//! Promises about runs that go wrong: stopped, killed, diverging, or fed hostile files.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::time::Duration;
use vanilla_rnn::files::checkpoint::Checkpoint;

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// metrics.csv without its wall-clock `seconds` column, which no two runs share.
fn metrics_without_seconds(dir: &Path) -> Vec<String> {
    String::from_utf8(read(&dir.join("metrics.csv"))).unwrap().lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect()
}

fn assert_same_run(a: &Path, b: &Path) {
    assert_eq!(metrics_without_seconds(a), metrics_without_seconds(b), "metrics.csv");
    for f in ["weights.safetensors", "steps.csv", "predictions.csv"] {
        assert!(read(&a.join(f)) == read(&b.join(f)), "{f} differs between {} and {}", a.display(), b.display());
    }
}

fn unstopped(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join("unstopped");
    let mut a = vec!["train", "--quiet", "--out", s(&out)];
    a.extend_from_slice(args);
    assert_eq!(run(&a).code, 0);
    out
}

#[test]
fn a_run_stopped_mid_epoch_and_resumed_is_bitwise_the_unstopped_run() {
    let dir = scratch("resume-mid");
    let whole = unstopped(&dir, &["--epochs", "6"]);
    let out = dir.join("stopped");
    // 50 batches an epoch: step 130 is in the middle of epoch 3, with shuffling on.
    let r = run(&["train", "--quiet", "--epochs", "6", "--out", s(&out), "--stop-after-steps", "130"]);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("--resume {}", out.display())), "says how to resume: {}", r.stderr);
    let ck = Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    assert_eq!((ck.state.position.epoch, ck.state.position.batch, ck.state.steps.len()), (2, 30, 130));
    let r = run(&["train", "--quiet", "--resume", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_same_run(&whole, &out);
}

#[test]
fn a_run_with_validation_stopped_and_resumed_is_bitwise_the_unstopped_run() {
    let dir = scratch("resume-val");
    let rest = ["--lr", "0.05", "--val-fraction", "0.2", "--patience", "2"];
    let args = [&["--epochs", "30"][..], &rest[..]].concat();
    let whole = unstopped(&dir, &args);
    let out = dir.join("stopped");
    let r = run(&[&["train", "--quiet", "--out", s(&out), "--stop-after-steps", "150"][..], &args[..]].concat());
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap().state.best.is_some(), "the best epoch's weights are saved");
    assert_eq!(run(&["train", "--quiet", "--resume", s(&out)]).code, 0);
    assert_same_run(&whole, &out);
    let config = |d: &Path| std::fs::read_to_string(d.join("config.json")).unwrap();
    assert!(config(&out).contains("\"kept_epoch\": 5"), "{}", config(&out));
    // the kept weights are those a run of 5 epochs ends with
    let five = dir.join("five");
    assert_eq!(run(&[&["train", "--quiet", "--out", s(&five), "--epochs", "5"][..], &rest[..]].concat()).code, 0);
    assert_eq!(read(&five.join("weights.safetensors")), read(&out.join("weights.safetensors")));
}

#[test]
fn a_run_may_resume_with_the_other_backward_and_stays_bitwise_the_same() {
    let dir = scratch("resume-backward");
    let whole = unstopped(&dir, &["--epochs", "3"]);
    for (start, then) in [("autograd", "fast"), ("fast", "autograd")] {
        let out = dir.join(format!("{start}-then-{then}"));
        let r = run(&["train", "--quiet", "--epochs", "3", "--backward", start, "--out", s(&out), "--stop-after-steps", "70"]);
        assert_eq!(r.code, 130, "{}", r.stderr);
        let r = run(&["train", "--resume", s(&out), "--backward", then]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stderr.contains("fast step is not used"), "{}", r.stderr);
        assert_same_run(&whole, &out);
    }
}

#[test]
fn a_run_stopped_at_an_epoch_boundary_and_resumed_is_bitwise_the_unstopped_run() {
    let dir = scratch("resume-boundary");
    let whole = unstopped(&dir, &["--epochs", "5"]);
    let a = dir.join("by-steps");
    assert_eq!(run(&["train", "--quiet", "--epochs", "5", "--out", s(&a), "--stop-after-steps", "100"]).code, 130);
    let ck = Checkpoint::load(&a.join("checkpoint.safetensors")).unwrap();
    assert_eq!(
        (ck.state.position.epoch, ck.state.position.batch),
        (1, 50),
        "stopped after the last batch of epoch 2, before its test loss"
    );
    assert_eq!(run(&["train", "--quiet", "--resume", s(&a)]).code, 0);
    assert_same_run(&whole, &a);
    // A finished shorter run, extended with --epochs.
    let b = dir.join("extended");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--out", s(&b)]).code, 0);
    assert_eq!(run(&["train", "--quiet", "--resume", s(&b), "--epochs", "5"]).code, 0);
    assert_same_run(&whole, &b);
}

#[test]
fn a_run_directory_written_before_the_redesign_still_resumes_predicts_and_plots() {
    // tests/corpus/run-v0.1: `train --hidden 4 --epochs 2 --stop-after-steps 30` by vanilla-rnn
    // at commit 49508ad, whose config.json and checkpoint settings still hold the controls.
    let dir = scratch("resume-v0.1");
    let out = dir.join("run");
    std::fs::create_dir_all(&out).unwrap();
    for f in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/run-v0.1")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), out.join(f.file_name())).unwrap();
    }
    let r = run(&["train", "--quiet", "--resume", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // It goes on from its checkpoint: its 30 steps kept as they were, 70 more to the end of
    // epoch 2. (Not compared with an unstopped run here: MKL picks its sgemm kernel by CPU, and
    // on some machines the corpus's steps differ by an ulp from step 5 from what this code and
    // PyTorch compute there; seen on an AMD EPYC, 2026-12-01.)
    let steps = String::from_utf8(read(&out.join("steps.csv"))).unwrap();
    let corpus = String::from_utf8(read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/run-v0.1/steps.csv"))).unwrap();
    // (as numbers: the corpus wrote them as 4.8895418643951416e-1, this version as 0.48895418643951416)
    let numbers =
        |text: &str| -> Vec<Vec<f64>> { text.lines().skip(1).map(|l| l.split(',').map(|c| c.parse::<f64>().unwrap()).collect()).collect() };
    assert_eq!(numbers(&steps)[..30], numbers(&corpus)[..], "the saved steps are kept");
    assert_eq!(steps.lines().count(), 101, "a header and 2 epochs of 50 steps");
    assert_eq!(metrics_without_seconds(&out).len(), 3, "a header and 2 epochs");
    let r = run(&["predict", "--weights", s(&out.join("weights.safetensors"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 997, "a header and 996 windows");
    assert_eq!(run(&["plot", s(&out)]).code, 0);
}

#[test]
fn resume_refuses_flags_that_contradict_the_run() {
    let dir = scratch("resume-flags");
    let out = dir.join("run");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--out", s(&out)]).code, 0);
    assert_clean_error(
        &run(&["train", "--resume", s(&out), "--lr", "0.1"]),
        1,
        "--lr 0.1 contradicts the run being resumed, which was started with --lr 0.003",
    );
    assert_clean_error(&run(&["train", "--resume", s(&out), "--no-shuffle"]), 1, "--no-shuffle");
    assert_clean_error(&run(&["train", "--resume", s(&out), "--epochs", "1"]), 1, "fewer than the 2 epochs");
    assert_clean_error(&run(&["train", "--resume", s(&dir.join("nowhere"))]), 1, "checkpoint");
    assert!(!dir.join("nowhere").exists(), "a failed resume creates nothing");
    // Restating a setting it was started with is fine.
    assert_eq!(run(&["train", "--quiet", "--resume", s(&out), "--lr", "0.003", "--epochs", "3"]).code, 0);
}

#[test]
fn resume_refuses_a_series_that_changed_since_the_run_began() {
    let dir = scratch("resume-data");
    let csv = dir.join("series.csv");
    let series = |k: f64| write_series(&csv, "a,b", 60, |i| format!("{},{}", (i as f64 * k).sin(), i));
    series(0.3);
    let out = dir.join("run");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--data", s(&csv), "--out", s(&out)]).code, 0);
    series(0.31);
    assert_clean_error(&run(&["train", "--resume", s(&out), "--epochs", "3"]), 1, "is not the one this run was trained on");
    series(0.3);
    assert_eq!(run(&["train", "--quiet", "--resume", s(&out), "--epochs", "3"]).code, 0);
}

/// Waits for a real sign of training: the run's first epoch line on stderr (a pipe, so plain
/// lines: the run must not be --quiet). Keeps reading the rest; the handle gives back the whole
/// of stderr once the run has ended.
fn wait_for_training(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.starts_with("epoch "), "expected the first epoch's line, got {first:?}");
    std::thread::spawn(move || lines.map_while(Result::ok).fold(first + "\n", |all, l| all + &l + "\n"))
}

/// The run's exit code and its whole stderr.
fn finish(mut child: Child, stderr: std::thread::JoinHandle<String>) -> (i32, String) {
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, stderr.join().unwrap())
}

#[test]
fn ctrl_c_saves_a_checkpoint_exits_130_and_the_run_resumes_bitwise() {
    let dir = scratch("sigint");
    let args = ["--epochs", "300", "--checkpoint-every", "1000"];
    let out = dir.join("stopped");
    let mut child = spawn(&[&["train", "--out", s(&out)][..], &args[..]].concat());
    let stderr = wait_for_training(&mut child);
    signal(&child, "-INT");
    let (code, stderr) = finish(child, stderr);
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C") && stderr.contains("--resume"), "{stderr}");
    let ck = Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    assert!(ck.state.position.epoch < 300);
    assert_eq!(metrics_without_seconds(&out).len(), ck.state.position.epoch + 1, "metrics.csv holds the epochs done");
    assert_eq!(run(&["train", "--quiet", "--resume", s(&out)]).code, 0);
    let mut a = vec!["train", "--quiet", "--out"];
    let whole = dir.join("whole");
    a.push(s(&whole));
    a.extend(args);
    assert_eq!(run(&a).code, 0);
    assert_same_run(&whole, &out);
}

#[test]
fn sigterm_saves_and_exits_143() {
    let dir = scratch("sigterm");
    let out = dir.join("run");
    let mut child = spawn(&["train", "--epochs", "400", "--out", s(&out)]);
    let stderr = wait_for_training(&mut child);
    signal(&child, "-TERM");
    let (code, stderr) = finish(child, stderr);
    assert_eq!(code, 143, "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
}

#[test]
fn a_second_ctrl_c_exits_at_once_without_saving_or_tearing_a_file() {
    let dir = scratch("double-sigint");
    let out = dir.join("run");
    // hidden 2048: each save writes ~85 MB, long enough for a second signal to land inside it
    let mut child = spawn(&["train", "--epochs", "400", "--hidden", "2048", "--out", s(&out)]);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    assert!(lines.next().is_some_and(|l| l.starts_with("epoch ")), "training began");
    signal(&child, "-INT");
    let saving = lines.next().unwrap_or_default();
    assert!(saving.starts_with("Ctrl-C: stopping and saving"), "{saving}");
    signal(&child, "-INT");
    let rest: Vec<String> = lines.collect();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{rest:?}");
    assert!(rest.iter().all(|l| !l.contains("stopped by Ctrl-C")), "the second Ctrl-C let the first one's save finish: {rest:?}");
    for f in ["checkpoint.safetensors", "weights.safetensors"] {
        let p = out.join(f);
        if p.exists() {
            let whole = if f.starts_with("checkpoint") {
                Checkpoint::load(&p).is_ok()
            } else {
                vanilla_rnn::files::weights::read_params(&p).is_ok()
            };
            assert!(whole, "{f} is whole");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_at_random_moments_never_tears_the_checkpoint_and_resuming_ends_bitwise_equal() {
    let dir = scratch("sigkill");
    let args = ["--epochs", "150", "--checkpoint-every", "1"];
    let whole = dir.join("whole");
    assert_eq!(run(&[&["train", "--quiet", "--out", s(&whole)][..], &args[..]].concat()).code, 0);
    let out = dir.join("killed");
    let ck_path = out.join("checkpoint.safetensors");
    let mut seed: u64 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("kill-time seed {seed}");
    // Resume when a checkpoint made it to disk, else start over.
    let start_or_resume = || -> Vec<&str> {
        let mut a = vec!["train", "--quiet"];
        if ck_path.exists() {
            a.extend(["--resume", s(&out)]);
        } else {
            a.extend(["--out", s(&out)]);
            a.extend(args);
        }
        a
    };
    let mut kills = 0;
    for _ in 0..6 {
        let mut child = spawn(&start_or_resume());
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(300 + (seed >> 33) % 700));
        if child.try_wait().unwrap().is_some() {
            break; // it finished first
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        if ck_path.exists() {
            Checkpoint::load(&ck_path).expect("after SIGKILL the checkpoint is the old one or the new one, never torn");
        }
    }
    assert!(kills > 0, "the runs were too fast to be killed");
    assert_eq!(run(&start_or_resume()).code, 0);
    assert_same_run(&whole, &out);
    let leftovers: Vec<_> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n.to_string_lossy().starts_with('.')).collect();
    assert!(leftovers.is_empty(), "temporary files of killed runs are cleaned up: {leftovers:?}");
}

#[test]
fn divergence_stops_with_the_last_good_weights_and_exit_1() {
    let dir = scratch("diverge");
    for backward in ["autograd", "fast"] {
        diverges_cleanly(&dir.join(backward), backward);
    }
}

#[test]
fn a_step_that_would_make_the_weights_non_finite_is_not_taken_and_the_last_finite_weights_are_kept() {
    let dir = scratch("diverge-adam");
    let start = dir.join("start");
    assert_eq!(run(&["train", "--quiet", "--epochs", "0", "--out", s(&start)]).code, 0);
    for backward in ["autograd", "fast"] {
        // lr 1e38: Adam's step size overflows float32, the first step would make the weights infinite
        let out = dir.join(backward);
        let r = run(&["train", "--quiet", "--lr", "1e38", "--backward", backward, "--out", s(&out)]);
        assert_clean_error(&r, 1, "training diverged at epoch 1, step 1 (Adam's step would make a weight non-finite)");
        assert_eq!(read(&out.join("weights.safetensors")), read(&start.join("weights.safetensors")), "the initial weights are kept");
        let ck = Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
        assert_eq!(ck.state.steps.len(), 0);
        for adam in &ck.state.adam {
            let zero = |t: &tch::Tensor| t.count_nonzero(None::<i64>).int64_value(&[]) == 0;
            assert!(
                adam.step == 0.0 && zero(&adam.exp_avg) && zero(&adam.exp_avg_sq),
                "Adam's state is the one from before the refused step"
            );
        }
    }
}

fn diverges_cleanly(out: &Path, backward: &str) {
    // relu lets the hidden state grow without bound: at lr 1e3 the second step overflows.
    let r = run(&["train", "--quiet", "--lr", "1e3", "--activation", "relu", "--seq-len", "16", "--backward", backward, "--out", s(out)]);
    assert_clean_error(&r, 1, "training diverged at epoch 1, step 2 (the loss is NaN)");
    let params = vanilla_rnn::files::weights::read_params(&out.join("weights.safetensors")).unwrap();
    for (name, t) in params {
        assert!(bool::try_from(t.isfinite().all()).unwrap(), "{name} holds non-finite values");
    }
    let ck = Checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    assert_eq!(ck.state.steps.len(), 1, "only the good step is recorded");
    let steps = String::from_utf8(read(&out.join("steps.csv"))).unwrap();
    assert_eq!(steps.lines().count(), 2, "header and the one good step: {steps}");
    assert!(!steps.to_lowercase().contains("nan"));
    assert!(!out.join("predictions.csv").exists(), "nothing after the bad step is written as if it were good");
}

// ---- hostile files ----

fn expect_csv_error(dir: &Path, name: &str, bytes: &[u8], needle: &str) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    assert_clean_error(&run(&["train", "--quiet", "--out", s(&dir.join("out")), "--data", s(&p)]), 1, needle);
}

#[test]
fn hostile_csv_files_get_a_clear_error() {
    let dir = scratch("hostile-csv");
    let wide: String = (0..100_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",") + "\n" + &vec!["1"; 100_000].join(",") + "\n";
    expect_csv_error(&dir, "wide.csv", wide.as_bytes(), "not longer than --seq-len 4");
    let mut long = vec![b'7'; 100 << 20];
    long.splice(0..0, b"a\n".iter().copied());
    long.push(b'\n');
    expect_csv_error(&dir, "long-line.csv", &long, "is not finite");
    let mut long_header = vec![b'h'; 100 << 20];
    long_header.extend_from_slice(b"\n1\n");
    expect_csv_error(&dir, "long-header.csv", &long_header, "not longer than --seq-len");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    expect_csv_error(&dir, "garbage.bin", &garbage, "error");
    // Every corpus file, with what it must give: read as meant (0), or this one line (1).
    let expected = [
        ("bom.csv", 0, ""),
        ("empty.csv", 1, "the file is empty"),
        ("garbage.csv", 1, "header column 1 is empty or not UTF-8 text"),
        ("header-only.csv", 1, "has a header but no data rows"),
        ("minus-zero.csv", 0, ""),
        ("nan.csv", 1, "row 2, column 1 (a): missing value (--missing interpolate"),
        ("overflow.csv", 1, "row 2, column 1 (a): 1e400 is not finite"),
        ("quoted.csv", 0, ""),
        ("ragged.csv", 1, "row 3 has 1 fields where the header has 2 (ragged CSV, or another delimiter"),
        ("utf16.csv", 1, "header column 1 is empty or not UTF-8 text"),
    ];
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/csv");
    let mut files: Vec<String> =
        std::fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files, expected.map(|e| e.0.to_string()).to_vec(), "every corpus file has its expected outcome here");
    for (name, code, needle) in expected {
        // (a window of one row, a quarter held out: the corpus' files are a few rows long)
        let short = ["--seq-len", "1", "--test-fraction", "0.25"];
        let r =
            run(&[&["train", "--quiet", "--epochs", "1", "--out", s(&dir.join("out")), "--data", s(&corpus.join(name))][..], &short]
                .concat());
        match code {
            0 => assert_eq!(r.code, 0, "{name}: {}", r.stderr),
            _ => assert_clean_error(&r, code, needle),
        }
    }
}

#[test]
fn weights_with_the_right_names_and_the_wrong_dtype_are_refused() {
    let dir = scratch("wrong-dtype");
    let names = vanilla_rnn::model::PARAM_NAMES;
    let shapes: [&[i64]; 4] = [&[32, 34], &[32], &[2, 34], &[2]];
    let tensors: Vec<(&str, tch::Tensor)> =
        names.iter().zip(shapes).map(|(n, s)| (*n, tch::Tensor::zeros(s, (tch::Kind::Double, tch::Device::Cpu)))).collect();
    let st = dir.join("f64.safetensors");
    tch::Tensor::write_safetensors(&tensors, &st).unwrap();
    let ot = dir.join("f64.ot");
    tch::Tensor::save_multi(&tensors, &ot).unwrap();
    for p in [st, ot] {
        assert_clean_error(&run(&["predict", "--weights", s(&p)]), 1, "get_ht.weight has dtype Double; expected float32");
    }
}

#[test]
fn hostile_weights_files_get_a_clear_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/weights");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        assert_clean_error(&run(&["predict", "--weights", s(&p)]), 1, &p.file_name().unwrap().to_string_lossy());
        seen += 1;
    }
    assert!(seen >= 6);
}

/// A long series whose epochs are mostly their evaluation: 1.5M rows, 2% of the windows trained
/// on in one batch, the rest held out and evaluated in batches at every epoch's end.
fn long_run(dir: &Path) -> (std::path::PathBuf, impl Fn(&Path) -> Vec<String>) {
    let csv = dir.join("long.csv");
    write_series(&csv, "y", 1_500_000, |i| format!("{:.4}", (i as f64 * 0.01).sin() + 0.001 * (i % 97) as f64));
    let flags = move |out: &Path| {
        let path = csv.to_str().unwrap().to_string();
        let out = out.to_str().unwrap().to_string();
        let rest = ["--epochs", "3", "--batch-size", "65536", "--test-fraction", "0.49", "--val-fraction", "0.49"];
        [vec!["train".to_string(), "--data".into(), path, "--out".into(), out], rest.map(String::from).to_vec()].concat()
    };
    let whole = dir.join("whole");
    let args = flags(&whole);
    assert_eq!(run(&[&args.iter().map(String::as_str).collect::<Vec<_>>()[..], &["--quiet"]].concat()).code, 0);
    (whole, flags)
}

/// A SIGTERM while an epoch's held-out windows are evaluated, or while the outputs are written
/// after the last epoch, stops the run within a second: saved where the epoch's steps ended, or
/// with the weights and checkpoint of the finished training; the resume is bitwise the run never
/// stopped.
#[test]
fn sigterm_during_the_evaluation_or_the_outputs_stops_within_a_second_and_resumes_bitwise() {
    use std::time::Instant;
    let dir = scratch("sigterm-evaluation");
    let (whole, flags) = long_run(&dir);
    let cases = [(" 1/3", "stopped by SIGTERM after step 2 (epoch 1 done)"), (" 3/3", "stopped by SIGTERM during the run's outputs")];
    for (k, (epoch, said)) in cases.into_iter().enumerate() {
        let out = dir.join(format!("stopped-{k}"));
        let args = flags(&out);
        let mut child = spawn(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
        assert!(lines.by_ref().any(|l| l.starts_with("epoch ") && l.contains(epoch)), "the epoch's line");
        // the next epoch's one step is done by then; its evaluation, or the outputs, take seconds
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, "-TERM");
        let asked = Instant::now();
        let rest: Vec<String> = lines.collect();
        let code = child.wait().unwrap().code();
        let took = asked.elapsed();
        assert_eq!(code, Some(143), "{rest:?}");
        assert!(took < Duration::from_secs(1), "stopped {took:?} after SIGTERM");
        assert!(rest.iter().any(|l| l.starts_with(said)), "{rest:?}");
        assert_eq!(run(&["train", "--quiet", "--resume", s(&out)]).code, 0);
        assert_same_run(&whole, &out);
    }
}
