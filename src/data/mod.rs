//! The data: the blog's [sin, cos] circle (or a user's CSV series) cut into windows (TrignoDS),
//! the chronological tail held out, and each epoch's batch order.

pub mod baselines;
pub mod batches;
pub mod framing;
pub mod from_csv;
pub mod scaling;
pub mod scores;
pub mod season;

pub use batches::{batches_of, for_batches, map_batches, per_worker, workers, ONE_BATCH};
pub use from_csv::{Missing, Reading};
pub use scaling::{model_rows, Scaling, Transform};

use anyhow::{bail, Result};
use std::path::PathBuf;
use tch::{Device, Kind, Tensor};

/// A series' values, one row per time step, in one buffer (a long series would otherwise cost an
/// allocation per row): `rows[i]` is row i's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    values: Vec<f64>,
    width: usize,
}

impl Rows {
    pub fn new(width: usize) -> Rows {
        Rows { values: vec![], width }
    }

    pub fn with_capacity(width: usize, rows: usize) -> Rows {
        Rows { values: Vec::with_capacity(width * rows), width }
    }

    pub fn push(&mut self, row: &[f64]) {
        assert_eq!(row.len(), self.width, "a row of the series' width");
        self.values.extend_from_slice(row);
    }

    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn get(&self, i: usize) -> Option<&[f64]> {
        (i < self.len()).then(|| &self[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &[f64]> + '_ {
        self.values.chunks_exact(self.width.max(1))
    }

    /// Every value, row after row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

impl std::ops::Index<usize> for Rows {
    type Output = [f64];
    fn index(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

impl std::ops::IndexMut<usize> for Rows {
    fn index_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.values[i * self.width..(i + 1) * self.width]
    }
}

impl From<Vec<Vec<f64>>> for Rows {
    fn from(rows: Vec<Vec<f64>>) -> Rows {
        let width = rows.first().map_or(0, Vec::len);
        let mut out = Rows::with_capacity(width, rows.len());
        rows.iter().for_each(|r| out.push(r));
        out
    }
}

impl PartialEq<Vec<Vec<f64>>> for Rows {
    fn eq(&self, other: &Vec<Vec<f64>>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_slice())
    }
}

/// A multivariate series, one row per time step, in the units the user knows. A NaN is a gap
/// kept for the windows to avoid (`--missing skip`).
#[derive(Debug, Clone)]
pub struct Series {
    pub names: Vec<String>,
    pub rows: Rows,
    /// The time column, when the CSV has one: never a feature, only labels.
    pub time: Option<Time>,
    /// Missing cells found in the file (filled or kept, as `--missing` said).
    pub gaps: usize,
    /// Many series in one file (`--series-column`): their rows one series after another.
    pub groups: Option<Groups>,
}

/// The series of a long-format file, each a run of consecutive rows: series k is rows
/// `starts[k]..starts[k + 1]` (the last runs to the end), named `names[k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// The column that names each row's series.
    pub column: String,
    pub names: Vec<String>,
    pub starts: Vec<usize>,
}

impl Groups {
    /// The rows of series `k`, of `rows` in all.
    pub fn span(&self, k: usize, rows: usize) -> std::ops::Range<usize> {
        self.starts[k]..self.starts.get(k + 1).copied().unwrap_or(rows)
    }
}

/// A time column: its name, and each row's label as the file writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Time {
    pub name: String,
    pub labels: Labels,
}

/// Text labels, one per row, in one buffer (a long series would otherwise cost an allocation per
/// label): label i is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    text: String,
    ends: Vec<usize>,
}

impl Labels {
    pub fn push(&mut self, label: &str) {
        self.text.push_str(label);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&str> {
        self.get(self.len().checked_sub(1)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// The labels `range`, as their own.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Labels {
        range.map(|i| &self[i]).collect()
    }

    /// The labels `range` as strings, for the calendar's reading (a thousand at most there).
    pub fn strings(&self, range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| self[i].to_string()).collect()
    }
}

impl std::ops::Index<usize> for Labels {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i).unwrap_or_else(|| panic!("label {i} of {}", self.len()))
    }
}

impl<'a> FromIterator<&'a str> for Labels {
    fn from_iter<I: IntoIterator<Item = &'a str>>(items: I) -> Labels {
        let mut out = Labels::default();
        items.into_iter().for_each(|l| out.push(l));
        out
    }
}

impl FromIterator<String> for Labels {
    fn from_iter<I: IntoIterator<Item = String>>(items: I) -> Labels {
        let mut out = Labels::default();
        items.into_iter().for_each(|l| out.push(&l));
        out
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Labels {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl Series {
    pub fn features(&self) -> usize {
        self.names.len()
    }

    /// Row `i`'s time label, when the series has a time column.
    pub fn label(&self, i: usize) -> Option<&str> {
        self.time.as_ref().and_then(|t| t.labels.get(i))
    }

    /// Whether row `i` has a gap.
    pub fn has_gap(&self, i: usize) -> bool {
        self.rows[i].iter().any(|v| v.is_nan())
    }

    /// How many series the file holds (1 without `--series-column`).
    pub fn count(&self) -> usize {
        self.groups.as_ref().map_or(1, |g| g.names.len())
    }

    /// The rows of series `k`.
    pub fn span(&self, k: usize) -> std::ops::Range<usize> {
        match &self.groups {
            None => 0..self.rows.len(),
            Some(g) => g.span(k, self.rows.len()),
        }
    }

    /// The series row `i` belongs to.
    pub fn series_of(&self, i: usize) -> usize {
        self.groups.as_ref().map_or(0, |g| g.starts.partition_point(|&s| s <= i) - 1)
    }

    /// Series `k`'s name (none without `--series-column`).
    pub fn name_of(&self, k: usize) -> Option<&str> {
        self.groups.as_ref().map(|g| g.names[k].as_str())
    }

    /// Every value (gaps aside) has one under `transform`: one line naming the first that has
    /// not, and the fix, when one has not.
    pub fn check_transform(&self, transform: Transform) -> Result<()> {
        if transform == Transform::None {
            return Ok(()); // every value has one: no scan of a long series
        }
        let f = self.features();
        let Some(at) = self.rows.values().iter().position(|&v| !v.is_nan() && !transform.takes(v)) else { return Ok(()) };
        let (i, j) = (at / f, at % f);
        let row = match (self.label(i), self.name_of(self.series_of(i))) {
            (Some(label), Some(name)) => format!("series {name} at {label}"),
            (Some(label), None) => format!("at {label}"),
            (None, Some(name)) => format!("series {name}, row {}", i + 1 - self.span(self.series_of(i)).start),
            (None, None) => format!("row {}", i + 1),
        };
        bail!(
            "--transform {transform} needs every value above 0, but {} is {} ({row}): train without --transform {transform}, or shift the column above 0",
            self.names[j],
            self.rows[i][j]
        )
    }

    /// Series `k` alone: its rows, labels and gaps (a file of one series is itself).
    pub fn only(&self, k: usize) -> Series {
        let span = self.span(k);
        let mut rows = Rows::with_capacity(self.features(), span.len());
        span.clone().for_each(|i| rows.push(&self.rows[i]));
        let time = self.time.as_ref().map(|t| Time { name: t.name.clone(), labels: t.labels.slice(span.clone()) });
        let gaps = rows.values().iter().filter(|v| v.is_nan()).count();
        Series { names: self.names.clone(), rows, time, gaps, groups: None }
    }
}

/// Names for a message: all of them, or the first 20 and how many more.
pub fn listed(names: &[String]) -> String {
    match names.len() {
        n if n <= 20 => names.join(", "),
        n => format!("{}, and {} more", names[..20].join(", "), n - 20),
    }
}

/// Rows of the built-in circle.
pub const CIRCLE_ROWS: usize = 1000;

/// The x of row `i` of the blog's `x = np.linspace(0, 100, 1000)`, and of the same grid continued
/// past its end (forecasts compare with it). numpy computes `i * step + start` with
/// `step = (stop - start) / (num - 1)`, then sets the last point to `stop` exactly; so do we, so
/// that every x is numpy's x.
pub fn circle_x(i: usize) -> f64 {
    let (start, stop) = (0.0f64, 100.0f64);
    let step = (stop - start) / (CIRCLE_ROWS - 1) as f64;
    if i == CIRCLE_ROWS - 1 {
        stop
    } else {
        i as f64 * step + start
    }
}

/// Row `i` of the circle: `[sin(x), cos(x)]` as float32, as the blog's numpy rows become.
pub fn circle_row(i: usize) -> Vec<f64> {
    let x = circle_x(i);
    vec![x.sin() as f32 as f64, x.cos() as f32 as f64]
}

/// The blog's series: `x = np.linspace(0, 100, 1000)`, rows `[sin(x), cos(x)]`.
pub fn circle() -> Series {
    let rows: Vec<Vec<f64>> = (0..CIRCLE_ROWS).map(circle_row).collect();
    Series { names: vec!["sin".into(), "cos".into()], rows: rows.into(), time: None, gaps: 0, groups: None }
}

/// Where a series comes from: the built-in circle, or a user's CSV and how to read it. Everything
/// that differs between the two is decided here.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Circle,
    Csv { path: PathBuf, reading: Reading },
}

impl Source {
    /// The CSV at `path`, read as `reading` says; the circle when there is no path.
    pub fn new(path: Option<PathBuf>, reading: Reading) -> Source {
        match path {
            None => Source::Circle,
            Some(path) => Source::Csv { path, reading },
        }
    }

    pub fn is_circle(&self) -> bool {
        matches!(self, Source::Circle)
    }

    pub fn load(&self) -> Result<Series> {
        match self {
            Source::Circle => Ok(circle()),
            Source::Csv { path, reading } => from_csv::read_csv(path, reading),
        }
    }

    /// The scaling of a run that saved none: the circle as it is (it lies in [-1, 1] already), a
    /// CSV fitted on its training rows (after `transform`) onto [-bound, bound].
    pub fn fresh_scale(&self, bound: f64, transform: Transform) -> ScalingRule {
        match self {
            Source::Circle => ScalingRule::Unscaled,
            Source::Csv { .. } => ScalingRule::Fit { bound, transform },
        }
    }

    /// The x of row `index` on a figure: the blog's linspace for the circle, else the row.
    pub fn x(&self, index: usize) -> f64 {
        match self {
            Source::Circle => circle_x(index),
            Source::Csv { .. } => index as f64,
        }
    }

    /// Row `index` past the series' end, where it is known: the circle goes on, a CSV does not.
    pub fn row_past_the_end(&self, index: usize) -> Option<Vec<f64>> {
        self.is_circle().then(|| circle_row(index))
    }
}

/// What was done with a series' gaps: config.json's `gaps`, and the summary line's.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gaps {
    pub missing: Missing,
    /// Missing cells in the file.
    pub cells: usize,
    /// Of them, filled by interpolation.
    pub filled: usize,
    /// Windows left out because they touch a gap.
    pub skipped_windows: usize,
}

impl std::fmt::Display for Gaps {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.missing {
            _ if self.cells == 0 => f.write_str("no gaps"),
            Missing::Interpolate => write!(f, "{} missing cells interpolated", self.filled),
            _ => write!(f, "{} missing cells: {} windows skipped", self.cells, self.skipped_windows),
        }
    }
}

/// How a series is brought to the model's units.
#[derive(Debug, Clone)]
pub enum ScalingRule {
    /// As it is (the built-in circle already lies in [-1, 1]).
    Unscaled,
    /// Fitted on the rows the training windows read (after `transform`), onto [-bound, bound].
    Fit { bound: f64, transform: Transform },
    /// A run's own scaling, one per series (predict, forecast, a resumed run).
    Given(Vec<Scaling>),
}

/// A series as the model sees it: cut into the blog's windows (none touching a gap), the last
/// `floor(windows * test_fraction)` held out in time order, and scaled with what the training
/// windows alone show, so that nothing of the held-out tail leaks into training.
///
/// Many series (`--series-column`): no window crosses from one series into the next; each series
/// holds out its own tail and validates on its own windows before it, and is scaled by its own
/// training rows. The windows are then all series' training windows (series after series), all
/// their validation windows, all their test windows: one model trains on them together.
pub struct Windows {
    pub series: Series,
    /// One scaling per series (none for the circle, which is used as it is).
    pub scaling: Vec<Scaling>,
    pub ds: TrignoDS,
    /// Each window's target row in the series (`seq_len..rows` when nothing is skipped).
    pub targets: Vec<usize>,
    /// The first windows, trained on.
    pub n_train: usize,
    /// The windows after them and before the test tail, held out for validation.
    pub n_val: usize,
    /// Windows left out because they touch a gap.
    pub skipped: usize,
    /// Series left out because no window fits in them (`--series-column`).
    pub left_out: Vec<usize>,
    /// `fingerprint` of the model's rows.
    pub fingerprint: String,
    /// How they were cut: the window's length, the split.
    pub seq_len: usize,
    pub split: Split,
}

/// One series' windows, by their target rows, split in time order.
struct Cut {
    train: Vec<usize>,
    val: Vec<usize>,
    test: Vec<usize>,
}

/// The windows of the rows `span` that touch no gap, split in time order.
fn cut(gap: &[bool], span: std::ops::Range<usize>, seq_len: usize, split: Split) -> Result<Cut> {
    let first = (span.start + seq_len).min(span.end);
    let targets: Vec<usize> = (first..span.end).filter(|&t| !gap[t - seq_len..=t].contains(&true)).collect();
    if targets.is_empty() {
        return Ok(Cut { train: vec![], val: vec![], test: vec![] });
    }
    let (n_train, n_val) = split.of(targets.len())?;
    let test = targets[n_train + n_val..].to_vec();
    let val = targets[n_train..n_train + n_val].to_vec();
    let mut train = targets;
    train.truncate(n_train);
    Ok(Cut { train, val, test })
}

impl Windows {
    pub fn new(series: Series, scale: ScalingRule, seq_len: usize, split: Split) -> Result<Windows> {
        let n = series.rows.len();
        let many = series.groups.is_some();
        if n <= seq_len && !many {
            bail!("the series has {n} rows, which is not longer than --seq-len {seq_len}: no window fits");
        }
        let gap: Vec<bool> = (0..n).map(|i| series.has_gap(i)).collect();
        let cuts: Vec<Cut> = (0..series.count()).map(|k| cut(&gap, series.span(k), seq_len, split)).collect::<Result<_>>()?;
        let windows_of = |c: &Cut| c.train.len() + c.val.len() + c.test.len();
        let left_out: Vec<usize> = (0..series.count()).filter(|&k| windows_of(&cuts[k]) == 0).collect();
        if cuts.iter().all(|c| windows_of(c) == 0) {
            let what = if many { "no series has" } else { "no" };
            bail!(
                "{what} {} consecutive rows without a gap (--seq-len {seq_len} reads {seq_len} rows and predicts the next): no window fits",
                seq_len + 1
            );
        }
        let (n_train, n_val) = (cuts.iter().map(|c| c.train.len()).sum(), cuts.iter().map(|c| c.val.len()).sum());
        let transform = match &scale {
            ScalingRule::Unscaled => Transform::None,
            ScalingRule::Fit { transform, .. } => *transform,
            ScalingRule::Given(s) => s.first().map_or(Transform::None, |s| s.transform),
        };
        series.check_transform(transform)?;
        let scaling = match scale {
            ScalingRule::Unscaled => vec![],
            ScalingRule::Given(s) => s,
            // The rows each series' training windows read, inputs and targets: nothing after the last one.
            ScalingRule::Fit { bound, transform } => cuts
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    // (marked within the series' own rows only: a file of many series is not
                    // scanned once per series)
                    let span = series.span(k);
                    // a series left out (no window fits): its own rows, which no window reads
                    let mut seen = vec![c.train.is_empty(); span.len()];
                    for &t in &c.train {
                        seen[t - seq_len - span.start..=t - span.start].iter_mut().for_each(|s| *s = true);
                    }
                    let rows = span.zip(&seen).filter(|(_, &s)| s).map(|(i, _)| &series.rows[i]);
                    Scaling::fit(rows, series.features(), bound, transform).or_zero()
                })
                .collect(),
        };
        if !scaling.is_empty() && scaling.len() != series.count() {
            bail!("{} scalings for {} series", scaling.len(), series.count());
        }
        let mut targets: Vec<usize> = Vec::with_capacity(cuts.iter().map(windows_of).sum());
        targets.extend(cuts.iter().flat_map(|c| c.train.iter().copied()));
        targets.extend(cuts.iter().flat_map(|c| c.val.iter().copied()));
        targets.extend(cuts.iter().flat_map(|c| c.test.iter().copied()));
        let skipped = (0..series.count()).map(|k| series.span(k).len().saturating_sub(seq_len)).sum::<usize>() - targets.len();
        let rows = model_rows(&series, &scaling);
        let ds = TrignoDS::at(&rows, series.features(), seq_len, &targets);
        Ok(Windows { fingerprint: fingerprint(&rows), series, scaling, ds, targets, n_train, n_val, skipped, left_out, seq_len, split })
    }

    /// Series `k` alone, cut and scaled as it is here (its own split, its own scaling): what a
    /// forecast, and the per-series scores, run on. A file of one series is itself.
    pub fn only(&self, k: usize) -> Result<Windows> {
        let scale = match self.scaling_of(k) {
            Some(s) => ScalingRule::Given(vec![s.clone()]),
            None => ScalingRule::Unscaled,
        };
        Windows::new(self.series.only(k), scale, self.seq_len, self.split)
    }

    /// The series, the windows' tensors let go.
    pub fn into_series(self) -> Series {
        self.series
    }

    /// The series with at least one window (all but those left out).
    pub fn kept_series(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.series.count()).filter(|k| !self.left_out.contains(k))
    }

    /// The windows among `part` (the training, validation or test windows) of series `k`: each
    /// part lists the series in order, each series' targets rising, so they are one run.
    pub fn of_series(&self, part: std::ops::Range<usize>, k: usize) -> std::ops::Range<usize> {
        let (span, targets) = (self.series.span(k), &self.targets[part.clone()]);
        part.start + targets.partition_point(|&t| t < span.start)..part.start + targets.partition_point(|&t| t < span.end)
    }

    /// The scaling of series `k`, when the series is scaled.
    pub fn scaling_of(&self, k: usize) -> Option<&Scaling> {
        self.scaling.get(k)
    }

    /// The series window `i` belongs to.
    pub fn series_of_window(&self, i: usize) -> usize {
        self.series.series_of(self.targets[i])
    }

    pub fn gaps(&self, missing: Missing) -> Gaps {
        let filled = if missing == Missing::Interpolate { self.series.gaps } else { 0 };
        Gaps { missing, cells: self.series.gaps, filled, skipped_windows: self.skipped }
    }

    /// The training windows, the first `n_train` (sharing the tensors).
    pub fn training(&self) -> TrignoDS {
        self.ds.slice(0, self.n_train)
    }

    /// The windows before the test tail: the training and validation windows together.
    pub fn before_test(&self) -> TrignoDS {
        self.ds.slice(0, self.test_start())
    }

    /// The validation windows, between the training windows and the test tail.
    pub fn validation(&self) -> TrignoDS {
        self.ds.slice(self.n_train, self.n_val)
    }

    /// The first window of the test tail.
    pub fn test_start(&self) -> usize {
        self.n_train + self.n_val
    }

    /// The held-out windows, the chronological tail (sharing the tensors).
    pub fn test(&self) -> TrignoDS {
        self.ds.slice(self.test_start(), self.ds.len() - self.test_start())
    }

    /// A row of series `k` in model units, in the series' units.
    pub fn unscaled(&self, k: usize, row: impl IntoIterator<Item = f64>) -> Vec<f64> {
        scaling::unscaled(self.scaling_of(k), row)
    }

    /// MASE's scale per feature for series `k` (data/scores.rs): the seasonal naive's in-sample
    /// MAE on its rows up to its last training target.
    pub fn mase_scale(&self, k: usize, season: Option<usize>) -> Vec<f64> {
        scores::mase_scale(&self.series.rows, self.in_sample(k), season, Transform::None)
    }

    /// What the forecast's band pools the errors of many series by: `mase_scale`, of the values
    /// the band is computed on (their logs with `--transform log`).
    pub fn band_scale(&self, k: usize, season: Option<usize>) -> Vec<f64> {
        scores::mase_scale(&self.series.rows, self.in_sample(k), season, self.transform())
    }

    /// Series `k`'s rows up to its last training target: MASE's in-sample rows.
    fn in_sample(&self, k: usize) -> std::ops::Range<usize> {
        let (span, trained) = (self.series.span(k), self.of_series(0..self.n_train, k));
        span.start..if trained.is_empty() { span.start } else { self.targets[trained.end - 1] + 1 }
    }

    /// What the values become before they are scaled (`--transform`; none unscaled).
    pub fn transform(&self) -> Transform {
        self.scaling.first().map_or(Transform::None, |s| s.transform)
    }

    /// The split a window belongs to: `train`, `val` or `test`.
    pub fn split_of(&self, window: usize) -> &'static str {
        self.splits().split_of(window)
    }

    /// Where the splits begin.
    pub fn splits(&self) -> Splits {
        Splits { n_train: self.n_train, test_start: self.test_start() }
    }
}

/// Where the windows' splits begin: training from 0, validation from `n_train`, the test tail
/// from `test_start`.
#[derive(Debug, Clone, Copy)]
pub struct Splits {
    pub n_train: usize,
    pub test_start: usize,
}

impl Splits {
    /// The split window `window` belongs to: `train`, `val` or `test`.
    pub fn split_of(self, window: usize) -> &'static str {
        if window < self.n_train {
            "train"
        } else if window < self.test_start {
            "val"
        } else {
            "test"
        }
    }
}

/// A fingerprint of the model's rows (FNV-1a over their float32 bits), so that a resumed run can
/// tell it is being handed the series it started with.
pub fn fingerprint(rows: &[f32]) -> String {
    let hash = rows
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// The blog's TrignoDS: `X[i] = data[i : i+seq_length]`, `Y[i] = data[i+seq_length]`.
#[allow(non_snake_case)]
pub struct TrignoDS {
    pub X: Tensor, // [windows, seq_length, input_size]
    pub Y: Tensor, // [windows, input_size]
}

impl TrignoDS {
    /// The windows whose targets are these rows (each `>= seq_length`): views of the rows, not
    /// copies, when the targets follow one another (no gap skipped), so that a long series is held
    /// once; gathered otherwise. The same values either way.
    #[allow(non_snake_case)]
    pub fn at(data: &[f32], input_size: usize, seq_length: usize, targets: &[usize]) -> TrignoDS {
        let (n, f, seq) = (targets.len() as i64, input_size as i64, seq_length as i64);
        let rows = Tensor::from_slice(data).view([-1, f]);
        // window w reads rows w..w+seq: [rows - seq + 1, seq, features], a view
        let windows = rows.unfold(0, seq, 1).transpose(1, 2);
        let Some(&first) = targets.first() else {
            return TrignoDS { X: windows.narrow(0, 0, 0), Y: rows.narrow(0, 0, 0) };
        };
        if targets.windows(2).all(|t| t[1] == t[0] + 1) {
            return TrignoDS { X: windows.narrow(0, first as i64 - seq, n), Y: rows.narrow(0, first as i64, n) };
        }
        let at = |rows: Vec<i64>| Tensor::from_slice(&rows);
        let X = windows.index_select(0, &at(targets.iter().map(|&t| (t - seq_length) as i64).collect()));
        let Y = rows.index_select(0, &at(targets.iter().map(|&t| t as i64).collect()));
        TrignoDS { X, Y }
    }

    pub fn len(&self) -> usize {
        self.Y.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `count` windows from `first` (views of the same tensors).
    pub fn slice(&self, first: usize, count: usize) -> TrignoDS {
        let (first, count) = (first as i64, count as i64);
        TrignoDS { X: self.X.narrow(0, first, count), Y: self.Y.narrow(0, first, count) }
    }

    pub fn to_device(&self, device: Device) -> TrignoDS {
        TrignoDS { X: self.X.to_device(device), Y: self.Y.to_device(device) }
    }
}

/// Chronological split of the windows: the last `floor(n * test_fraction)` are held out.
/// How the windows are split in time order: train | validation | test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub test_fraction: f64,
    pub val_fraction: f64,
}

impl Split {
    /// The number of training and of validation windows out of `windows`: the last
    /// `floor(windows * test_fraction)` are the test tail, the `floor(windows * val_fraction)`
    /// before them validate, the rest train (at least one).
    pub fn of(self, windows: usize) -> Result<(usize, usize)> {
        let count = |f: f64| (windows as f64 * f).floor() as usize;
        let (n_test, n_val) = (count(self.test_fraction), count(self.val_fraction));
        if n_test + n_val >= windows {
            bail!(
                "--test-fraction {} and --val-fraction {} leave no training window out of {windows}",
                self.test_fraction,
                self.val_fraction
            );
        }
        Ok((windows - n_test - n_val, n_val))
    }
}

/// The batch order of one epoch, reproducible in Python: `torch.randperm(n, generator=g)` with
/// `g.manual_seed(epoch_seed(seed, epoch))`, or `arange(n)` without shuffling.
pub fn epoch_order(n: usize, shuffle: bool, seed: u64, epoch: usize) -> Tensor {
    if shuffle {
        // Same stream as a fresh torch.Generator seeded alike: mt19937 from the seed.
        crate::seeded(epoch_seed(seed, epoch), || Tensor::randperm(n as i64, (Kind::Int64, Device::Cpu)))
    } else {
        Tensor::arange(n as i64, (Kind::Int64, Device::Cpu))
    }
}

/// One generator seed per (run seed, epoch), so that an epoch's order never depends on what ran before it.
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_the_blogs_trignods() {
        // rows r0..r5 of a 2-feature series: r_i = [i, 10 i]
        let data: Vec<f32> = (0..6).flat_map(|i| [i as f32, 10.0 * i as f32]).collect();
        let ds = TrignoDS::at(&data, 2, 4, &[4, 5]);
        assert_eq!(ds.len(), 2);
        assert_eq!(ds.X.size(), vec![2, 4, 2]);
        let x: Vec<f32> = Vec::try_from(ds.X.flatten(0, -1)).unwrap();
        assert_eq!(&x[..8], &[0., 0., 1., 10., 2., 20., 3., 30.]);
        assert_eq!(&x[8..], &[1., 10., 2., 20., 3., 30., 4., 40.]);
        let y: Vec<f32> = Vec::try_from(ds.Y.flatten(0, -1)).unwrap();
        assert_eq!(y, vec![4., 40., 5., 50.]);
    }

    #[test]
    fn a_series_no_longer_than_seq_len_is_refused() {
        let series = Series { names: vec!["a".into()], rows: vec![vec![0.0]; 4].into(), time: None, gaps: 0, groups: None };
        let err =
            Windows::new(series, ScalingRule::Unscaled, 4, Split { test_fraction: 0.2, val_fraction: 0.0 }).err().unwrap().to_string();
        assert!(err.contains("4 rows, which is not longer than --seq-len 4"), "{err}");
    }

    #[test]
    fn circle_is_numpys_linspace_sin_cos() {
        let s = circle();
        assert_eq!(s.rows.len(), 1000);
        assert_eq!(circle_x(1000), 1000.0 * (100.0 / 999.0), "the grid continues past the end");
        assert_eq!(&s.rows[0], &[0.0, 1.0]);
        assert_eq!(s.rows[999][0], 100f64.sin() as f32 as f64, "the last x is exactly 100");
        assert_eq!(s.rows[1][1], (100f64 / 999.0).cos() as f32 as f64);
    }

    #[test]
    fn split_keeps_the_chronological_tail_for_testing() {
        let split = |test_fraction, val_fraction| Split { test_fraction, val_fraction };
        assert_eq!(split(0.2, 0.0).of(996).unwrap(), (797, 0));
        assert_eq!(split(0.2, 0.1).of(996).unwrap(), (698, 99), "validation comes out of the windows before the test tail");
        assert_eq!(split(0.0, 0.0).of(10).unwrap(), (10, 0));
        assert!(split(0.99, 0.0).of(1).is_ok());
        assert_eq!(split(0.999, 0.0).of(3).unwrap(), (1, 0), "at least one training window stays");
        let err = split(0.5, 0.5).of(10).unwrap_err().to_string();
        assert!(err.contains("--test-fraction 0.5 and --val-fraction 0.5 leave no training window out of 10"), "{err}");
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 3)).unwrap();
        let b: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 3)).unwrap();
        let c: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 4)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<i64>>());
        let plain: Vec<i64> = Vec::try_from(epoch_order(5, false, 7, 3)).unwrap();
        assert_eq!(plain, vec![0, 1, 2, 3, 4]);
    }
}
