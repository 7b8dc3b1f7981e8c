//! Promises of the command line: what `train` writes, and how it refuses bad input.

mod common;
use common::*;
use std::path::Path;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn train_quick(out: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["train", "--out", s(out), "--quiet"];
    if !extra.contains(&"--epochs") {
        args.extend(["--epochs", "2"]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn train_writes_every_promised_file() {
    let dir = scratch("writes");
    let out = dir.join("run");
    let r = train_quick(&out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in ["config.json", "metrics.csv", "steps.csv", "weights.safetensors", "weights.ot", "predictions.csv", "model.pt"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let metrics = read(&out.join("metrics.csv"));
    let lines: Vec<&str> = metrics.lines().collect();
    assert_eq!(lines[0], "epoch,train_loss,val_loss,test_loss,seconds");
    assert_eq!(lines.len(), 3, "one row per epoch");
    assert!(lines[2].starts_with("2,"));
    let preds = read(&out.join("predictions.csv"));
    let rows: Vec<&str> = preds.lines().collect();
    assert_eq!(rows[0], "index,split,target_sin,target_cos,pred_sin,pred_cos");
    assert_eq!(rows.len() - 1, 996, "one row per window of the 1000-point series");
    assert!(rows[1].starts_with("4,train,"), "index is the target's row: {}", rows[1]);
    assert_eq!(rows.iter().filter(|r| r.contains(",train,")).count(), 797);
    assert_eq!(rows.iter().filter(|r| r.contains(",test,")).count(), 199);
    let config: serde_json::Value = serde_json::from_str(&read(&out.join("config.json"))).unwrap();
    assert_eq!(config["settings"]["hidden"], 32);
    assert_eq!(config["settings"]["seed"], 42);
    assert_eq!(config["versions"]["tch"], "0.26.0");
    assert!(config["versions"]["libtorch"].as_str().unwrap().starts_with("2.13.0"));
    assert!(
        std::fs::read_dir(&out).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')),
        "no temporary files left"
    );
}

#[test]
fn epochs_zero_writes_the_initial_model_and_its_outputs() {
    let dir = scratch("epochs0");
    let r = run(&["train", "--out", s(&dir), "--epochs", "0", "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read(&dir.join("metrics.csv")), "epoch,train_loss,val_loss,test_loss,seconds\n");
    assert!(dir.join("weights.safetensors").is_file());
    assert_eq!(read(&dir.join("predictions.csv")).lines().count(), 997);
}

#[test]
fn the_same_command_gives_the_same_bytes() {
    let dir = scratch("determinism");
    for name in ["a", "b"] {
        let r = train_quick(&dir.join(name), &["--epochs", "3"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let strip_seconds = |p: &Path| read(p).lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect::<Vec<_>>();
    assert_eq!(strip_seconds(&dir.join("a/metrics.csv")), strip_seconds(&dir.join("b/metrics.csv")));
    for f in ["weights.safetensors", "steps.csv", "predictions.csv"] {
        assert_eq!(std::fs::read(dir.join("a").join(f)).unwrap(), std::fs::read(dir.join("b").join(f)).unwrap(), "{f}");
    }
}

#[test]
fn shuffling_and_seed_change_the_run() {
    let dir = scratch("shuffle");
    for (name, extra) in [("a", vec![]), ("b", vec!["--no-shuffle"]), ("c", vec!["--seed", "7"])] {
        assert_eq!(train_quick(&dir.join(name), &extra).code, 0);
    }
    let w = |n: &str| std::fs::read(dir.join(n).join("weights.safetensors")).unwrap();
    assert_ne!(w("a"), w("b"));
    assert_ne!(w("a"), w("c"));
}

#[test]
fn a_users_csv_trains_and_comes_back_in_its_units() {
    let dir = scratch("csv");
    let csv = dir.join("series.csv");
    let mut text = String::from("temp,load,\"price, eur\"\n");
    for i in 0..200 {
        let t = i as f64 * 0.1;
        text += &format!("{},{},{}\n", 20.0 + 5.0 * t.sin(), 100.0 + 50.0 * t.cos(), 3.0 + (t * 0.5).sin());
    }
    std::fs::write(&csv, text).unwrap();
    let out = dir.join("run");
    let r = train_quick(&out, &["--data", s(&csv), "--epochs", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let preds = read(&out.join("predictions.csv"));
    let mut lines = preds.lines();
    assert_eq!(lines.next().unwrap(), "index,split,target_temp,target_load,\"target_price, eur\",pred_temp,pred_load,\"pred_price, eur\"");
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let target_load: f64 = first[3].parse().unwrap();
    let pred_load: f64 = first[6].parse().unwrap();
    let index: f64 = first[0].parse().unwrap();
    assert_eq!(index, 8.0, "a CSV series without a season reads 8 rows");
    assert!((target_load - (100.0 + 50.0 * (0.1 * index).cos())).abs() < 1e-9, "targets in the user's units");
    assert!((50.0..=150.0).contains(&pred_load), "predictions unscaled into the column's range: {pred_load}");
    let config: serde_json::Value = serde_json::from_str(&read(&out.join("config.json"))).unwrap();
    assert_eq!(config["features"][2], "price, eur");
    assert!((config["scaling"]["max"][1].as_f64().unwrap() - 150.0).abs() < 1e-3);
}

#[test]
fn predict_reproduces_the_runs_predictions_from_each_weights_format() {
    let dir = scratch("predict");
    let out = dir.join("run");
    assert_eq!(train_quick(&out, &[]).code, 0);
    let expected = read(&out.join("predictions.csv"));
    for w in ["weights.safetensors", "weights.ot"] {
        let p = dir.join(format!("{w}.csv"));
        let r = run(&["predict", "--weights", s(&out.join(w)), "--out", s(&p)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(read(&p), expected, "{w}");
    }
    let r = run(&["predict", "--weights", s(&out.join("weights.safetensors"))]);
    assert_eq!(r.stdout, expected, "without --out the CSV goes to stdout");
}

#[test]
fn predict_and_forecast_take_the_run_directory() {
    let dir = scratch("by-dir");
    let out = dir.join("run");
    assert_eq!(train_quick(&out, &[]).code, 0);
    let r = run(&["predict", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, read(&out.join("predictions.csv")), "RUN is its weights and config.json");
    let r = run(&["forecast", s(&out), "--steps", "3", "--out", s(&dir.join("f.csv"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(dir.join("f.csv")).unwrap().lines().count(), 4, "a header and 3 steps");
    assert_clean_error(&run(&["predict"]), 2, "the following required arguments were not provided: <RUN>");
    let w = out.join("weights.safetensors");
    assert_clean_error(&run(&["predict", s(&out), "--weights", s(&w)]), 2, "cannot be used with '--weights <FILE>'");
    // weights moved away from their config.json: the message says what is missing
    let bare = dir.join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::copy(out.join("weights.safetensors"), bare.join("w.safetensors")).unwrap();
    let csv = dir.join("one.csv");
    std::fs::write(&csv, "v\n1\n2\n3\n4\n5\n6\n7\n8\n").unwrap();
    let r = run(&["predict", "--weights", s(&bare.join("w.safetensors")), "--data", s(&csv)]);
    assert_clean_error(&r, 1, "no config.json beside the weights says which series they were trained on");
}

#[test]
fn init_from_a_run_continues_from_its_weights() {
    let dir = scratch("init");
    assert_eq!(train_quick(&dir.join("a"), &[]).code, 0);
    for w in ["weights.safetensors", "weights.ot"] {
        let b = dir.join(w);
        let r = run(&["train", "--out", s(&b), "--epochs", "0", "--quiet", "--init", s(&dir.join("a").join(w))]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(read(&b.join("predictions.csv")), read(&dir.join("a/predictions.csv")), "{w}");
    }
    // --yt-init starts --seed's weights: with --init's it would be ignored, so clap refuses the pair
    let r = run(&["train", "--out", s(&dir.join("c")), "--yt-init", "zero", "--init", s(&dir.join("a/weights.safetensors"))]);
    assert_clean_error(&r, 2, "the argument '--yt-init <YT_INIT>' cannot be used with '--init <FILE>'");
    assert!(!dir.join("c").exists(), "nothing written");
}

#[test]
fn exported_torchscript_runs_in_rust_for_any_batch_size() {
    let dir = scratch("export");
    let out = dir.join("run");
    assert_eq!(train_quick(&out, &[]).code, 0);
    let pt = dir.join("exported.pt");
    let r = run(&["export", "--weights", s(&out.join("weights.safetensors")), "--out", s(&pt)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let loaded = vanilla_rnn::pipeline::trained::load_model(&out.join("weights.safetensors"), &Default::default()).unwrap();
    for module in [tch::CModule::load(&pt).unwrap(), tch::CModule::load(out.join("model.pt")).unwrap()] {
        for batch in [1i64, 100] {
            let x = tch::Tensor::rand([batch, 4, 2], (tch::Kind::Float, tch::Device::Cpu)) * 2.0 - 1.0;
            let y = module.forward_ts(&[&x]).unwrap();
            assert_eq!(y.size(), vec![batch, 2]);
            let want = loaded.rnn.predict(&x);
            assert!(y.equal(&want), "batch {batch}: TorchScript output differs from the model's");
        }
    }
}

// ---- bad input: one line on stderr, exit 2 (usage) or 1 (run time), nothing torn ----

#[test]
fn usage_errors_exit_2_with_one_line() {
    let dir = scratch("usage");
    let o = s(&dir);
    for (args, needle) in [
        (vec!["train", "--out", o, "--bogus"], "--bogus"),
        (vec!["train", "--out", o, "--hidden", "0"], "--hidden"),
        (vec!["train", "--out", o, "--batch-size", "-3"], "-3"),
        (vec!["train", "--out", o, "--seq-len", "0"], "--seq-len"),
        (vec!["train", "--out", o, "--epochs", "-1"], "-1"),
        (vec!["train", "--out", o, "--lr", "nan"], "--lr"),
        (vec!["train", "--out", o, "--lr", "0"], "--lr"),
        (vec!["train", "--out", o, "--test-fraction", "1"], "--test-fraction"),
        (vec!["train", "--out", o, "--loss", "median"], "--loss"),
        (vec!["train", "--out", o, "--lr", "-1"], "--lr <LR>': -1 is not a positive finite number"),
        (vec!["forecast", "--weights", "w.safetensors", "--steps", "x"], "invalid value 'x' for '--steps <STEPS>'"),
        (vec!["train", "--out", o, "--activation", "sigmoid"], "[possible values: tanh, relu]"),
    ] {
        assert_clean_error(&run(&args), 2, needle);
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written");
}

/// A usage error that clap has a tip for keeps it, on a line of its own after the error.
#[test]
fn usage_errors_keep_claps_tips() {
    for (args, needle, tip) in [
        (vec!["train", "--hiden", "3"], "unexpected argument '--hiden'", "tip: a similar argument exists: '--hidden'"),
        (vec!["frobnicate"], "frobnicate", "tip: a similar subcommand exists: 'forecast'"),
        (vec!["train", "--device", "tpu"], "[possible values: cpu, cuda, auto]", "tip: a similar value exists: 'cpu'"),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "the error and its tip: {}", r.stderr);
        assert!(lines[0].starts_with("error: ") && lines[0].contains(needle), "{}", lines[0]);
        assert_eq!(lines[1].trim(), tip);
    }
}

#[test]
fn help_is_complete_for_every_subcommand() {
    use clap::CommandFactory;
    let cli = vanilla_rnn::commands::Cli::command();
    let subs: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_string()).collect();
    assert_eq!(subs, ["train", "predict", "forecast", "bench", "plot", "export"], "all six commands");
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(sub.get_about().is_some_and(|a| !a.to_string().is_empty()), "{name} says what it does");
        let r = run(&[name, "--help"]);
        assert_eq!(r.code, 0, "{name} --help: {}", r.stderr);
        let mut flags = 0;
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            let shown = arg.get_long().map(|l| format!("--{l}")).unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            assert!(r.stdout.contains(&shown), "{name} --help lacks {shown}");
            assert!(arg.get_help().is_some_and(|h| h.to_string().len() > 10), "{name} {shown} has no help text");
            flags += 1;
        }
        assert!(flags >= 1, "{name} has arguments");
    }
    // the train flags a user of the blog looks for, by name
    let r = run(&["train", "--help"]);
    for flag in ["--out", "--hidden", "--seq-len", "--batch-size", "--epochs", "--lr", "--seed", "--resume", "--backward"] {
        assert!(r.stdout.contains(flag), "train --help lacks {flag}");
    }
}

fn write_csv(dir: &Path, name: &str, text: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_series_files_get_one_clear_line_and_exit_1() {
    let dir = scratch("badcsv");
    let mut ok = String::from("a,b\n");
    for i in 0..20 {
        ok += &format!("{i},{}\n", i * 2);
    }
    let dated = |rows: &[&str]| rows.iter().fold(String::from("date,v\n"), |t, r| t + r + "\n").into_bytes();
    let cases: Vec<(&str, Vec<u8>, &[&str], &str)> = vec![
        ("empty.csv", b"".to_vec(), &[], "empty"),
        ("header.csv", b"a,b\n".to_vec(), &[], "no data rows"),
        ("ragged.csv", b"a,b\n1,2\n3\n".to_vec(), &[], "ragged"),
        ("word.csv", b"a,b\n1,2\n3,abc\n".to_vec(), &[], "row 3, column 2 (b)"),
        ("nan.csv", b"a,b\n1,NaN\n3,4\n".to_vec(), &[], "row 2, column 2 (b): missing value (--missing interpolate"),
        ("inf.csv", b"a,b\n1,2\n-inf,4\n".to_vec(), &[], "row 3, column 1 (a)"),
        ("huge.csv", b"a,b\n1,2\n1e400,4\n".to_vec(), &[], "not finite"),
        ("short.csv", b"a,b\n1,2\n3,4\n5,6\n7,8\n".to_vec(), &[], "not longer than --seq-len 4"),
        ("utf16.csv", b"\xff\xfea\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00".to_vec(), &[], "UTF-8"),
        ("twice.csv", b"a,b,a\n1,2,3\n".to_vec(), &[], "names a twice (columns 1 and 3)"),
        ("notime.csv", ok.clone().into_bytes(), &["--time-column", "when"], "--time-column when: "),
        ("nocolumn.csv", ok.clone().into_bytes(), &["--columns", "a,zz"], "--columns zz: "),
        ("allgone.csv", dated(&["2020-01,", "2020-02,NA", "2020-03,"]), &["--missing", "interpolate"], "every row is missing"),
        (
            "gappy.csv",
            dated(&["2020-01,1", "2020-02,2", "2020-03,", "2020-04,4", "2020-05,5", "2020-06,6", "2020-07,NaN", "2020-08,8"]),
            &["--missing", "skip"],
            "no 5 consecutive rows without a gap",
        ),
        ("emptytime.csv", dated(&["2020-01,1", ",2", "2020-03,3"]), &[], "row 3, column 1 (date): the time column is empty"),
    ];
    for (name, bytes, flags, needle) in cases {
        let p = write_csv(&dir, name, &bytes);
        let out = dir.join(format!("out-{name}"));
        let mut args = vec!["train", "--out", s(&out), "--quiet", "--data", s(&p)];
        args.extend_from_slice(flags);
        let r = run(&args);
        assert_clean_error(&r, 1, needle);
        assert!(!out.exists(), "{name}: a failed run writes nothing");
    }
    assert_clean_error(&run(&["train", "--out", s(&dir.join("x")), "--data", s(&dir.join("missing.csv"))]), 1, "missing.csv");
    // What a user might send that is fine: a BOM, quoted numbers, -0.
    let p = write_csv(&dir, "fine.csv", format!("\u{feff}{}", ok.replacen("0,0", "\"-0\",\"0\"", 1)).as_bytes());
    let r = run(&["train", "--out", s(&dir.join("fine")), "--quiet", "--epochs", "1", "--data", s(&p)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(read(&dir.join("fine/predictions.csv")).starts_with("index,split,target_a,target_b,"), "the BOM is not part of the name");
}

#[test]
fn bad_weights_files_get_one_clear_line_and_exit_1() {
    let dir = scratch("badweights");
    let good = dir.join("run");
    assert_eq!(run(&["train", "--out", s(&good), "--epochs", "1", "--quiet", "--hidden", "8"]).code, 0);
    let st = std::fs::read(good.join("weights.safetensors")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage.safetensors", b"\x00\x01not a safetensors file at all".to_vec(), "not a valid safetensors"),
        ("truncated.safetensors", st[..st.len() / 2].to_vec(), "not a valid safetensors"),
        (
            "liar.safetensors",
            {
                let mut v = st.clone();
                v[0..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
                v
            },
            "not a valid safetensors",
        ),
        ("notzip.pt", b"this is not a zip".to_vec(), "not a PyTorch zip"),
        ("notzip.ot", b"neither is this".to_vec(), "not a libtorch archive"),
        ("weights.npy", b"x".to_vec(), "unknown weights format"),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        assert_clean_error(&run(&["predict", "--weights", s(&p)]), 1, needle);
        assert_clean_error(&run(&["train", "--out", s(&dir.join("o")), "--init", s(&p)]), 1, needle);
    }
    assert_clean_error(&run(&["predict", "--weights", s(&dir.join("nope.safetensors"))]), 1, "nope.safetensors");
    // Right file, wrong model: the error names the tensor and both shapes.
    let r = run(&["train", "--out", s(&dir.join("o")), "--hidden", "16", "--init", s(&good.join("weights.safetensors"))]);
    assert_clean_error(&r, 1, "get_ht.weight has shape [8, 10], but the model (--hidden 16 and 2 features) needs [16, 18]");
    assert!(!dir.join("o").join("weights.safetensors").exists());
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_whole() {
    let dir = scratch("keep");
    let out = dir.join("run");
    assert_eq!(train_quick(&out, &[]).code, 0);
    let files = |dir: &Path| -> Vec<std::path::PathBuf> {
        let top: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        let plots: Vec<_> = std::fs::read_dir(dir.join("plots")).unwrap().map(|e| e.unwrap().path()).collect();
        top.into_iter().chain(plots).filter(|p| p.is_file()).collect()
    };
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = files(&out).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    assert!(before.len() >= 12, "every output is checked: {before:?}");
    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, b"junk").unwrap();
    assert_eq!(train_quick(&out, &["--init", s(&bad)]).code, 1);
    for (path, bytes) in before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{} changed", path.display());
    }
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
}

#[test]
fn an_unwritable_output_directory_is_refused_before_training() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, b"").unwrap();
    assert_clean_error(&run(&["train", "--out", s(&file.join("run")), "--quiet"]), 1, "cannot create output directory");
}

/// libtorch's CUDA half is loaded for --device cuda only (src/train/device.rs): with the pinned
/// wheel's libtorch, which has it, a machine without a GPU gets the GPU's error, not the
/// library's.
#[test]
fn cuda_without_a_gpu_is_a_clear_error() {
    let dir = scratch("cuda");
    let r = run(&["train", "--out", s(&dir.join("run")), "--device", "cuda", "--epochs", "1", "--quiet"]);
    assert!(vanilla_rnn::train::device::load_cuda(), "the pinned libtorch's libtorch_cuda loads");
    if tch::Cuda::is_available() {
        assert_eq!(r.code, 0, "{}", r.stderr);
    } else {
        assert_clean_error(&r, 1, "no CUDA GPU");
    }
    let cpu = run(&["train", "--out", s(&dir.join("cpu")), "--epochs", "1", "--quiet"]);
    assert_eq!(cpu.code, 0, "{}", cpu.stderr);
}

#[test]
fn bench_names_its_phases() {
    for (backward, forward) in [("autograd", true), ("fast", false)] {
        let r = run(&["bench", "--steps", "20", "--warmup", "2", "--profile", "--backward", backward]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        let phases = &v["phases_us"];
        for k in ["data", "backward", "optimizer"] {
            assert!(phases[k].as_f64().is_some_and(|us| us >= 0.0), "{backward} {k}: {phases}");
        }
        assert_eq!(phases["forward"].is_f64(), forward, "{backward}: the fast step's forward is in its backward: {phases}");
        assert_eq!(v["backward"], backward);
    }
}

#[test]
fn the_help_opens_with_what_the_tool_does_for_a_users_csv_and_keeps_the_blog_for_the_long_help() {
    let short = run(&["-h"]);
    let first = short.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("Train a vanilla RNN on your CSV time series and forecast it"), "{}", short.stdout);
    assert!(!short.stdout.contains("circle"), "the blog's terms stay in the long help: {}", short.stdout);
    let long = run(&["--help"]);
    assert!(long.stdout.contains("without --data it learns the blog's [sin, cos] circle"), "{}", long.stdout);
    assert!(long.stdout.contains("vanilla-rnn forecast runs/my --steps 12"), "{}", long.stdout);
}

#[test]
fn trains_help_lists_the_data_first_then_the_model_training_and_the_run() {
    let r = run(&["train", "-h"]);
    let headings: Vec<&str> = r.stdout.lines().filter(|l| l.ends_with(':') && !l.starts_with(' ')).collect();
    assert_eq!(headings, ["Options:", "Data:", "Model:", "Training:", "How long:", "Run:"], "{}", r.stdout);
    let first = r.stdout.lines().find(|l| l.trim_start().starts_with("--")).unwrap_or_default();
    assert!(first.trim_start().starts_with("--data <FILE>"), "{first}");
    // the blog's terms in the long help only, each flag's default in both
    assert!(!r.stdout.contains("blog") && !r.stdout.contains("get_yt"), "{}", r.stdout);
    let long = run(&["train", "--help"]).stdout;
    assert!(long.contains("The blog's seq_length. [default: 4]") && long.contains("The output layer is the blog's get_yt."), "{long}");
}
