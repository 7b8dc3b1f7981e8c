//! The scaling of a user's series onto the model's [-1, 1] (the model ends in tanh).

use super::Series;
use serde::{Deserialize, Serialize};

/// Per-column affine map of a user's series onto [-1, 1] (the model ends in tanh).
/// Saved with the run (config.json) and undone in every output a user reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scaling {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl Scaling {
    pub fn fit(series: &Series) -> Scaling {
        let f = series.features();
        let mut min = vec![f64::INFINITY; f];
        let mut max = vec![f64::NEG_INFINITY; f];
        for row in &series.rows {
            for j in 0..f {
                min[j] = min[j].min(row[j]);
                max[j] = max[j].max(row[j]);
            }
        }
        Scaling { min, max }
    }

    /// v -> [-1, 1]; a constant column maps to 0.
    pub fn scale(&self, j: usize, v: f64) -> f64 {
        let range = self.max[j] - self.min[j];
        if range > 0.0 {
            (v - self.min[j]) / range * 2.0 - 1.0
        } else {
            0.0
        }
    }

    pub fn unscale(&self, j: usize, s: f64) -> f64 {
        (s + 1.0) / 2.0 * (self.max[j] - self.min[j]) + self.min[j]
    }
}

/// The model's view of a series: float32 rows, scaled when a scaling is given.
pub fn model_rows(series: &Series, scaling: Option<&Scaling>) -> Vec<f32> {
    let mut out = Vec::with_capacity(series.rows.len() * series.features());
    for row in &series.rows {
        for (j, &v) in row.iter().enumerate() {
            out.push(match scaling {
                Some(s) => s.scale(j, v) as f32,
                None => v as f32,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_maps_columns_onto_minus_one_one_and_back() {
        let s = Series { names: vec!["a".into(), "b".into()], rows: vec![vec![2.0, 5.0], vec![4.0, 5.0], vec![3.0, 5.0]] };
        let sc = Scaling::fit(&s);
        assert_eq!(sc.scale(0, 2.0), -1.0);
        assert_eq!(sc.scale(0, 4.0), 1.0);
        assert_eq!(sc.scale(0, 3.0), 0.0);
        assert_eq!(sc.scale(1, 5.0), 0.0, "a constant column maps to 0");
        assert_eq!(sc.unscale(0, 0.0), 3.0);
        assert_eq!(sc.unscale(1, 0.3), 5.0);
    }
}
