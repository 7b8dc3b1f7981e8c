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

use super::autoregression::{ArFit, LinearAr, RidgeChoice};
use super::windows::TrignoDS;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tch::Tensor;

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

display_as_flag_value!(Target);

display_as_flag_value!(WindowNorm);

/// RevIN's epsilon, under the square root.
pub const EPS: f64 = 1e-5;

#[derive(Debug, Clone, PartialEq)]
pub struct Framing {
    pub target: Target,
    pub norm: WindowNorm,
    /// `--target linear`'s autoregression, fitted on the training windows.
    pub linear: Option<Arc<LinearAr>>,
}

/// Windows as the model sees them: the framed inputs, and what maps its output back.
pub struct Framed {
    pub inputs: Tensor,
    /// a, [windows, features]; None for the blog's framing (a = 0).
    anchor: Option<Tensor>,
    /// c, [windows, features]; None where c = 1.
    scale: Option<Tensor>,
}

impl Framing {
    /// The blog's: the level in, the level out.
    pub const BLOG: Framing = Framing { target: Target::Level, norm: WindowNorm::None, linear: None };

    /// The framing of `target` and `norm`, `--target linear`'s autoregression fitted on the
    /// training windows `train`, its ridge chosen on the windows `validation` by `choice`.
    pub fn fitted(target: Target, norm: WindowNorm, choice: RidgeChoice, train: &TrignoDS, validation: &TrignoDS) -> Result<Framing> {
        let linear = match target {
            Target::Linear => Some(Arc::new(LinearAr::fit(train, validation, choice)?)),
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
        let zeros = Tensor::zeros([8, 1], (tch::Kind::Float, tch::Device::Cpu));
        let back = values(&framed.prediction(&zeros));
        assert!(back.iter().zip(&series[2..10]).all(|(p, t)| (p - t).abs() < 1e-3), "{back:?}");
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
