//! The scaling of a user's series into the model's range (its output ends in tanh, which
//! reaches no further than -1 and 1).

use super::Series;
use serde::{Deserialize, Serialize};

/// Per-column affine map of a user's series: `min` to `-bound`, `max` to `bound`. Saved with the
/// run (config.json) and undone in every output a user reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scaling {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    /// Where `min` and `max` land; below 1, the tanh output can still reach values beyond them.
    /// (Runs before 0.2 mapped onto [-1, 1] and wrote no bound.)
    #[serde(default = "bound_before_0_2")]
    pub bound: f64,
}

/// The scaling bound of runs before 0.2, which wrote none: the whole of [-1, 1].
pub fn bound_before_0_2() -> f64 {
    1.0
}

impl Scaling {
    /// Each column's min and max over `rows` (gaps, NaN, are passed over), mapped to -bound and bound.
    pub fn fit<'a>(rows: impl Iterator<Item = &'a [f64]>, features: usize, bound: f64) -> Scaling {
        let mut min = vec![f64::INFINITY; features];
        let mut max = vec![f64::NEG_INFINITY; features];
        for row in rows {
            for j in 0..features {
                if !row[j].is_nan() {
                    min[j] = min[j].min(row[j]);
                    max[j] = max[j].max(row[j]);
                }
            }
        }
        Scaling { min, max, bound }
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
            ((v - self.min[j]) / range * 2.0 - 1.0) * self.bound
        } else {
            0.0
        }
    }

    pub fn unscale(&self, j: usize, s: f64) -> f64 {
        (s / self.bound + 1.0) / 2.0 * (self.max[j] - self.min[j]) + self.min[j]
    }
}

/// A row in model units in the series' units (as it is when the series is not scaled).
pub fn unscaled(scaling: Option<&Scaling>, row: impl IntoIterator<Item = f64>) -> Vec<f64> {
    row.into_iter().enumerate().map(|(j, v)| unscaled_one(scaling, j, v)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_maps_columns_onto_minus_one_one_and_back() {
        let rows = [vec![2.0, 5.0], vec![4.0, 5.0], vec![3.0, 5.0], vec![f64::NAN, 5.0]];
        let sc = Scaling::fit(rows.iter().map(|r| r.as_slice()), 2, 1.0);
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
        let sc = Scaling::fit(rows.iter().map(|r| r.as_slice()), 1, 0.8);
        assert_eq!((sc.scale(0, 0.0), sc.scale(0, 10.0)), (-0.8, 0.8));
        assert!((sc.unscale(0, 1.0) - 11.25).abs() < 1e-12, "tanh's 1 reaches an eighth of the range beyond the max");
        assert!((sc.unscale(0, sc.scale(0, 7.0)) - 7.0).abs() < 1e-12);
    }
}
