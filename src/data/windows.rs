//! The blog's windows (TrignoDS) of a series, split in time order (train | validation | test),
//! and each epoch's batch order.

use super::scaling::{self, model_rows, Scaling, ScalingRule, Transform};
use super::series::Series;
use super::series::{Gaps, Missing};
use anyhow::{bail, Result};
use tch::{Device, Kind, Tensor};

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

/// Each series' scaling (none for the circle): a run's own, or fitted on the rows its training
/// windows read, inputs and targets (nothing after the last one), after the transform, which
/// every value must take.
fn scalings(series: &Series, cuts: &[Cut], scale: ScalingRule, seq_len: usize) -> Result<Vec<Scaling>> {
    let transform = match &scale {
        ScalingRule::Unscaled => Transform::None,
        ScalingRule::Fit { transform, .. } => *transform,
        ScalingRule::Given(s) => s.first().map_or(Transform::None, |s| s.transform),
    };
    scaling::check_transform(series, transform)?;
    Ok(match scale {
        ScalingRule::Unscaled => vec![],
        ScalingRule::Given(s) => s,
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
    })
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
        let scaling = scalings(&series, &cuts, scale, seq_len)?;
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

    /// A run that asked for a test tail (`--test-fraction` above 0) on series all too short to
    /// hold one out is refused: one line saying how many windows and rows one takes, and the
    /// fixes. (`train` and `bench` ask; a series of many, alone, may have no test tail.)
    pub fn check_test_tail(&self) -> Result<()> {
        if self.split.test_fraction == 0.0 || self.test_start() < self.targets.len() {
            return Ok(());
        }
        let series = &self.series;
        let spans = (0..series.count()).map(|k| series.span(k).len());
        let (rows, windows) = (spans.clone().max().unwrap_or(0), spans.map(|n| n.saturating_sub(self.seq_len)).max().unwrap_or(0));
        // the fewest windows whose floor(n * test_fraction) is one
        let need = (1..).find(|&n| (n as f64 * self.split.test_fraction).floor() >= 1.0).unwrap_or(1);
        let which = if series.groups.is_some() { "the longest series" } else { "the series" };
        bail!(
            "{which} has {rows} rows: --seq-len {} leaves {windows} window{}, and --test-fraction {} holds out none for the test tail (that takes {need} windows, {} rows): give a longer series, a smaller --seq-len, or a larger --test-fraction",
            self.seq_len,
            if windows == 1 { "" } else { "s" },
            self.split.test_fraction,
            need + self.seq_len
        )
    }

    /// Refuses one model of more columns than it has training windows to learn them from (its
    /// output layer alone would be fitted to fewer examples than it has outputs), naming the
    /// layout that fits: before the model and its optimizer's state, which grow with the columns'
    /// square, are made.
    pub fn check_width(&self) -> Result<()> {
        let (f, n) = (self.series.features(), self.n_train);
        if f <= n.max(1) {
            return Ok(());
        }
        bail!(
            "{f} columns in one model from {n} training window{}: it would have more columns to learn than windows to learn them from; lay the columns out as series with --columns-as-series (one model across them, each column windowed and scaled on its own), or give at most {} --columns",
            if n == 1 { "" } else { "s" },
            n.max(1)
        )
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

    /// The `count` windows from `first` (one part: the training or the validation windows), each
    /// with the `h` points after its window as targets, Y [windows, h, features] (`--rollout`):
    /// NaN where a point is not the part's (past its end, across a gap, in the next series).
    pub fn ahead(&self, first: usize, count: usize, h: usize) -> TrignoDS {
        let part = self.ds.slice(first, count);
        let targets = &self.targets[first..first + count];
        let (mut rows, mut known) = (Vec::with_capacity(count * h), Vec::with_capacity(count * h));
        for i in 0..count {
            for j in 0..h {
                // (a series' first target is seq_len rows into it: targets one apart are one series')
                let ok = i + j < count && targets[i + j] == targets[i] + j;
                rows.push((if ok { i + j } else { i }) as i64);
                known.push(ok);
            }
        }
        let (n, h, f) = (count as i64, h as i64, self.series.features() as i64);
        let y = part.Y.index_select(0, &Tensor::from_slice(&rows)).view([n, h, f]);
        let unknown = Tensor::from_slice(&known).view([n, h, 1]).logical_not();
        TrignoDS { X: part.X, Y: y.masked_fill(&unknown, f64::NAN) }
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

    /// MASE's scale per feature for series `k` (data/scaling.rs): the seasonal naive's in-sample
    /// MAE on its rows up to its last training target.
    pub fn mase_scale(&self, k: usize, season: Option<usize>) -> Vec<f64> {
        scaling::mase_scale(&self.series.rows, self.in_sample(k), season, Transform::None)
    }

    /// What the forecast's band pools the errors of many series by: `mase_scale`, of the values
    /// the band is computed on (their logs with `--transform log`).
    pub fn band_scale(&self, k: usize, season: Option<usize>) -> Vec<f64> {
        scaling::mase_scale(&self.series.rows, self.in_sample(k), season, self.transform())
    }

    /// Series `k`'s rows up to its last training target: MASE's in-sample rows.
    pub fn in_sample(&self, k: usize) -> std::ops::Range<usize> {
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

    /// `--rollout`'s targets: each window's next points, none past the end of its part.
    #[test]
    fn the_points_ahead_stop_at_the_end_of_the_part() {
        let series = Series {
            names: vec!["a".into()],
            rows: (0..10).map(|i| vec![i as f64]).collect::<Vec<_>>().into(),
            time: None,
            gaps: 0,
            groups: None,
        };
        let w = Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.0, val_fraction: 0.0 }).unwrap();
        let values = |t: &Tensor| Vec::<f32>::try_from(t.flatten(0, -1)).unwrap();
        let all = w.ahead(0, 8, 3);
        assert_eq!(all.Y.size(), vec![8, 3, 1]);
        assert_eq!(values(&all.X.select(0, 6)), vec![6., 7.], "the windows are the part's");
        let y = values(&all.Y);
        assert_eq!(&y[..3], &[2., 3., 4.]);
        assert!(y[18] == 8. && y[19] == 9. && y[20].is_nan() && y[21] == 9. && y[22].is_nan() && y[23].is_nan(), "{y:?}");
        let part = values(&w.ahead(2, 4, 3).Y);
        assert!(part[9] == 7. && part[10].is_nan() && part[11].is_nan(), "the part ends at row 7: {part:?}");
    }

    #[test]
    fn a_series_no_longer_than_seq_len_is_refused() {
        let series = Series { names: vec!["a".into()], rows: vec![vec![0.0]; 4].into(), time: None, gaps: 0, groups: None };
        let err =
            Windows::new(series, ScalingRule::Unscaled, 4, Split { test_fraction: 0.2, val_fraction: 0.0 }).err().unwrap().to_string();
        assert!(err.contains("4 rows, which is not longer than --seq-len 4"), "{err}");
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
