//! What every figure shares: the colours, a chart's axes and ticks, the legend, the PNG.

use crate::files::atomic::write_bytes;
use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

pub const BLUE: RGBColor = RGBColor(31, 119, 180);
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
pub const RED: RGBColor = RGBColor(214, 39, 40);
pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const PURPLE: RGBColor = RGBColor(148, 103, 189);
pub const BROWN: RGBColor = RGBColor(140, 86, 75);
pub const COLORS: [RGBColor; 4] = [BLUE, ORANGE, GREEN, RED];

/// Axis labels without "-0.0", and short where the value is long: from 100,000 up (and below
/// 0.001), in engineering notation (`1.6e6`, `250e3`), so that a label fits beside its axis.
pub fn tick(v: &f64, decimals: usize) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { *v };
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        let exponent = (v.abs().log10().floor() as i32).div_euclid(3) * 3;
        let mantissa = v / 10f64.powi(exponent);
        // as few digits as the mantissa needs, at most three decimals
        let text = format!("{mantissa:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return format!("{text}e{exponent}");
    }
    format!("{v:.decimals$}")
}

/// A plotters error as ours.
pub fn drawing_error(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// The bundled font (DejaVu Sans, assets/), so drawing needs nothing from the system.
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, include_bytes!("../../assets/DejaVuSans.ttf"));
    });
}

/// Draws into an in-memory bitmap, then writes the PNG atomically.
pub fn png(path: &Path, size: (u32, u32), draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>) -> Result<()> {
    register_font();
    let mut buf = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    let img = image::RgbImage::from_raw(size.0, size.1, buf).ok_or_else(|| anyhow!("bitmap size"))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageOutputFormat::Png).map_err(drawing_error)?;
    write_bytes(path, bytes.get_ref())
}

pub type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// How an x axis labels its ticks: with so many decimals, or with a time column's labels (the x
/// is then the row).
pub enum Ticks<'t> {
    Decimals(usize),
    Labels(&'t crate::data::Labels),
}

impl Ticks<'_> {
    pub fn format(&self, v: &f64) -> String {
        match self {
            Ticks::Decimals(d) => tick(v, *d),
            Ticks::Labels(labels) if (v - v.round()).abs() < 1e-6 && *v >= 0.0 => {
                labels.get(v.round() as usize).unwrap_or_default().to_string()
            }
            Ticks::Labels(_) => String::new(),
        }
    }
}

/// A linear chart in the house style, its mesh drawn: axis descriptions (x, y), the x axis' ticks
/// and the decimals of the y axis' tick labels.
pub fn linear_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
    desc: (&str, &str),
    ticks: (&Ticks, usize),
) -> Result<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc(desc.0)
        .y_desc(desc.1)
        .x_label_formatter(&|v| ticks.0.format(v))
        .y_label_formatter(&|v| tick(v, ticks.1))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(drawing_error)?;
    Ok(chart)
}

/// The legend of every chart here.
pub fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(drawing_error)
}

/// Buckets a line is drawn with: twice a figure's 1400 pixel columns.
pub const COLUMNS: usize = 2800;

/// A line of more points than `columns`, drawn as plotting tools draw long series: the x range
/// cut into `columns` buckets, each bucket's points replaced by its first, lowest, highest and
/// last, in their order. It looks the same and costs a fraction; a shorter line is unchanged.
/// `points` must be in increasing x.
pub fn decimate(points: &[(f64, f64)], columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= columns.max(1) {
        return points.to_vec();
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let width = (x1 - x0) / columns as f64;
    let bucket = |x: f64| if width > 0.0 { (((x - x0) / width) as usize).min(columns - 1) } else { 0 };
    let mut out = Vec::with_capacity(4 * columns);
    let mut start = 0;
    while start < points.len() {
        let b = bucket(points[start].0);
        let end = start + points[start..].iter().position(|p| bucket(p.0) != b).unwrap_or(points.len() - start);
        let part = &points[start..end];
        let by_y = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
        let lo = part.iter().enumerate().min_by(|a, b| by_y(&a.1, &b.1)).map_or(0, |(i, _)| i);
        let hi = part.iter().enumerate().max_by(|a, b| by_y(&a.1, &b.1)).map_or(0, |(i, _)| i);
        let mut keep = [0, lo, hi, part.len() - 1];
        keep.sort_unstable();
        let mut last = None;
        for i in keep {
            if last != Some(i) {
                out.push(part[i]);
                last = Some(i);
            }
        }
        start = end;
    }
    out
}

/// At most `limit` of `items`, evenly strided: the points of a scatter too dense to see one by one.
pub fn thin<T: Clone>(items: &[T], limit: usize) -> Vec<T> {
    let stride = items.len().div_ceil(limit.max(1)).max(1);
    items.iter().step_by(stride).cloned().collect()
}

/// Range of finite values with a margin; (-1, 1) when there are none.
pub fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_keeps_each_buckets_first_lowest_highest_and_last() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, (i % 3) as f64)).collect();
        assert_eq!(decimate(&short, 10), short, "no more points than buckets: unchanged");
        // 100 points in 2 buckets of 50: each keeps its first, its extremes and its last
        let long: Vec<(f64, f64)> = (0..100)
            .map(|i| {
                (
                    i as f64,
                    if i == 7 {
                        9.0
                    } else if i == 60 {
                        -9.0
                    } else {
                        0.0
                    },
                )
            })
            .collect();
        let kept = decimate(&long, 2);
        let xs: Vec<f64> = kept.iter().map(|p| p.0).collect();
        assert_eq!(xs, [0.0, 7.0, 49.0, 50.0, 60.0, 99.0], "{kept:?}");
        assert!(kept.contains(&(7.0, 9.0)) && kept.contains(&(60.0, -9.0)), "the extremes survive");
    }

    #[test]
    fn a_spiky_series_is_drawn_with_only_its_own_points_and_its_extremes_kept() {
        // 100,000 rain-like values: mostly 0, a spike every so often (a xorshift's draw)
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let values: Vec<(f64, f64)> = (0..100_000)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (i as f64, if state % 50 == 0 { (state % 5600) as f64 / 100.0 } else { 0.0 })
            })
            .collect();
        let kept = decimate(&values, COLUMNS);
        assert!(kept.len() <= 4 * COLUMNS, "{} points drawn", kept.len());
        let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        for p in &kept {
            assert_eq!(values[p.0 as usize], *p, "every point drawn is one of the data's");
        }
        let drawn = kept.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        assert_eq!(drawn, (lo, hi), "the range drawn is the data's, no more and no less");
    }

    #[test]
    fn long_tick_labels_are_short_in_engineering_notation() {
        assert_eq!(tick(&1_600_000.0, 1), "1.6e6");
        assert_eq!(tick(&250_000.0, 1), "250e3");
        assert_eq!(tick(&-0.00025, 1), "-250e-6");
        assert_eq!(tick(&99_999.5, 1), "99999.5", "below 100,000: as it was");
        assert_eq!(tick(&-0.0, 2), "0.00");
    }

    #[test]
    fn a_dense_scatter_is_thinned_evenly() {
        let items: Vec<usize> = (0..10).collect();
        assert_eq!(thin(&items, 5), [0, 2, 4, 6, 8]);
        assert_eq!(thin(&items, 100), items);
    }
}
