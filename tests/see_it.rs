//! Promises about what a user sees: figures, forecasts, progress and the closing summary.

mod common;
use common::*;
use std::path::Path;

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(p: &Path) -> (u32, u32) {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", p.display());
    (u32::from_be_bytes(b[16..20].try_into().unwrap()), u32::from_be_bytes(b[20..24].try_into().unwrap()))
}

#[test]
fn train_draws_the_four_figures_and_plot_redraws_them_from_the_csvs() {
    let dir = scratch("plots");
    assert_eq!(run(&["train", "--quiet", "--epochs", "3", "--out", s(&dir)]).code, 0);
    let plots = dir.join("plots");
    let expected = [("data.png", (1400, 450)), ("loss.png", (900, 550)), ("predictions.png", (1400, 660)), ("phase.png", (750, 750))];
    for (f, size) in expected {
        assert_eq!(png_size(&plots.join(f)), size, "{f}");
    }
    let before = std::fs::read(plots.join("predictions.png")).unwrap();
    std::fs::remove_dir_all(&plots).unwrap();
    let r = run(&["plot", s(&dir)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (f, size) in expected {
        assert_eq!(png_size(&plots.join(f)), size, "{f} redrawn");
    }
    assert_eq!(std::fs::read(plots.join("predictions.png")).unwrap(), before, "the same CSVs draw the same picture");
    assert_clean_error(&run(&["plot", s(&dir.join("nothing-here"))]), 1, "config.json");
}

#[test]
fn a_users_series_gets_one_panel_per_feature_and_the_first_two_as_phase() {
    let dir = scratch("plots-csv");
    let csv = dir.join("s.csv");
    write_series(&csv, "a,b,c", 120, |i| format!("{},{},{}", (i as f64 * 0.2).sin(), i % 7, (i as f64 * 0.1).cos() * 3.0));
    let out = dir.join("run");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--data", s(&csv), "--out", s(&out)]).code, 0);
    assert_eq!(png_size(&out.join("plots/predictions.png")), (1400, 990), "three panels");
    assert_eq!(png_size(&out.join("plots/phase.png")), (750, 750));
    // train draws from the predictions it holds (model units, each unscaled as drawn), plot from
    // predictions.csv: the same pictures
    let drawn = |f: &str| std::fs::read(out.join("plots").join(f)).unwrap();
    let by_train = [drawn("predictions.png"), drawn("phase.png")];
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    assert_eq!(run(&["plot", s(&out)]).code, 0);
    assert!(by_train == [drawn("predictions.png"), drawn("phase.png")], "train's figures are the ones predictions.csv draws");
}

#[test]
fn the_default_model_forecasts_the_circle_for_hundreds_of_steps() {
    let dir = scratch("forecast");
    assert_eq!(run(&["train", "--quiet", "--out", s(&dir)]).code, 0);
    let r = run(&["forecast", "--weights", s(&dir.join("weights.safetensors")), "--steps", "600", "--from", "801"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let csv = std::fs::read_to_string(dir.join("forecast.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "step,index,pred_sin,pred_cos,true_sin,true_cos,distance,persistence_distance");
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|c| c.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 600);
    assert_eq!(rows[0][1], 801.0, "starts at --from");
    let horizon = rows.iter().take_while(|r| r[6] <= 0.1).count();
    assert!(horizon >= 200, "stays within 0.1 of the circle for {horizon} steps");
    assert!(rows.iter().all(|r| (r[2].hypot(r[3]) - 1.0).abs() < 0.05), "every generated point stays on the unit circle");
    assert!(r.stdout.contains(&format!("the first {horizon} stay within 0.1")), "{}", r.stdout);
    assert_eq!(png_size(&dir.join("forecast.png")), (1400, 990), "two features and the horizons");
    // Every held-out start, closed loop: at h = 1 that is the test loss, and persistence's is the baseline's.
    let cell = |text: &str, row: usize, col: usize| -> f64 { text.lines().nth(row).unwrap().split(',').nth(col).unwrap().parse().unwrap() };
    let horizons = std::fs::read_to_string(dir.join("forecast_horizons.csv")).unwrap();
    assert!(horizons.starts_with("h,starts,rnn_mse,persistence_mse,rnn_mase,coverage\n1,199,"), "{horizons:.60}");
    assert_eq!(horizons.lines().count(), 1 + 199, "as far as the held-out rows reach");
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let baselines = std::fs::read_to_string(dir.join("baselines.csv")).unwrap();
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs();
    assert!(near(cell(&horizons, 1, 2), cell(&metrics, 40, 3)), "h=1 is the test loss (metrics.csv: epoch,train_loss,val_loss,test_loss)");
    assert!(near(cell(&horizons, 1, 3), cell(&baselines, 1, 1)), "h=1 persistence is the baseline");
    assert!(cell(&horizons, 50, 3) > 10.0 * cell(&horizons, 1, 3), "holding the last value falls behind as h grows");
    assert!(r.stdout.contains("closed loop from 199 held-out starts"), "{}", r.stdout);
    // Without --from, after the last row, into the future: the circle's truth goes on there.
    let r = run(&["forecast", "--weights", s(&dir.join("weights.safetensors")), "--steps", "5", "--out", s(&dir.join("f.csv"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = std::fs::read_to_string(dir.join("f.csv")).unwrap();
    assert!(f.lines().nth(1).unwrap().starts_with("1,1000,"), "{f}");
    assert!(!f.lines().nth(1).unwrap().contains(",,"), "the circle continues: a truth and a distance: {f}");
    // Without --steps, the circle (no season) goes as far as its window reads: 4 steps.
    let r = run(&["forecast", "--weights", s(&dir.join("weights.safetensors")), "--out", s(&dir.join("f.csv"))]);
    assert!(r.code == 0 && r.stdout.contains("forecast 4 steps from row 1000"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(dir.join("f.csv")).unwrap().lines().count(), 5, "a header and 4 steps");
    assert_clean_error(&run(&["forecast", "--weights", s(&dir.join("weights.safetensors")), "--steps", "5", "--from", "2"]), 1, "--from 2");
    assert_clean_error(&run(&["forecast", "--weights", s(&dir.join("weights.safetensors")), "--steps", "0"]), 2, "--steps");
}

#[test]
fn without_a_terminal_each_epoch_is_one_plain_line_on_stderr_then_a_summary_on_stdout() {
    let dir = scratch("progress-lines");
    let r = run(&["train", "--epochs", "3", "--out", s(&dir)]);
    assert_eq!(r.code, 0);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "the progress, and nothing else: {}", r.stderr);
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("epoch    {}/3  train ", i + 1)) && l.contains(" test "), "{l}");
    }
    let summary: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(summary.len(), 1, "the summary, and nothing else: {}", r.stdout);
    assert!(
        summary[0].starts_with("trained 3 epochs (150 steps, fast backward) in ")
            && summary[0].contains("test MSE")
            && summary[0].ends_with(&format!("wrote {}", dir.display())),
        "{}",
        summary[0]
    );
}

#[test]
fn quiet_prints_nothing() {
    let dir = scratch("progress-quiet");
    let r = run(&["train", "--epochs", "2", "--quiet", "--out", s(&dir)]);
    assert_eq!((r.code, r.stderr.as_str(), r.stdout.as_str()), (0, "", ""));
}

#[test]
fn on_a_terminal_a_progress_bar_shows_the_losses() {
    // `script` gives the run a pseudo-terminal, as an interactive shell would.
    let dir = scratch("progress-bar");
    let cmd = format!("{} train --epochs 3 --out {}", env!("CARGO_BIN_EXE_vanilla-rnn"), dir.display());
    let out = std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("util-linux's script is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains('\u{2591}') || text.contains('\u{2588}'), "a bar is drawn: {text:?}");
    assert!(text.contains("epoch 3/3 train ") && text.contains(" test "), "{text:?}");
    assert!(!text.contains("epoch    1/3  train"), "no plain lines on a terminal");
    assert!(text.contains("trained 3 epochs"), "the summary follows the bar");
}
