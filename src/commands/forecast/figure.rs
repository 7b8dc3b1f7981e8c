//! The forecast against the truth, one panel per feature (the first four).

use super::{Forecast, NEAR};
use crate::figures::{drawing_error, legend, linear_chart, png, span};
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

pub fn draw(fc: &Forecast, path: &Path) -> Result<()> {
    let shown = fc.names.len().min(4);
    png(path, (1400, 330 * shown as u32), |root| {
        let panels = root.split_evenly((shown, 1));
        let x0 = fc.context.first().map_or(fc.from, |c| c.index) as f64;
        let x1 = (fc.from + fc.generated.len()) as f64;
        for (j, area) in panels.iter().enumerate() {
            let values = fc.generated.iter().flat_map(|g| std::iter::once(g.pred[j]).chain(g.truth.as_ref().map(|t| t[j])));
            let (y0, y1) = span(values.chain(fc.context.iter().map(|c| c.values[j])));
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
                .map(|c| (c.index as f64, c.values[j]))
                .chain(fc.generated.iter().filter_map(|g| g.truth.as_ref().map(|t| (g.index as f64, t[j]))))
                .collect();
            chart
                .draw_series(LineSeries::new(truth, BLACK.stroke_width(3)))
                .map_err(drawing_error)?
                .label(if fc.builtin { "truth (the circle, continued)" } else { "truth" })
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
            let c = RGBColor(255, 127, 14);
            chart
                .draw_series(LineSeries::new(fc.generated.iter().map(|g| (g.index as f64, g.pred[j])), c.stroke_width(2)))
                .map_err(drawing_error)?
                .label("forecast (predictions fed back)")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}
