//! The forecast from the end of a series, as a forecaster ships it: the autoregression refit on
//! every row, the held-out tails too; by default the median of the RNN, Theta, the damped trend and
//! the seasonal naive, and where those cannot forecast, the RNN or its autoregression alone, whichever the held-out
//! tails' closed loops favour; the scores that never saw the tails untouched.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The Nile (100 yearly rows), with rows 85 to 88 (in the test tail, before the last window of 8)
/// raised by `lift`.
fn nile_lifted(dir: &Path, lift: f64) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nile.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for line in &mut lines[86..=89] {
        let (year, v) = line.split_once(',').unwrap();
        *line = format!("{year},{}", v.parse::<f64>().unwrap() + lift);
    }
    let path = dir.join(format!("nile_{lift}.csv"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn trained(dir: &Path, csv: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let r = run(&[&["train", "--quiet", "--data", s(csv), "--out", s(&out)], flags].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

/// forecast.csv's predictions.
fn forecast(run_dir: &Path, extra: &[&str]) -> (Vec<String>, String) {
    let r = run(&[&["forecast", s(run_dir), "--steps", "4"], extra].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(run_dir.join("forecast.csv")).unwrap();
    let preds = text.lines().skip(1).map(|l| l.split(',').nth(3).unwrap().to_string()).collect();
    (preds, r.stdout)
}

#[test]
fn the_future_is_forecast_from_every_row_and_the_scores_from_the_rows_before_the_tail() {
    let dir = scratch("end-refit");
    // the autoregression alone (--epochs 0), so that its fit is all that differs
    let (a, b) = (nile_lifted(&dir, 0.0), nile_lifted(&dir, 300.0));
    let (ra, rb) = (trained(&dir, &a, "a", &["--epochs", "0"]), trained(&dir, &b, "b", &["--epochs", "0"]));
    // the held-out fit never saw rows 85 to 88: its scaling and weights are the same
    for file in ["weights.safetensors", "model.pt"] {
        assert_eq!(std::fs::read(ra.join(file)).unwrap(), std::fs::read(rb.join(file)).unwrap(), "{file}");
    }
    let config =
        |r: &Path| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(r.join("config.json")).unwrap()).unwrap() };
    assert_eq!(config(&ra)["linear_ar"], config(&rb)["linear_ar"]);
    // the last 8 rows, the window the forecast starts from, are the same; the refit is not
    let by_model = ["--by", "rnn"];
    assert_ne!(forecast(&ra, &by_model).0, forecast(&rb, &by_model).0, "the future's forecast did not read the test tail");
    // from row 80, before the lifted rows, the run's own fit: the same forecast
    assert_eq!(forecast(&ra, &["--by", "rnn", "--from", "80"]).0, forecast(&rb, &["--by", "rnn", "--from", "80"]).0);
    assert_eq!(forecast(&ra, &["--from", "80"]).0, forecast(&rb, &["--from", "80"]).0, "nor Theta's and the damped trend's");
}

#[test]
fn the_forecaster_is_the_rnn_or_its_autoregression_alone_whichever_errs_less_on_the_held_out_tails() {
    let dir = scratch("end-choice");
    let nile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nile.csv");
    // an RNN trained far too hard (one epoch at lr 1): its correction only hurts
    let wild = trained(&dir, &nile, "wild", &["--epochs", "1", "--lr", "1"]);
    let (preds, said) = forecast(&wild, &[]);
    assert!(said.contains("by the linear autoregression alone (its closed loops on the held-out tails err"), "{said}");
    // the autoregression alone: what the untrained model (get_yt at zero) forecasts
    let untrained = trained(&dir, &nile, "untrained", &["--epochs", "0"]);
    let (alone, said) = forecast(&untrained, &[]);
    assert_eq!(preds, alone);
    assert!(said.contains("by the RNN"), "a tie keeps the RNN: {said}");
    // the default run: the RNN's loops err less here, and it forecasts
    let default = trained(&dir, &nile, "default", &[]);
    let (by_rnn, said) = forecast(&default, &[]);
    assert!(said.contains("by the RNN (its closed loops on the held-out tails err"), "{said}");
    assert_ne!(by_rnn, alone);
}

/// The summary's "by X (... err A, against Y b, Z c; ...)": the one chosen and every error listed.
fn errors_listed(said: &str) -> (String, f64, Vec<f64>) {
    let by = said.split(", by ").nth(1).expect(said);
    let (name, rest) = by.split_once(" (").unwrap();
    let listed = rest.split("; MASE-scaled").next().unwrap();
    let numbers: Vec<f64> = listed.split([' ', ',']).filter_map(|w| w.parse().ok()).collect();
    (name.to_string(), numbers[0], numbers[1..].to_vec())
}

/// A default run on tests/data/NAME.csv, in the scratch folder `scratch_name`; with the CSV's path.
fn default_run(scratch_name: &str, name: &str) -> (PathBuf, PathBuf) {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(format!("{name}.csv"));
    (trained(&scratch(scratch_name), &csv, name, &[]), csv)
}

#[test]
fn the_default_is_the_median_of_the_rnn_theta_the_damped_trend_and_the_seasonal_naive_and_by_gives_each_alone() {
    // the monthly sea surface temperature of El Niño's region: a season, and no candidate errs
    // clearly less than the median
    let (run_dir, csv) = default_run("end-theta", "elnino");
    let (combined, said) = forecast(&run_dir, &[]);
    let (name, _, others) = errors_listed(&said);
    assert_eq!(name, "the median of the RNN, Theta, the damped trend and the seasonal naive", "{said}");
    assert!(said.contains("(the default for a series with a season; its closed loops"), "{said}");
    assert_eq!(others.len(), 10, "the RNN, the autoregression, Theta, the damped trend, four means, two medians and the drift: {said}");
    let (median3, said_median3) = forecast(&run_dir, &["--by", "median-of-rnn-theta-and-damped"]);
    assert!(said_median3.contains("by the median of the RNN, Theta and the damped trend (as --by"), "{said_median3}");
    let (three, said_three) = forecast(&run_dir, &["--by", "rnn-theta-and-damped"]);
    assert!(said_three.contains("by the mean of the RNN, Theta and the damped trend (as --by"), "{said_three}");
    let (damped, said_damped) = forecast(&run_dir, &["--by", "damped"]);
    assert!(said_damped.contains("by the damped trend (as --by damped asked; "), "{said_damped}");
    // the mean of the RNN's forecast and Theta's, each of which --by gives alone
    let (mean, said_mean) = forecast(&run_dir, &["--by", "rnn-and-theta"]);
    assert!(said_mean.contains("by the mean of the RNN and Theta (as --by rnn-and-theta asked; "), "{said_mean}");
    let (rnn, said_rnn) = forecast(&run_dir, &["--by", "rnn"]);
    assert!(said_rnn.contains("by the RNN (as --by rnn asked; its closed loops"), "{said_rnn}");
    let (theta, _) = forecast(&run_dir, &["--by", "theta"]);
    // the drift asked for: the last value plus h times the mean step from the first
    let (drift, said_drift) = forecast(&run_dir, &["--by", "drift"]);
    assert!(said_drift.contains("by the drift (as --by drift asked; "), "{said_drift}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let values: Vec<f64> = text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let (first, last, n) = (values[0], values[values.len() - 1], values.len() as f64);
    let slope = (last - first) / (n - 1.0);
    let drift: Vec<f64> = drift.iter().map(|d| d.parse().unwrap()).collect();
    assert!((drift[0] - (last + slope)).abs() < 1e-5 * last.abs(), "{drift:?} from {last} at {slope} a step");
    for step in drift.windows(2).map(|w| w[1] - w[0]) {
        assert!((step - slope).abs() < 1e-3 * slope.abs(), "a step of {step}, not {slope}");
    }
    // the seasonal naive: the value of the last season's same month
    let naive = &values[values.len() - 12..];
    let number = |v: &String| -> f64 { v.parse().unwrap() };
    let each = mean.iter().zip(&combined).zip(&rnn).zip(theta.iter().zip(&damped)).zip(three.iter().zip(&median3)).zip(naive);
    for (((((m, c), r), (t, d)), (three, median3)), &sn) in each {
        let (m, c, r, t, d, three, median3) = (number(m), number(c), number(r), number(t), number(d), number(three), number(median3));
        assert!((m - (r + t) / 2.0).abs() < 1e-6 * m.abs(), "{m} is not the mean of {r} and {t}");
        assert!((three - (r + t + d) / 3.0).abs() < 1e-6 * three.abs(), "{three} is not the mean of {r}, {t} and {d}");
        let mut sorted = [r, t, d];
        sorted.sort_by(f64::total_cmp);
        assert!((median3 - sorted[1]).abs() < 1e-6 * median3.abs(), "{median3} is not the median of {r}, {t} and {d}");
        let mut sorted = [r, t, d, sn];
        sorted.sort_by(f64::total_cmp);
        let middle = (sorted[1] + sorted[2]) / 2.0;
        assert!((c - middle).abs() < 1e-6 * c.abs(), "{c} is not the median of {r}, {t}, {d} and {sn}: {middle}");
        assert!((r - t).abs() > 1e-4 * m.abs() && (d - t).abs() > 1e-4 * m.abs(), "the forecasts differ: {r}, {t}, {d}");
    }
}

#[test]
fn a_candidate_that_errs_clearly_less_on_the_held_out_tails_forecasts_instead_of_the_median() {
    let (run_dir, _) = default_run("end-clearly", "elec_equip");
    let (_, said) = forecast(&run_dir, &[]);
    let (name, chosen, others) = errors_listed(&said);
    assert!(others.iter().all(|&e| chosen <= e), "the least: {said}");
    let median = "the median of the RNN, Theta, the damped trend and the seasonal naive ";
    let combined: f64 = said.split(median).nth(1).and_then(|r| r.split([',', ';']).next()).expect(&said).parse().unwrap();
    assert!(combined > 1.1 * chosen, "the median erred more than 10% above {name}: {said}");
    assert!(!said.contains("the default for a series with a season"), "{said}");
}

#[test]
fn by_asks_for_a_forecaster_the_run_has_or_is_refused_in_one_line() {
    let dir = scratch("end-by");
    let nile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nile.csv");
    let logs = trained(&dir, &nile, "logs", &["--transform", "log", "--epochs", "2"]);
    let r = run(&["forecast", s(&logs), "--by", "theta"]);
    assert_ne!(r.code, 0);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--by theta: this run cannot forecast by it; it can by rnn, autoregression"), "{}", r.stderr);
    let r = run(&["forecast", s(&logs), "--by", "nope"]);
    assert_eq!(r.code, 2, "a usage error: {}", r.stderr);
    assert!(
        r.stderr.contains(
            "possible values: rnn, autoregression, theta, rnn-and-theta, autoregression-and-theta, drift, damped, rnn-theta-and-damped, autoregression-theta-and-damped"
        ),
        "{}",
        r.stderr
    );
}

/// `--ensemble 3`: the run itself and two more models, each trained bitwise as the run of its
/// seed alone would be; the forecast rolls each on and takes their median at every step; the
/// run's other outputs are the first model's. A member gone is named, with the fix.
#[test]
fn an_ensemble_forecasts_by_the_median_of_its_models_each_trained_as_its_seed_alone() {
    let dir = scratch("end-ensemble");
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/elec_equip.csv");
    let flags = ["--epochs", "5"];
    let ensemble = trained(&dir, &csv, "ensemble", &[&flags[..], &["--ensemble", "3"]].concat());
    let alone: Vec<PathBuf> = ["42", "43", "44"]
        .iter()
        .map(|seed| trained(&dir, &csv, &format!("seed-{seed}"), &[&flags[..], &["--seed", seed]].concat()))
        .collect();
    let bytes = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(bytes(ensemble.join("predictions.csv")) == bytes(alone[0].join("predictions.csv")), "the run's outputs are the first model's");
    for k in 1..3 {
        let member = bytes(ensemble.join(format!("member-{k}.safetensors")));
        assert!(member == bytes(alone[k].join("weights.safetensors")), "member {k} is the run of --seed {} alone", 42 + k);
    }
    let number = |v: &String| -> f64 { v.parse().unwrap() };
    let (median, said) = forecast(&ensemble, &["--by", "rnn"]);
    assert!(said.contains("by the RNN (as --by rnn asked; the RNN the median of 3 models' closed loops; its closed loops"), "{said}");
    let each: Vec<Vec<f64>> = alone.iter().map(|run| forecast(run, &["--by", "rnn"]).0.iter().map(number).collect()).collect();
    for (h, m) in median.iter().map(number).enumerate() {
        let mut three = [each[0][h], each[1][h], each[2][h]];
        three.sort_by(f64::total_cmp);
        assert_eq!(m, three[1], "step {h}: {m} is not the median of {three:?}");
    }
    assert!((0..median.len()).any(|h| number(&median[h]) != each[0][h]), "the median is not the first model's forecast alone");
    std::fs::remove_file(ensemble.join("member-2.safetensors")).unwrap();
    let r = run(&["forecast", s(&ensemble)]);
    assert_clean_error(&r, 1, "member-2.safetensors is missing: the run's --ensemble 3 did not finish training its models (train --resume");
}
