//! Promises held against PyTorch itself (the Python that scripts/test.sh sets up): the seeded
//! init, the data, each optimizer piece, the exports, and whole training runs, bit for bit.

mod common;
use common::*;
use std::path::Path;
use tch::{Device, Kind, Tensor};
use vanilla_rnn::exact::optim::{clip_grad_norm, Adam, AdamConfig};

fn assert_py_ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what}:\n{}{}", r.stdout, r.stderr);
}

#[test]
fn seeded_init_is_bitwise_what_pytorch_draws() {
    let dir = scratch("init-vs-torch");
    let csv = dir.join("three.csv");
    write_series(&csv, "a,b,c", 30, |i| format!("{i},{},{}", i * i, 30 - i));
    for (seed, hidden, data) in
        [("0", "32", None), ("42", "32", None), ("7", "1", None), ("123456789", "100", Some(&csv)), ("18446744073709551615", "17", None)]
    {
        let out = dir.join(format!("s{seed}-h{hidden}"));
        let mut args = vec!["train", "--epochs", "0", "--quiet", "--seed", seed, "--hidden", hidden, "--out", s(&out)];
        if let Some(d) = data {
            // (a CSV series' get_yt starts at zero otherwise)
            args.extend(["--data", s(d), "--yt-init", "pytorch"]);
        }
        assert_eq!(run(&args).code, 0);
        let features = if data.is_some() { "3" } else { "2" };
        assert_py_ok(
            &py(&["tests/python/check_init.py", s(&out.join("weights.safetensors")), seed, hidden, features]),
            &format!("seed {seed} hidden {hidden}"),
        );
    }
}

#[test]
fn the_builtin_series_is_numpys_float32_circle() {
    let dir = scratch("series-vs-numpy");
    assert_eq!(run(&["train", "--epochs", "0", "--quiet", "--out", s(&dir)]).code, 0);
    assert_py_ok(&py(&["tests/python/check_series.py", s(&dir.join("predictions.csv"))]), "series");
}

/// Runs our Adam and clip_grad_norm on awkward sizes and scales, and has PyTorch replay them.
fn optimizer_case(dir: &Path, lr: f64, max_norm: f64, seed: i64, tensor_ops: bool) {
    tch::manual_seed(seed);
    let shapes: Vec<Vec<i64>> = vec![vec![1], vec![7], vec![8], vec![9], vec![16], vec![33, 17], vec![1000], vec![3, 5]];
    let opts = (Kind::Float, Device::Cpu);
    let mut saved: Vec<(String, Tensor)> =
        vec![("lr".into(), Tensor::from_slice(&[lr])), ("max_norm".into(), Tensor::from_slice(&[max_norm]))];
    let params: Vec<Tensor> = shapes.iter().map(|s| Tensor::randn(s.as_slice(), opts).set_requires_grad(true)).collect();
    for (i, p) in params.iter().enumerate() {
        saved.push((format!("p{i}"), p.detach().copy()));
    }
    let refs: Vec<&Tensor> = params.iter().collect();
    let mut adam = Adam::new(&refs, AdamConfig::with_lr(lr));
    let steps = 40;
    let mut last_grads = vec![];
    for step in 0..steps {
        // Gradients over eight orders of magnitude, some exactly zero.
        let grads: Vec<Tensor> = shapes
            .iter()
            .map(|s| {
                let scale = Tensor::rand(s.as_slice(), opts) * 8.0 - 5.0;
                let g = Tensor::randn(s.as_slice(), opts) * Tensor::from(10f32).pow(&scale);
                g * Tensor::rand(s.as_slice(), opts).gt(0.05).to_kind(Kind::Float)
            })
            .collect();
        adam.zero_grad();
        // d/dp sum(p * g) = g exactly.
        let loss = params.iter().zip(grads.iter()).map(|(p, g)| (p * g).sum(Kind::Float)).fold(Tensor::from(0f32), |a, b| a + b);
        loss.backward();
        for (i, g) in grads.iter().enumerate() {
            saved.push((format!("g{step}_{i}"), g.copy()));
        }
        if tensor_ops {
            adam.step_tensor_ops();
        } else {
            adam.step();
        }
        last_grads = grads;
    }
    for (i, (p, st)) in params.iter().zip(adam.state().iter()).enumerate() {
        saved.push((format!("rust_p{i}"), p.detach().copy()));
        saved.push((format!("rust_m{i}"), st.exp_avg.copy()));
        saved.push((format!("rust_v{i}"), st.exp_avg_sq.copy()));
    }
    saved.push(("rust_step".into(), Tensor::from_slice(&[adam.state()[0].step])));
    // clip_grad_norm on the last gradients
    let holders: Vec<Tensor> = shapes.iter().map(|s| Tensor::zeros(s.as_slice(), opts).set_requires_grad(true)).collect();
    let loss = holders.iter().zip(last_grads.iter()).map(|(p, g)| (p * g).sum(Kind::Float)).fold(Tensor::from(0f32), |a, b| a + b);
    loss.backward();
    let total = clip_grad_norm(&holders, max_norm);
    saved.push(("rust_total_norm".into(), Tensor::from_slice(&[total as f32])));
    for (i, h) in holders.iter().enumerate() {
        saved.push((format!("rust_clip{i}"), h.grad().copy()));
    }
    let path = dir.join(format!("case-{seed}-{tensor_ops}.safetensors"));
    Tensor::write_safetensors(&saved, &path).unwrap();
    assert_py_ok(&py(&["tests/python/check_optim.py", s(&path)]), &format!("optimizer case lr {lr} max_norm {max_norm}"));
}

#[test]
fn adam_and_clip_grad_norm_are_bitwise_pytorchs() {
    let dir = scratch("optim-vs-torch");
    optimizer_case(&dir, 1e-3, 1.0, 1, false);
    optimizer_case(&dir, 0.1, 1e-3, 2, false);
    optimizer_case(&dir, 3e-3, 1e6, 3, false); // a bound that never clips still multiplies by 1
}

#[test]
fn adams_tensor_operation_path_is_bitwise_pytorchs_too() {
    // The path off the CPU (and wherever the CPU pass fails its self-check).
    let dir = scratch("optim-tensor-ops-vs-torch");
    optimizer_case(&dir, 1e-3, 1.0, 4, true);
    optimizer_case(&dir, 0.1, 1e-3, 5, true);
}

#[test]
fn rust_exports_load_in_python_and_predict_the_same() {
    let dir = scratch("exports-in-python");
    assert_eq!(run(&["train", "--epochs", "3", "--quiet", "--out", s(&dir)]).code, 0);
    assert_py_ok(&py(&["tests/python/check_interop.py", s(&dir)]), "interop");
}

/// A CSV run's model.pt takes raw values and gives predictions.csv's numbers, in Python.
#[test]
fn a_csv_runs_export_works_in_the_series_units_in_python() {
    let dir = scratch("export-units");
    let nile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nile.csv");
    assert_eq!(run(&["train", "--epochs", "3", "--quiet", "--data", s(&nile), "--out", s(&dir)]).code, 0);
    assert_py_ok(&py(&["tests/python/check_export_units.py", s(&dir), s(&nile)]), "model.pt in the series' units");
    // --target linear: the fitted autoregression is inside the module too
    let linear = dir.join("linear");
    let args = ["train", "--epochs", "3", "--quiet", "--target", "linear", "--data", s(&nile), "--out", s(&linear)];
    assert_eq!(run(&args).code, 0);
    assert_py_ok(&py(&["tests/python/check_export_units.py", s(&linear), s(&nile)]), "model.pt of --target linear");
    // --transform log: the log and exp are inside the module too
    let log = dir.join("log");
    let args = ["train", "--epochs", "3", "--quiet", "--transform", "log", "--data", s(&nile), "--out", s(&log)];
    assert_eq!(run(&args).code, 0);
    assert_py_ok(&py(&["tests/python/check_export_units.py", s(&log), s(&nile)]), "model.pt of --transform log");
}

/// A CSV's cells with numbers normalised (Python and Rust print the same f64 differently).
fn csv_numbers(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            l.split(',').map(|c| c.parse::<f64>().map(|v| format!("{v:e}")).unwrap_or_else(|_| c.to_string())).collect::<Vec<_>>().join(",")
        })
        .collect()
}

fn assert_same_rows(got: &[String], want: &[String], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!("{what}: line {} differs:\n  got  {}\n  want {}", i + 1, got[i], want[i]);
    }
}

#[test]
fn python_weights_load_into_rust_predict_and_init() {
    let dir = scratch("python-weights");
    let py_run = dir.join("python");
    assert_py_ok(&py(&["scripts/reference.py", "--epochs", "2", "--quiet", "--out", s(&py_run)]), "reference");
    let pt = dir.join("state_dict.pt");
    assert_py_ok(&py(&["tests/python/check_interop.py", "--to-pt", s(&py_run.join("weights.safetensors")), s(&pt)]), "torch.save");
    let want = csv_numbers(&py_run.join("predictions.csv"));
    for weights in [py_run.join("weights.safetensors"), pt.clone()] {
        let out = dir.join("predict.csv");
        let r = run(&["predict", "--weights", s(&weights), "--out", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_same_rows(&csv_numbers(&out), &want, &format!("predict --weights {}", weights.display()));
        let init = dir.join("init");
        let r = run(&["train", "--epochs", "0", "--quiet", "--init", s(&weights), "--out", s(&init)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_same_rows(&csv_numbers(&init.join("predictions.csv")), &want, &format!("train --init {}", weights.display()));
    }
}

/// Trains the same run in scripts/reference.py and in Rust, with either backward (autograd and
/// the fast step), and demands bitwise equal files. The fast step computes the blog's model only
/// (tanh, --loss last): elsewhere `--backward fast` says so and trains with autograd.
fn parity(name: &str, args: &[&str]) {
    let fast_applies = !args.windows(2).any(|w| w == ["--activation", "relu"] || w == ["--loss", "all"]) && !args.contains(&"--rollout");
    let dir = scratch(&format!("parity-{name}"));
    let python = dir.join("python");
    let mut b = vec!["scripts/reference.py", "--quiet", "--threads", "1", "--out", s(&python)];
    b.extend_from_slice(args);
    assert_py_ok(&py(&b), "reference.py");
    for backward in ["autograd", "fast"] {
        let rust = dir.join(format!("rust-{backward}"));
        let mut a = vec!["train", "--threads", "1", "--backward", backward, "--out", s(&rust)];
        a.extend_from_slice(args);
        let r = run(&a);
        assert_eq!(r.code, 0, "{}", r.stderr);
        if backward == "fast" {
            assert_eq!(!r.stderr.contains("note: the fast step is not used"), fast_applies, "{}", r.stderr);
            let config = std::fs::read_to_string(rust.join("config.json")).unwrap();
            let ran = if fast_applies { "\"backward\": \"fast\"" } else { "\"backward\": \"autograd\"" };
            assert!(config.contains(ran), "config.json says who computed the gradients: {config}");
        }
        assert_py_ok(&py(&["scripts/compare.py", s(&rust), s(&python)]), &format!("parity {name} --backward {backward} {args:?}"));
    }
}

// Six epochs of 50 batches: 300 steps per case, every combination of the four switches.
const SHORT: [&str; 2] = ["--epochs", "6"];

fn parity_matrix(loss: &str, activation: &str) {
    for shuffle in [true, false] {
        for clip in [None, Some("0.05")] {
            let mut args = SHORT.to_vec();
            args.extend(["--loss", loss, "--activation", activation]);
            if !shuffle {
                args.push("--no-shuffle");
            }
            if let Some(c) = clip {
                args.extend(["--clip-grad-norm", c]);
            }
            parity(&format!("{loss}-{activation}-{shuffle}-{}", clip.is_some()), &args);
        }
    }
}

#[test]
fn training_is_bitwise_pytorchs_loss_last_tanh() {
    parity_matrix("last", "tanh");
}

#[test]
fn training_is_bitwise_pytorchs_loss_all_tanh() {
    parity_matrix("all", "tanh");
}

#[test]
fn training_is_bitwise_pytorchs_loss_last_relu() {
    parity_matrix("last", "relu");
}

#[test]
fn training_is_bitwise_pytorchs_loss_all_relu() {
    parity_matrix("all", "relu");
}

/// Small hidden sizes too, where MKL's products take other kernels than at the blog's 32.
#[test]
fn training_is_bitwise_pytorchs_at_small_hidden_sizes() {
    for hidden in ["1", "4"] {
        parity(&format!("hidden-{hidden}"), &["--epochs", "2", "--hidden", hidden]);
    }
}

/// A validation split and early stopping: the same epochs run, the same epoch kept, the outputs
/// of its weights (this run stops at epoch 7 and keeps epoch 5).
#[test]
fn training_with_validation_and_early_stopping_is_bitwise_pytorchs() {
    parity("val-patience", &["--epochs", "30", "--lr", "0.05", "--val-fraction", "0.2", "--patience", "2"]);
    let python = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-val-patience/python");
    let metrics = std::fs::read_to_string(python.join("metrics.csv")).unwrap();
    assert!(metrics.lines().count() < 31, "it stopped early: {metrics}");
}

#[test]
fn the_default_run_is_bitwise_pytorchs_for_all_its_steps() {
    parity("default", &[]);
}

#[test]
fn a_users_csv_trains_bitwise_as_in_python() {
    let dir = scratch("parity-csv-data");
    let csv = dir.join("series.csv");
    write_series(&csv, "x,y,z", 300, |i| {
        let v = i as f64 * 0.07;
        format!("{},{},{}", 10.0 * v.sin(), 1e3 + v.cos(), (v * 0.3).sin() - 2.0)
    });
    parity("csv", &["--epochs", "5", "--batch-size", "10", "--hidden", "12", "--seq-len", "6", "--data", s(&csv)]);
    // as pandas' to_csv writes it: an unnamed index first, the dates last
    let pandas = dir.join("pandas.csv");
    write_series(&pandas, ",x,y,date", 120, |i| {
        let v = i as f64 * 0.07;
        format!("{i},{},{},2020-01-{:02}T{:02}:00", v.sin(), 3.0 + v.cos(), 1 + i / 24, i % 24)
    });
    parity("csv-pandas", &["--epochs", "3", "--hidden", "8", "--data", s(&pandas), "--season", "24"]);
}

/// `--transform log`: the series' logs scaled (libm's log on both sides), the predictions
/// exponentiated back, with a CSV series' defaults (its linear target, a window of two seasons,
/// validation), and across many series: bitwise as in Python with both backwards, and the same
/// scaling (the logs' range) in config.json.
#[test]
fn a_log_transform_trains_bitwise_as_in_python() {
    let dir = scratch("parity-log-data");
    let csv = dir.join("multiplicative.csv");
    // a trend whose yearly season grows with it
    write_series(&csv, "month,passengers", 144, |i| {
        let v = i as f64;
        format!("{},{}", month(1949, i), 100.0 * (0.01 * v).exp() * (1.0 + 0.2 * (v * std::f64::consts::PI / 6.0).sin()))
    });
    parity("log", &["--epochs", "4", "--hidden", "8", "--season", "12", "--transform", "log", "--data", s(&csv)]);
    let long = dir.join("long.csv");
    let rows: Vec<String> = (0..80)
        .flat_map(|i| [("a", 5.0), ("b", 500.0)].map(move |(name, level)| (i, name, level)))
        .map(|(i, name, level)| format!("{name},{},{}", month(2000, i), level * (1.2 + (0.5 * i as f64).sin())))
        .collect();
    std::fs::write(&long, format!("id,month,y\n{}\n", rows.join("\n"))).unwrap();
    parity(
        "log-long",
        &["--epochs", "2", "--hidden", "8", "--season", "6", "--transform", "log", "--data", s(&long), "--series-column", "id"],
    );
    for (name, key) in [("log", "scaling"), ("log-long", "series")] {
        let config = |side: &str| -> serde_json::Value {
            let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("parity-{name}")).join(side).join("config.json");
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap()).unwrap()[key].clone()
        };
        let (rust, python) = (config("rust-fast"), config("python"));
        assert!(rust.to_string().contains("\"transform\":\"log\"") && rust == python, "{name}: {rust} {python}");
    }
}

/// Every framing of the windows (--target, --window-norm), on a trending series whose test tail
/// lies above its training rows: the framed training, and validation, test and predictions
/// mapped back, bitwise as in Python with both backwards (`linear`: its least-squares
/// autoregression too, config.json's `linear_ar` to the bit: on a random walk the ridge the
/// validation windows chose, that ridge's fit again on every window before the test tail
/// (`--ar-fit before-test`), and the bare fit there).
#[test]
fn every_framing_of_the_windows_trains_bitwise_as_in_python() {
    let dir = scratch("parity-framing");
    let csv = dir.join("trend.csv");
    write_series(&csv, "month,sales", 150, |i| {
        let v = i as f64;
        format!("{},{}", month(2000, i), 100.0 + 2.0 * v + 15.0 * (v * std::f64::consts::PI / 6.0).sin())
    });
    for (target, norm) in
        [("change", "none"), ("level", "last"), ("level", "revin"), ("change", "revin"), ("linear", "none"), ("linear", "last")]
    {
        let args = ["--epochs", "4", "--hidden", "8", "--seq-len", "12", "--val-fraction", "0.2", "--data", s(&csv)];
        let mut args = args.to_vec();
        args.extend(["--target", target, "--window-norm", norm]);
        parity(&format!("framing-{target}-{norm}"), &args);
    }
    // A random walk, whose autoregression the validation windows shrink towards persistence.
    let walk: Vec<f64> = (0..150)
        .scan((50.0, 88172645463325252u64), |(level, x), _| {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            *level += (*x % 1000) as f64 / 100.0 - 5.0;
            Some(*level)
        })
        .collect();
    let noisy = dir.join("walk.csv");
    write_series(&noisy, "month,price", 150, |i| format!("{},{}", month(2000, i), walk[i]));
    let args = ["--epochs", "4", "--hidden", "8", "--seq-len", "12", "--val-fraction", "0.2", "--target", "linear", "--data", s(&noisy)];
    let with = |more: &[&'static str]| [&args[..], more].concat();
    parity("framing-linear-walk", &with(&["--ridge-choice", "lowest", "--ar-fit", "training"]));
    // a CSV series' get_yt starts at zero; nn.Linear's init, as the blog's, is bitwise too
    parity("framing-linear-walk-pytorch-init", &with(&["--ridge-choice", "lowest", "--ar-fit", "training", "--yt-init", "pytorch"]));
    // --ar-fit before-test: the walk's ridge, then the fit again on the validation windows too;
    // and the bare fit there (--ridge-choice none)
    parity("framing-linear-walk-before-test", &with(&["--ridge-choice", "lowest", "--ar-fit", "before-test"]));
    parity("framing-linear-walk-none-before-test", &with(&["--ridge-choice", "none", "--ar-fit", "before-test"]));
    // A noisy season, whose validation windows the one-standard-error rule reads: a larger
    // ridge than the lowest error's, as in Python.
    let noise: Vec<f64> = walk.windows(2).map(|w| w[1] - w[0]).collect();
    let season = dir.join("noisy-season.csv");
    write_series(&season, "month,sales", 149, |i| {
        let v = i as f64;
        format!("{},{}", month(2000, i), 100.0 + 0.5 * v + 15.0 * (v * std::f64::consts::PI / 6.0).sin() + 2.0 * noise[i])
    });
    let mut on_season = args.to_vec();
    *on_season.last_mut().unwrap() = s(&season);
    let lowest = dir.join("noisy-season-lowest");
    let flags =
        [&["train", "--quiet", "--out", s(&lowest)], &on_season[..], &["--ridge-choice", "lowest", "--ar-fit", "training"]].concat();
    assert_eq!(run(&flags).code, 0);
    parity("framing-linear-noisy-one-se", &[&on_season[..], &["--ridge-choice", "one-se", "--ar-fit", "training"]].concat());
    let run = |name: &str, side: &str| -> serde_json::Value {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("parity-framing-linear-{name}")).join(side);
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()["linear_ar"].clone()
    };
    let mut ridges = vec![];
    let cases =
        [("none", Some(1e-8)), ("walk", None), ("noisy-one-se", None), ("walk-before-test", None), ("walk-none-before-test", Some(1e-8))];
    let mut fits = vec![];
    for (name, ridge) in cases {
        let (rust, python) = (run(name, "rust-fast"), run(name, "python"));
        assert!(rust["weights"].as_array().is_some_and(|w| w.len() == 13) && rust == python, "{name}: {rust} {python}");
        let chosen = rust["ridge"].as_f64().unwrap();
        assert!(ridge.map_or(chosen > 1e-8, |r| chosen == r), "{name}: ridge {chosen}");
        ridges.push(chosen);
        fits.push(rust);
    }
    assert_eq!(ridges[3], ridges[1], "before-test keeps the ridge the training windows' fits chose");
    assert_ne!(fits[3]["weights"], fits[1]["weights"], "and fits again with the validation windows");
    let lowest = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(lowest.join("config.json")).unwrap()).unwrap();
    let lowest = lowest["linear_ar"]["ridge"].as_f64().unwrap();
    assert!(ridges[2] > lowest, "one-se keeps a larger ridge than the lowest error's: {} against {lowest}", ridges[2]);
}

/// A file of more columns than its training windows can fit an autoregression on every lag of
/// every column for: each column on its own lags (config.json's `own_lags`, a column of W each),
/// fitted, chosen and refitted bitwise as in Python, and the training on what it leaves too.
#[test]
fn many_columns_autoregress_each_on_its_own_lags_bitwise_as_in_python() {
    let dir = scratch("parity-own-lags");
    let csv = dir.join("wide.csv");
    let header: Vec<String> = (0..6).map(|j| format!("c{j}")).collect();
    write_series(&csv, &format!("month,{}", header.join(",")), 100, |i| {
        let v = i as f64;
        let cells: Vec<String> =
            (0..6).map(|j| format!("{:.3}", 10.0 * j as f64 + v * (0.1 + 0.05 * j as f64) + (v * 0.5 + j as f64).sin())).collect();
        format!("{},{}", month(2000, i), cells.join(","))
    });
    let args = ["--epochs", "3", "--hidden", "8", "--seq-len", "12", "--val-fraction", "0.2", "--target", "linear", "--data", s(&csv)];
    for fit in ["training", "before-test"] {
        let name = format!("own-lags-{fit}");
        parity(&name, &[&args[..], &["--ar-fit", fit]].concat());
        let config = |side: &str| -> serde_json::Value {
            let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("parity-{name}")).join(side).join("config.json");
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap()).unwrap()["linear_ar"].clone()
        };
        let (rust, python) = (config("rust-fast"), config("python"));
        assert_eq!(rust["own_lags"], true, "73 inputs from about 60 training windows: each column on its own lags");
        assert!(rust["weights"].as_array().is_some_and(|w| w.len() == 13 * 6) && rust == python, "{rust} {python}");
    }
    // model.pt carries the columns' own lags: in Python alone, it gives predictions.csv to the bit
    let run = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-own-lags-training").join("rust-fast");
    assert_py_ok(&py(&["tests/python/check_export_units.py", s(&run), s(&csv)]), "model.pt of the columns' own lags");
}

/// A long-format file (--series-column): three series of different lengths and magnitudes,
/// their rows interleaved, and a fourth too short for a window (left out). Per-series windows,
/// splits and scaling, one model across them: bitwise as in Python with both backwards, the
/// window length from the CSV defaults (the median series' length).
#[test]
fn many_series_in_one_file_train_bitwise_as_in_python() {
    let dir = scratch("parity-long-data");
    let csv = dir.join("long.csv");
    // (name, rows, amplitude, level); row i of the file is step i / 4 of series i % 4
    let series = [("a", 70, 5.0, 100.0), ("b", 95, 50.0, 1000.0), ("c", 50, 0.5, 3.0), ("d", 6, 1.0, 0.0)];
    let rows: Vec<String> = (0..95)
        .flat_map(|i| series.iter().filter(move |s| i < s.1).map(move |&(name, _, amp, level)| (i, name, amp, level)))
        .map(|(i, name, amp, level)| {
            let v = i as f64;
            format!("{name},{},{}", month(2000, i), level + amp * (0.5 * v).sin() + 0.02 * amp * v)
        })
        .collect();
    std::fs::write(&csv, format!("id,month,y\n{}\n", rows.join("\n"))).unwrap();
    parity("long", &["--epochs", "3", "--hidden", "8", "--season", "6", "--data", s(&csv), "--series-column", "id"]);
    let rust = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-long/rust-fast");
    let predictions = std::fs::read_to_string(rust.join("predictions.csv")).unwrap();
    assert!(predictions.starts_with("series,index,time,split,target_y,pred_y\na,12,2001-01,train,"), "{predictions:.80}");
    assert!(!predictions.contains("\nd,"), "the series too short for a window is left out");
    let config = std::fs::read_to_string(rust.join("config.json")).unwrap();
    assert!(config.contains("\"series_column\": \"id\"") && config.contains("\"name\": \"c\""), "{config}");
}

/// `--rollout`: each training window rolled on by the forecast's closed loop, its predictions fed
/// back, the loss over every step backpropagated through the rollout (and through the
/// autoregression's anchor), the validation loss the same loop's: bitwise as in Python, on the
/// circle (the blog's framing), a CSV series (`--target linear`, its inputs as they are and from
/// their last point), and a file of many series (no rollout runs past a series' training rows);
/// a resumed run is bitwise the run that never stopped.
#[test]
fn training_through_the_closed_loop_is_bitwise_pytorchs() {
    let dir = scratch("parity-rollout-data");
    parity("rollout-circle", &["--epochs", "2", "--hidden", "8", "--rollout", "3", "--val-fraction", "0.1"]);
    let csv = dir.join("trend.csv");
    write_series(&csv, "month,sales", 120, |i| {
        let v = i as f64;
        format!("{},{}", month(2000, i), 100.0 + 2.0 * v + 15.0 * (v * std::f64::consts::PI / 6.0).sin())
    });
    for norm in ["none", "last"] {
        let args = ["--epochs", "3", "--hidden", "8", "--seq-len", "12", "--val-fraction", "0.2", "--rollout", "6", "--window-norm", norm];
        parity(&format!("rollout-trend-{norm}"), &[&args[..], &["--data", s(&csv)]].concat());
    }
    // stopped after 2 epochs and resumed to 3: the weights of the run that never stopped
    let resumed = dir.join("resumed");
    let args = ["--hidden", "8", "--seq-len", "12", "--val-fraction", "0.2", "--rollout", "6", "--data", s(&csv), "--threads", "1"];
    assert_eq!(run(&[&["train", "--quiet", "--epochs", "2", "--out", s(&resumed)], &args[..]].concat()).code, 0);
    assert_eq!(run(&["train", "--quiet", "--resume", s(&resumed), "--epochs", "3"]).code, 0);
    let whole = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-rollout-trend-none/rust-autograd/weights.safetensors");
    assert!(std::fs::read(resumed.join("weights.safetensors")).unwrap() == std::fs::read(whole).unwrap(), "a resume is bitwise the run");
    let long = dir.join("long.csv");
    let rows: Vec<String> = (0..60)
        .flat_map(|i| [("a", 60, 5.0, 100.0), ("b", 45, 50.0, 1000.0)].into_iter().filter(move |s| i < s.1).map(move |s| (i, s)))
        .map(|(i, (name, _, amp, level))| {
            format!("{name},{},{}", month(2000, i), level + amp * (0.5 * i as f64).sin() + 0.02 * amp * i as f64)
        })
        .collect();
    std::fs::write(&long, format!("id,month,y\n{}\n", rows.join("\n"))).unwrap();
    parity(
        "rollout-long",
        &["--epochs", "2", "--hidden", "8", "--season", "6", "--rollout", "4", "--data", s(&long), "--series-column", "id"],
    );
    let config = std::fs::read_to_string(Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-rollout-long/rust-fast/config.json")).unwrap();
    assert!(config.contains("\"rollout\": 4") && config.contains("\"backward\": \"autograd\""), "{config}");
    // every step of the loop predicts from the window's end: a loss at every step of it has no target
    let refused = dir.join("refused");
    let r = run(&["train", "--quiet", "--rollout", "2", "--loss", "all", "--out", s(&refused)]);
    assert_clean_error(&r, 1, "--rollout 2 scores the closed loop from the window's end: it needs --loss last");
    assert!(!refused.exists(), "nothing written");
}

/// A dated series (semicolons, decimal commas, a date column found without the flag, a column left out) with
/// gaps: interpolated, and skipped, each as reference.py reads it.
#[test]
fn a_dated_csv_with_gaps_trains_bitwise_as_in_python_both_ways() {
    let dir = scratch("parity-csv-dated");
    let csv = dir.join("dated.csv");
    write_series(&csv, "date;level;flow;note", 260, |i| {
        let v = i as f64 * 0.11;
        let level =
            if [17, 18, 40, 120, 201].contains(&i) { "NA".to_string() } else { format!("{}", 5.0 + 3.0 * v.sin() + 0.01 * i as f64) };
        // a decimal comma, as a ; file may write it
        let flow = if i == 90 { String::new() } else { format!("{}", 200.0 * (v * 0.5).cos()).replace('.', ",") };
        format!("2020-{:02}-{:02};{level};{flow};{}", 1 + i / 28, 1 + i % 28, i % 3)
    });
    let mut args =
        vec!["--epochs", "4", "--batch-size", "8", "--hidden", "10", "--seq-len", "5", "--data", s(&csv), "--columns", "level,flow"];
    for missing in ["interpolate", "skip"] {
        args.extend(["--missing", missing]);
        parity(&format!("csv-dated-{missing}"), &args);
        args.truncate(args.len() - 2);
    }
    let predictions =
        std::fs::read_to_string(Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-csv-dated-skip/rust-autograd/predictions.csv"))
            .unwrap();
    assert!(predictions.starts_with("index,time,split,target_level,target_flow,"), "{predictions:.80}");
    assert!(predictions.contains("\n5,2020-01-06,train,") && !predictions.contains("\n17,"), "a window with a gap is skipped");
}

#[test]
fn a_clip_that_bites_changes_the_run() {
    // Guards the parity cases above: with --clip-grad-norm 0.05 the clip really acts.
    let dir = scratch("clip-bites");
    for (name, extra) in [("plain", vec![]), ("clipped", vec!["--clip-grad-norm", "0.05"])] {
        let mut a = vec!["train", "--quiet", "--epochs", "1", "--out"];
        let out = dir.join(name);
        a.push(s(&out));
        a.extend(extra);
        assert_eq!(run(&a).code, 0);
    }
    assert_ne!(
        std::fs::read(dir.join("plain/weights.safetensors")).unwrap(),
        std::fs::read(dir.join("clipped/weights.safetensors")).unwrap()
    );
}

#[test]
fn compare_counts_a_missing_or_unreadable_file_on_either_side_as_a_difference() {
    // Guards the parity cases above: compare.py passes only what it could read on both sides.
    let dir = scratch("compare-missing");
    let a = dir.join("a");
    assert_eq!(run(&["train", "--quiet", "--epochs", "1", "--out", s(&a)]).code, 0);
    for (file, damage) in
        [("steps.csv", None), ("weights.safetensors", None), ("predictions.csv", Some(&b"index,split\n1"[..])), ("metrics.csv", None)]
    {
        for left in [true, false] {
            let b = dir.join("b");
            let _ = std::fs::remove_dir_all(&b);
            std::fs::create_dir_all(&b).unwrap();
            for f in std::fs::read_dir(&a).unwrap().flatten().filter(|f| f.path().is_file()) {
                std::fs::copy(f.path(), b.join(f.file_name())).unwrap();
            }
            assert_py_ok(&py(&["scripts/compare.py", s(&a), s(&b)]), "an identical copy");
            match damage {
                Some(bytes) => std::fs::write(b.join(file), bytes).unwrap(),
                None => std::fs::remove_file(b.join(file)).unwrap(),
            }
            let (x, y) = if left { (&b, &a) } else { (&a, &b) };
            let r = py(&["scripts/compare.py", s(x), s(y)]);
            assert_eq!(
                r.code,
                1,
                "{file} missing or damaged on the {} side: {}{}",
                if left { "left" } else { "right" },
                r.stdout,
                r.stderr
            );
            assert!(r.stdout.contains(file) && r.stdout.contains("DIFFERENT"), "{}", r.stdout);
        }
    }
}
