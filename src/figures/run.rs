//! A run's figures, redrawn from its files: the data (the blog's first figure), the losses, the
//! predictions against the targets (the blog's last figure), and the phase portrait.
//! `vanilla-rnn plot DIR` redraws them; `train` draws them into DIR/plots.

use super::chart::{
    decimate, drawing_error, legend, linear_chart, png, span, thin, tick, Ticks, BLUE, BROWN, COLORS, COLUMNS, GREEN, GREY, ORANGE, PURPLE,
    RED,
};
use crate::data::{Groups, Rows, Series, Source, Time};
use crate::files::config::RunConfig;
use crate::files::tables::{read_baselines, read_metrics, read_predictions, BaselineScore, Predictions};
use crate::train::EpochMetrics;
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use std::borrow::Cow;
use std::path::Path;

/// What a run's files hold.
#[derive(Clone)]
pub struct RunData {
    pub features: Vec<String>,
    pub metrics: Vec<EpochMetrics>,
    pub predictions: Predictions,
    /// The baselines' test losses (baselines.csv; absent in runs before 0.2).
    pub baselines: Vec<BaselineScore>,
    /// The whole series: each row's x, and the rows.
    pub xs: Vec<f64>,
    pub rows: Rows,
    /// The circle (x is the blog's linspace), or a CSV (x is the row).
    pub source: Source,
    /// The CSV's time column, which labels the x axis.
    pub time: Option<Time>,
    /// A file of many series: which rows are whose.
    pub groups: Option<Groups>,
    /// The rows predictions.csv holds (config.json's windows).
    pub windows: usize,
}

/// Series drawn as small multiples, at most (the rest are in the CSVs).
pub const SHOWN_SERIES: usize = 6;

/// Time labels by row, as far as the predictions go (the first seq_len rows are unknown here).
fn labels_by_row(predictions: &Predictions) -> Vec<String> {
    let mut by_row = vec![String::new(); predictions.index.iter().map(|i| i + 1).max().unwrap_or(0)];
    for (i, &index) in predictions.index.iter().enumerate() {
        by_row[index] = predictions.time(i).unwrap_or_default().to_string();
    }
    by_row
}

/// Each row's x: its row in its own series (a file of many), as the source places it.
fn xs_of(source: &Source, s: &Series) -> Vec<f64> {
    (0..s.rows.len()).map(|i| source.x(i - s.span(s.series_of(i)).start)).collect()
}

impl RunData {
    /// The run in `dir`, its series read again from its source unless `series` hands it over
    /// (then its predictions only when `predictions` says: `draw_all_with` reads them later).
    pub fn read(dir: &Path, series: Option<Series>, predictions: bool) -> Result<RunData> {
        let run =
            RunConfig::in_dir(dir)?.ok_or_else(|| anyhow!("{} has no config.json: not a vanilla-rnn run directory", dir.display()))?;
        let metrics = read_metrics(&dir.join("metrics.csv"))?;
        let baselines = read_baselines(&dir.join("baselines.csv"))?;
        let source = run.source();
        let series = series.or_else(|| source.load().ok());
        // The CSV moved: the targets are the series but for its first seq_len rows, and the
        // predictions' time labels are its labels.
        let predictions = match predictions || series.is_none() {
            true => read_predictions(&dir.join("predictions.csv"), &run.features, series.is_none(), run.windows)?,
            false => Predictions::default(),
        };
        let f = run.features.len();
        let (xs, rows, time, groups) = match series {
            Some(s) => (xs_of(&source, &s), s.rows, s.time, s.groups),
            None if !predictions.series.is_empty() => from_predictions_of_many(&run, &predictions),
            None => (
                predictions.index.iter().map(|&i| i as f64).collect(),
                (0..predictions.len()).map(|i| (0..f).map(|j| predictions.target(i, j)).collect::<Vec<f64>>()).collect::<Vec<_>>().into(),
                run.time_column.clone().map(|name| Time { name, labels: labels_by_row(&predictions).into_iter().collect() }),
                None,
            ),
        };
        Ok(RunData { xs, rows, time, groups, windows: run.windows, features: run.features, metrics, predictions, baselines, source })
    }

    /// A run as `train` holds it when it has just finished: its config.json, metrics and
    /// baselines' rows, and its series (its predictions are handed to `draw`).
    pub fn held(run: &RunConfig, metrics: Vec<EpochMetrics>, baselines: Vec<BaselineScore>, s: Series) -> RunData {
        let source = run.source();
        let xs = xs_of(&source, &s);
        let (windows, features, predictions) = (run.windows, run.features.clone(), Predictions::default());
        RunData { xs, rows: s.rows, time: s.time, groups: s.groups, windows, features, metrics, predictions, baselines, source }
    }

    /// Series `k` alone (of a file of many): its rows, its labels, its predictions.
    fn only(&self, k: usize) -> RunData {
        let Some(g) = &self.groups else { return self.clone() };
        let span = g.span(k, self.rows.len());
        let mut rows = Rows::new(self.rows.width());
        span.clone().for_each(|i| rows.push(&self.rows[i]));
        let p = &self.predictions;
        let code = p.series_names.iter().position(|n| *n == g.names[k]).map(|c| c as u32);
        let mine: Vec<usize> = (0..p.len()).filter(|&i| p.series.get(i).copied() == code).collect();
        RunData {
            features: self.features.clone(),
            metrics: vec![],
            predictions: self.predictions.subset(&mine),
            baselines: vec![],
            xs: self.xs[span.clone()].to_vec(),
            rows,
            source: self.source.clone(),
            time: self.time.as_ref().map(|t| Time { name: t.name.clone(), labels: t.labels.slice(span) }),
            groups: None,
            windows: mine.len(),
        }
    }

    /// The x axis: the circle's x, the time column, or the row of the series.
    fn x_label(&self) -> &str {
        match &self.time {
            _ if self.source.is_circle() => "x",
            Some(t) => &t.name,
            None => "row",
        }
    }

    fn ticks(&self) -> Ticks<'_> {
        match &self.time {
            Some(t) => Ticks::Labels(&t.labels),
            None => Ticks::Decimals(0),
        }
    }

    fn x_of(&self, index: usize) -> f64 {
        self.source.x(index)
    }
}

/// Redraws every figure of the run in `dir` into `dir/plots` from its files. Returns the files
/// written.
pub fn draw_all(dir: &Path) -> Result<Vec<String>> {
    draw(RunData::read(dir, None, true)?, None, &dir.join("plots"))
}

/// Every figure of `run` into `plots`. Handed the predictions apart (train), a long series'
/// rows are let go once the series' figure is drawn.
pub fn draw(mut run: RunData, mut predictions: Option<Predictions>, plots: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(plots).with_context(|| format!("cannot create {}", plots.display()))?;
    let mut written = vec![];
    draw_data(&run, &plots.join("data.png"))?;
    written.push("data.png".to_string());
    if !run.metrics.is_empty() {
        draw_loss(&run, &plots.join("loss.png"))?;
        written.push("loss.png".to_string());
    }
    if let Some(predictions) = predictions.take() {
        if run.groups.is_none() {
            (run.rows, run.xs) = (Rows::default(), Vec::new());
        }
        run.predictions = predictions;
    }
    draw_predictions(&run, &plots.join("predictions.png"))?;
    written.push("predictions.png".to_string());
    if run.features.len() >= 2 {
        draw_phase(&run, &plots.join("phase.png"))?;
        written.push("phase.png".to_string());
    }
    Ok(written)
}

/// The series shown, one panel each: the first `SHOWN_SERIES` of a file of many, else the one.
fn panels(run: &RunData) -> Vec<(Cow<'_, RunData>, Option<String>)> {
    match &run.groups {
        None => vec![(Cow::Borrowed(run), None)],
        Some(g) => {
            (0..g.names.len().min(SHOWN_SERIES)).map(|k| (Cow::Owned(run.only(k)), Some(format!("{} {}", g.column, g.names[k])))).collect()
        }
    }
}

/// `(first of many | the file's one)`: a title's words for the series.
fn of_how_many(run: &RunData) -> String {
    match &run.groups {
        Some(g) if g.names.len() > SHOWN_SERIES => format!(" (the first {SHOWN_SERIES} of {} series)", g.names.len()),
        Some(g) => format!(" ({} series)", g.names.len()),
        None => String::new(),
    }
}

fn draw_data(run: &RunData, path: &Path) -> Result<()> {
    // a CSV series of several features: one panel each, on its own axis (small multiples)
    let f = run.features.len();
    if run.groups.is_none() && !run.source.is_circle() && f > 1 {
        let shown = f.min(SHOWN_FEATURES);
        return png(path, (1400, 260 * shown as u32), |root| {
            for (j, area) in (0..shown).zip(root.split_evenly((shown, 1))) {
                let title = match j {
                    0 => format!("The series: {}{}", run.features[0], of_how_many_features(shown, f)),
                    _ => run.features[j].clone(),
                };
                data_panel(run, &area, &title, &[j])?;
            }
            Ok(())
        });
    }
    let panels = panels(run);
    let drawn: Vec<usize> = (0..f.min(COLORS.len())).collect();
    png(path, (1400, if run.groups.is_some() { 260 } else { 450 } * panels.len() as u32), |root| {
        for (k, ((one, name), area)) in panels.iter().zip(root.split_evenly((panels.len(), 1))).enumerate() {
            let title = match name {
                None => data_title(run),
                Some(name) if k == 0 => format!("The series: {name}{}{}", of_how_many(run), of_how_many_features(drawn.len(), f)),
                Some(name) => name.clone(),
            };
            data_panel(one, &area, &title, &drawn)?;
        }
        Ok(())
    })
}

/// Features drawn, at most, a panel each (a file of many series draws one colour each, as many
/// as `COLORS` has).
pub const SHOWN_FEATURES: usize = 8;

/// `(the first shown of f features drawn)`, where not all are.
pub fn of_how_many_features(shown: usize, f: usize) -> String {
    match f {
        f if f > shown => format!(" (the first {shown} of {f} features drawn; every one is in the CSVs)"),
        _ => String::new(),
    }
}

fn data_title(run: &RunData) -> String {
    if run.source.is_circle() {
        "The series: sin and cos of x = linspace(0, 100, 1000)".to_string()
    } else {
        "The series".to_string()
    }
}

/// The series' `features` (their indices) on one axis, in the features' colours.
fn data_panel(run: &RunData, root: &DrawingArea<BitMapBackend, plotters::coord::Shift>, title: &str, features: &[usize]) -> Result<()> {
    let (xs, rows) = (&run.xs, &run.rows);
    {
        let (x0, x1) = span(xs.iter().copied());
        let (y0, y1) = span(rows.iter().flat_map(|r| features.iter().map(move |&j| r[j])));
        let mut chart = linear_chart(root, title, (x0, x1), (y0, y1), (run.x_label(), "value"), (&run.ticks(), 1))?;
        for (k, &j) in features.iter().enumerate() {
            let (c, name) = (COLORS[k % COLORS.len()], &run.features[j]);
            // A gap kept by --missing skip breaks the line rather than drawing it to NaN.
            let points: Vec<(f64, f64)> = xs.iter().zip(rows.iter()).map(|(&x, r)| (x, r[j])).collect();
            let mut pieces = points.split(|p| !p.1.is_finite()).filter(|piece| !piece.is_empty());
            if let Some(first) = pieces.next() {
                chart
                    .draw_series(LineSeries::new(decimate(first, COLUMNS), c.stroke_width(2)))
                    .map_err(drawing_error)?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            }
            for piece in pieces {
                chart.draw_series(LineSeries::new(decimate(piece, COLUMNS), c.stroke_width(2))).map_err(drawing_error)?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        Ok(())
    }
}

/// A loss that a log axis can show.
fn positive(v: &f64) -> bool {
    v.is_finite() && *v > 0.0
}

/// loss.png's y range: the losses', widened by the baselines by at most a decade either way. A
/// baseline further off (a linear recurrence, such as the circle's, fits to rounding: 3e-16) is
/// named in the legend rather than drawn along an edge, where it would look like the axis.
fn loss_range(run: &RunData) -> (f64, f64) {
    let all = run.metrics.iter().flat_map(|m| [m.train_loss, m.val_loss, m.test_loss]).filter(positive);
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo > hi { (1e-6, 1.0) } else { (lo / 1.5, hi * 1.5) };
    let shown = run.baselines.iter().map(|b| b.test_loss).filter(positive);
    shown.fold((lo, hi), |(a, b), v| (a.min(v / 1.5).max(lo / 10.0), b.max(v * 1.5).min(hi * 10.0)))
}

/// A baseline's horizontal line across loss.png, and its legend text; off the y range `(lo, hi)`,
/// no line, and the legend says where it lies.
fn baseline_line(b: &BaselineScore, (lo, hi): (f64, f64), right: f64) -> (Vec<(f64, f64)>, String) {
    let value = b.test_loss;
    let line = if (lo..=hi).contains(&value) { vec![(0.0, value), (right, value)] } else { vec![] };
    let off = if value < lo {
        ", below the chart"
    } else if value > hi {
        ", above the chart"
    } else {
        ""
    };
    (line, format!("{} baseline, test ({value:.2e}{off})", b.name.replace('_', " ")))
}

/// loss.png's lines: train, validation (when there is one) and test per epoch, then each
/// baseline's test loss across the chart (one colour each, in the list's order).
fn loss_lines(run: &RunData, range: (f64, f64), right: f64) -> Vec<(String, RGBColor, Vec<(f64, f64)>)> {
    let train = |m: &EpochMetrics| m.train_loss;
    let val = |m: &EpochMetrics| m.val_loss;
    let test = |m: &EpochMetrics| m.test_loss;
    let losses = [
        ("train", BLUE, &train as &dyn Fn(&EpochMetrics) -> f64),
        ("validation (chooses the epoch)", RED, &val),
        ("test (held-out tail)", ORANGE, &test),
    ];
    let mut out = vec![];
    for (name, c, loss) in losses {
        let points: Vec<(f64, f64)> = run.metrics.iter().map(|m| (m.epoch as f64, loss(m))).filter(|p| positive(&p.1)).collect();
        // no validation: no line, no legend entry
        if !points.is_empty() {
            out.push((name.to_string(), c, points));
        }
    }
    for (b, c) in run.baselines.iter().zip([GREEN, GREY, PURPLE, BROWN].iter().cycle()).filter(|(b, _)| positive(&b.test_loss)) {
        let (line, label) = baseline_line(b, range, right);
        out.push((label, *c, line));
    }
    out
}

fn draw_loss(run: &RunData, path: &Path) -> Result<()> {
    png(path, (900, 550), |root| {
        let (lo, hi) = loss_range(run);
        let last = run.metrics.last().map_or(1.0, |m| m.epoch as f64).max(1.0);
        let mut chart = ChartBuilder::on(root)
            .caption("Loss per epoch (MSE, log scale)", ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..last + 0.5, (lo..hi).log_scale())
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&|v| tick(v, 0))
            .y_desc("MSE")
            .y_labels(12) // within a decade, the 2s and 5s get labels too
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(drawing_error)?;
        for (name, c, points) in loss_lines(run, (lo, hi), last + 0.5) {
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))
                .map_err(drawing_error)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

fn draw_predictions(run: &RunData, path: &Path) -> Result<()> {
    // One series: a panel per feature (up to 4). Many: a panel per series (up to SHOWN_SERIES),
    // of its first feature.
    let panels: Vec<(Cow<'_, RunData>, usize, String)> = match &run.groups {
        None => (0..run.features.len().min(4))
            .map(|j| {
                let name = &run.features[j];
                let title = if j == 0 { format!("Predictions of the next point against the targets: {name}") } else { name.clone() };
                (Cow::Borrowed(run), j, title)
            })
            .collect(),
        Some(_) => panels(run)
            .into_iter()
            .enumerate()
            .map(|(k, (one, name))| {
                let name = format!("{}, {}", name.unwrap_or_default(), run.features[0]);
                let title =
                    if k == 0 { format!("Predictions of the next point against the targets: {name}{}", of_how_many(run)) } else { name };
                (one, 0, title)
            })
            .collect(),
    };
    png(path, (1400, 330 * panels.len() as u32), |root| {
        for ((one, j, title), area) in panels.iter().zip(root.split_evenly((panels.len(), 1))) {
            predictions_panel(one, *j, &area, title)?;
        }
        Ok(())
    })
}

/// Where the validation and the test windows begin, each a vertical line: its x, its legend and
/// its colour (none where a split has no window).
fn split_lines(run: &RunData) -> Vec<(f64, &'static str, RGBColor)> {
    let p = &run.predictions;
    let first = |split: &str| (0..p.len()).find(|&i| p.split(i) == split).map(|i| run.x_of(p.index[i]));
    let validation = first("val");
    let test = if validation.is_some() { "validation | test" } else { "train | test" };
    let lines = [validation.map(|x| (x, "train | validation", PURPLE)), first("test").map(|x| (x, test, RED))];
    lines.into_iter().flatten().collect()
}

/// Feature `j`'s targets and predictions, with the lines where validation and test begin.
fn predictions_panel(run: &RunData, j: usize, area: &DrawingArea<BitMapBackend, plotters::coord::Shift>, title: &str) -> Result<()> {
    let p = &run.predictions;
    let xs: Vec<f64> = p.index.iter().map(|&i| run.x_of(i)).collect();
    // many series' predictions come split by split: in row order for the lines
    let mut order: Vec<usize> = (0..p.len()).collect();
    if !xs.windows(2).all(|w| w[0] <= w[1]) {
        order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    }
    let (x0, x1) = span(xs.iter().copied());
    let name = &run.features[j];
    let (y0, y1) = span((0..p.len()).flat_map(|i| [p.target(i, j), p.pred(i, j)]));
    let y1 = y1 + 0.35 * (y1 - y0); // headroom for the legend
    let mut chart = linear_chart(area, title, (x0, x1), (y0, y1), (run.x_label(), name.as_str()), (&run.ticks(), 1))?;
    let line = |value: fn(&Predictions, usize, usize) -> f64| {
        let points: Vec<(f64, f64)> = order.iter().map(|&i| (xs[i], value(p, i, j))).collect();
        decimate(&points, COLUMNS)
    };
    chart
        .draw_series(LineSeries::new(line(Predictions::target), BLACK.stroke_width(3)))
        .map_err(drawing_error)?
        .label("target")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    let c = COLORS[j % COLORS.len()];
    chart
        .draw_series(LineSeries::new(line(Predictions::pred), c.stroke_width(2)))
        .map_err(drawing_error)?
        .label("prediction")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    for (b, label, c) in split_lines(run) {
        chart
            .draw_series(LineSeries::new(vec![(b, y0), (b, y1)], c.stroke_width(2)))
            .map_err(drawing_error)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x + 10, y - 8), (x + 10, y + 8)], c.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn draw_phase(run: &RunData, path: &Path) -> Result<()> {
    let (a, b) = (&run.features[0], &run.features[1]);
    png(path, (750, 750), |root| {
        let p = &run.predictions;
        let (x0, x1) = span((0..p.len()).flat_map(|i| [p.target(i, 0), p.pred(i, 0)]));
        let (y0, y1) = span((0..p.len()).flat_map(|i| [p.target(i, 1), p.pred(i, 1)]));
        let circle = run.source.is_circle();
        let title = if circle {
            "Phase portrait: predicted (sin, cos) on the unit circle".to_string()
        } else {
            format!("Phase portrait: ({a}, {b})")
        };
        let mut chart = linear_chart(root, &title, (x0, x1), (y0, y1), (a.as_str(), b.as_str()), (&Ticks::Decimals(1), 1))?;
        // A long series' path and points, thinned to what the figure's pixels can show.
        let shown = thin(&(0..p.len()).collect::<Vec<usize>>(), 4 * COLUMNS);
        let truth: Vec<(f64, f64)> = if circle {
            (0..=360).map(|d| (d as f64).to_radians()).map(|t| (t.sin(), t.cos())).collect()
        } else {
            shown.iter().map(|&i| (p.target(i, 0), p.target(i, 1))).collect()
        };
        chart
            .draw_series(LineSeries::new(truth, GREY.stroke_width(3)))
            .map_err(drawing_error)?
            .label(if circle { "unit circle" } else { "true path" })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(3)));
        for (name, c, test) in [("predicted, train", BLUE, false), ("predicted, test", ORANGE, true)] {
            let in_split = |i: &&usize| if test { p.is_test(**i) } else { p.is_train(**i) };
            chart
                .draw_series(shown.iter().filter(in_split).map(|&i| Circle::new((p.pred(i, 0), p.pred(i, 1)), 2, c.filled())))
                .map_err(drawing_error)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// A run of many series whose file is gone: each series' rows are its predictions' targets,
/// ordered by their index.
fn from_predictions_of_many(run: &RunConfig, predictions: &Predictions) -> (Vec<f64>, Rows, Option<Time>, Option<Groups>) {
    let f = run.features.len();
    let mut order: Vec<usize> = (0..predictions.len()).collect();
    order.sort_by_key(|&i| (predictions.series[i], predictions.index[i]));
    let mut rows = Rows::new(f);
    let mut starts = vec![];
    for (n, &i) in order.iter().enumerate() {
        if n == 0 || predictions.series[i] != predictions.series[order[n - 1]] {
            starts.push(n);
        }
        rows.push(&(0..f).map(|j| predictions.target(i, j)).collect::<Vec<f64>>());
    }
    let (names, column) = (predictions.series_names.clone(), run.settings.series_column.clone().unwrap_or_default());
    let xs = order.iter().map(|&i| predictions.index[i] as f64).collect();
    (xs, rows, None, Some(Groups { column, names, starts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_features_not_drawn_are_counted_against_those_drawn() {
        assert_eq!(of_how_many_features(SHOWN_FEATURES, 8), "", "all drawn: nothing to say");
        assert_eq!(of_how_many_features(COLORS.len(), 5), " (the first 4 of 5 features drawn; every one is in the CSVs)");
        assert_eq!(of_how_many_features(SHOWN_FEATURES, 23), " (the first 8 of 23 features drawn; every one is in the CSVs)");
    }

    #[test]
    fn a_baseline_off_the_chart_is_named_in_the_legend_not_drawn_at_its_edge() {
        let b = |test_loss| BaselineScore { series: None, name: "seasonal_naive".into(), test_loss };
        let (line, label) = baseline_line(&b(2.9e-16), (1e-5, 0.2), 40.5);
        assert!(line.is_empty() && label == "seasonal naive baseline, test (2.90e-16, below the chart)", "{label}");
        let (line, label) = baseline_line(&b(5e-3), (1e-5, 0.2), 40.5);
        assert_eq!((line, label.as_str()), (vec![(0.0, 5e-3), (40.5, 5e-3)], "seasonal naive baseline, test (5.00e-3)"));
        assert!(baseline_line(&b(3.0), (1e-5, 0.2), 40.5).1.ends_with("above the chart)"));
    }

    #[test]
    fn the_range_widens_by_at_most_a_decade_for_a_baseline() {
        let m = |epoch, loss| EpochMetrics { epoch, train_loss: loss, val_loss: f64::NAN, test_loss: loss, seconds: 0.0 };
        let run = RunData {
            features: vec![],
            metrics: vec![m(1, 1e-2), m(2, 1e-3)],
            predictions: Predictions::default(),
            baselines: vec![BaselineScore { series: None, name: "linear".into(), test_loss: 3e-16 }],
            xs: vec![],
            rows: Rows::default(),
            source: Source::Circle,
            time: None,
            groups: None,
            windows: 0,
        };
        let (lo, hi) = loss_range(&run);
        assert!((lo - 1e-3 / 1.5 / 10.0).abs() < 1e-12 && (hi - 1.5e-2).abs() < 1e-12, "{lo} {hi}");
    }
}
