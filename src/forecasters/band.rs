//! Prediction intervals by conformal prediction on the closed loop's errors. The loop runs from
//! every held-out window (the validation windows and the test tail), and at each horizon h the
//! band's half-width is the empirical quantile at `--coverage` of the absolute errors (per
//! feature, in the series' units) whose truths were seen before the forecast's origin: the
//! ceil((n + 1) coverage)-th smallest of the n errors; when they are too few for it, the largest,
//! or with `--few-errors t` the larger of that and Student's t band from their root mean square.
//!
//! The validation windows' errors whose truths come before the test tail calibrate every origin,
//! as in split conformal. Every other held-out error joins them at the origins after its truth,
//! as a forecaster who recalibrates as the truths arrive would do. So no origin's band reads a
//! truth at or after the origin: on the test tail, each start is calibrated on the errors seen
//! before it, and the future's band, after the last row, on every held-out error. The quantile's
//! level starts at `--coverage` and, as each truth of the test tail arrives, moves by whether the
//! band given at its start missed it (adaptive conformal inference, `--band-step`), so that a series
//! whose errors grow on the test tail gets wider bands. Measured on the series that chose the
//! defaults (docs/peers_tuning.md), both moved the coverage of a 90% band closer to 90% than the
//! validation errors alone did. A horizon's band is read from its errors where they are at least
//! `FEWEST`; beyond the last such horizon, k, the half-width grows from k's as the square root of
//! the horizon, as a random walk's band does.
//!
//! In a file of many series, one model's, each series has few validation windows of its own; so
//! every series' validation errors calibrate every series' band, each error over its own
//! series' scale (scores.csv's MASE scale, per feature), and a series' quantile of the pooled
//! scaled errors is brought back to its units by its own scale (a series too short for
//! validation windows of its own is calibrated by the pool). The pool is sorted once; each
//! series' running quantile walks it with an index, so a pool shared by many series costs each
//! of them nothing beyond its own errors.

use super::closed_loop::{roll, unscaled, Roller};
use super::student_t::t_quantile;
use crate::data::{Transform, Windows};
use anyhow::Result;
use std::sync::Arc;

/// Half-widths at each horizon, for one origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub coverage: f64,
    /// Per horizon (h = 1, 2, ...), per feature, in the series' units (in their logs' with
    /// `--transform log`, so that the band is a ratio around the prediction and stays above 0).
    pub half: Vec<Vec<f64>>,
    /// Per horizon, the errors each half-width was taken from.
    pub errors: Vec<usize>,
    /// What the errors and half-widths are measured on: the values, or their logs.
    pub transform: Transform,
    /// Per feature: every value of the series is above 0, so the lower edge stops at 0 (a
    /// positive truth below it cannot be missed by the cut).
    pub positive: Vec<bool>,
}

/// The error the band is calibrated on, of `pred` against `truth`: in the series' units, or
/// between their logs.
pub fn error(transform: Transform, pred: f64, truth: f64) -> f64 {
    (transform.apply(truth) - transform.apply(pred)).abs()
}

impl Band {
    /// The half-widths at horizon `h` (1-based).
    pub fn at(&self, h: usize) -> &[f64] {
        &self.half[(h - 1).min(self.half.len() - 1)]
    }

    /// Whether `truth` lies within the band around `pred` at horizon `h`, feature by feature.
    pub fn covers(&self, h: usize, pred: &[f64], truth: &[f64]) -> Vec<bool> {
        self.at(h).iter().zip(pred.iter().zip(truth)).map(|(q, (p, t))| error(self.transform, *p, *t) <= *q).collect()
    }

    /// The band's lower and upper edges around `pred` at horizon `h`, in the series' units.
    pub fn edges(&self, h: usize, pred: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let t = self.transform;
        let edge = |sign: f64| self.at(h).iter().zip(pred).map(move |(q, &p)| t.undo(t.apply(p) + sign * q));
        let floor = |(v, &positive): (f64, &bool)| if positive { v.max(0.0) } else { v };
        (edge(-1.0).zip(self.positive.iter().chain(std::iter::repeat(&false))).map(floor).collect(), edge(1.0).collect())
    }
}

/// The split-conformal quantile of `errors` (absolute, any order) at `coverage`.
pub fn conformal_quantile(mut errors: Vec<f64>, coverage: f64) -> f64 {
    errors.sort_by(f64::total_cmp);
    let n = errors.len();
    errors[rank(n, coverage) - 1]
}

/// Which of n errors, counted from the smallest, the quantile at `coverage` is.
fn rank(n: usize, coverage: f64) -> usize {
    wanted_rank(n, coverage).clamp(1, n)
}

/// ceil((n + 1) coverage): the rank split conformal asks of n errors, beyond n when they are too
/// few for the coverage.
fn wanted_rank(n: usize, coverage: f64) -> usize {
    (((n + 1) as f64) * coverage).ceil() as usize
}

/// What the band is when its errors are too few for the level's rank (ceil((n + 1) level) > n,
/// as with fewer than 9 errors at 90%, or a level that ACI has raised): `--few-errors`, whose
/// default, t, was chosen with `ADAPT` (docs/tuning.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FewErrors {
    /// the largest error
    Max,
    /// the larger of the largest error and Student's t band from the errors' root mean square
    /// (t at (1 + level) / 2 with n degrees of freedom, the level at most 0.999), which keeps
    /// widening as the level rises
    T,
}

display_as_flag_value!(FewErrors);

/// ACI's step, `--band-step`'s default (adaptive conformal inference, Gibbs and Candès, NeurIPS
/// 2021): as each truth of the test tail arrives, the level of its horizon's band moves by the
/// step times (the miss rate asked - whether the band given at that start missed it), so that a
/// band that keeps missing widens and one that never misses narrows. Chosen with `--few-errors t`
/// on the series that chose the defaults by `scripts/studies/tune_csv_defaults.py` (docs/tuning.md, "How
/// fast the band adapts, and what it is on too few errors").
pub const ADAPT: f64 = 0.2;

/// The fewest errors a horizon's band is read from (the first horizon's always is): beyond the
/// last horizon with as many, the half-width is that horizon's, k's, times sqrt(h / k). The far
/// horizons of short series are reached by few closed loops: on M1's yearly histories cut before
/// their test horizons, every series' pooled errors at h = 3 numbered 4, and the 80% band read
/// from them held 96% of the truths there (a one-off count, 2026-12-06), 92.6% over the six
/// horizons. With the rule, chosen on those cut histories among 5, 10, 30 and 50 errors and flat,
/// root and linear growth, M1's yearly bands held 92.6% asked 90% and 79.7% asked 80%, and the
/// coverage of no other frequency of M1 or Tourism moved by more than 1.1 points
/// (docs/competition_cut.md, the runs labelled after9 and after10).
pub const FEWEST: usize = 10;

/// One horizon's and feature's errors as an order statistic: every error it may come to hold,
/// sorted once (the pool's, then this series' own as they arrive), and a Fenwick tree counting
/// those held, so that holding one and reading the k-th smallest each cost a log.
#[derive(Debug)]
struct Ranked {
    sorted: Vec<f64>,
    /// Where this series' own errors sit in `sorted`, in their order.
    own: Vec<usize>,
    /// Fenwick tree (1-based) of the held errors' places in `sorted`.
    tree: Vec<u32>,
    held: usize,
    /// The sum of the held errors' squares (`FewErrors::T`).
    square: f64,
}

impl Ranked {
    /// Every error of `pool` held, and `own` to be held one by one.
    fn new(pool: &[f64], own: impl Iterator<Item = f64>) -> Ranked {
        let values: Vec<f64> = pool.iter().copied().chain(own).collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        let mut place = vec![0; values.len()];
        order.iter().enumerate().for_each(|(at, &i)| place[i] = at);
        let sorted = order.iter().map(|&i| values[i]).collect();
        let mut ranked = Ranked { sorted, own: place[pool.len()..].to_vec(), tree: vec![0; values.len() + 1], held: 0, square: 0.0 };
        place[..pool.len()].iter().for_each(|&at| ranked.hold_at(at));
        ranked
    }

    fn hold_at(&mut self, at: usize) {
        let mut i = at + 1;
        while i < self.tree.len() {
            self.tree[i] += 1;
            i += i & i.wrapping_neg();
        }
        self.held += 1;
        self.square += self.sorted[at] * self.sorted[at];
    }

    /// Holds this series' `i`-th own error.
    fn hold_own(&mut self, i: usize) {
        self.hold_at(self.own[i]);
    }

    /// The conformal quantile of the held errors at `level` (`conformal_quantile`'s), or, when
    /// they are too few for its rank, what `few` says.
    fn quantile(&self, level: f64, few: FewErrors) -> Option<f64> {
        if self.held == 0 {
            return None;
        }
        let q = self.kth(rank(self.held, level));
        let n = self.held as f64;
        match few {
            FewErrors::T if wanted_rank(self.held, level) > self.held => {
                Some(q.max(t_quantile((1.0 + level.min(0.999)) / 2.0, n) * (self.square / n).sqrt()))
            }
            _ => Some(q),
        }
    }

    /// The k-th smallest held error (1-based).
    fn kth(&self, k: usize) -> f64 {
        // the last place with fewer than k held up to it, by the tree's binary descent
        let (n, mut at, mut left) = (self.tree.len() - 1, 0, k as u32);
        let mut step = n.next_power_of_two();
        while step > 0 {
            if at + step <= n && self.tree[at + step] < left {
                at += step;
                left -= self.tree[at];
            }
            step /= 2;
        }
        self.sorted[at]
    }
}

/// One horizon's closed-loop errors: the row of each one's truth, ascending, and its absolute
/// error per feature, error after error in one buffer.
#[derive(Debug, Clone, Default)]
struct Misses {
    rows: Vec<usize>,
    abs: Vec<f64>,
}

/// What a band is asked: forecast's `--coverage`, `--band-step` and `--few-errors` (as
/// forecast.json keeps them).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub coverage: f64,
    /// How far each test-tail truth moves the level (`ADAPT`, `--band-step`; a forecast.json
    /// written before the flag: the step its band was drawn with).
    #[serde(rename = "band_step", default = "step_before_the_flag")]
    pub step: f64,
    /// The band when its errors are too few for the level (`--few-errors`; a forecast.json
    /// written before the flag: the largest error, as its band had).
    #[serde(rename = "few_errors", default = "few_before_the_flag")]
    pub few: FewErrors,
    /// The fewest errors a horizon's band is read from (`FEWEST`); 0: every horizon with an error
    /// read and the last width kept beyond (a forecast.json written before the rule, as its
    /// band had).
    #[serde(rename = "band_fewest", default)]
    pub fewest: usize,
}

fn few_before_the_flag() -> FewErrors {
    FewErrors::Max
}

fn step_before_the_flag() -> f64 {
    0.05
}

/// The closed loop's errors from every held-out start, per horizon, in their truths' order.
#[derive(Debug)]
pub struct Calibration {
    rule: Rule,
    features: usize,
    /// Per horizon: the errors, by their truth's row.
    misses: Vec<Misses>,
    /// The test tail's first target row: the errors before it calibrate every origin.
    test_row: usize,
    /// The test tail's starts (rows): the bands given there move the level (`ADAPT`).
    test_starts: Vec<usize>,
    /// In a file of many series, every series' validation errors (`pooled`).
    pool: Option<Pool>,
    /// What the errors are measured on (`--transform`).
    transform: Transform,
    /// Per feature: every value of the series is above 0 (`Band::positive`).
    positive: Vec<bool>,
}

/// In a file of many series, every series' validation errors (`scaled_validation_errors`), each
/// over its own series' scale (per feature), so that series of any size pool; the quantile is
/// brought back to this series' units by its own scale.
#[derive(Debug)]
struct Pool {
    scale: Vec<f64>,
    /// Per horizon, per feature: every series' scaled validation errors (this one's too), sorted.
    sorted: Arc<Vec<Vec<Vec<f64>>>>,
}

/// Whether a series' scale can pool its errors: a positive number for every feature (a constant
/// series' is 0).
fn usable(scale: &[f64]) -> bool {
    scale.iter().all(|s| s.is_finite() && *s > 0.0)
}

/// Per horizon, per feature, sorted: the errors every series lent (`scaled_validation_errors`).
pub fn pool_of<'a>(lent: impl Iterator<Item = &'a Vec<Vec<f64>>>, features: usize) -> Arc<Vec<Vec<Vec<f64>>>> {
    let mut pool: Vec<Vec<Vec<f64>>> = vec![];
    for lent in lent {
        pool.resize(pool.len().max(lent.len()), vec![vec![]; features]);
        for (p, l) in pool.iter_mut().zip(lent) {
            l.chunks_exact(features).for_each(|e| p.iter_mut().zip(e).for_each(|(p, &e)| p.push(e)));
        }
    }
    pool.iter_mut().flatten().for_each(|p| p.sort_by(f64::total_cmp));
    Arc::new(pool)
}

/// The closed loop from each of `starts` (target rows of consecutive held-out windows), in model units.
pub struct Rolled {
    pub starts: Vec<usize>,
    /// Per horizon, every start's prediction, start after start.
    pub preds: Vec<Vec<f32>>,
}

impl Rolled {
    /// The closed loop from the windows `from..from + count`, as far as `steps` and the rows reach.
    pub fn of(model: Roller, w: &Windows, from: usize, count: usize, steps: usize) -> Result<Rolled> {
        let starts = w.targets[from..from + count].to_vec();
        let Some(&first) = starts.first() else { return Ok(Rolled { starts, preds: vec![] }) };
        let reach = steps.min(w.series.rows.len() - first);
        Ok(Rolled { starts, preds: roll(model, w.ds.slice(from, count).X, reach)? })
    }
}

impl Calibration {
    /// The errors of the validation windows' closed loops; None without validation windows.
    pub fn of(w: &Windows, validation: &Rolled, rule: Rule) -> Option<Calibration> {
        (w.n_val > 0).then(|| Calibration::without_errors(w, rule).and(w, validation))
    }

    /// No error yet: for a series of many too short for validation windows of its own, which
    /// the pool calibrates.
    pub fn without_errors(w: &Windows, rule: Rule) -> Calibration {
        let test_row = w.targets.get(w.test_start()).copied().unwrap_or(w.series.rows.len());
        let (transform, f) = (w.transform(), w.series.features());
        // a gap (NaN) is no value below 0
        let positive = (0..f).map(|j| w.series.rows.iter().all(|r| !(r[j] <= 0.0))).collect();
        Calibration { rule, features: f, misses: vec![], test_row, test_starts: vec![], pool: None, transform, positive }
    }

    /// With the errors of later closed loops (`rolled`, the test tail's): the held-out windows
    /// come in time order, so each horizon's truths do too.
    pub fn and(mut self, w: &Windows, rolled: &Rolled) -> Calibration {
        let f = self.features;
        self.test_starts.extend(rolled.starts.iter().filter(|&&s| s >= self.test_row));
        if self.misses.len() < rolled.preds.len() {
            self.misses.resize(rolled.preds.len(), Misses::default());
        }
        for (k, preds) in rolled.preds.iter().enumerate() {
            for (i, &s) in rolled.starts.iter().enumerate() {
                let row = s + k;
                if row >= w.series.rows.len() || w.series.has_gap(row) {
                    continue;
                }
                let pred = unscaled(w, &preds[i * f..(i + 1) * f]);
                self.misses[k].rows.push(row);
                self.misses[k].abs.extend((0..f).map(|j| error(self.transform, pred[j], w.series.rows[row][j])));
            }
        }
        self
    }

    /// The errors whose truths come before the test tail (the validation windows', which
    /// calibrate every origin), each over `scale`, per horizon; None where a scale is not a
    /// positive number (a constant series), which lends nothing.
    pub fn scaled_validation_errors(&self, scale: &[f64]) -> Option<Vec<Vec<f64>>> {
        self.scaled_errors(scale, self.test_row)
    }

    /// Every error whose truth comes before row `before`, each over `scale`, per horizon; None
    /// where a scale is not a positive number.
    pub fn scaled_errors(&self, scale: &[f64], before: usize) -> Option<Vec<Vec<f64>>> {
        if !usable(scale) {
            return None;
        }
        let f = self.features;
        let seen = |m: &Misses| m.rows.iter().take_while(|&&row| row < before).count();
        Some(self.misses.iter().map(|m| m.abs[..seen(m) * f].iter().zip(scale.iter().cycle()).map(|(e, s)| e / s).collect()).collect())
    }

    /// This series' calibration with every series' validation errors (`pool_of`, this one's
    /// among them): every error over its series' scale, this one's `scale`, which brings the
    /// quantile back to its units. A scale that is not a positive number keeps this series'
    /// errors alone.
    pub fn pooled(mut self, scale: Vec<f64>, sorted: Arc<Vec<Vec<Vec<f64>>>>) -> Calibration {
        if !usable(&scale) {
            return self;
        }
        // as many horizons as the pool has, where this series' own errors reach fewer (none, for
        // a series too short for held-out windows of its own)
        if self.misses.len() < sorted.len() {
            self.misses.resize(sorted.len(), Misses::default());
        }
        Calibration { pool: Some(Pool { scale, sorted }), ..self }
    }

    /// Each horizon's and feature's errors, ranked: the pool's (scaled), with this series' own
    /// held beside them as the walk reaches their truths.
    fn ranked(&self) -> Vec<Vec<Ranked>> {
        let f = self.features;
        let (scale, sorted) = match &self.pool {
            Some(pool) => (Some(pool.scale.as_slice()), pool.sorted.as_slice()),
            None => (None, &[][..]),
        };
        let pooled = |k: usize, j: usize| sorted.get(k).map_or(&[][..], |p| p[j].as_slice());
        let own = |k: usize, j: usize| self.misses[k].abs.iter().skip(j).step_by(f).map(move |&e| scale.map_or(e, |s| e / s[j]));
        (0..self.misses.len()).map(|k| (0..f).map(|j| Ranked::new(pooled(k, j), own(k, j))).collect()).collect()
    }

    /// The rows `along` walks: the test tail's starts up to the last origin, and the origins.
    fn walk(&self, origins: &[usize]) -> Vec<usize> {
        let last = origins.last().copied().unwrap_or(0);
        let starts = self.test_starts.iter().copied().take_while(|&s| s <= last);
        let mut walk: Vec<usize> = starts.chain(origins.iter().copied()).collect();
        walk.sort_unstable();
        walk.dedup();
        walk
    }

    /// The band `steps` horizons long at each of `origins` (rows, ascending), in one walk over
    /// the test tail's starts up to the last origin: at each, the errors whose truths come before
    /// max(it, the test tail's first row) are held, each truth of the test tail moves its level
    /// (`ADAPT`) by whether the band given at its start missed it, and the band is read at the
    /// levels reached; `visit` gets each origin's index and band (none before the first error).
    pub fn along(&self, origins: &[usize], steps: usize, mut visit: impl FnMut(usize, Option<&Band>)) {
        let f = self.features;
        let mut ranked = self.ranked();
        // with a pool, this series' own validation errors are in it already
        let mut seen: Vec<usize> = match &self.pool {
            Some(_) => self.misses.iter().map(|m| m.rows.iter().take_while(|&&row| row < self.test_row).count()).collect(),
            None => vec![0; self.misses.len()],
        };
        let mut levels = vec![vec![self.rule.coverage; f]; self.misses.len()];
        // the bands given at the test tail's starts whose truths are still to come, by start
        let mut given: std::collections::VecDeque<(usize, Band)> = Default::default();
        let mut next = 0;
        for o in self.walk(origins) {
            let before = o.max(self.test_row);
            for (k, misses) in self.misses.iter().enumerate() {
                while misses.rows.get(seen[k]).is_some_and(|&row| row < before) {
                    let (i, start) = (seen[k], misses.rows[seen[k]] - k);
                    let at = given.binary_search_by_key(&start, |g| g.0).ok();
                    for j in 0..f {
                        ranked[k][j].hold_own(i);
                        if let Some(at) = at {
                            let missed = misses.abs[i * f + j] > given[at].1.at(k + 1)[j];
                            levels[k][j] -= self.rule.step * ((1.0 - self.rule.coverage) - f64::from(u8::from(missed)));
                        }
                    }
                    seen[k] += 1;
                }
            }
            // a start whose every truth has come moves no level again
            while given.front().is_some_and(|g| g.0 + self.misses.len() <= before) {
                given.pop_front();
            }
            let band = self.band_of(&ranked, &levels, steps);
            if let Some(band) = band.as_ref().filter(|_| self.test_starts.binary_search(&o).is_ok()) {
                given.push_back((o, band.clone()));
            }
            if origins.get(next) == Some(&o) {
                visit(next, band.as_ref());
                next += 1;
            }
        }
    }

    /// The band at one origin (row). (forecast reads it from the walk that scores the test tail.)
    #[cfg(test)]
    pub fn at(&self, origin: usize, steps: usize) -> Option<Band> {
        let mut band = None;
        self.along(&[origin], steps, |_, b| band = b.cloned());
        band
    }

    /// The band at `levels`: the horizons read from their errors (`FEWEST`), then the last one's
    /// half-width grown as the square root of the horizon.
    fn band_of(&self, ranked: &[Vec<Ranked>], levels: &[Vec<f64>], steps: usize) -> Option<Band> {
        let mut half: Vec<Vec<f64>> = Vec::with_capacity(steps);
        let mut counts = Vec::with_capacity(steps);
        for (q, level) in ranked.iter().zip(levels).take(steps) {
            if !half.is_empty() && q[0].held < self.rule.fewest {
                break;
            }
            let quantiles = q.iter().zip(level).map(|(q, &l)| q.quantile(l.clamp(0.0, 1.0), self.rule.few));
            let Some(mut h) = quantiles.collect::<Option<Vec<f64>>>() else { break };
            if let Some(pool) = &self.pool {
                h.iter_mut().zip(&pool.scale).for_each(|(h, s)| *h *= s);
            }
            // as a forecaster's band, never narrower than at the horizon before
            if let Some(before) = half.last() {
                h.iter_mut().zip(before).for_each(|(h, b)| *h = h.max(*b));
            }
            counts.push(q[0].held);
            half.push(h);
        }
        let (last, read) = (half.last()?.clone(), half.len() as f64);
        while half.len() < steps {
            let grown = if self.rule.fewest > 0 { ((half.len() + 1) as f64 / read).sqrt() } else { 1.0 };
            half.push(last.iter().map(|w| w * grown).collect());
            counts.push(0);
        }
        Some(Band { coverage: self.rule.coverage, half, errors: counts, transform: self.transform, positive: self.positive.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conformal_quantile_is_the_ceil_n_plus_1_coverage_th_error() {
        let errors: Vec<f64> = (1..=19).map(f64::from).rev().collect();
        assert_eq!(conformal_quantile(errors.clone(), 0.9), 18.0, "ceil(20 * 0.9) = 18th of 19");
        assert_eq!(conformal_quantile(errors.clone(), 0.5), 10.0);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(conformal_quantile(ten, 0.9), 10.0, "ceil(11 * 0.9) = 10th of 10, not the 9th");
        assert_eq!(conformal_quantile(vec![3.0, 1.0], 0.9), 3.0, "too few errors: the largest");
    }

    /// A stream of small whole numbers, many of them equal.
    fn draws(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) % 50) as f64
        }
    }

    #[test]
    fn the_ranked_errors_give_the_conformal_quantile_of_the_pool_and_every_error_held() {
        let mut draw = draws(7);
        let own: Vec<f64> = (0..300).map(|_| draw()).collect();
        for pooled in [0, 1, 7, 120] {
            let mut pool: Vec<f64> = (0..pooled).map(|_| draw() + 0.5).collect();
            pool.sort_by(f64::total_cmp);
            let mut ranked = Ranked::new(&pool, own.iter().copied());
            assert_eq!(ranked.quantile(0.9, FewErrors::Max), pool.last().map(|_| conformal_quantile(pool.clone(), 0.9)));
            for n in 0..own.len() {
                ranked.hold_own(n);
                let all = [&pool[..], &own[..=n]].concat();
                for level in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
                    assert_eq!(
                        ranked.quantile(level, FewErrors::Max),
                        Some(conformal_quantile(all.clone(), level)),
                        "{pooled} pooled, {n}, {level}"
                    );
                }
            }
        }
    }

    /// The rule written out plainly for one horizon and feature: at each walked start the errors
    /// before it held, each test-tail truth moving the level by whether its start's band missed
    /// it, the band read at the level.
    fn by_hand(rows: &[usize], errors: &[f64], test_row: usize, starts: &[usize], coverage: f64) -> Vec<f64> {
        let (mut level, mut held, mut given, mut out) = (coverage, 0, std::collections::HashMap::new(), vec![]);
        for &o in starts {
            while held < rows.len() && rows[held] < o.max(test_row) {
                if let Some(&band) = given.get(&rows[held]) {
                    level -= ADAPT * ((1.0 - coverage) - if errors[held] > band { 1.0 } else { 0.0 });
                }
                held += 1;
            }
            let band = conformal_quantile(errors[..held].to_vec(), level.clamp(0.0, 1.0));
            given.insert(o, band);
            out.push(band);
        }
        out
    }

    #[test]
    fn each_test_tail_truth_moves_the_level_by_whether_its_band_missed_it() {
        let mut draw = draws(11);
        let rows: Vec<usize> = (10..80).collect();
        // errors that grow on the test tail (from row 40), so that the bands miss and widen
        let errors: Vec<f64> = rows.iter().map(|&r| draw() * if r >= 40 { 3.0 } else { 1.0 }).collect();
        let starts: Vec<usize> = (40..80).collect();
        let misses = vec![Misses { rows: rows.clone(), abs: errors.clone() }];
        let c = Calibration {
            rule: Rule { coverage: 0.9, step: ADAPT, few: FewErrors::Max, fewest: 0 },
            features: 1,
            misses,
            test_row: 40,
            test_starts: starts.clone(),
            pool: None,
            transform: Transform::None,
            positive: vec![false],
        };
        let mut along = vec![];
        c.along(&starts, 1, |_, b| along.push(b.unwrap().half[0][0]));
        let expected = by_hand(&rows, &errors, 40, &starts, 0.9);
        assert_eq!(along, expected);
        let fixed: Vec<f64> = starts.iter().map(|&o| conformal_quantile(errors[..o.max(40) - 10].to_vec(), 0.9)).collect();
        assert_ne!(along, fixed, "the level never moved");
        // one origin alone walks the starts before it
        assert_eq!(c.at(70, 1).unwrap().half[0][0], expected[30]);
    }

    /// Errors at rows 10.. (h = 1) and 11.. (h = 2) of one feature, the test tail from row 13.
    fn calibration() -> Calibration {
        let misses = vec![
            Misses { rows: vec![10, 11, 12, 13, 14], abs: vec![1.0, 2.0, 3.0, 40.0, 50.0] },
            Misses { rows: vec![11, 12, 13, 14], abs: vec![4.0, 5.0, 60.0, 70.0] },
        ];
        let rule = Rule { coverage: 0.5, step: ADAPT, few: FewErrors::Max, fewest: 0 };
        Calibration {
            rule,
            features: 1,
            misses,
            test_row: 13,
            test_starts: vec![],
            pool: None,
            transform: Transform::None,
            positive: vec![false],
        }
    }

    #[test]
    fn an_origin_is_calibrated_on_the_truths_before_it_and_on_the_validation_windows() {
        let c = calibration();
        // before the test tail's first row: the validation errors, as split conformal
        let split = Band {
            coverage: 0.5,
            half: vec![vec![2.0], vec![5.0], vec![5.0]],
            errors: vec![3, 2, 0],
            transform: Transform::None,
            positive: vec![false],
        };
        assert_eq!(c.at(5, 3), Some(split.clone()));
        assert_eq!(c.at(13, 3), Some(split));
        // row 14's origin has seen row 13's truths, and no later one
        assert_eq!(c.at(14, 2).unwrap().half, [vec![3.0], vec![5.0]]);
        assert_eq!(c.at(14, 2).unwrap().errors, [4, 3]);
        // the future's: every error
        assert_eq!(c.at(15, 2).unwrap().half, [vec![3.0], vec![60.0]]);
        let mut along = vec![];
        c.along(&[13, 14, 15], 2, |i, b| along.push((i, b.cloned())));
        assert_eq!(along, [13, 14, 15].iter().enumerate().map(|(i, &o)| (i, c.at(o, 2))).collect::<Vec<_>>());
    }

    #[test]
    fn a_pooled_band_is_the_quantile_of_every_error_over_its_scale_times_this_series_scale() {
        let c = calibration();
        let own = c.scaled_validation_errors(&[2.0]).unwrap();
        assert_eq!(own, [vec![0.5, 1.0, 1.5], vec![2.0, 2.5]], "before row 13 only");
        assert_eq!(c.scaled_validation_errors(&[0.0]), None, "a constant series lends nothing");
        // its own errors over 2 (0.5, 1, 1.5) with 7, 5, 6 lent at h = 1: the 4th of 6 is 5, times 2
        let pool = pool_of([own, vec![vec![7.0, 5.0, 6.0]]].iter(), 1);
        assert_eq!(*pool, [vec![vec![0.5, 1.0, 1.5, 5.0, 6.0, 7.0]], vec![vec![2.0, 2.5]]]);
        let pooled = calibration().pooled(vec![2.0], pool.clone());
        // h = 2's own quantile is 5, but a band never narrows with the horizon: h = 1's 10
        assert_eq!(pooled.at(13, 2).unwrap().half, [vec![10.0], vec![10.0]]);
        assert_eq!(pooled.at(13, 2).unwrap().errors, [6, 2]);
        // row 15's origin adds its own test-tail errors (40 and 50 over 2) to the pool
        assert_eq!(pooled.at(15, 1).unwrap().half, [vec![12.0]], "the 5th of 0.5, 1, 1.5, 5, 6, 7, 20, 25");
        assert_eq!(calibration().pooled(vec![f64::NAN], pool).at(13, 1), c.at(13, 1), "no scale: its own errors");
    }

    #[test]
    fn a_series_without_errors_of_its_own_gets_the_pools_band_at_every_horizon_it_has() {
        let rule = Rule { coverage: 0.5, step: ADAPT, few: FewErrors::Max, fewest: 0 };
        let bare = Calibration {
            rule,
            features: 1,
            misses: vec![],
            test_row: 5,
            test_starts: vec![],
            pool: None,
            transform: Transform::None,
            positive: vec![false],
        };
        let pool = pool_of([vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]].iter(), 1);
        // the 2nd of 3 at each horizon, times this series' scale 10
        assert_eq!(bare.pooled(vec![10.0], pool).at(5, 3).unwrap().half, [vec![20.0], vec![50.0], vec![50.0]]);
    }

    #[test]
    fn too_few_errors_for_the_level_give_the_largest_or_the_t_band() {
        let mut ranked = Ranked::new(&[], [1.0, 2.0, 3.0].into_iter());
        (0..3).for_each(|i| ranked.hold_own(i));
        assert_eq!(ranked.quantile(0.9, FewErrors::Max), Some(3.0), "ceil(4 * 0.9) = 4 > 3: the largest");
        // t(0.95, 3 df) = 2.353363 times the root mean square sqrt(14 / 3)
        let t = ranked.quantile(0.9, FewErrors::T).unwrap();
        assert!((t - 2.353363 * (14.0f64 / 3.0).sqrt()).abs() < 1e-5, "{t}");
        assert!(ranked.quantile(0.99, FewErrors::T).unwrap() > 2.0 * t, "it widens as the level rises");
        assert_eq!(ranked.quantile(0.5, FewErrors::T), Some(2.0), "enough errors for the rank: the conformal quantile");
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        let mut ranked = Ranked::new(&[], nine.iter().copied());
        (0..9).for_each(|i| ranked.hold_own(i));
        assert_eq!(ranked.quantile(0.9, FewErrors::T), ranked.quantile(0.9, FewErrors::Max), "ceil(10 * 0.9) = 9: no t");
    }

    #[test]
    fn a_band_covers_feature_by_feature_and_holds_its_last_width() {
        let band = Band {
            coverage: 0.9,
            half: vec![vec![1.0, 2.0], vec![3.0, 4.0]],
            errors: vec![5, 5],
            transform: Transform::None,
            positive: vec![false, false],
        };
        assert_eq!(band.covers(1, &[0.0, 0.0], &[1.0, 2.5]), [true, false]);
        assert_eq!(band.at(7), [3.0, 4.0]);
        assert_eq!(band.edges(2, &[10.0, 20.0]), (vec![7.0, 16.0], vec![13.0, 24.0]));
    }

    #[test]
    fn a_band_never_narrows_with_the_horizon() {
        // h = 2's errors (1, 1, 1) are smaller than h = 1's (5, 6, 7), h = 3's larger again
        let misses = vec![
            Misses { rows: vec![10, 11, 12], abs: vec![5.0, 6.0, 7.0] },
            Misses { rows: vec![11, 12, 13], abs: vec![1.0, 1.0, 1.0] },
            Misses { rows: vec![12, 13, 14], abs: vec![9.0, 9.0, 9.0] },
        ];
        let rule = Rule { coverage: 0.5, step: 0.0, few: FewErrors::Max, fewest: 0 };
        let c = Calibration {
            rule,
            features: 1,
            misses,
            test_row: 20,
            test_starts: vec![],
            pool: None,
            transform: Transform::None,
            positive: vec![false],
        };
        assert_eq!(c.at(20, 4).unwrap().half, [vec![6.0], vec![6.0], vec![9.0], vec![9.0]]);
    }

    #[test]
    fn a_horizon_with_fewer_than_fewest_errors_grows_from_the_last_read_as_the_root_of_the_horizon() {
        // twelve errors at h = 1 and 2, three (far larger) at h = 3
        let twelve =
            |from: usize, at: f64| Misses { rows: (from..from + 12).collect(), abs: (1..=12).map(|e| at * f64::from(e)).collect() };
        let misses = vec![twelve(10, 1.0), twelve(11, 2.0), Misses { rows: vec![12, 13, 14], abs: vec![90.0, 95.0, 99.0] }];
        let rule = Rule { coverage: 0.5, step: 0.0, few: FewErrors::Max, fewest: FEWEST };
        let c = Calibration {
            rule,
            features: 1,
            misses,
            test_row: 30,
            test_starts: vec![],
            pool: None,
            transform: Transform::None,
            positive: vec![false],
        };
        // the 7th of 12 at h = 1 and 2 (ceil(13 * 0.5)), then h = 2's times sqrt(h / 2)
        let band = c.at(30, 5).unwrap();
        assert_eq!(band.half, [vec![7.0], vec![14.0], vec![14.0 * 1.5f64.sqrt()], vec![14.0 * 2f64.sqrt()], vec![14.0 * 2.5f64.sqrt()]]);
        assert_eq!(band.errors, [12, 12, 0, 0, 0]);
        // a forecast.json from before the rule: h = 3 read from its three errors, then held
        let before = Calibration { rule: Rule { fewest: 0, ..rule }, ..c };
        assert_eq!(before.at(30, 4).unwrap().half, [vec![7.0], vec![14.0], vec![95.0], vec![95.0]]);
    }

    #[test]
    fn the_lower_edge_of_a_positive_series_stops_at_0() {
        let band =
            Band { coverage: 0.9, half: vec![vec![5.0, 5.0]], errors: vec![5], transform: Transform::None, positive: vec![true, false] };
        assert_eq!(band.edges(1, &[3.0, 3.0]), (vec![0.0, -2.0], vec![8.0, 8.0]), "only the positive feature is cut");
        assert_eq!(band.edges(1, &[30.0, 30.0]).0, [25.0, 25.0], "an edge above 0 is as it was");
    }

    #[test]
    fn a_band_on_the_logs_is_a_ratio_around_the_prediction_and_stays_above_0() {
        let band = Band { coverage: 0.9, half: vec![vec![2f64.ln()]], errors: vec![5], transform: Transform::Log, positive: vec![false] };
        let (lower, upper) = band.edges(1, &[10.0]);
        assert!((lower[0] - 5.0).abs() < 1e-12 && (upper[0] - 20.0).abs() < 1e-12, "{lower:?} {upper:?}");
        assert_eq!(band.covers(1, &[10.0], &[19.0]), [true]);
        assert_eq!(band.covers(1, &[10.0], &[4.9]), [false], "half the prediction and less is outside");
        assert!(error(Transform::Log, 10.0, 20.0) > error(Transform::Log, 10.0, 5.5), "errors are ratios");
    }
}
