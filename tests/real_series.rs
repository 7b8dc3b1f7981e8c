//! Real series (tests/data, see SOURCES.md there): a time column, gaps, no leakage from the
//! held-out tail, the baselines, and predict/forecast/plot that take the run's own series.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// baselines.csv's rows, after checking its header: each baseline and its test loss.
fn baseline_rows(dir: &Path) -> Vec<(String, f64)> {
    let text = read(&dir.join("baselines.csv"));
    assert_eq!(text.lines().next(), Some("name,test_loss"), "{text}");
    text.lines().skip(1).map(|l| l.split_once(',').unwrap()).map(|(n, v)| (n.to_string(), v.parse().unwrap())).collect()
}

/// baselines.csv of a series without a season: persistence, linear and the drift, in that
/// order (persistence's and linear's losses).
fn baselines(dir: &Path) -> (f64, f64) {
    let rows = baseline_rows(dir);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["persistence", "linear", "drift", "theta"]);
    (rows[0].1, rows[1].1)
}

/// metrics.csv's column `name`, by its header.
fn metrics_column(dir: &Path, name: &str) -> Vec<String> {
    let text = read(&dir.join("metrics.csv"));
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    text.lines().skip(1).map(|l| l.split(',').nth(col).unwrap().to_string()).collect()
}

/// The test loss of the epoch whose weights the run kept (the lowest validation loss).
fn final_test_loss(dir: &Path) -> f64 {
    let kept = config(dir)["kept_epoch"].as_u64().unwrap() as usize;
    metrics_column(dir, "test_loss")[kept - 1].parse().unwrap()
}

fn config(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("config.json"))).unwrap()
}

fn train(out: &Path, args: &[&str]) -> Run {
    let mut a = vec!["train", "--out", s(out)];
    a.extend_from_slice(args);
    let r = run(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

#[test]
fn sunspots_train_on_their_years_beat_persistence_and_predict_forecast_and_plot_their_own_series() {
    let dir = scratch("real-sunspots");
    let out = dir.join("run");
    let r = train(&out, &["--data", s(&data("sunspots.csv")), "--time-column", "YEAR"]);
    let (persistence, linear) = baselines(&out);
    let test = final_test_loss(&out);
    assert!(r.stdout.contains(&format!("test MSE {test:.3e}; persistence {persistence:.3e}, linear {linear:.3e}")), "{}", r.stdout);
    assert!(test < persistence, "the RNN beats next = last: {test} against {persistence}");
    assert!(linear < persistence, "and so does the linear autoregression: {linear}");
    let c = config(&out);
    assert_eq!(c["features"], serde_json::json!(["SUNACTIVITY"]), "YEAR is not a feature");
    assert_eq!(c["time_column"], "YEAR");
    let predictions = read(&out.join("predictions.csv"));
    assert!(predictions.starts_with("index,time,split,target_SUNACTIVITY,pred_SUNACTIVITY\n8,1708,train,10,"), "{predictions:.90}");
    assert!(predictions.trim_end().lines().last().unwrap().starts_with("308,2008,test,2.9,"));

    // Without --data, predict and forecast use the run's series, not the built-in circle.
    let r = run(&["predict", "--weights", s(&out.join("weights.safetensors"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let differs = r.stdout.lines().zip(predictions.lines()).find(|(a, b)| a != b);
    assert!(differs.is_none() && r.stdout.len() == predictions.len(), "predict gives back the run's own predictions: {differs:?}");
    // --from by time label: the first year of the test tail
    let r = run(&["forecast", "--weights", s(&out.join("weights.safetensors")), "--steps", "70", "--from", "1949"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast = read(&out.join("forecast.csv"));
    assert!(
        forecast.starts_with(
            "step,index,time,pred_SUNACTIVITY,lower_SUNACTIVITY,upper_SUNACTIVITY,true_SUNACTIVITY,distance,persistence_distance\n1,249,1949,"
        ),
        "{forecast:.120}"
    );
    assert!(forecast.contains("\n60,308,2008,") && forecast.contains("\n61,309,2009,"), "the years go on past 2008");
    assert!(forecast.lines().nth(61).unwrap().ends_with(",,,"), "no truth after 2008: {forecast:.2000}");
    let horizons = read(&out.join("forecast_horizons.csv"));
    assert!(horizons.starts_with("h,starts,rnn_mse,persistence_mse,rnn_mase,coverage\n1,60,"), "{horizons:.60}");
    assert_eq!(horizons.lines().count(), 1 + 60, "as far as the held-out rows reach");
    // plot finds the series again, and labels its x axis with the years
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    assert_eq!(run(&["plot", s(&out)]).code, 0);
    assert!(out.join("plots/loss.png").exists() && out.join("plots/predictions.png").exists());
}

#[test]
fn the_nile_trains_on_its_years_against_both_baselines() {
    let dir = scratch("real-nile");
    let out = dir.join("run");
    train(&out, &["--quiet", "--data", s(&data("nile.csv")), "--time-column", "year"]);
    let (persistence, linear) = baselines(&out);
    let test = final_test_loss(&out);
    // docs/real_series.md: ahead of persistence on every seed, level with the linear baseline
    assert!(test < persistence, "RNN {test}, persistence {persistence}");
    assert!(linear < persistence && test < 1.5 * linear, "RNN {test}, linear {linear}");
    assert!(read(&out.join("predictions.csv")).starts_with("index,time,split,target_volume,pred_volume\n8,1879,train,"));
}

#[test]
fn the_same_run_twice_writes_the_same_baselines_and_scores() {
    // (libtorch's gelsy fitted the linear baseline differently in its last bits from run to run:
    // five different scores.csv in six runs of this command)
    let dir = scratch("real-nile-again");
    let written = |k: usize| {
        let out = dir.join(format!("run{k}"));
        train(&out, &["--quiet", "--data", s(&data("nile.csv")), "--epochs", "0"]);
        (read(&out.join("baselines.csv")), read(&out.join("scores.csv")))
    };
    let first = written(0);
    for k in 1..8 {
        assert_eq!(written(k), first, "run {k} against run 0");
    }
}

/// With get_yt at zero (a CSV series' default), the untrained model predicts what --target alone
/// does: persistence with --target change. With nn.Linear's init (--yt-init pytorch) it does not.
#[test]
fn an_untrained_csv_model_predicts_what_its_target_alone_does() {
    let (dir, nile) = (scratch("real-untrained"), data("nile.csv"));
    for (init, persistence) in [(None, true), (Some("pytorch"), false)] {
        let out = dir.join(init.unwrap_or("default"));
        let mut args = vec!["--quiet", "--data", s(&nile), "--epochs", "0", "--target", "change"];
        if let Some(i) = init {
            args.extend(["--yt-init", i]);
        }
        train(&out, &args);
        let text = read(&out.join("predictions.csv"));
        let cells = |l: &str| -> (f64, f64) {
            let c: Vec<&str> = l.split(',').collect();
            (c[3].parse().unwrap(), c[4].parse().unwrap())
        };
        let rows: Vec<(f64, f64)> = text.lines().skip(1).map(cells).collect();
        // each prediction against the row before its target (volumes near 1,000; float32 scaling)
        let farthest = rows.windows(2).map(|w| (w[1].1 - w[0].0).abs()).fold(0.0, f64::max);
        assert_eq!(farthest < 1e-3, persistence, "{init:?}: farthest from the last row seen {farthest}");
        assert_eq!(config(&out)["settings"]["yt_init"], init.unwrap_or("zero"));
    }
}

#[test]
fn co2s_gaps_are_refused_interpolated_or_skipped_and_the_run_says_which() {
    let dir = scratch("real-co2");
    let co2 = data("co2.csv");
    let r = run(&["train", "--out", s(&dir.join("refused")), "--data", s(&co2), "--time-column", "date"]);
    assert_clean_error(&r, 1, "row 8, column 2 (co2): missing value (--missing interpolate");
    assert!(!dir.join("refused").exists());

    let out = dir.join("interpolated");
    // (a window of 4 rows, not the two seasons a weekly CSV reads by default, for the gaps' arithmetic below)
    let r = train(&out, &["--epochs", "2", "--seq-len", "4", "--data", s(&co2), "--time-column", "date", "--missing", "interpolate"]);
    assert!(r.stdout.contains("(59 missing cells interpolated)"), "{}", r.stdout);
    // weekly dates: a season of 52 rows, and the seasonal naive beside the other two
    assert_eq!(config(&out)["season"], 52);
    let rows = baseline_rows(&out);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["persistence", "linear", "seasonal_naive", "drift", "naive2", "theta"]);
    let (persistence, linear, seasonal) = (rows[0].1, rows[1].1, rows[2].1);
    assert!(linear < persistence && persistence < 1e-3, "a smooth weekly series: next = last is close ({persistence}, {linear})");
    assert!(seasonal > persistence, "a year back misses a year of the trend ({seasonal})");
    assert!(r.stdout.contains(&format!("seasonal naive (52) {seasonal:.3e}")), "{}", r.stdout);
    let gaps = &config(&out)["gaps"];
    assert_eq!((gaps["missing"].as_str(), gaps["cells"].as_u64(), gaps["filled"].as_u64()), (Some("interpolate"), Some(59), Some(59)));
    assert_eq!(config(&out)["windows"], 2284 - 4, "every window is kept");
    // row 8 (the file's row 8, the series' row 6) sits halfway between its neighbours
    let p = read(&out.join("predictions.csv"));
    let target = |index: &str| -> f64 {
        p.lines().find(|l| l.starts_with(&format!("{index},"))).unwrap().split(',').nth(3).unwrap().parse().unwrap()
    };
    assert_eq!(target("6"), target("5") + (target("7") - target("5")) * 0.5, "{}", &p[..300]);

    let out = dir.join("skipped");
    let r = train(&out, &["--epochs", "2", "--seq-len", "4", "--data", s(&co2), "--time-column", "date", "--missing", "skip"]);
    let c = config(&out);
    let skipped = c["gaps"]["skipped_windows"].as_u64().unwrap();
    assert!(r.stdout.contains(&format!("(59 missing cells: {skipped} windows skipped)")), "{}", r.stdout);
    assert!((59..=59 * 5).contains(&skipped), "each gap removes the up to 5 windows that touch it: {skipped}");
    assert_eq!(c["windows"].as_u64().unwrap() + skipped, 2284 - 4);
    let p = read(&out.join("predictions.csv"));
    assert!(!p.lines().any(|l| l.split(',').nth(3) == Some("")), "no window's target is a gap");
    // data.png breaks the line at a gap: nothing of the series' colour near the bottom of the
    // chart (CO2 never falls that low), where a line drawn to a NaN would end
    let png = image::open(out.join("plots/data.png")).unwrap().to_rgb8();
    let blue = (75..1380).flat_map(|x| (386..397).map(move |y| (x, y))).filter(|&(x, y)| png.get_pixel(x, y).0 == [31, 119, 180]).count();
    assert_eq!(blue, 0, "series pixels near the x axis");
    // the series' gaps begin at rows 6 and 9..=13: targets 6..=17 read one, 18 is the first after
    assert!(p.contains("\n5,") && !p.contains("\n6,") && !p.contains("\n17,") && p.contains("\n18,"), "{}", &p[..400]);
}

#[test]
fn a_first_column_of_dates_is_the_time_column_without_the_flag() {
    let dir = scratch("real-dates");
    let csv = dir.join("passengers.csv");
    write_series(&csv, "month,passengers", 144, |i| {
        format!("{},{}", month(1949, i), 100.0 + i as f64 + 30.0 * (i as f64 * std::f64::consts::PI / 6.0).sin())
    });
    let out = dir.join("run");
    train(&out, &["--quiet", "--epochs", "3", "--data", s(&csv)]);
    assert_eq!(config(&out)["time_column"], "month");
    assert!(read(&out.join("predictions.csv")).starts_with("index,time,split,target_passengers,pred_passengers\n24,1951-01,train,"));
    let r = run(&["forecast", s(&out), "--steps", "14"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast = read(&out.join("forecast.csv"));
    assert!(forecast.contains("\n1,144,1961-01,") && forecast.contains("\n14,157,1962-02,"), "the months go on: {forecast:.300}");
    assert!(out.join("plots/forecast.png").exists() && !out.join("forecast.png").exists(), "a run's figures live in its plots/");
    // plot redraws it, the same picture, from what forecast was asked (forecast.json)
    let before = std::fs::read(out.join("plots/forecast.png")).unwrap();
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    let p = run(&["plot", s(&out)]);
    assert!(p.code == 0 && p.stdout.contains("forecast.png"), "{}", p.stdout);
    assert_eq!(std::fs::read(out.join("plots/forecast.png")).unwrap(), before);
    std::fs::write(out.join("forecast.json"), "{\"steps\": 0, \"from\": null, \"coverage\": 0.9}").unwrap();
    assert_clean_error(&run(&["plot", s(&out)]), 1, "forecast.json: steps must be 1 to 10000000");
    std::fs::write(out.join("forecast.json"), "{\"steps\": 3, \"from\": null, \"coverage\": 0.9, \"band_step\": -1}").unwrap();
    assert_clean_error(&run(&["plot", s(&out)]), 1, "and band_step from 0 to 1");
    assert!(r.stdout.contains("forecast 14 steps from 1961-01 (row 144) with a 90% band"), "{}", r.stdout);
    assert_clean_error(
        &run(&["forecast", s(&out), "--steps", "3", "--from", "1999-01"]),
        1,
        "--from 1999-01: no row has that time label (the labels run from 1949-01 to 1960-12)",
    );
    assert_clean_error(
        &run(&["forecast", s(&out), "--steps", "3", "--coverage", "90"]),
        2,
        "90 is not a coverage: give a fraction between 0 and 1",
    );
    assert_clean_error(
        &run(&["forecast", s(&out), "--steps", "3", "--band-step", "2"]),
        2,
        "2 is not a band step: give a number from 0 to 1",
    );
    // Without --steps, one season: the twelve months of 1961; plot redraws that too.
    let r = run(&["forecast", s(&out)]);
    assert!(r.code == 0 && r.stdout.contains("forecast 12 steps from 1961-01"), "{}", r.stdout);
    let forecast = read(&out.join("forecast.csv"));
    assert!(forecast.contains("\n12,155,1961-12,") && !forecast.contains("\n13,"), "one season: {forecast:.300}");
    let before = std::fs::read(out.join("plots/forecast.png")).unwrap();
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    assert_eq!(run(&["plot", s(&out)]).code, 0);
    assert_eq!(std::fs::read(out.join("plots/forecast.png")).unwrap(), before);
}

#[test]
fn changing_only_the_held_out_tail_changes_no_training_step() {
    let dir = scratch("real-leak");
    // The Nile: 96 windows, the last 19 held out, so rows 81.. are read by held-out windows only.
    let text = read(&data("nile.csv"));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for line in lines.iter_mut().skip(1 + 85) {
        let (year, v) = line.split_once(',').unwrap();
        *line = format!("{year},{}", v.parse::<f64>().unwrap() * 3.0 + 500.0);
    }
    let changed = dir.join("changed.csv");
    std::fs::write(&changed, lines.join("\n") + "\n").unwrap();
    let (a, b) = (dir.join("original"), dir.join("changed"));
    train(&a, &["--quiet", "--epochs", "5", "--data", s(&data("nile.csv")), "--time-column", "year"]);
    train(&b, &["--quiet", "--epochs", "5", "--data", s(&changed), "--time-column", "year"]);
    assert_eq!(read(&a.join("steps.csv")), read(&b.join("steps.csv")), "every training loss the same, to the bit");
    assert_eq!(std::fs::read(a.join("weights.safetensors")).unwrap(), std::fs::read(b.join("weights.safetensors")).unwrap());
    assert_eq!(config(&a)["scaling"], config(&b)["scaling"], "the scaling sees the training rows only");
    assert_ne!(final_test_loss(&a), final_test_loss(&b), "the held-out tail did change");

    // With validation and early stopping, and the autoregression fitted on the validation windows
    // too: the test tail chooses nothing either.
    let (a, b) = (dir.join("original-val"), dir.join("changed-val"));
    let flags = [
        "--quiet",
        "--epochs",
        "30",
        "--lr",
        "0.05",
        "--val-fraction",
        "0.2",
        "--patience",
        "2",
        "--time-column",
        "year",
        "--ar-fit",
        "before-test",
    ];
    train(&a, &[&flags[..], &["--data", s(&data("nile.csv"))]].concat());
    train(&b, &[&flags[..], &["--data", s(&changed)]].concat());
    assert_eq!(read(&a.join("steps.csv")), read(&b.join("steps.csv")), "the same steps, and the same epoch to stop at");
    assert_eq!(metrics_column(&a, "val_loss"), metrics_column(&b, "val_loss"), "the same validation losses");
    assert_eq!(config(&a)["kept_epoch"], config(&b)["kept_epoch"], "the same epoch kept");
    assert_eq!(config(&a)["linear_ar"], config(&b)["linear_ar"], "the same autoregression, and ridge");
    assert_eq!(std::fs::read(a.join("weights.safetensors")).unwrap(), std::fs::read(b.join("weights.safetensors")).unwrap());
    assert!(metrics_column(&a, "val_loss").len() < 30, "early stopping stopped the run");
    assert_ne!(final_test_loss(&a), final_test_loss(&b), "the held-out tail did change");
}

#[test]
fn another_file_must_have_the_models_columns() {
    let dir = scratch("real-columns");
    let out = dir.join("run");
    train(&out, &["--quiet", "--epochs", "1", "--data", s(&data("sunspots.csv")), "--time-column", "YEAR"]);
    let weights = out.join("weights.safetensors");
    let r = run(&["predict", "--weights", s(&weights), "--data", s(&data("nile.csv"))]);
    assert_clean_error(&r, 1, "the model was trained on the columns SUNACTIVITY; ");
    assert!(r.stderr.contains("nile.csv has year, volume"), "{}", r.stderr);
    // the same columns in another file (here the first 200 years) are fine
    let head: String = read(&data("sunspots.csv")).lines().take(201).map(|l| l.to_string() + "\n").collect();
    let other = dir.join("head.csv");
    std::fs::write(&other, head).unwrap();
    let r = run(&["predict", "--weights", s(&weights), "--data", s(&other)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1 + 200 - 8, "a window of the run's 8 rows");
}

#[test]
fn a_csv_run_directory_from_before_the_time_column_still_predicts_and_plots() {
    let dir = scratch("real-old-dir");
    let csv = dir.join("s.csv");
    write_series(&csv, "a,b", 60, |i| format!("{},{}", (i as f64 * 0.3).sin() * 5.0, i % 4));
    let out = dir.join("run");
    train(&out, &["--quiet", "--epochs", "1", "--data", s(&csv), "--scale-bound", "1"]);
    // config.json as 0.1 wrote it: no time_column, gaps, bound or reading settings
    let mut c = config(&out);
    c.as_object_mut().unwrap().retain(|k, _| !["time_column", "gaps"].contains(&k.as_str()));
    c["settings"].as_object_mut().unwrap().retain(|k, _| !["time_column", "columns", "missing", "scale_bound"].contains(&k.as_str()));
    c["scaling"].as_object_mut().unwrap().remove("bound");
    std::fs::write(out.join("config.json"), serde_json::to_string_pretty(&c).unwrap()).unwrap();
    let r = run(&["predict", "--weights", s(&out.join("weights.safetensors"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout == read(&out.join("predictions.csv")), "read back as it was written");
    assert_eq!(run(&["plot", s(&out)]).code, 0);
}

#[test]
fn a_run_finds_its_series_from_another_directory() {
    let dir = scratch("real-elsewhere");
    std::fs::copy(data("nile.csv"), dir.join("nile.csv")).unwrap();
    // trained with a path relative to where train ran
    let r = collect(
        bin()
            .current_dir(&dir)
            .args(["train", "--quiet", "--epochs", "1", "--data", "nile.csv", "--time-column", "year", "--out", "run"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let weights = dir.join("run/weights.safetensors");
    let r = collect(bin().current_dir(std::env::temp_dir()).args(["predict", "--weights", s(&weights)]).output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout == read(&dir.join("run/predictions.csv")), "the run's own predictions");
}

#[test]
fn the_circle_model_reads_another_file_of_sin_cos_as_it_is() {
    let dir = scratch("real-circle-file");
    let out = dir.join("run");
    train(&out, &["--quiet"]);
    // the run's own targets as a plain CSV: the model saw such values unscaled, and so does this
    let rows: String = read(&out.join("predictions.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(2).take(2).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let csv = dir.join("circle.csv");
    std::fs::write(&csv, format!("sin,cos\n{rows}")).unwrap();
    let r = run(&["predict", "--weights", s(&out.join("weights.safetensors")), "--data", s(&csv), "--out", s(&dir.join("p.csv"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mse: f64 = r.stdout.split("MSE over all windows ").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
    assert!(mse < 1e-3, "one-step MSE {mse}: {}", r.stdout);
}

/// scores.csv's forecasters and their errors, by header name.
fn scores(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = read(&dir.join("scores.csv"));
    let header: Vec<String> = text.lines().next().unwrap().split(',').map(String::from).collect();
    assert_eq!(header, ["forecaster", "feature", "windows", "mae", "rmse", "mase", "smape"]);
    text.lines().skip(1).map(|l| header.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

/// scores.csv gives the forecasters' errors in the series' units: checked here from the file's
/// own numbers (persistence on the Nile: MAE of |y_t - y_(t-1)| over the test targets, MASE over
/// the same on the rows up to the last training target) and from predictions.csv (the RNN).
#[test]
fn scores_are_forecasters_errors_in_the_series_units() {
    let out = scratch("real-scores").join("run");
    let r = train(&out, &["--data", s(&data("nile.csv")), "--epochs", "5"]);
    let rows = scores(&out);
    let names: Vec<&str> = rows.iter().map(|r| r["forecaster"].as_str()).collect();
    assert_eq!(names, ["rnn", "persistence", "linear", "drift", "theta"], "no season (nor Naive2) on a yearly series");
    let num = |r: &std::collections::HashMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    let flow: Vec<f64> = read(&data("nile.csv")).lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let predictions = read(&out.join("predictions.csv"));
    let tested: Vec<(usize, f64, f64)> = predictions
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[2] == "test")
        .map(|c| (c[0].parse().unwrap(), c[3].parse().unwrap(), c[4].parse().unwrap()))
        .collect();
    let last_train = predictions.lines().rfind(|l| l.split(',').nth(2) == Some("train")).unwrap();
    let last_train: usize = last_train.split(',').next().unwrap().parse().unwrap();
    let in_sample = (1..=last_train).map(|t| (flow[t] - flow[t - 1]).abs()).sum::<f64>() / last_train as f64;
    let n = tested.len() as f64;
    let held = tested.iter().map(|&(t, _, _)| (flow[t] - flow[t - 1]).abs()).sum::<f64>() / n;
    let rnn = tested.iter().map(|&(_, y, p)| (y - p).abs()).sum::<f64>() / n;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    assert!(close(num(&rows[1], "mae"), held) && close(num(&rows[1], "mase"), held / in_sample), "{rows:?}");
    assert!(close(num(&rows[0], "mae"), rnn) && close(num(&rows[0], "mase"), rnn / in_sample), "{rows:?}");
    assert_eq!(num(&rows[0], "windows"), n);
    let smape = tested.iter().map(|&(_, y, p)| 200.0 * (y - p).abs() / (y.abs() + p.abs())).sum::<f64>() / n;
    assert!(close(num(&rows[0], "smape"), smape));
    assert!(r.stdout.contains("best on the test tail: "), "{}", r.stdout);
}

/// The band: conformal on the held-out windows' errors seen before the forecast's start. On a
/// noisy seasonal series, it holds close to the coverage asked of the test tail's truths at
/// every horizon together; it is wider for a higher coverage; each row's band is its prediction
/// plus and minus the half-width. A start's band reads no truth from that start on, and does
/// read the test tail's truths before it.
#[test]
fn the_band_is_calibrated_on_the_errors_seen_before_its_start_and_reported_on_the_test_tail() {
    let dir = scratch("real-band");
    let csv = dir.join("noisy.csv");
    // a monthly season with noise from a fixed linear congruential stream
    let mut state = 12345u64;
    let mut noise = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let values: Vec<f64> = (0..600).map(|i| 50.0 + 10.0 * (i as f64 * std::f64::consts::PI / 6.0).sin() + 8.0 * noise()).collect();
    let write =
        |shift: &dyn Fn(usize) -> f64| write_series(&csv, "month,v", 600, |i| format!("{},{}", month(1950, i), values[i] + shift(i)));
    write(&|_| 0.0);
    let out = dir.join("run");
    train(&out, &["--quiet", "--data", s(&csv), "--val-fraction", "0.3"]);
    let forecast_with = |c: &str, from: &str, step: Option<&str>| -> (f64, Vec<String>) {
        // by the RNN: Theta smooths every row before the start, and a moved truth would move it
        let mut args = vec!["forecast", s(&out), "--steps", "6", "--coverage", c, "--from", from, "--by", "rnn"];
        args.extend(step.map(|step| ["--band-step", step]).into_iter().flatten());
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let held = r.stdout.split("the band held ").nth(1).unwrap().split('%').next().unwrap().parse::<f64>().unwrap();
        (held, read(&out.join("forecast.csv")).lines().map(String::from).collect())
    };
    let forecast = |c: &str, from: &str| forecast_with(c, from, None);
    let (held, rows) = forecast("0.9", "1990-01");
    assert!((80.0..=98.0).contains(&held), "asked 90%, held {held}%");
    let (wide, _) = forecast("0.99", "1990-01");
    let (narrow, _) = forecast("0.5", "1990-01");
    assert!(narrow < held && held < wide, "{narrow} < {held} < {wide}");
    let cells: Vec<f64> = rows[1].split(',').skip(3).take(3).map(|c| c.parse().unwrap()).collect();
    let (pred, lower, upper) = (cells[0], cells[1], cells[2]);
    assert!(lower < pred && pred < upper && ((pred - lower) - (upper - pred)).abs() < 1e-9, "{cells:?}");
    // row 560 (1996-09) is in the test tail (from row 485); the window before it from row 536
    let (test_start, start) = (config(&out)["train_windows"].as_u64().unwrap() + config(&out)["val_windows"].as_u64().unwrap() + 24, 560);
    assert!(test_start < 535, "row 535 must be in the test tail, which starts at {test_start}");
    // each row's prediction and band: step, index, time, pred, lower, upper, ...
    let band = |rows: Vec<String>| rows.iter().map(|r| r.split(',').skip(3).take(3).collect::<Vec<_>>().join(",")).collect::<Vec<_>>();
    let before = band(forecast("0.9", "1996-09").1);
    // --band-step 0 keeps the level at --coverage (split conformal on the errors seen before the
    // start); the default moves it by the test tail's misses before the start, so the bands differ
    let (fixed_held, fixed) = forecast_with("0.9", "1996-09", Some("0"));
    assert_ne!(band(fixed), before, "the band step changed nothing");
    assert_eq!(band(forecast_with("0.9", "1996-09", Some("0.2")).1), before, "--band-step 0.2 is the default");
    assert!((60.0..=100.0).contains(&fixed_held), "{fixed_held}");
    write(&|i| if i >= start { 100.0 } else { 0.0 });
    assert_eq!(band(forecast("0.9", "1996-09").1), before, "a truth from the start on changed the band");
    write(&|i| if i == 535 { 100.0 } else { 0.0 });
    let after = band(forecast("0.9", "1996-09").1);
    assert_ne!(after, before, "a test-tail truth before the start left the band as it was");
    let pred = |rows: &[String]| rows.iter().map(|r| r.split(',').next().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(pred(&after), pred(&before), "only the band may change");
}

/// On a short series, a horizon's errors are too few for a high level's rank (at 99%, fewer than
/// 99): the band is then the largest error (`--few-errors max`), or at least that and wider where
/// Student's t band from the errors' root mean square is (`t`, the default). forecast.json keeps
/// the choice, so plot redraws the same band.
#[test]
fn too_few_errors_for_the_level_widen_the_band_with_few_errors_t() {
    let dir = scratch("real-few-errors");
    let out = dir.join("run");
    train(&out, &["--quiet", "--epochs", "3", "--data", s(&data("nile.csv"))]);
    let half_widths = |few: &[&str]| -> Vec<f64> {
        let asked = ["forecast", s(&out), "--steps", "8", "--from", "1950", "--by", "autoregression", "--coverage", "0.99"];
        let r = run(&[&asked[..], few].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        let text = read(&out.join("forecast.csv"));
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (pred, upper) = (at("pred_volume"), at("upper_volume"));
        let cells = |l: &str| l.split(',').map(String::from).collect::<Vec<_>>();
        text.lines().skip(1).map(cells).map(|c| c[upper].parse::<f64>().unwrap() - c[pred].parse::<f64>().unwrap()).collect()
    };
    let (max, default, t) = (half_widths(&["--few-errors", "max"]), half_widths(&[]), half_widths(&["--few-errors", "t"]));
    assert_eq!(default, t, "t is the default");
    assert!(max.iter().zip(&t).all(|(m, t)| t >= m), "{max:?} {t:?}");
    assert!(max.iter().zip(&t).any(|(m, t)| t > m), "the t band widened no horizon: {max:?}");
    let asked: serde_json::Value = serde_json::from_str(&read(&out.join("forecast.json"))).unwrap();
    assert_eq!(asked["few_errors"], "t");
    let before = std::fs::read(out.join("plots/forecast.png")).unwrap();
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    assert_eq!(run(&["plot", s(&out)]).code, 0);
    assert_eq!(std::fs::read(out.join("plots/forecast.png")).unwrap(), before, "plot redraws the t band");
    assert_clean_error(&run(&["forecast", s(&out), "--few-errors", "normal"]), 2, "invalid value 'normal' for '--few-errors");
}

/// `--transform log`: a series above 0 whose season grows with its level is learned on its
/// logs, and everything a user reads is in its units: predictions.csv's targets are the file's
/// values and its predictions lie above 0; a resumed run ends as the uninterrupted one; the
/// forecast and its band lie above 0, the band a ratio around the forecast (wider above it
/// than below). A value at or below 0, and the
/// built-in circle, are refused with one line that names the fix, and nothing is written.
#[test]
fn a_log_transform_learns_the_logs_and_writes_the_series_units() {
    let dir = scratch("real-log");
    let csv = dir.join("growing.csv");
    let value = |i: usize| {
        let v = i as f64;
        50.0 * (0.015 * v).exp() * (1.0 + 0.3 * (v * std::f64::consts::PI / 6.0).sin()) * (1.0 + 0.05 * (7.3 * v).sin())
    };
    write_series(&csv, "month,sales", 144, |i| format!("{},{}", month(2000, i), value(i)));
    let out = dir.join("run");
    train(&out, &["--quiet", "--data", s(&csv), "--transform", "log", "--epochs", "5"]);
    let config: serde_json::Value = serde_json::from_str(&read(&out.join("config.json"))).unwrap();
    assert_eq!((config["settings"]["transform"].as_str(), config["scaling"]["transform"].as_str()), (Some("log"), Some("log")));
    let predictions = read(&out.join("predictions.csv"));
    for line in predictions.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let (index, target, pred): (usize, f64, f64) = (c[0].parse().unwrap(), c[3].parse().unwrap(), c[4].parse().unwrap());
        assert_eq!(target, value(index), "the target in the file's units: {line}");
        assert!(pred > 0.0 && (pred / target).ln().abs() < 1.0, "a prediction in the series' units: {line}");
    }
    // stopped after 2 epochs and resumed: the uninterrupted run, bitwise (the logs' scaling is the run's)
    let resumed = dir.join("resumed");
    train(&resumed, &["--quiet", "--data", s(&csv), "--transform", "log", "--epochs", "2"]);
    assert_eq!(run(&["train", "--quiet", "--resume", s(&resumed), "--epochs", "5"]).code, 0);
    for f in ["weights.safetensors", "predictions.csv", "scores.csv"] {
        assert_eq!(std::fs::read(out.join(f)).unwrap(), std::fs::read(resumed.join(f)).unwrap(), "{f} of the resumed run");
    }
    let r = run(&["forecast", s(&out), "--steps", "24"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast = read(&out.join("forecast.csv"));
    assert!(forecast.starts_with("step,index,time,pred_sales,lower_sales,upper_sales,"), "{forecast:.80}");
    for line in forecast.lines().skip(1) {
        let c: Vec<f64> = line.split(',').skip(3).take(3).map(|v| v.parse().unwrap()).collect();
        let (pred, lower, upper) = (c[0], c[1], c[2]);
        assert!(0.0 < lower && lower < pred && pred < upper, "{line}");
        assert!(upper - pred > pred - lower, "a ratio around the forecast, wider above it: {line}");
    }
    let zero = dir.join("zero.csv");
    write_series(&zero, "month,sales", 144, |i| format!("{},{}", month(2000, i), if i == 90 { 0.0 } else { value(i) }));
    let refused = dir.join("refused");
    let r = run(&["train", "--quiet", "--data", s(&zero), "--transform", "log", "--out", s(&refused)]);
    assert_clean_error(&r, 1, "--transform log needs every value above 0, but sales is 0 (at 2007-07): train without --transform log");
    let r = run(&["train", "--quiet", "--transform", "log", "--out", s(&refused)]);
    assert_clean_error(&r, 1, "--transform log is for a CSV series (--data FILE)");
    assert!(!refused.exists(), "nothing written");
    // the run's transform, on another file given to predict: the same line
    let r = run(&["predict", s(&out), "--data", s(&zero), "--out", s(&dir.join("other.csv"))]);
    assert_clean_error(&r, 1, "--transform log needs every value above 0, but sales is 0 (at 2007-07)");
    // the same file without the transform trains, as it did
    train(&refused, &["--quiet", "--data", s(&zero), "--epochs", "1"]);
}
