//! Wide files (issue 36, in part): thousands of columns never grow the process until the kernel
//! kills it; the linear autoregression, whose cost grows with the square of its inputs in memory
//! and their cube in time, refuses beyond its bound with one line naming the fixes.

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
fn thousands_of_columns_are_refused_before_the_autoregression_allocates() {
    for (columns, rows) in [(5000, 50), (1000, 200)] {
        let csv = wide_csv(&format!("wide-{columns}"), columns, rows);
        let out = csv.with_file_name("run");
        let r = run(&["train", "--data", s(&csv), "--out", s(&out)]);
        let inputs = 8 * columns;
        assert_clean_error(
            &r,
            1,
            &format!("--target linear's autoregression would read 8 rows of {columns} columns, {inputs} inputs, over the 1024 it fits in bounded time and memory"),
        );
        assert!(
            r.stderr.contains("give fewer --columns, a smaller --seq-len, --target level, or lay the columns out as series"),
            "{}",
            r.stderr
        );
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn beyond_the_bound_the_linear_baseline_is_left_out_and_the_rest_runs() {
    let csv = wide_csv("wide-300", 300, 40);
    let out = csv.with_file_name("run");
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--target", "level", "--seq-len", "4", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baselines = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    let names: Vec<&str> = baselines.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["persistence", "drift", "theta"], "4 rows of 300 columns: 1,200 inputs, over the bound");
    // within it, the linear baseline is there
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--target", "level", "--seq-len", "3", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(out.join("baselines.csv")).unwrap().contains("\nlinear,"));
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
