//! `--target linear`'s autoregression: the next point from the window, by least squares towards
//! persistence, its ridge chosen on the validation windows. On every lag of every column, or,
//! where that would have more unknowns than there are windows to fit them (a wide file), each
//! column on its own lags alone (`reads_own_lags`), so that its cost grows with the columns,
//! not with their square.

use super::batches::{map_batches, per_worker, ONE_BATCH};
use super::cholesky::solve;
use super::windows::TrignoDS;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

/// How the validation windows choose `--target linear`'s ridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RidgeChoice {
    /// the ridge of the lowest validation error
    #[default]
    Lowest,
    /// the largest ridge (the nearest persistence) whose validation error is within one standard
    /// error of the lowest (Breiman's one-standard-error rule)
    OneSe,
    /// no ridge: the bare least-squares fit, whatever the validation windows
    #[serde(rename = "none")]
    #[value(name = "none")]
    Bare,
}

/// Which windows `--target linear`'s autoregression is fitted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ArFit {
    /// the training windows
    #[default]
    Training,
    /// every window before the test tail, the validation windows too (as the linear baseline
    /// is), at the ridge that fits on the training windows chose
    BeforeTest,
}

display_as_flag_value!(RidgeChoice);

display_as_flag_value!(ArFit);

/// A linear autoregression on a window: the next point = [the window's values, flattened, 1] W,
/// W [seq_len * features + 1, features] row-major, in float64, in scaled units; or, with
/// `own_lags`, each column's next point = [its own values in the window, 1] W[:, c], W
/// [seq_len + 1, features].
///
/// Fitted by ridge regression towards persistence, W = P + V with P persistence's W (the
/// window's last point) and (D'D + lambda I) V = D'(Y - D P), so that a short or noisy series'
/// fit stays near persistence rather than near zero. lambda = r trace(D'D) / d, r the one of
/// `RIDGES` that the validation windows choose (`RidgeChoice`; the first, a bare least-squares
/// fit that only keeps collinear inputs solvable, without validation windows). D'D and D'Y are
/// summed over batches of `ONE_BATCH` windows by libtorch, then solved by a Cholesky
/// factorisation written out here, so that scripts/reference.py, which writes out the same
/// loops, fits the same W to the bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearAr {
    pub weights: Vec<f64>,
    pub features: usize,
    /// r, the ridge chosen (runs before 0.4 fitted with 1e-8 and did not say).
    #[serde(default = "bare_ridge")]
    pub ridge: f64,
    /// Each column on its own lags alone (`reads_own_lags`); absent from the files of the full form.
    #[serde(default, skip_serializing_if = "is_false")]
    pub own_lags: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// The ridges tried, relative to trace(D'D) / d: from a bare least-squares fit to one that is
/// nearly persistence.
pub const RIDGES: [f64; 8] = [1e-8, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0];

fn bare_ridge() -> f64 {
    RIDGES[0]
}

/// [window's inputs, flattened | 1] in float64 (the ones made from the input, so that a traced
/// module serves any batch size).
pub fn design(x: &Tensor) -> Tensor {
    let flat = x.flatten(1, -1).to_kind(Kind::Double);
    let ones = flat.narrow(1, 0, 1).ones_like();
    Tensor::cat(&[flat, ones], 1)
}

/// [columns, windows, rows + 1]: each column's own values in the window and a 1, in float64.
pub fn own_design(x: &Tensor) -> Tensor {
    let lags = x.permute([2, 0, 1]).to_kind(Kind::Double);
    let ones = lags.narrow(2, 0, 1).ones_like();
    Tensor::cat(&[lags, ones], 2)
}

/// Whether the autoregression on windows of `rows` rows of `columns` columns, fitted on
/// `windows` windows, reads each column's own lags alone: where its full form would have more
/// inputs than `MAX_AR_INPUTS`, or more unknowns per column than windows to fit them.
pub fn reads_own_lags(rows: usize, columns: usize, windows: usize) -> bool {
    columns > 1 && (rows * columns > MAX_AR_INPUTS || rows * columns + 1 > windows)
}

/// Each window's next point [windows, features] by W in float64: on every lag where W's rows
/// are the design's, else on each column's own lags (W [rows + 1, features]).
pub fn predict_double(w: &Tensor, x: &Tensor) -> Tensor {
    let (rows, f) = (x.size()[1], x.size()[2]);
    if w.size()[0] == rows * f + 1 {
        return design(x).matmul(w);
    }
    let lags = (x.to_kind(Kind::Double) * w.narrow(0, 0, rows)).sum_dim_intlist([1i64].as_slice(), false, Kind::Double);
    lags + w.select(0, rows)
}

/// The normal equations of a fit towards persistence on some windows: A = D'D, and
/// B - A P = D'(Y - D P), so that W = P + V with (A + lambda I) V = B - A P; one system with a
/// column of B per feature, or with own lags one system per feature.
struct Towards {
    /// (A, B - A P), row-major.
    systems: Vec<(Vec<f64>, Vec<f64>)>,
    f: usize,
    /// The design's first column of the window's last point (persistence's).
    last: usize,
    own: bool,
}

impl Towards {
    fn of(windows: &TrignoDS, own: bool) -> Result<Towards> {
        let f = windows.Y.size()[1] as usize;
        let Some((dtd, dty)) = normal_equations(&windows.X, &windows.Y, own)? else {
            bail!("--target linear needs training windows to fit its autoregression")
        };
        let (a, b) = (Vec::<f64>::try_from(dtd.flatten(0, -1))?, Vec::<f64>::try_from(dty.flatten(0, -1))?);
        let (systems, rhs) = if own { (f, 1) } else { (1, f) };
        let d = b.len() / f;
        // persistence reads the design's columns of the window's last point
        let last = d - 1 - rhs;
        let systems = a.chunks_exact(d * d).zip(b.chunks_exact(d * rhs)).take(systems);
        let systems = systems.map(|(a, b)| {
            let mut left = b.to_vec();
            for (i, row) in left.chunks_exact_mut(rhs).enumerate() {
                row.iter_mut().enumerate().for_each(|(c, v)| *v -= a[i * d + last + c]);
            }
            (a.to_vec(), left)
        });
        Ok(Towards { systems: systems.collect(), f, last, own })
    }

    /// W at `ridge`; None when some A + lambda I is not positive definite.
    fn solve(&self, ridge: f64) -> Option<LinearAr> {
        let (f, own) = (self.f, self.own);
        let rhs = if own { 1 } else { f };
        let mut weights = vec![0.0; (self.last + 1 + rhs) * f];
        for (k, (a, left)) in self.systems.iter().enumerate() {
            let mut w = solve(a, left, rhs, ridge)?;
            (0..rhs).for_each(|c| w[(self.last + c) * rhs + c] += 1.0);
            // column k of W, or all of it
            w.iter().enumerate().for_each(|(i, v)| weights[if own { i * f + k } else { i }] = *v);
        }
        Some(LinearAr { weights, features: f, ridge, own_lags: own })
    }
}

impl LinearAr {
    /// The fit on the training windows `train`, its ridge chosen on the windows `validation` by `choice`.
    pub fn fit(train: &TrignoDS, validation: &TrignoDS, choice: RidgeChoice) -> Result<LinearAr> {
        let size = train.X.size();
        let own = reads_own_lags(size[1] as usize, size[2] as usize, train.len());
        within_bounds(size[1] as usize, size[2] as usize, own)?;
        let system = Towards::of(train, own)?;
        let tried = if validation.is_empty() { &RIDGES[..1] } else { &RIDGES[..] };
        // a ridge too small for degenerate inputs is passed over for a larger one
        let mut fits: Vec<LinearAr> = vec![];
        // the least that can be solved: the bare fit, where it can be
        let tried = if choice == RidgeChoice::Bare { &RIDGES[..] } else { tried };
        for &ridge in tried {
            fits.extend(system.solve(ridge));
            crate::signals::check("the autoregression's fit")?;
            if choice == RidgeChoice::Bare && !fits.is_empty() {
                break;
            }
        }
        if fits.len() > 1 {
            let errors = validation_errors(&fits, validation, choice == RidgeChoice::OneSe)?;
            // the first of the lowest: the smaller ridge on a tie
            let best = (0..fits.len()).fold(0, |best, k| if errors.sums[k] < errors.sums[best] { k } else { best });
            let chosen = match choice {
                RidgeChoice::Lowest | RidgeChoice::Bare => best,
                // within the lowest sum plus n times its standard error, the largest ridge
                RidgeChoice::OneSe => {
                    let within = errors.sums[best] + errors.spread(best);
                    (0..fits.len()).rev().find(|&k| errors.sums[k] <= within).unwrap_or(best)
                }
            };
            return Ok(fits.swap_remove(chosen));
        }
        fits.pop().context(
            "--target linear: the training windows' autoregression cannot be solved (its inputs are degenerate); choose another --target",
        )
    }

    /// The fit at this one's ridge on the windows `windows` (`--ar-fit before-test`: every
    /// window before the test tail, once fits on the training windows have chosen the ridge).
    pub fn refit(&self, windows: &TrignoDS) -> Result<LinearAr> {
        Towards::of(windows, self.own_lags)?.solve(self.ridge).context(
            "--ar-fit before-test: the autoregression on the training and validation windows cannot be solved at the chosen ridge; use --ar-fit training",
        )
    }

    /// W as a tensor [seq_len * features + 1, features] (own lags: [seq_len + 1, features]), float64.
    pub fn tensor(&self) -> Tensor {
        Tensor::from_slice(&self.weights).view([-1, self.features as i64])
    }

    /// The prediction of each window `x` of its next point [windows, features], float32, by W:
    /// in batches of `ONE_BATCH` windows, so that a long series' float64 design is never whole.
    pub fn predict(w: &Tensor, x: &Tensor) -> Tensor {
        let w = w.to_device(x.device());
        let n = x.size()[0] as usize;
        if n <= ONE_BATCH {
            return predict_double(&w, x).to_kind(Kind::Float);
        }
        let states = per_worker(x.device(), || (x.shallow_clone(), w.shallow_clone()));
        let parts = map_batches(n, states, |(x, w), first, count| Ok(predict_double(w, &x.narrow(0, first, count)).to_kind(Kind::Float)));
        Tensor::cat(&parts.expect("a batch's matmul returns no error"), 0)
    }
}

/// D'D and D'Y of the design D of windows `x` and their targets `y` (`own`: each column's,
/// [columns, d, d] and [columns, d, 1]), each summed over batches of `ONE_BATCH` windows
/// (computed on every core, added in batch order); None without a window.
pub fn normal_equations(x: &Tensor, y: &Tensor, own: bool) -> Result<Option<(Tensor, Tensor)>> {
    let states = per_worker(x.device(), || (x.shallow_clone(), y.shallow_clone()));
    let batches = map_batches(x.size()[0] as usize, states, |(x, y), first, count| {
        let (x, y) = (x.narrow(0, first, count), y.narrow(0, first, count).to_kind(Kind::Double));
        let (d, y) = if own { (own_design(&x), y.transpose(0, 1).unsqueeze(2)) } else { (design(&x), y) };
        let dt = d.transpose(-2, -1);
        Ok((dt.matmul(&d), dt.matmul(&y)))
    })?;
    Ok(batches.into_iter().reduce(|(dtd, dty), (a, b)| (dtd + a, dty + b)))
}

/// Each fit's squared errors on the validation windows, summed over the features.
struct ValidationErrors {
    /// Per fit, over every window.
    sums: Vec<f64>,
    /// Per window, per fit (window after window); kept only for the one-standard-error rule.
    each: Vec<f64>,
}

impl ValidationErrors {
    /// n times the standard error of fit `k`'s mean error over the n windows (sqrt(n) times
    /// their standard deviation), so that the one-standard-error rule compares it with sums; 0
    /// below two windows.
    fn spread(&self, k: usize) -> f64 {
        let fits = self.sums.len();
        let n = self.each.len() / fits;
        if n < 2 {
            return 0.0;
        }
        let mean = self.sums[k] / n as f64;
        let mut square = 0.0;
        for window in self.each.chunks_exact(fits) {
            square += (window[k] - mean) * (window[k] - mean);
        }
        (n as f64 * square / (n - 1) as f64).sqrt()
    }
}

/// Each fit's squared errors on the windows `validation` (each window's too, with `each`): every
/// W side by side in one matrix (own lags: one after another), applied in batches of
/// `ONE_BATCH` windows, the batches' sums added in order.
fn validation_errors(fits: &[LinearAr], validation: &TrignoDS, each: bool) -> Result<ValidationErrors> {
    let (f, own) = (fits[0].features as i64, fits[0].own_lags);
    let tensors: Vec<Tensor> = fits.iter().map(LinearAr::tensor).collect();
    let w = if own { Tensor::stack(&tensors, 0) } else { Tensor::cat(&tensors, 1) };
    let (x, y) = (&validation.X, &validation.Y);
    let states = per_worker(x.device(), || (x.shallow_clone(), y.shallow_clone(), w.shallow_clone()));
    let batches = map_batches(validation.len(), states, |(x, y, w), first, count| {
        let x = x.narrow(0, first, count);
        let predicted = match own {
            false => design(&x).matmul(w).view([count, fits.len() as i64, f]),
            true => Tensor::stack(&(0..fits.len() as i64).map(|k| predict_double(&w.get(k), &x)).collect::<Vec<_>>(), 1),
        };
        let errors = (predicted - y.narrow(0, first, count).to_kind(Kind::Double).unsqueeze(1)).square();
        let sums = Vec::<f64>::try_from(errors.sum_dim_intlist([0i64, 2].as_slice(), false, Kind::Double))?;
        let windows = match each {
            true => Vec::<f64>::try_from(errors.sum_dim_intlist([2i64].as_slice(), false, Kind::Double).flatten(0, -1))?,
            false => vec![],
        };
        Ok((sums, windows))
    })?;
    let mut errors = ValidationErrors { sums: vec![0.0; fits.len()], each: vec![] };
    for (sums, each) in batches {
        errors.sums.iter_mut().zip(sums).for_each(|(s, e)| *s += e);
        errors.each.extend(each);
    }
    Ok(errors)
}

/// The most inputs (window rows times columns) `--target linear`'s autoregression takes: its
/// normal equations are (inputs + 1)^2 numbers, solved once per ridge tried, in time that grows
/// as their cube (here: 800 inputs take 3 s, 1,600 take 30 s, 2,400 two minutes). Beyond it a
/// fit reads each column's own lags alone, and a single column's window longer than it is
/// refused before it allocates them, rather than growing until the kernel kills it.
pub const MAX_AR_INPUTS: usize = 1024;

/// Refuses an autoregression of its full form on more than `MAX_AR_INPUTS` inputs (a window
/// longer than that of one column: own lags take over before it for many), naming the fixes.
pub fn within_bounds(rows: usize, columns: usize, own: bool) -> Result<()> {
    if own || rows * columns <= MAX_AR_INPUTS {
        return Ok(());
    }
    let gigabytes = ((rows * columns + 1) as f64).powi(2) * 8.0 / 1e9;
    bail!(
        "--target linear's autoregression would read a window of {} values, over the {MAX_AR_INPUTS} it fits in bounded time and memory (its normal equations alone: {gigabytes:.1} GB): give a smaller --seq-len, or --target level",
        rows * columns
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ridge is the validation windows' choice: a random walk's fit shrinks to persistence
    /// (no lag but the last helps, and its noise would fit the training windows), an exact
    /// recurrence's stays the bare least-squares fit; `none` keeps the bare fit, and a refit
    /// keeps the ridge.
    #[test]
    fn the_ridge_towards_persistence_is_chosen_on_the_validation_windows() {
        let ds = |series: &[f32]| {
            let n = series.len() - 4;
            let x = Tensor::stack(&(0..n).map(|i| Tensor::from_slice(&series[i..i + 4]).view([4, 1])).collect::<Vec<_>>(), 0);
            TrignoDS { X: x, Y: Tensor::from_slice(&series[4..]).view([n as i64, 1]) }
        };
        let steps: Vec<f32> = crate::seeded(7, || Vec::try_from(Tensor::randn([90], (Kind::Float, tch::Device::Cpu))).unwrap());
        let walk: Vec<f32> = steps.iter().scan(0.0, |level, s| Some(*level + s).inspect(|l| *level = *l)).collect();
        let windows = ds(&walk);
        let (train, validation) = (windows.slice(0, 60), windows.slice(60, 26));
        let (fit, bare) = (
            LinearAr::fit(&train, &validation, RidgeChoice::Lowest).unwrap(),
            LinearAr::fit(&train, &train.slice(0, 0), RidgeChoice::Lowest).unwrap(),
        );
        assert_eq!(bare.ridge, RIDGES[0], "without validation windows, the bare fit");
        let from_persistence = |w: &[f64]| w.iter().zip([0.0, 0.0, 0.0, 1.0, 0.0]).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        assert!(fit.ridge > RIDGES[0], "a random walk's fit is shrunk: ridge {}", fit.ridge);
        assert!(from_persistence(&fit.weights) < from_persistence(&bare.weights) / 2.0, "{:?} against {:?}", fit.weights, bare.weights);
        // --ridge-choice none: the bare fit, whatever the validation windows say
        assert_eq!(LinearAr::fit(&train, &validation, RidgeChoice::Bare).unwrap(), bare);
        // --ar-fit before-test: the chosen ridge, fitted again with the validation windows
        let again = fit.refit(&windows.slice(0, 86)).unwrap();
        assert!(again.ridge == fit.ridge && again.weights != fit.weights, "{again:?}");
        let exact: Vec<f32> = (0..40).map(|t| (t * t) as f32 * 0.01 + t as f32 * 0.1).collect();
        let windows = ds(&exact);
        let fit = LinearAr::fit(&windows.slice(0, 26), &windows.slice(26, 10), RidgeChoice::Lowest).unwrap();
        assert_eq!(fit.ridge, RIDGES[0], "an exact recurrence keeps the bare fit");
    }
}
