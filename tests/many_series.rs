//! Many series in one file (long format, `--series-column`): one model across them, each series
//! split and scaled on its own, its outputs per series and pooled, predict and forecast by name.

mod common;
use common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// (name, rows, level, amplitude): three monthly series of different lengths and magnitudes.
const SERIES: [(&str, usize, f64, f64); 3] = [("small", 60, 2.0, 0.5), ("big", 90, 1000.0, 80.0), ("mid", 40, 50.0, 5.0)];

/// Row `i` of series `k`: a yearly season on a trend.
fn value(k: usize, i: usize) -> f64 {
    let (_, _, level, amp) = SERIES[k];
    level + amp * (i as f64 * std::f64::consts::PI / 6.0).sin() + 0.01 * amp * i as f64
}

/// `store,month,sales`, the series' rows interleaved; with `newest_first`, mid's rows come
/// newest first (train orders a series by its time labels).
fn write_stores(path: &Path, newest_first: bool) {
    let mut lines = vec!["store,month,sales".to_string()];
    for i in 0..90 {
        for (k, &(name, rows, _, _)) in SERIES.iter().enumerate() {
            let i = if newest_first && name == "mid" { rows.wrapping_sub(1 + i) } else { i };
            if i < rows {
                lines.push(format!("{name},{},{}", month(2010, i), value(k, i)));
            }
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// A run on the stores' file: 3 epochs, the CSV defaults otherwise.
fn trained(name: &str, newest_first: bool) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let csv = dir.join("stores.csv");
    write_stores(&csv, newest_first);
    let out = dir.join("run");
    let r = run(&["train", "--quiet", "--epochs", "3", "--data", s(&csv), "--series-column", "store", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (csv, out)
}

/// A CSV's rows as maps from its header's names.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = text.lines().next().unwrap().split(',').map(String::from).collect();
    text.lines().skip(1).map(|l| header.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

fn config(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap()
}

#[test]
fn one_model_trains_across_the_series_each_split_and_scaled_on_its_own() {
    let (_, out) = trained("many-train", true);
    let config = config(&out);
    let seq_len = config["settings"]["seq_len"].as_u64().unwrap() as usize;
    assert_eq!(seq_len, 15, "two seasons, at most a quarter of the median series' 60 rows");
    let rows = table(&out.join("predictions.csv"));
    for (k, &(name, len, _, _)) in SERIES.iter().enumerate() {
        let own: Vec<&HashMap<String, String>> = rows.iter().filter(|r| r["series"] == name).collect();
        // no window crosses into another series: the first target is the series' own row seq_len
        let mut index: Vec<usize> = own.iter().map(|r| r["index"].parse().unwrap()).collect();
        index.sort();
        assert_eq!(index, (seq_len..len).collect::<Vec<_>>(), "{name}: every window of its own rows, none more");
        // its own chronological tail held out
        let windows = len - seq_len;
        let tail: Vec<usize> = own.iter().filter(|r| r["split"] == "test").map(|r| r["index"].parse().unwrap()).collect();
        assert_eq!(tail, (len - windows / 5..len).collect::<Vec<_>>(), "{name}: the last fifth of its windows");
        for r in &own {
            let i: usize = r["index"].parse().unwrap();
            assert_eq!(r["time"], month(2010, i), "{name}: in time order whatever the file's order");
            assert_eq!(r["target_sales"].parse::<f64>().unwrap(), value(k, i));
        }
        // scaled by its own training rows: min and max of the rows its training windows read
        let scaling = config["series"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["scaling"].clone();
        let last_train = own.iter().filter(|r| r["split"] == "train").map(|r| r["index"].parse::<usize>().unwrap()).max().unwrap();
        let seen: Vec<f64> = (0..=last_train).map(|i| value(k, i)).collect();
        let min = seen.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = seen.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((scaling["min"][0].as_f64().unwrap(), scaling["max"][0].as_f64().unwrap()), (min, max), "{name}");
    }
    assert!(config["scaling"].is_null(), "no one scaling for the file");
}

#[test]
fn scores_and_baselines_are_given_per_series_and_pooled() {
    let (_, out) = trained("many-scores", false);
    let scores = table(&out.join("scores.csv"));
    let windows = |series: &str, forecaster: &str| -> usize {
        scores.iter().find(|r| r["series"] == series && r["forecaster"] == forecaster).unwrap()["windows"].parse().unwrap()
    };
    let each: usize = SERIES.iter().map(|s| windows(s.0, "rnn")).sum();
    assert_eq!(windows("all series", "rnn"), each, "the pooled rows cover every series' test tail");
    assert_eq!(scores[0]["series"], "all series", "pooled first");
    for forecaster in ["rnn", "persistence", "linear", "seasonal_naive", "drift", "naive2", "theta"] {
        assert!(scores.iter().any(|r| r["series"] == "mid" && r["forecaster"] == forecaster), "{forecaster}");
    }
    // each series' MASE on its own scale: the pooled MASE is their mean weighted by windows
    let mase = |series: &str| -> f64 {
        scores.iter().find(|r| r["series"] == series && r["forecaster"] == "persistence").unwrap()["mase"].parse().unwrap()
    };
    let weighted = SERIES.iter().map(|s| mase(s.0) * windows(s.0, "persistence") as f64).sum::<f64>() / each as f64;
    assert!((mase("all series") - weighted).abs() < 1e-12 * weighted, "{} {weighted}", mase("all series"));
    let baselines = table(&out.join("baselines.csv"));
    let series: Vec<&str> = baselines.iter().map(|r| r["series"].as_str()).collect();
    let each_of = |name| [name; 6]; // persistence, linear, the seasonal naive, the drift, Naive2, Theta
    assert_eq!(series, [each_of("all series"), each_of("small"), each_of("big"), each_of("mid")].concat());
}

#[test]
fn predict_and_forecast_take_a_series_by_name() {
    let (_, out) = trained("many-forecast", false);
    let r = run(&["predict", s(&out), "--series", "big"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().skip(1).collect();
    assert!(lines.len() == 90 - 15 && lines.iter().all(|l| l.starts_with("big,")), "{}", r.stdout);
    assert_clean_error(
        &run(&["predict", s(&out), "--series", "huge"]),
        1,
        "--series huge: no such series in the store column (its series: small, big, mid)",
    );
    let r = run(&["forecast", s(&out), "--steps", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("forecast 3 steps for each of 3 series"), "{}", r.stdout);
    let rows = table(&out.join("forecast.csv"));
    for &(name, len, _, _) in &SERIES {
        let own: Vec<&str> = rows.iter().filter(|r| r["series"] == name).map(|r| r["time"].as_str()).collect();
        assert_eq!(own, [month(2010, len), month(2010, len + 1), month(2010, len + 2)], "{name}: after its own last month");
    }
    assert!(table(&out.join("forecast_horizons.csv")).iter().any(|r| r["series"] == "mid"));
    let r = run(&["forecast", s(&out), "--steps", "2", "--series", "small"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(table(&out.join("forecast.csv")).iter().all(|r| r["series"] == "small"));
    assert!(out.join("plots/forecast.png").exists() && out.join("plots/predictions.png").exists());
    let r = run(&["plot", s(&out)]);
    assert!(r.code == 0 && r.stdout.contains("forecast.png"), "{}", r.stdout);
}

#[test]
fn model_pt_takes_each_windows_series_and_gives_predictions_csvs_numbers() {
    let (csv, out) = trained("many-export", false);
    let r = py(&["tests/python/check_export_units.py", s(&out), s(&csv)]);
    assert_eq!(r.code, 0, "model.pt of many series:\n{}{}", r.stdout, r.stderr);
}

#[test]
fn a_file_of_many_series_without_the_flag_gets_one_line_naming_it() {
    let dir = scratch("many-unflagged");
    let csv = dir.join("stores.csv");
    write_stores(&csv, false);
    let r = run(&["train", "--data", s(&csv), "--out", s(&dir.join("a"))]);
    assert_clean_error(&r, 1, "(store): \"small\" is not a number (the name of each row's series? --series-column names it");
    let r = run(&["train", "--data", s(&csv), "--columns", "sales", "--out", s(&dir.join("b"))]);
    assert_clean_error(&r, 1, "the time column month repeats 2010-01 (data rows 1 and 2): a file of many series? --series-column");
    let r = run(&["train", "--data", s(&csv), "--series-column", "shop", "--out", s(&dir.join("c"))]);
    assert_clean_error(&r, 1, "--series-column shop: ");
    assert!(!dir.join("a").exists() && !dir.join("b").exists(), "a refused file creates nothing");
    let r = run(&["train", "--series-column", "store", "--out", s(&dir.join("d"))]);
    assert_clean_error(&r, 1, "--series-column names a column of your CSV: give it with --data FILE");
}

#[test]
fn a_run_of_many_series_stopped_and_resumed_ends_as_one_never_stopped() {
    let dir = scratch("many-resume");
    let csv = dir.join("stores.csv");
    write_stores(&csv, true);
    let flags = ["--quiet", "--epochs", "3", "--data", s(&csv), "--series-column", "store"];
    let (whole, parts) = (dir.join("whole"), dir.join("parts"));
    assert_eq!(run(&[&["train"], &flags[..], &["--out", s(&whole)]].concat()).code, 0);
    assert_eq!(run(&[&["train"], &flags[..], &["--out", s(&parts), "--stop-after-steps", "20"]].concat()).code, 130);
    let r = run(&["train", "--quiet", "--resume", s(&parts)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // (not scores.csv: its linear AR rows come from MKL's least squares, whose last bits follow
    // the memory's alignment, which differs between the two processes)
    for file in ["weights.safetensors", "predictions.csv", "steps.csv"] {
        assert_eq!(std::fs::read(whole.join(file)).unwrap(), std::fs::read(parts.join(file)).unwrap(), "{file}");
    }
}

/// A PNG's height, from its header.
fn png_height(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    u32::from_be_bytes(bytes[20..24].try_into().unwrap())
}

#[test]
fn a_run_of_many_series_whose_file_is_gone_still_plots_from_its_predictions() {
    let (csv, out) = trained("many-moved", false);
    std::fs::remove_file(&csv).unwrap();
    let r = run(&["plot", s(&out)]);
    assert!(r.code == 0 && r.stdout.contains("predictions.png"), "{}", r.stdout);
    // still a panel per series, each series' rows gathered from predictions.csv
    assert_eq!(png_height(&out.join("plots/data.png")), 3 * 260);
    assert_eq!(png_height(&out.join("plots/predictions.png")), 3 * 330);
}

#[test]
fn a_series_too_short_for_a_window_is_left_out_with_a_word() {
    let dir = scratch("many-short");
    let csv = dir.join("stores.csv");
    write_stores(&csv, false);
    let tiny: String = (0..5).map(|i| format!("tiny,{},{}\n", month(2010, i), i)).collect();
    let wee: String = (0..3).map(|i| format!("wee,{},{}\n", month(2010, i), 2 * i)).collect();
    std::fs::write(&csv, std::fs::read_to_string(&csv).unwrap() + &tiny + &wee).unwrap();
    let out = dir.join("run");
    let r = run(&["train", "--epochs", "2", "--data", s(&csv), "--series-column", "store", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("note: left out 2 series with no ") && r.stderr.contains("): tiny, wee"), "{}", r.stderr);
    assert!(table(&out.join("scores.csv")).iter().all(|r| r["series"] != "tiny"));
    // the forecast: tiny too, by Theta (0, 1, .., 4 goes on rising), wee's three values by the
    // drift (0, 2, 4 goes on 6, 8), without a band, and said
    let r = run(&["forecast", s(&out), "--steps", "2"]);
    assert!(r.code == 0 && r.stdout.contains("for each of 5 series"), "{}", r.stdout);
    assert!(r.stdout.contains("1 series too short for the model's window forecast by Theta (no band)"), "{}", r.stdout);
    assert!(r.stdout.contains("1 series too short for the model's window forecast by the drift"), "{}", r.stdout);
    let rows = table(&out.join("forecast.csv"));
    let of = |name: &str| rows.iter().filter(|r| r["series"] == name).cloned().collect::<Vec<_>>();
    let cells = |name: &str, key: &str| of(name).iter().map(|r| r[key].clone()).collect::<Vec<_>>();
    let preds = |name: &str| cells(name, "pred_sales").iter().map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>();
    assert_eq!(cells("tiny", "time"), ["2010-06", "2010-07"]);
    let theta = preds("tiny");
    assert!(4.0 < theta[0] && theta[0] < theta[1] && theta[1] < 6.0, "Theta goes on at half the slope: {theta:?}");
    assert_eq!(preds("wee"), [6.0, 8.0]);
    assert_eq!(cells("tiny", "lower_sales"), ["", ""], "no band");
    assert!(
        rows.iter().filter(|r| r["series"] != "tiny" && r["series"] != "wee").all(|r| !r["lower_sales"].is_empty()),
        "the others keep theirs"
    );
    // one series asked for by name: tiny's Theta alone
    let r = run(&["forecast", s(&out), "--steps", "1", "--series", "tiny"]);
    assert!(r.code == 0 && r.stdout.contains("by Theta (no band): the series is too short"), "{}", r.stdout);
    // from a row inside it, none: refused in one line that says how to forecast it
    assert_clean_error(
        &run(&["forecast", s(&out), "--steps", "1", "--series", "tiny", "--from", "3"]),
        1,
        "series tiny: --from 3: the series is too short for the model's window (5 rows; a window takes",
    );
    assert!(run(&["forecast", s(&out), "--steps", "1", "--from", "20"]).code == 0, "every series: the short ones are passed over");
}

/// A series' band pools its own errors with the other series' validation errors (each over its
/// series' scale): shifting another series' validation rows moves it; shifting that series'
/// test tail does not; and the series' own predictions stay as they were.
#[test]
fn a_series_band_borrows_the_other_series_validation_errors_and_only_those() {
    let (csv, out) = trained("many-band", false);
    let predictions = table(&out.join("predictions.csv"));
    let rows_of = |split: &str| -> Vec<usize> {
        predictions.iter().filter(|r| r["series"] == "big" && r["split"] == split).map(|r| r["index"].parse().unwrap()).collect()
    };
    let (val, test) = (rows_of("val"), rows_of("test"));
    assert!(!val.is_empty() && !test.is_empty(), "{val:?} {test:?}");
    // big's rows moved by 500 where `moved` says, the others as they were
    let write = |moved: &dyn Fn(usize) -> bool| {
        let mut lines = vec!["store,month,sales".to_string()];
        for (k, &(name, rows, _, _)) in SERIES.iter().enumerate() {
            let shift = |i| if name == "big" && moved(i) { 500.0 } else { 0.0 };
            lines.extend((0..rows).map(|i| format!("{name},{},{}", month(2010, i), value(k, i) + shift(i))));
        }
        std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    };
    // small's forecast: each row's prediction, lower and upper (by the RNN: big's rows would
    // otherwise move the choice of forecaster, which every series shares)
    let small = || -> Vec<[String; 3]> {
        let r = run(&["forecast", s(&out), "--steps", "3", "--series", "small", "--by", "rnn"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        table(&out.join("forecast.csv")).iter().map(|r| ["pred_sales", "lower_sales", "upper_sales"].map(|c| r[c].clone())).collect()
    };
    write(&|_| false);
    let before = small();
    write(&|i| val.contains(&i));
    let borrowed = small();
    assert_ne!(borrowed, before, "big's validation errors left small's band as it was");
    assert!(borrowed.iter().zip(&before).all(|(a, b)| a[0] == b[0]), "small's predictions moved");
    write(&|i| test.contains(&i));
    assert_eq!(small(), before, "big's test tail moved small's band");
}

/// A series too short for validation windows of its own (9 windows of 8 rows: none at 10%)
/// still gets a band, from the other series' validation errors.
#[test]
fn a_series_without_validation_windows_of_its_own_gets_its_band_from_the_others() {
    let dir = scratch("many-band-tiny");
    let csv = dir.join("stores.csv");
    let mut lines = vec!["store,month,sales".to_string()];
    for (k, &(name, rows, _, _)) in SERIES.iter().enumerate().take(2) {
        lines.extend((0..rows).map(|i| format!("{name},{},{}", month(2010, i), value(k, i))));
    }
    lines.extend((0..17).map(|i| format!("tiny,{},{}", month(2010, i), 3.0 * value(0, i))));
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let out = dir.join("run");
    let r = run(&["train", "--quiet", "--epochs", "3", "--seq-len", "8", "--data", s(&csv), "--series-column", "store", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !table(&out.join("predictions.csv")).iter().any(|r| r["series"] == "tiny" && r["split"] == "val"),
        "tiny has a validation window"
    );
    let r = run(&["forecast", s(&out), "--steps", "3", "--series", "tiny"]);
    assert!(r.code == 0 && r.stdout.contains("with a 90% band"), "{}", r.stdout);
    let rows = table(&out.join("forecast.csv"));
    assert!(rows.iter().all(|r| r["lower_sales"].parse::<f64>().unwrap() < r["pred_sales"].parse::<f64>().unwrap()), "{rows:?}");
}
