//! Closed-loop forecasting: start from a window of the series, and feed each prediction back
//! as the next input, for as many steps as asked. Compares with the truth where it is known.

use crate::data::{self, split_point};
use crate::model::unroll;
use crate::output::{csv_field, num, Csv};
use crate::plots::{legend, linear_chart, pe, png, span};
use crate::predict::{load_model, series_for};
use anyhow::{anyhow, bail, Result};
use plotters::prelude::*;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// How far a forecast may stray (Euclidean, in the model's [-1, 1] units) and still count.
pub const NEAR: f64 = 0.1;

pub struct Forecast {
    pub from: usize,
    pub names: Vec<String>,
    /// (series row, predicted row, true row when known), in the user's units.
    pub rows: Vec<(usize, Vec<f64>, Option<Vec<f64>>)>,
    /// Distance to the truth in model units, when known.
    pub distance: Vec<Option<f64>>,
    /// The context the forecast starts from: (row, values).
    pub context: Vec<(usize, Vec<f64>)>,
    pub builtin: bool,
}

impl Forecast {
    /// Steps from the start that all stay within NEAR of the truth.
    pub fn horizon(&self) -> usize {
        self.distance.iter().take_while(|d| d.is_some_and(|d| d <= NEAR)).count()
    }

    pub fn within(&self) -> usize {
        self.distance.iter().filter(|d| d.is_some_and(|d| d <= NEAR)).count()
    }

    pub fn with_truth(&self) -> usize {
        self.distance.iter().filter(|d| d.is_some()).count()
    }

    pub fn csv(&self) -> Csv {
        let mut header = vec!["step".to_string(), "index".to_string()];
        header.extend(self.names.iter().map(|n| csv_field(&format!("pred_{n}"))));
        header.extend(self.names.iter().map(|n| csv_field(&format!("true_{n}"))));
        header.push("distance".into());
        let mut csv = Csv::new(&header);
        for (k, ((index, pred, truth), d)) in self.rows.iter().zip(&self.distance).enumerate() {
            let mut row = vec![(k + 1).to_string(), index.to_string()];
            row.extend(pred.iter().map(|&v| num(v)));
            match truth {
                Some(t) => row.extend(t.iter().map(|&v| num(v))),
                None => row.extend(self.names.iter().map(|_| String::new())),
            }
            row.push(d.map(num).unwrap_or_default());
            csv.row(&row);
        }
        csv
    }
}

/// Rows of the built-in circle past its end: the same linspace grid, continued.
fn circle_row(index: usize) -> Vec<f64> {
    let x = index as f64 * (100.0 / 999.0);
    vec![x.sin() as f32 as f64, x.cos() as f32 as f64]
}

pub fn forecast(weights: &Path, steps: usize, from: Option<usize>, data: Option<&Path>) -> Result<Forecast> {
    let loaded = load_model(weights, None, None)?;
    let (series, scaling) = series_for(&loaded, data)?;
    let (seq, f, n) = (loaded.seq_len as usize, series.features(), series.rows.len());
    if n <= seq {
        bail!("the series has {n} rows, which is not longer than the model's seq_len {seq}");
    }
    let test_fraction = loaded.run.as_ref().map_or(0.2, |r| r.settings.test_fraction);
    let from = match from {
        Some(i) => i,
        None => split_point(n - seq, test_fraction)? + seq, // the first row after the training part
    };
    if from < seq || from > n {
        bail!("--from {from}: the forecast needs the {seq} rows before it, so it must be between {seq} and {n}");
    }
    let scaled = data::model_rows(&series, scaling.as_ref());
    let scale = |j: usize, v: f64| scaling.as_ref().map_or(v, |s| s.scale(j, v));
    let unscale = |j: usize, v: f64| scaling.as_ref().map_or(v, |s| s.unscale(j, v));
    let builtin = data.is_none();
    let mut window = Tensor::from_slice(&scaled[(from - seq) * f..from * f]).view([1, seq as i64, f as i64]);
    let mut out = Forecast {
        from,
        names: series.names.clone(),
        rows: Vec::with_capacity(steps),
        distance: Vec::with_capacity(steps),
        context: (from - seq..from).map(|i| (i, series.rows[i].clone())).collect(),
        builtin,
    };
    tch::no_grad(|| -> Result<()> {
        for k in 0..steps {
            let y = unroll(&loaded.rnn, &window, false).pop().expect("seq_len >= 1");
            let y_model: Vec<f32> = Vec::try_from(y.view([-1]).to_kind(Kind::Float).to_device(Device::Cpu)).map_err(|e| anyhow!("{e}"))?;
            let index = from + k;
            let truth = if index < n {
                Some(series.rows[index].clone())
            } else if builtin {
                Some(circle_row(index))
            } else {
                None
            };
            let distance = truth.as_ref().map(|t| (0..f).map(|j| (y_model[j] as f64 - scale(j, t[j])).powi(2)).sum::<f64>().sqrt());
            out.rows.push((index, (0..f).map(|j| unscale(j, y_model[j] as f64)).collect(), truth));
            out.distance.push(distance);
            window = Tensor::cat(&[window.narrow(1, 1, seq as i64 - 1), y.view([1, 1, f as i64])], 1);
        }
        Ok(())
    })?;
    Ok(out)
}

/// The forecast against the truth, one panel per feature (the first four).
pub fn draw(fc: &Forecast, path: &Path) -> Result<()> {
    let shown = fc.names.len().min(4);
    png(path, (1400, 330 * shown as u32), |root| {
        let panels = root.split_evenly((shown, 1));
        let x0 = fc.context.first().map_or(fc.from, |c| c.0) as f64;
        let x1 = (fc.from + fc.rows.len()) as f64;
        for (j, area) in panels.iter().enumerate() {
            let values = fc.rows.iter().flat_map(|r| std::iter::once(r.1[j]).chain(r.2.as_ref().map(|t| t[j])));
            let (y0, y1) = span(values.chain(fc.context.iter().map(|c| c.1[j])));
            let y1 = y1 + 0.35 * (y1 - y0); // headroom for the legend
            let title = if j == 0 {
                format!(
                    "Closed-loop forecast from row {}: {} (first {} steps within {NEAR} of the truth)",
                    fc.from,
                    fc.names[j],
                    fc.horizon()
                )
            } else {
                fc.names[j].clone()
            };
            let mut chart = linear_chart(area, &title, (x0, x1), (y0, y1), ("row of the series", fc.names[j].as_str()), (0, 1))?;
            let truth: Vec<(f64, f64)> = fc
                .context
                .iter()
                .map(|c| (c.0 as f64, c.1[j]))
                .chain(fc.rows.iter().filter_map(|r| r.2.as_ref().map(|t| (r.0 as f64, t[j]))))
                .collect();
            chart
                .draw_series(LineSeries::new(truth, BLACK.stroke_width(3)))
                .map_err(pe)?
                .label(if fc.builtin { "truth (the circle, continued)" } else { "truth" })
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
            let c = RGBColor(255, 127, 14);
            chart
                .draw_series(LineSeries::new(fc.rows.iter().map(|r| (r.0 as f64, r.1[j])), c.stroke_width(2)))
                .map_err(pe)?
                .label("forecast (predictions fed back)")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}
