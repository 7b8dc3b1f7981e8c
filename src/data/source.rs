//! Where a series comes from: the blog's [sin, cos] circle, or a user's CSV.

use super::from_csv::{self, Reading};
use super::scaling::{ScalingRule, Transform};
use super::series::Series;
use anyhow::Result;
use std::path::PathBuf;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_is_numpys_linspace_sin_cos() {
        let s = circle();
        assert_eq!(s.rows.len(), 1000);
        assert_eq!(circle_x(1000), 1000.0 * (100.0 / 999.0), "the grid continues past the end");
        assert_eq!(&s.rows[0], &[0.0, 1.0]);
        assert_eq!(s.rows[999][0], 100f64.sin() as f32 as f64, "the last x is exactly 100");
        assert_eq!(s.rows[1][1], (100f64 / 999.0).cos() as f32 as f64);
    }
}
