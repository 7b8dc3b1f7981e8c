//! The forecast in the series' units, one panel per feature (the first eight): the history
//! before it, the forecast and its band, and the truth where it is known; then the closed loop's
//! error at each horizon over the test tail.

use super::chart::{drawing_error, legend, linear_chart, png, span, Ticks, GREY, ORANGE};
use super::run::{of_how_many_features, SHOWN_FEATURES, SHOWN_SERIES};
use crate::data::Labels;
use crate::pipeline::forecast_output::{Forecast, Generated, HorizonScore, NEAR};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// forecast.png: one series' forecast, a panel per feature and the horizons; of many series, a
/// panel per series (the first `SHOWN_SERIES`), of the first feature.
pub fn draw(fcs: &[Forecast], path: &Path) -> Result<()> {
    match fcs {
        [fc] => draw_one(fc, path),
        many => {
            let shown = &many[..many.len().min(SHOWN_SERIES)];
            png(path, (1400, 330 * shown.len() as u32), |root| {
                for (fc, area) in shown.iter().zip(root.split_evenly((shown.len(), 1))) {
                    draw_feature(fc, 0, &area, &labels(fc))?;
                }
                Ok(())
            })
        }
    }
}

/// The labels of the rows, and of the rows past the end.
fn labels(fc: &Forecast) -> Labels {
    fc.time.as_ref().map(|t| t.labels.iter().chain(fc.future.iter().map(String::as_str)).collect()).unwrap_or_default()
}

fn draw_one(fc: &Forecast, path: &Path) -> Result<()> {
    let shown = fc.names.len().min(SHOWN_FEATURES);
    // the error at each horizon, where there are two horizons or more to draw a line through
    let extra = usize::from(fc.horizons.len() > 1);
    png(path, (1400, 330 * (shown + extra) as u32), |root| {
        let panels = root.split_evenly((shown + extra, 1));
        if let Some(area) = panels.get(shown) {
            draw_horizons(fc, area)?;
        }
        let labels = labels(fc);
        for (j, area) in panels.iter().take(shown).enumerate() {
            draw_feature(fc, j, area, &labels)?;
        }
        Ok(())
    })
}

/// Feature `j`'s panel's x and y ranges: the history shown and the forecast, its band and its
/// truths, with headroom for the legend.
fn ranges(fc: &Forecast, j: usize) -> ((f64, f64), (f64, f64)) {
    let x0 = fc.context.first().map_or(fc.from, |c| c.index) as f64;
    let x1 = (fc.from + fc.generated.len()) as f64;
    let bounds = |g: &Generated| g.lower.iter().chain(&g.upper).map(|b| b[j]).collect::<Vec<f64>>();
    let values = fc.generated.iter().flat_map(|g| std::iter::once(g.pred[j]).chain(g.truth.as_ref().map(|t| t[j])).chain(bounds(g)));
    let (y0, y1) = span(values.chain(fc.context.iter().map(|c| c.values[j])));
    ((x0, x1), (y0, y1 + 0.35 * (y1 - y0)))
}

/// Feature `j`'s panel: the history, the band, the forecast, the truth where known.
fn draw_feature(fc: &Forecast, j: usize, area: &DrawingArea<BitMapBackend, Shift>, labels: &Labels) -> Result<()> {
    let ((x0, x1), (y0, y1)) = ranges(fc, j);
    let title = panel_title(fc, j);
    let (x_desc, ticks) = match &fc.time {
        Some(t) => (t.name.as_str(), Ticks::Labels(labels)),
        None => ("row of the series", Ticks::Decimals(0)),
    };
    let mut chart = linear_chart(area, &title, (x0, x1), (y0, y1), (x_desc, fc.names[j].as_str()), (&ticks, 1))?;
    if let Some(band) = &fc.band {
        let upper = fc.generated.iter().filter_map(|g| g.upper.as_ref().map(|u| (g.index as f64, u[j])));
        let lower = fc.generated.iter().rev().filter_map(|g| g.lower.as_ref().map(|l| (g.index as f64, l[j])));
        let fill = ORANGE.mix(0.25);
        chart
            .draw_series(std::iter::once(Polygon::new(upper.chain(lower).collect::<Vec<_>>(), fill.filled())))
            .map_err(drawing_error)?
            .label(format!("{:.0}% band (conformal, held-out errors before it)", band.coverage * 100.0))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill.filled()));
    }
    let truth: Vec<(f64, f64)> = fc
        .context
        .iter()
        .map(|c| (c.index as f64, c.values[j]))
        .chain(fc.generated.iter().filter_map(|g| g.truth.as_ref().map(|t| (g.index as f64, t[j]))))
        .filter(|p| p.1.is_finite())
        .collect();
    chart
        .draw_series(LineSeries::new(truth, BLACK.stroke_width(3)))
        .map_err(drawing_error)?
        .label(if fc.builtin { "truth (the circle, continued)" } else { "the series" })
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    let c = ORANGE;
    chart
        .draw_series(LineSeries::new(
            // from the last row seen, so that the forecast goes on from the history
            fc.context
                .last()
                .map(|r| (r.index as f64, r.values[j]))
                .into_iter()
                .chain(fc.generated.iter().map(|g| (g.index as f64, g.pred[j]))),
            c.stroke_width(2),
        ))
        .map_err(drawing_error)?
        .label(match (fc.too_short, fc.by) {
            (true, by) => format!("forecast ({by}: too short for the model)"),
            (false, by) if by.parts().len() == 1 && by.rolls().is_some() => "forecast (predictions fed back)".to_string(),
            (false, by) => format!("forecast (by {by})"),
        })
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Feature `j`'s panel's title: the first, the forecast's (`title`); the last drawn, with the
/// features not drawn named (the first title is full); the others, the feature's name.
fn panel_title(fc: &Forecast, j: usize) -> String {
    match j {
        0 => title(fc, &fc.names[j]),
        _ if j + 1 == SHOWN_FEATURES => format!("{}{}", fc.names[j], of_how_many_features(SHOWN_FEATURES, fc.names.len())),
        _ => fc.names[j].clone(),
    }
}

/// The title: the circle's steps near the truth; a series' forecaster's figure, the closed loop's
/// headline on the test tail, as the summary gives it.
fn title(fc: &Forecast, name: &str) -> String {
    let start = fc.label(fc.from).map_or(format!("row {}", fc.from), String::from);
    if fc.builtin {
        return format!("Closed-loop forecast from row {}: {name} (first {} steps within {NEAR} of the truth)", fc.from, fc.steps_near());
    }
    let mase = fc.headline().map_or(String::new(), |h| format!("; on the test tail, {h}"));
    let series = fc.series.as_ref().map_or(String::new(), |s| format!("{s}, "));
    format!("{series}{name}: {} steps forecast from {start}{mase}", fc.generated.len())
}

/// The closed loop's MSE at each horizon over every held-out start, against persistence's.
fn draw_horizons(fc: &Forecast, area: &DrawingArea<BitMapBackend, Shift>) -> Result<()> {
    let last = fc.horizons.last().map_or(1, |h| h.h) as f64;
    // A log axis: the RNN's error and persistence's can lie decades apart.
    let positive = fc.horizons.iter().flat_map(|h| [h.rnn, h.persistence]).filter(|v| v.is_finite() && *v > 0.0);
    let (y0, y1) = positive.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (y0, y1) = if y0 > y1 { (1e-6, 1.0) } else { (y0 / 1.5, y1 * 40.0) }; // headroom for the legend
    let starts = fc.horizons.first().map_or(0, |h| h.starts);
    let title = format!("Error at each horizon, closed loop from each of {starts} held-out starts (MSE, model units, log scale)");
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.5..last + 0.5, (y0..y1).log_scale())
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc("steps ahead (h)")
        .y_desc("MSE")
        .x_labels(fc.horizons.len().min(12))
        .x_label_formatter(&|v| Ticks::Decimals(0).format(v))
        .y_labels(12)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(drawing_error)?;
    type Line = (String, RGBColor, fn(&HorizonScore) -> f64);
    let series: [Line; 2] =
        [(format!("{}", fc.by), ORANGE, |h| h.rnn), ("persistence (the last value, held)".into(), GREY, |h| h.persistence)];
    for (name, c, value) in series {
        chart
            .draw_series(LineSeries::new(fc.horizons.iter().map(|h| (h.h as f64, value(h))), c.stroke_width(2)))
            .map_err(drawing_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}
