//! Promises about files we wrote that a user then edited, and about run directories used again
//! or twice at once: one clear line and exit 1 for what is wrong, nothing left that contradicts
//! the weights a run kept, and one vanilla-rnn per directory.

mod common;
use common::*;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

type Tensors = BTreeMap<String, RawTensor>;
type Meta = HashMap<String, String>;

/// A run stopped in epoch 2 (of 2, at batch 10 of 50), hidden 4: a checkpoint to spoil.
fn stopped_run(dir: &Path) -> PathBuf {
    let out = dir.join("good");
    let r = run(&["train", "--quiet", "--epochs", "2", "--hidden", "4", "--stop-after-steps", "60", "--out", s(&out)]);
    assert_eq!(r.code, 130, "{}", r.stderr);
    out
}

fn set_setting(meta: &mut Meta, field: &str, value: serde_json::Value) {
    let mut settings: serde_json::Value = serde_json::from_str(&meta["settings"]).unwrap();
    settings[field] = value;
    meta.insert("settings".into(), settings.to_string());
}

#[test]
fn a_checkpoint_with_wrong_insides_is_refused_with_one_line_naming_what_is_wrong() {
    let dir = scratch("edited-checkpoint");
    let good = stopped_run(&dir);
    type Edit = fn(&mut Tensors, &mut Meta);
    let cases: [(&str, Edit, &str); 11] = [
        (
            "empty-step",
            |t, _| {
                let x = t.get_mut("adam.step.get_ht.weight").unwrap();
                (x.shape, x.data) = (vec![0], vec![]);
            },
            "adam.step.get_ht.weight has shape [0]",
        ),
        (
            "five-metrics",
            |t, _| {
                let x = t.get_mut("history.metrics").unwrap();
                (x.shape, x.data) = (vec![5], vec![0; 40]);
            },
            "history.metrics has shape [5]",
        ),
        (
            "moment-shape",
            |t, _| {
                let x = t.get_mut("adam.exp_avg.get_ht.bias").unwrap();
                (x.shape, x.data) = (vec![3], vec![0; 12]);
            },
            "adam.exp_avg.get_ht.bias has shape [3], its parameter get_ht.bias [4]",
        ),
        (
            "moment-dtype",
            |t, _| {
                let x = t.get_mut("adam.exp_avg_sq.get_yt.bias").unwrap();
                (x.dtype, x.data) = (safetensors::Dtype::F64, vec![0; 16]);
            },
            "adam.exp_avg_sq.get_yt.bias has dtype F64, expected F32",
        ),
        ("batch-size-0", |_, m| set_setting(m, "batch_size", 0.into()), "settings.batch_size: 0 is not in 1..="),
        ("seq-len-0", |_, m| set_setting(m, "seq_len", 0.into()), "settings.seq_len: 0 is not in 1..=100000"),
        ("hidden-minus-3", |_, m| set_setting(m, "hidden", (-3).into()), "settings.hidden: -3 is not in 1..=65536"),
        ("hidden-16", |_, m| set_setting(m, "hidden", 16.into()), "tensor get_ht.weight has shape [4, 6], but the model (--hidden 16"),
        (
            "past-the-end",
            |_, m| {
                m.insert("epoch".into(), "7".into());
            },
            "does not fit a run of 2 epochs",
        ),
        (
            "batch-past-the-epoch",
            |_, m| {
                m.insert("batch".into(), "51".into());
            },
            "does not fit a run of 2 epochs of 50 batches",
        ),
        (
            "history-epoch-0",
            |t, _| {
                t.get_mut("history.step_epoch").unwrap().data[..8].copy_from_slice(&0i64.to_le_bytes());
            },
            "history.step_epoch holds epoch 0",
        ),
    ];
    for (name, edit, needle) in cases {
        let out = dir.join(name);
        copy_dir(&good, &out);
        edit_checkpoint(&out.join("checkpoint.safetensors"), edit);
        let before = std::fs::read(out.join("weights.safetensors")).unwrap();
        let r = run(&["train", "--quiet", "--resume", s(&out)]);
        assert_clean_error(&r, 1, needle);
        assert!(r.stderr.contains("checkpoint"), "{name}: the line names the file: {}", r.stderr);
        assert_eq!(std::fs::read(out.join("weights.safetensors")).unwrap(), before, "{name}: the weights are left as they were");
    }
    // and the unedited one resumes
    assert_eq!(run(&["train", "--quiet", "--resume", s(&good)]).code, 0);
}

#[test]
fn an_edited_config_json_is_refused_by_predict_forecast_export_and_plot() {
    let dir = scratch("edited-config");
    let good = dir.join("good");
    assert_eq!(run(&["train", "--quiet", "--epochs", "1", "--hidden", "4", "--out", s(&good)]).code, 0);
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 11] = [
        ("seq-len-0", |c| c["settings"]["seq_len"] = 0.into(), "settings.seq_len: 0 is not in 1..=100000"),
        ("seq-len-minus-1", |c| c["settings"]["seq_len"] = (-1).into(), "settings.seq_len: -1 is not in 1..=100000"),
        ("test-fraction-2", |c| c["settings"]["test_fraction"] = 2.into(), "settings.test_fraction: 2 is not in [0, 1)"),
        ("one-feature", |c| c["features"] = serde_json::json!(["sin"]), "names 1 (sin)"),
        ("scaling", |c| c["scaling"] = serde_json::json!({"min": [0.0], "max": [1.0]}), "scaling has 1 minima and 1 maxima for 2 features"),
        (
            "bound",
            |c| c["scaling"] = serde_json::json!({"min": [0.0, 0.0], "max": [1.0, 1.0], "bound": 0.0}),
            "scaling.bound 0 is not in (0, 1]",
        ),
        ("scale-bound", |c| c["settings"]["scale_bound"] = 7.into(), "settings.scale_bound: 7 is not in (0, 1]"),
        (
            "transform",
            |c| c["scaling"] = serde_json::json!({"min": [0.0, 0.0], "max": [1.0, 1.0], "transform": "log"}),
            "scaling.transform is log, but settings.transform is none",
        ),
        ("transform-circle", |c| c["settings"]["transform"] = "log".into(), "--transform log is for a CSV series (--data FILE)"),
        ("transform-sqrt", |c| c["settings"]["transform"] = "sqrt".into(), "unknown variant `sqrt`, expected `none` or `log`"),
        ("columns", |c| c["settings"]["columns"] = serde_json::json!(["sin", "sin"]), "settings.columns: names sin twice"),
    ];
    for (name, edit, needle) in cases {
        let out = dir.join(name);
        copy_dir(&good, &out);
        let path = out.join("config.json");
        let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut config);
        std::fs::write(&path, config.to_string()).unwrap();
        let w = out.join("weights.safetensors");
        for args in [
            vec!["predict", "--weights", s(&w)],
            vec!["forecast", "--weights", s(&w), "--steps", "3"],
            vec!["export", "--weights", s(&w), "--out", s(&out.join("x.pt"))],
        ] {
            assert_clean_error(&run(&args), 1, needle);
        }
        if name != "one-feature" {
            assert_clean_error(&run(&["plot", s(&out)]), 1, needle);
        }
    }
}

#[test]
fn plot_names_the_csv_that_lost_a_column() {
    let dir = scratch("edited-csv");
    let out = dir.join("run");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--hidden", "4", "--out", s(&out)]).code, 0);
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let cut: String = metrics.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    std::fs::write(out.join("metrics.csv"), cut).unwrap();
    assert_clean_error(
        &run(&["plot", s(&out)]),
        1,
        "metrics.csv: no column \"seconds\" (its header is \"epoch,train_loss,val_loss,test_loss\")",
    );
    std::fs::write(out.join("metrics.csv"), metrics).unwrap();
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let cut: String = predictions.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    std::fs::write(out.join("predictions.csv"), cut).unwrap();
    assert_clean_error(&run(&["plot", s(&out)]), 1, "predictions.csv: no column \"pred_cos\"");
}

const OUTPUTS: [&str; 6] = ["predictions.csv", "model.pt", "plots/data.png", "plots/loss.png", "plots/predictions.png", "plots/phase.png"];

#[test]
fn a_failed_or_stopped_run_in_a_reused_directory_leaves_none_of_the_earlier_runs_outputs() {
    let dir = scratch("reused");
    for (name, args, code) in [
        // relu and a huge step overflow at step 2: the run keeps step 1's weights
        ("diverged", vec!["--lr", "1000", "--activation", "relu", "--seq-len", "16"], 1),
        ("stopped", vec!["--stop-after-steps", "5"], 130),
    ] {
        let out = dir.join(name);
        assert_eq!(run(&["train", "--quiet", "--epochs", "1", "--hidden", "4", "--out", s(&out)]).code, 0);
        for f in OUTPUTS {
            assert!(out.join(f).exists(), "the finished run wrote {f}");
        }
        let mut a = vec!["train", "--quiet", "--epochs", "1", "--out", s(&out)];
        a.extend(args);
        let r = run(&a);
        assert_eq!(r.code, code, "{}", r.stderr);
        for f in OUTPUTS {
            assert!(!out.join(f).exists(), "{name}: {f} of the earlier run is left beside the new weights");
        }
        let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
        assert_eq!(config["settings"]["hidden"], 32, "{name}: config.json is the new run's");
        assert_eq!(vanilla_rnn::files::weights::read_params(&out.join("weights.safetensors")).unwrap()[1].1.size(), vec![32]);
    }
}

#[test]
fn a_directory_in_use_is_refused_and_the_run_using_it_goes_on_untouched() {
    let dir = scratch("in-use");
    let out = dir.join("run");
    // long enough (a few seconds) that the three commands below run while it trains
    let args = ["--epochs", "600", "--checkpoint-every", "1"];
    let mut child =
        bin().args([&["train", "--out", s(&out)][..], &args[..]].concat()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    // A real sign of training: the first epoch's line (stderr is a pipe, so plain lines).
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    assert!(first.starts_with("epoch    1/600"), "{first}");
    for other in
        [vec!["train", "--quiet", "--epochs", "1", "--out", s(&out)], vec!["train", "--quiet", "--resume", s(&out)], vec!["plot", s(&out)]]
    {
        assert_clean_error(&run(&other), 1, "is in use by another vanilla-rnn");
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "the first run finished: {rest:?}");
    let whole = dir.join("whole");
    assert_eq!(run(&[&["train", "--quiet", "--out", s(&whole)][..], &args[..]].concat()).code, 0);
    for f in ["weights.safetensors", "steps.csv", "predictions.csv"] {
        assert_eq!(std::fs::read(out.join(f)).unwrap(), std::fs::read(whole.join(f)).unwrap(), "{f}");
    }
    // the lock goes with its process, however it ends
    let mut killed =
        bin().args(["train", "--epochs", "400", "--out", s(&out)]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let first = BufReader::new(killed.stderr.take().unwrap()).lines().next().expect("a line").unwrap();
    assert!(first.starts_with("epoch    1/400"), "{first}");
    killed.kill().unwrap();
    killed.wait().unwrap();
    let r = run(&["train", "--quiet", "--epochs", "1", "--out", s(&out)]);
    assert_eq!(r.code, 0, "a killed run's lock is released: {}", r.stderr);
}
