//! Wide files (issue 36): thousands of columns never grow the process until the kernel kills it.
//! One model of more columns than training windows is refused with one line naming the layout
//! that fits (--columns-as-series); the linear autoregression, whose full form grows with the
//! square of its inputs in memory and their cube in time, reads each column's own lags where
//! the columns are many.

mod common;
use common::*;

/// `columns` numeric columns of `rows` rows, each a noisy trend.
fn wide_csv(name: &str, columns: usize, rows: usize) -> std::path::PathBuf {
    let path = scratch(name).join("wide.csv");
    let header: Vec<String> = (0..columns).map(|j| format!("c{j}")).collect();
    write_series(&path, &header.join(","), rows, |i| {
        (0..columns).map(|j| format!("{:.3}", ((i * 31 + j * 17) % 97) as f64 / 97.0 + 0.01 * i as f64)).collect::<Vec<_>>().join(",")
    });
    path
}

#[test]
fn more_columns_than_training_windows_are_refused_naming_the_columns_as_series() {
    for (columns, rows, windows) in [(5000, 50, 30), (1000, 200, 135)] {
        let csv = wide_csv(&format!("wide-{columns}"), columns, rows);
        let out = csv.with_file_name("run");
        let r = run(&["train", "--data", s(&csv), "--out", s(&out)]);
        assert_clean_error(&r, 1, &format!("{columns} columns in one model from {windows} training windows"));
        assert!(r.stderr.contains("lay the columns out as series with --columns-as-series"), "{}", r.stderr);
        assert!(!out.exists(), "nothing written");
    }
    // the fix it names trains
    let csv = wide_csv("wide-1000", 1000, 200);
    let out = csv.with_file_name("melted");
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--columns-as-series", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Where every lag of every column would be more unknowns than the training windows can fit
/// (or more than the bound), the autoregression and the linear baseline read each column's own
/// lags: a column of weights each, so that the cost grows with the columns, not their square.
#[test]
fn many_columns_autoregress_each_on_its_own_lags() {
    let linear_ar = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap()["linear_ar"].clone()
    };
    let csv = wide_csv("wide-60", 60, 120);
    let out = csv.with_file_name("run");
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--seq-len", "8", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ar = linear_ar(&out);
    assert_eq!(ar["own_lags"], true, "481 inputs from 78 training windows");
    assert_eq!(ar["weights"].as_array().unwrap().len(), 9 * 60);
    assert!(std::fs::read_to_string(out.join("baselines.csv")).unwrap().contains("\nlinear,"), "the linear baseline too");
    let r = run(&["forecast", s(&out), "--steps", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // a few columns keep every lag of every column
    let csv = wide_csv("wide-3", 3, 200);
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--seq-len", "8", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(linear_ar(&out).get("own_lags").is_none() && linear_ar(&out)["weights"].as_array().unwrap().len() == 25 * 3);
    // one column's window over the bound is refused before it allocates
    let csv = wide_csv("wide-1", 1, 1500);
    let r = run(&["train", "--data", s(&csv), "--out", s(&csv.with_file_name("run")), "--seq-len", "1100"]);
    assert_clean_error(&r, 1, "--target linear's autoregression would read a window of 1100 values, over the 1024 it fits");
    assert!(r.stderr.contains("give a smaller --seq-len, or --target level"), "{}", r.stderr);
}

#[test]
fn a_wide_files_columns_train_as_many_series_in_the_long_layout() {
    let dir = scratch("wide-melted");
    let csv = dir.join("wide.csv");
    write_series(&csv, "date,a,b,c", 120, |i| {
        let t = i as f64;
        format!(
            "{},{:.3},{:.3},{:.3}",
            month(2000, i),
            10.0 + (t / 2.0).sin() + 0.05 * t,
            100.0 + 5.0 * (t / 3.0).cos(),
            (i % 12) as f64 * 2.0 + 0.1 * t
        )
    });
    let out = dir.join("run");
    let r = run(&["train", "--data", s(&csv), "--columns-as-series", "--epochs", "2", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baselines = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    for series in ["all series", "a", "b", "c"] {
        assert!(baselines.contains(&format!("\n{series},persistence,")), "{series}: {baselines}");
    }
    // each column scaled on its own: three scalings, one feature
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["features"], serde_json::json!(["value"]));
    assert_eq!(config["series"].as_array().unwrap().len(), 3);
    let r = run(&["forecast", s(&out), "--steps", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast = std::fs::read_to_string(out.join("forecast.csv")).unwrap();
    for column in ["a", "b", "c"] {
        assert!(forecast.contains(&format!("\n{column},1,120,2010-01,")), "{column} forecast from its own end: {forecast}");
    }
    let r = run(&["predict", s(&out), "--series", "b"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().skip(1).all(|l| l.starts_with("b,")), "{}", r.stdout);
    // one or the other layout
    let r = run(&["train", "--data", s(&csv), "--columns-as-series", "--series-column", "date", "--out", s(&dir.join("x"))]);
    assert_clean_error(&r, 2, "the argument '--columns-as-series' cannot be used with '--series-column <NAME>'");
}

#[test]
fn sigterm_stops_the_autoregressions_fit_within_a_second() {
    use std::time::{Duration, Instant};
    // 128 columns and a window of 8: 1,024 inputs, at the bound, a fit of seconds
    let csv = wide_csv("wide-sigterm", 128, 2000);
    let out = csv.with_file_name("run");
    let child = spawn(&["train", "--data", s(&csv), "--out", s(&out), "--seq-len", "8"]);
    std::thread::sleep(Duration::from_millis(1000));
    signal(&child, "-TERM");
    let asked = Instant::now();
    let done = child.wait_with_output().unwrap();
    let (took, stderr) = (asked.elapsed(), String::from_utf8_lossy(&done.stderr).to_string());
    assert_eq!(done.status.code(), Some(143), "{stderr}");
    assert!(took < Duration::from_secs(1), "stopped {took:?} after SIGTERM");
    assert_eq!(
        stderr.trim(),
        "stopped by SIGTERM during the autoregression's fit, before training began: no weights or checkpoint were saved"
    );
    assert!(!out.exists(), "nothing written");
}
