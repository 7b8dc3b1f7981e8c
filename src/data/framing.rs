//! How a window is put to the model, as forecasters put it: the level as it is (the blog), or
//! the change from the last point seen (`--target change`), with each window's inputs shifted,
//! and maybe scaled, by its own statistics (`--window-norm`; RevIN, Kim et al., ICLR 2022).
//!
//! Per window and feature, with s the inputs' shift, c their scale and a the target's anchor:
//!
//!   x' = (x - s) / c      y' = (y - a) / c      prediction = a + c * out
//!
//!   --window-norm none: s = 0, c = 1        last: s = x_last, c = 1
//!                 revin: s = mean(x), c = sqrt(var(x) + 1e-5)   (RevIN's, without its affine)
//!   --target level: a = s                   change: a = x_last
//!            linear: a = the linear autoregression's prediction from the window (fitted by least
//!                    squares on the training windows, or on every window before the test tail:
//!                    `--ar-fit`): the model learns what it leaves
//!
//! With `change` or `last`, an untrained model (out near 0) predicts persistence, and a level
//! beyond the training rows stays reachable: the output's tanh bounds the step, not the level.
//! The model trains on x' and y'; every loss a user reads (validation, test, baselines) is in
//! the series' scaled units, after `prediction`.

use super::batches::{map_batches, per_worker, ONE_BATCH};
use super::cholesky::solve;
use super::windows::TrignoDS;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tch::{Kind, Tensor};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// the next point itself (the blog)
    #[default]
    Level,
    /// the change from the last point of the window
    Change,
    /// what a linear autoregression on the window, fitted by least squares (on the windows --ar-fit names), leaves
    Linear,
}

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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WindowNorm {
    /// the inputs as they are (the blog)
    #[default]
    None,
    /// each window's inputs minus its last point
    Last,
    /// each window's inputs minus their mean, over their standard deviation (RevIN)
    Revin,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Target::Level => "level",
            Target::Change => "change",
            Target::Linear => "linear",
        })
    }
}

impl std::fmt::Display for RidgeChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            RidgeChoice::Lowest => "lowest",
            RidgeChoice::OneSe => "one-se",
            RidgeChoice::Bare => "none",
        })
    }
}

impl std::fmt::Display for ArFit {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            ArFit::Training => "training",
            ArFit::BeforeTest => "before-test",
        })
    }
}

impl std::fmt::Display for WindowNorm {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            WindowNorm::None => "none",
            WindowNorm::Last => "last",
            WindowNorm::Revin => "revin",
        })
    }
}

/// RevIN's epsilon, under the square root.
pub const EPS: f64 = 1e-5;

#[derive(Debug, Clone, PartialEq)]
pub struct Framing {
    pub target: Target,
    pub norm: WindowNorm,
    /// `--target linear`'s autoregression, fitted on the training windows.
    pub linear: Option<Arc<LinearAr>>,
}

/// A linear autoregression on a window: the next point = [the window's values, flattened, 1] W,
/// W [seq_len * features + 1, features] row-major, in float64, in scaled units.
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

/// The normal equations of a fit towards persistence on some windows: A = D'D, and
/// B - A P = D'(Y - D P), so that W = P + V with (A + lambda I) V = B - A P.
struct Towards {
    a: Vec<f64>,
    left: Vec<f64>,
    f: usize,
    /// The design's first column of the window's last point (persistence's).
    last: usize,
}

impl Towards {
    fn of(windows: &TrignoDS) -> Result<Towards> {
        let f = windows.Y.size()[1] as usize;
        let Some((dtd, dty)) = normal_equations(&windows.X, &windows.Y)? else {
            bail!("--target linear needs training windows to fit its autoregression")
        };
        let (a, b) = (Vec::<f64>::try_from(dtd.flatten(0, -1))?, Vec::<f64>::try_from(dty.flatten(0, -1))?);
        let d = b.len() / f;
        // persistence reads the design's columns of the window's last point
        let last = d - 1 - f;
        let mut left = b;
        for (i, row) in left.chunks_exact_mut(f).enumerate() {
            row.iter_mut().enumerate().for_each(|(c, v)| *v -= a[i * d + last + c]);
        }
        Ok(Towards { a, left, f, last })
    }

    /// W at `ridge`; None when A + lambda I is not positive definite.
    fn solve(&self, ridge: f64) -> Option<LinearAr> {
        let f = self.f;
        let mut weights = solve(&self.a, &self.left, f, ridge)?;
        (0..f).for_each(|c| weights[(self.last + c) * f + c] += 1.0);
        Some(LinearAr { weights, features: f, ridge })
    }
}

impl LinearAr {
    /// The fit on the training windows `train`, its ridge chosen on the windows `validation` by `choice`.
    pub fn fit(train: &TrignoDS, validation: &TrignoDS, choice: RidgeChoice) -> Result<LinearAr> {
        let system = Towards::of(train)?;
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
        Towards::of(windows)?.solve(self.ridge).context(
            "--ar-fit before-test: the autoregression on the training and validation windows cannot be solved at the chosen ridge; use --ar-fit training",
        )
    }

    /// W as a tensor [seq_len * features + 1, features], float64.
    pub fn tensor(&self) -> Tensor {
        Tensor::from_slice(&self.weights).view([-1, self.features as i64])
    }

    /// The prediction of each window `x` of its next point [windows, features], float32, by W:
    /// in batches of `ONE_BATCH` windows, so that a long series' float64 design is never whole.
    pub fn predict(w: &Tensor, x: &Tensor) -> Tensor {
        let w = w.to_device(x.device());
        let n = x.size()[0] as usize;
        if n <= ONE_BATCH {
            return design(x).matmul(&w).to_kind(Kind::Float);
        }
        let states = per_worker(x.device(), || (x.shallow_clone(), w.shallow_clone()));
        let parts = map_batches(n, states, |(x, w), first, count| Ok(design(&x.narrow(0, first, count)).matmul(w).to_kind(Kind::Float)));
        Tensor::cat(&parts.expect("a batch's matmul returns no error"), 0)
    }
}

/// D'D and D'Y of the design D of windows `x` and their targets `y`, each summed over batches of
/// `ONE_BATCH` windows (computed on every core, added in batch order); None without a window.
pub fn normal_equations(x: &Tensor, y: &Tensor) -> Result<Option<(Tensor, Tensor)>> {
    let states = per_worker(x.device(), || (x.shallow_clone(), y.shallow_clone()));
    let batches = map_batches(x.size()[0] as usize, states, |(x, y), first, count| {
        let d = design(&x.narrow(0, first, count));
        Ok((d.transpose(0, 1).matmul(&d), d.transpose(0, 1).matmul(&y.narrow(0, first, count).to_kind(Kind::Double))))
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
/// W side by side in one matrix, applied in batches of `ONE_BATCH` windows, the batches' sums
/// added in order.
fn validation_errors(fits: &[LinearAr], validation: &TrignoDS, each: bool) -> Result<ValidationErrors> {
    let f = fits[0].features as i64;
    let w = Tensor::cat(&fits.iter().map(LinearAr::tensor).collect::<Vec<_>>(), 1);
    let (x, y) = (&validation.X, &validation.Y);
    let states = per_worker(x.device(), || (x.shallow_clone(), y.shallow_clone(), w.shallow_clone()));
    let batches = map_batches(validation.len(), states, |(x, y, w), first, count| {
        let predicted = design(&x.narrow(0, first, count)).matmul(w).view([count, fits.len() as i64, f]);
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

/// Windows as the model sees them: the framed inputs, and what maps its output back.
pub struct Framed {
    pub inputs: Tensor,
    /// a, [windows, features]; None for the blog's framing (a = 0).
    anchor: Option<Tensor>,
    /// c, [windows, features]; None where c = 1.
    scale: Option<Tensor>,
}

/// The most inputs (window rows times columns) `--target linear`'s autoregression takes: its
/// normal equations are (inputs + 1)^2 numbers, solved once per ridge tried, in time that grows
/// as their cube (here: 800 inputs take 3 s, 1,600 take 30 s, 2,400 two minutes). Beyond it a
/// run is refused before it allocates them, rather than growing until the kernel kills it.
pub const MAX_AR_INPUTS: usize = 1024;

/// Whether `rows` rows of `columns` columns stay within `MAX_AR_INPUTS` (the linear baseline's too).
pub fn ar_fits(rows: usize, columns: usize) -> bool {
    rows * columns <= MAX_AR_INPUTS
}

/// Refuses an autoregression on more than `MAX_AR_INPUTS` inputs, naming the fixes.
fn within_bounds(windows: &TrignoDS) -> Result<()> {
    let size = windows.X.size();
    let (rows, columns) = (size[1] as usize, size[2] as usize);
    if ar_fits(rows, columns) {
        return Ok(());
    }
    let gigabytes = ((rows * columns + 1) as f64).powi(2) * 8.0 / 1e9;
    bail!(
        "--target linear's autoregression would read {rows} rows of {columns} columns, {} inputs, over the {MAX_AR_INPUTS} it fits in bounded time and memory (its normal equations alone: {gigabytes:.1} GB): give fewer --columns, a smaller --seq-len, --target level, or lay the columns out as series (a long file: one row per column and time, with --series-column)",
        rows * columns
    )
}

impl Framing {
    /// The blog's: the level in, the level out.
    pub const BLOG: Framing = Framing { target: Target::Level, norm: WindowNorm::None, linear: None };

    /// The framing of `target` and `norm`, `--target linear`'s autoregression fitted on the
    /// training windows `train`, its ridge chosen on the windows `validation` by `choice`.
    pub fn fitted(target: Target, norm: WindowNorm, choice: RidgeChoice, train: &TrignoDS, validation: &TrignoDS) -> Result<Framing> {
        let linear = match target {
            Target::Linear => {
                within_bounds(train)?;
                Some(Arc::new(LinearAr::fit(train, validation, choice)?))
            }
            _ => None,
        };
        Ok(Framing { target, norm, linear })
    }

    /// This framing with `--target linear`'s autoregression fitted again, at its ridge, on the
    /// windows `before_test` (the training and the validation windows) where `fit` asks.
    pub fn refitted(self, fit: ArFit, before_test: &TrignoDS) -> Result<Framing> {
        let linear = match (&self.linear, fit) {
            (Some(ar), ArFit::BeforeTest) => Some(Arc::new(ar.refit(before_test)?)),
            _ => self.linear.clone(),
        };
        Ok(Framing { linear, ..self })
    }

    /// This framing with `--target linear`'s autoregression fitted again, at its ridge, on every
    /// window `all` (the held-out tails too): what the future's forecast from the last row uses,
    /// so that the most recent rows count, as every statistical method uses them. The held-out
    /// scores keep the fit that never saw them. Where that fit cannot be solved, this one.
    pub fn for_the_future(&self, all: &TrignoDS) -> Framing {
        let linear = self.linear.as_ref().map(|ar| ar.refit(all).map(Arc::new).unwrap_or_else(|_| ar.clone()));
        Framing { linear, ..self.clone() }
    }

    /// Frames windows `x` [windows, seq_len, features] (float32, scaled units).
    pub fn frame(&self, x: &Tensor) -> Framed {
        self.frame_by(x, self.linear.as_ref().map(|ar| ar.tensor()).as_ref())
    }

    /// `frame`, `--target linear`'s W given as a tensor made beforehand (a traced module must
    /// not make it inside the trace, where its values would not be recorded).
    pub fn frame_by(&self, x: &Tensor, linear: Option<&Tensor>) -> Framed {
        let last = || x.select(1, -1);
        let (shift, scale) = match self.norm {
            WindowNorm::None => (None, None),
            WindowNorm::Last => (Some(last()), None),
            WindowNorm::Revin => {
                let dims: &[i64] = &[1];
                let var = x.var_dim(Some(dims), false, false);
                (Some(x.mean_dim(Some(dims), false, None)), Some((var + EPS).sqrt()))
            }
        };
        let moved = match &shift {
            Some(s) => x - s.unsqueeze(1),
            None => x.shallow_clone(),
        };
        let inputs = match &scale {
            Some(c) => moved / c.unsqueeze(1),
            None => moved,
        };
        let anchor = match self.target {
            Target::Level => shift,
            Target::Change => Some(last()),
            Target::Linear => Some(LinearAr::predict(linear.expect("--target linear carries its fitted autoregression"), x)),
        };
        Framed { inputs, anchor, scale }
    }
}

impl Framed {
    /// The targets `y` [windows, features] in the model's frame: (y - a) / c.
    pub fn target(&self, y: &Tensor) -> Tensor {
        let moved = match &self.anchor {
            Some(a) => y - a,
            None => y.shallow_clone(),
        };
        match &self.scale {
            Some(c) => moved / c,
            None => moved,
        }
    }

    /// The model's output back in scaled units: a + c * out.
    pub fn prediction(&self, out: &Tensor) -> Tensor {
        let stretched = match &self.scale {
            Some(c) => out * c,
            None => out.shallow_clone(),
        };
        match &self.anchor {
            Some(a) => a + stretched,
            None => stretched,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows() -> (Tensor, Tensor) {
        // two windows of 3 steps, 1 feature: [1, 2, 4] -> 5 and [0, 0, 3] -> 1
        (Tensor::from_slice(&[1f32, 2., 4., 0., 0., 3.]).view([2, 3, 1]), Tensor::from_slice(&[5f32, 1.]).view([2, 1]))
    }

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::try_from(t.flatten(0, -1)).unwrap()
    }

    #[test]
    fn the_blogs_framing_changes_nothing() {
        let (x, y) = windows();
        let f = Framing::BLOG.frame(&x);
        assert!(f.inputs.equal(&x) && f.target(&y).equal(&y) && f.prediction(&y).equal(&y));
    }

    #[test]
    fn change_targets_the_step_from_the_last_point() {
        let (x, y) = windows();
        let f = Framing { target: Target::Change, norm: WindowNorm::None, linear: None }.frame(&x);
        assert!(f.inputs.equal(&x), "the inputs stay the level");
        assert_eq!(values(&f.target(&y)), vec![1., -2.]);
        assert_eq!(
            values(&f.prediction(&Tensor::zeros([2, 1], (tch::Kind::Float, tch::Device::Cpu)))),
            vec![4., 3.],
            "out 0 is persistence"
        );
    }

    #[test]
    fn last_shifts_each_window_by_its_last_point() {
        let (x, y) = windows();
        for target in [Target::Level, Target::Change] {
            let f = Framing { target, norm: WindowNorm::Last, linear: None }.frame(&x);
            assert_eq!(values(&f.inputs), vec![-3., -2., 0., -3., -3., 0.]);
            assert_eq!(values(&f.target(&y)), vec![1., -2.]);
            assert!(f.prediction(&f.target(&y)).equal(&y));
        }
    }

    #[test]
    fn linear_targets_what_the_least_squares_autoregression_leaves() {
        // x_t = 2 x_(t-1) - x_(t-2) + 1 exactly: the fit recovers it, and out 0 is its prediction
        let series: Vec<f32> = (0..12).map(|t| (t * t) as f32 * 0.5 + t as f32 * 0.5).collect();
        let x = Tensor::stack(&(0..8).map(|i| Tensor::from_slice(&series[i..i + 2]).view([2, 1])).collect::<Vec<_>>(), 0);
        let y = Tensor::from_slice(&series[2..10]).view([8, 1]);
        let train = TrignoDS { X: x.shallow_clone(), Y: y.shallow_clone() };
        let f = Framing::fitted(Target::Linear, WindowNorm::None, RidgeChoice::Lowest, &train, &train.slice(0, 0)).unwrap();
        let w = &f.linear.as_ref().unwrap().weights;
        assert!((w[0] + 1.0).abs() < 1e-5 && (w[1] - 2.0).abs() < 1e-5 && (w[2] - 1.0).abs() < 1e-4, "{w:?}");
        let framed = f.frame(&x);
        assert!(framed.inputs.equal(&x), "the inputs stay the level");
        let residual = values(&framed.target(&y));
        assert!(residual.iter().all(|r| r.abs() < 1e-3), "{residual:?}");
        let zeros = Tensor::zeros([8, 1], (Kind::Float, tch::Device::Cpu));
        let back = values(&framed.prediction(&zeros));
        assert!(back.iter().zip(&series[2..10]).all(|(p, t)| (p - t).abs() < 1e-3), "{back:?}");
    }

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

    #[test]
    fn revin_standardises_each_window_and_maps_back() {
        let (x, y) = windows();
        let f = Framing { target: Target::Level, norm: WindowNorm::Revin, linear: None }.frame(&x);
        let (mean, sd) = (7.0f64 / 3.0, ((14.0f64 / 9.0) + EPS).sqrt()); // the first window: var of 1, 2, 4 is 14/9
        assert!((values(&f.inputs)[0] as f64 - (1.0 - mean) / sd).abs() < 1e-6);
        assert!((values(&f.target(&y))[0] as f64 - (5.0 - mean) / sd).abs() < 1e-6);
        let back = values(&f.prediction(&f.target(&y)));
        assert!((back[0] - 5.0).abs() < 1e-5 && (back[1] - 1.0).abs() < 1e-5, "{back:?}");
    }
}
