//! The scaling of a user's series into the model's range (its output ends in tanh, which
//! reaches no further than -1 and 1).

use super::series::{Rows, Series};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// What is done to a user's values before they are scaled (`--transform`), and undone after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// the values as they are
    #[default]
    None,
    /// their natural log (every value above 0): a season or noise that grows with the level
    /// becomes one of constant size, and the forecast, exponentiated back, stays above 0
    Log,
}

display_as_flag_value!(Transform);

impl Transform {
    /// A value of the series as the scaling sees it (libm's `log`, as scripts/reference.py's
    /// `math.log`, so that the two agree to the bit).
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Transform::None => v,
            Transform::Log => v.ln(),
        }
    }

    /// Back to the series' units.
    pub fn undo(self, v: f64) -> f64 {
        match self {
            Transform::None => v,
            Transform::Log => v.exp(),
        }
    }

    /// `apply` on a float64 tensor, in libtorch (model.pt: its `log` is not libm's to the last bit).
    pub fn apply_tensor(self, x: Tensor) -> Tensor {
        match self {
            Transform::None => x,
            Transform::Log => x.log(),
        }
    }

    /// `undo` on a float64 tensor, in libtorch.
    pub fn undo_tensor(self, x: Tensor) -> Tensor {
        match self {
            Transform::None => x,
            Transform::Log => x.exp(),
        }
    }

    /// Whether `v` (not a gap) has a value under the transform.
    pub fn takes(self, v: f64) -> bool {
        match self {
            Transform::None => true,
            Transform::Log => v > 0.0,
        }
    }
}

/// Per-column affine map of a user's series (after its `transform`): `min` to `-bound`, `max`
/// to `bound`. Saved with the run (config.json) and undone in every output a user reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scaling {
    /// The transformed values' least and greatest (the logs' with `--transform log`).
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    /// Where `min` and `max` land; below 1, the tanh output can still reach values beyond them.
    /// (Runs before 0.2 mapped onto [-1, 1] and wrote no bound.)
    #[serde(default = "bound_before_0_2")]
    pub bound: f64,
    /// Applied before the affine map (runs before `--transform` existed: absent, none).
    #[serde(default)]
    pub transform: Transform,
}

/// The scaling bound of runs before 0.2, which wrote none: the whole of [-1, 1].
pub fn bound_before_0_2() -> f64 {
    1.0
}

impl Scaling {
    /// Each column's min and max over `rows` after `transform` (gaps, NaN, are passed over),
    /// mapped to -bound and bound. (The rows are checked first: `transform.takes` each value.)
    pub fn fit<'a>(rows: impl Iterator<Item = &'a [f64]>, features: usize, bound: f64, transform: Transform) -> Scaling {
        let mut min = vec![f64::INFINITY; features];
        let mut max = vec![f64::NEG_INFINITY; features];
        for row in rows {
            for j in 0..features {
                if !row[j].is_nan() {
                    let v = transform.apply(row[j]);
                    min[j] = min[j].min(v);
                    max[j] = max[j].max(v);
                }
            }
        }
        Scaling { min, max, bound, transform }
    }

    /// A column with no value to fit (a series left out, all gaps): [0, 0], which scales to 0.
    pub fn or_zero(mut self) -> Scaling {
        for j in 0..self.min.len() {
            if self.min[j] > self.max[j] {
                (self.min[j], self.max[j]) = (0.0, 0.0);
            }
        }
        self
    }

    /// v -> [-bound, bound] over the fitted range; a constant column maps to 0. (Written as
    /// scripts/reference.py writes it; with bound 1 it is the earlier map to the bit.)
    pub fn scale(&self, j: usize, v: f64) -> f64 {
        let range = self.max[j] - self.min[j];
        if range > 0.0 {
            ((self.transform.apply(v) - self.min[j]) / range * 2.0 - 1.0) * self.bound
        } else {
            0.0
        }
    }

    pub fn unscale(&self, j: usize, s: f64) -> f64 {
        self.transform.undo((s / self.bound + 1.0) / 2.0 * (self.max[j] - self.min[j]) + self.min[j])
    }
}

/// A row in model units in the series' units (as it is when the series is not scaled).
pub fn unscaled(scaling: Option<&Scaling>, row: impl IntoIterator<Item = f64>) -> Vec<f64> {
    row.into_iter().enumerate().map(|(j, v)| unscaled_one(scaling, j, v)).collect()
}

/// Feature `j`'s value `v` in the series' units in model units (`unscaled_one` undone).
pub fn scaled_one(scaling: Option<&Scaling>, j: usize, v: f64) -> f64 {
    scaling.map_or(v, |s| s.scale(j, v))
}

/// Feature `j`'s value `v` in model units in the series' units.
pub fn unscaled_one(scaling: Option<&Scaling>, j: usize, v: f64) -> f64 {
    scaling.map_or(v, |s| s.unscale(j, v))
}

/// The model's view of a series: float32 rows, each scaled by its series' scaling when there
/// is one (`scaling` holds one per series, or none).
pub fn model_rows(series: &Series, scaling: &[Scaling]) -> Vec<f32> {
    let mut out = Vec::with_capacity(series.rows.len() * series.features());
    for k in 0..series.count() {
        for row in series.span(k).map(|i| &series.rows[i]) {
            for (j, &v) in row.iter().enumerate() {
                out.push(match scaling.get(k) {
                    Some(s) => s.scale(j, v) as f32,
                    None => v as f32,
                });
            }
        }
    }
    out
}

/// Every value of `series` (gaps aside) has one under `transform`: one line naming the first
/// that has not, and the fix, when one has not.
pub fn check_transform(series: &Series, transform: Transform) -> Result<()> {
    if transform == Transform::None {
        return Ok(()); // every value has one: no scan of a long series
    }
    let f = series.features();
    let Some(at) = series.rows.values().iter().position(|&v| !v.is_nan() && !transform.takes(v)) else { return Ok(()) };
    let (i, j) = (at / f, at % f);
    let row = match (series.label(i), series.name_of(series.series_of(i))) {
        (Some(label), Some(name)) => format!("series {name} at {label}"),
        (Some(label), None) => format!("at {label}"),
        (None, Some(name)) => format!("series {name}, row {}", i + 1 - series.span(series.series_of(i)).start),
        (None, None) => format!("row {}", i + 1),
    };
    bail!(
"--transform {transform} needs every value above 0, but {} is {} ({row}): train without --transform {transform}, or shift the column above 0",
series.names[j],
series.rows[i][j]
)
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

/// The MASE denominators, per feature: the seasonal naive's in-sample MAE over the rows
/// `in_sample` (a series' training rows, in its units, or after `transform`: the band's scale;
/// pairs with a gap are passed over). NaN where no pair is.
pub fn mase_scale(rows: &Rows, in_sample: std::ops::Range<usize>, season: Option<usize>, transform: Transform) -> Vec<f64> {
    let m = season.unwrap_or(1).max(1);
    let at = |t: usize, j: usize| transform.apply(rows[t][j]);
    (0..rows.width())
        .map(|j| {
            let pairs = in_sample.start + m..in_sample.end;
            let diffs: Vec<f64> = pairs.map(|t| (at(t, j) - at(t - m, j)).abs()).filter(|d| !d.is_nan()).collect();
            if diffs.is_empty() {
                f64::NAN
            } else {
                diffs.iter().sum::<f64>() / diffs.len() as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_maps_columns_onto_minus_one_one_and_back() {
        let rows = [vec![2.0, 5.0], vec![4.0, 5.0], vec![3.0, 5.0], vec![f64::NAN, 5.0]];
        let sc = Scaling::fit(rows.iter().map(|r| r.as_slice()), 2, 1.0, Transform::None);
        assert_eq!(sc.scale(0, 2.0), -1.0);
        assert_eq!(sc.scale(0, 4.0), 1.0);
        assert_eq!(sc.scale(0, 3.0), 0.0);
        assert_eq!(sc.scale(1, 5.0), 0.0, "a constant column maps to 0");
        assert_eq!(sc.unscale(0, 0.0), 3.0);
        assert_eq!(sc.unscale(1, 0.3), 5.0);
    }

    #[test]
    fn a_bound_below_one_leaves_headroom_beyond_the_fitted_range() {
        let rows = [vec![0.0], vec![10.0]];
        let sc = Scaling::fit(rows.iter().map(|r| r.as_slice()), 1, 0.8, Transform::None);
        assert_eq!((sc.scale(0, 0.0), sc.scale(0, 10.0)), (-0.8, 0.8));
        assert!((sc.unscale(0, 1.0) - 11.25).abs() < 1e-12, "tanh's 1 reaches an eighth of the range beyond the max");
        assert!((sc.unscale(0, sc.scale(0, 7.0)) - 7.0).abs() < 1e-12);
    }

    #[test]
    fn a_log_transform_scales_the_logs_and_unscales_to_the_series_units() {
        let rows = [vec![1.0], vec![100.0], vec![10.0], vec![f64::NAN]];
        let sc = Scaling::fit(rows.iter().map(|r| r.as_slice()), 1, 1.0, Transform::Log);
        assert_eq!((sc.min[0], sc.max[0]), (0.0, 100f64.ln()), "the logs' range");
        assert_eq!((sc.scale(0, 1.0), sc.scale(0, 100.0)), (-1.0, 1.0));
        assert!(sc.scale(0, 10.0).abs() < 1e-15, "10 is halfway between 1 and 100 on the log scale");
        assert!((sc.unscale(0, 0.0) - 10.0).abs() < 1e-12);
        assert!(sc.unscale(0, -3.0) > 0.0, "far below the range is still above 0");
        assert!(!Transform::Log.takes(0.0) && !Transform::Log.takes(-1.0) && Transform::None.takes(-1.0));
    }

    #[test]
    fn the_mase_scale_is_the_in_sample_seasonal_naive_mae() {
        // training rows 0, 2, 4, ...: the naive (m = 1) is off by 2 each step; m = 2 by 4
        let rows: Rows = (0..10).map(|i| vec![2.0 * i as f64]).collect::<Vec<_>>().into();
        assert_eq!(mase_scale(&rows, 0..10, None, Transform::None), vec![2.0]);
        assert_eq!(mase_scale(&rows, 0..10, Some(2), Transform::None), vec![4.0]);
    }
}
