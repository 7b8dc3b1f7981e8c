//! The figures of a run, drawn in Rust (plotters) from its CSVs: the data (the blog's first
//! figure), the losses, the predictions against the targets (the blog's last figure), and the
//! phase portrait. `vanilla-rnn plot DIR` redraws them; `train` draws them into DIR/plots.

use crate::config::RunConfig;
use crate::output::write_bytes;
use anyhow::{anyhow, bail, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(120, 120, 120);
const COLORS: [RGBColor; 4] = [BLUE, ORANGE, GREEN, RED];

/// Axis labels without "-0.0".
pub fn tick(v: &f64, decimals: usize) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { *v };
    format!("{v:.decimals$}")
}

pub fn pe(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// The bundled font (DejaVu Sans, assets/), so drawing needs nothing from the system.
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, include_bytes!("../assets/DejaVuSans.ttf"));
    });
}

/// Draws into an in-memory bitmap, then writes the PNG atomically.
pub fn png(path: &Path, size: (u32, u32), draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>) -> Result<()> {
    register_font();
    let mut buf = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(pe)?;
        draw(&root)?;
        root.present().map_err(pe)?;
    }
    let img = image::RgbImage::from_raw(size.0, size.1, buf).ok_or_else(|| anyhow!("bitmap size"))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageOutputFormat::Png).map_err(pe)?;
    write_bytes(path, bytes.get_ref())
}

pub type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// A linear chart in the house style, its mesh drawn: axis descriptions (x, y) and the decimals of
/// their tick labels.
pub fn linear_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
    desc: (&str, &str),
    decimals: (usize, usize),
) -> Result<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(pe)?;
    chart
        .configure_mesh()
        .x_desc(desc.0)
        .y_desc(desc.1)
        .x_label_formatter(&|v| tick(v, decimals.0))
        .y_label_formatter(&|v| tick(v, decimals.1))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(pe)?;
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
        .map_err(pe)
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

/// What a run's CSVs hold.
pub struct RunData {
    pub features: Vec<String>,
    /// (epoch, train_loss, test_loss)
    pub metrics: Vec<(f64, f64, f64)>,
    /// (index, is_test, targets, predictions)
    pub predictions: Vec<(usize, bool, Vec<f64>, Vec<f64>)>,
    /// x of every row and the rows themselves: the whole series.
    pub series: (Vec<f64>, Vec<Vec<f64>>),
    pub x_label: &'static str,
}

fn csv_rows(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r.headers().with_context(|| format!("{}: no header", path.display()))?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.with_context(|| format!("{}: malformed", path.display()))?.iter().map(String::from).collect());
    }
    Ok((header, rows))
}

fn num(s: &str, path: &Path) -> Result<f64> {
    s.parse::<f64>().map_err(|_| anyhow!("{}: {s:?} is not a number", path.display()))
}

impl RunData {
    pub fn read(dir: &Path) -> Result<RunData> {
        let run =
            RunConfig::in_dir(dir)?.ok_or_else(|| anyhow!("{} has no config.json: not a vanilla-rnn run directory", dir.display()))?;
        let f = run.features.len();
        let mpath = dir.join("metrics.csv");
        let (_, mrows) = csv_rows(&mpath)?;
        let metrics =
            mrows.iter().map(|r| Ok((num(&r[0], &mpath)?, num(&r[1], &mpath)?, num(&r[2], &mpath)?))).collect::<Result<Vec<_>>>()?;
        let ppath = dir.join("predictions.csv");
        let (header, prows) = csv_rows(&ppath)?;
        if header.len() != 2 + 2 * f {
            bail!("{}: expected {} columns for features {:?}", ppath.display(), 2 + 2 * f, run.features);
        }
        let mut predictions = Vec::with_capacity(prows.len());
        for r in &prows {
            let index = r[0].parse::<usize>().map_err(|_| anyhow!("{}: bad index {:?}", ppath.display(), r[0]))?;
            let cells = r[2..].iter().map(|c| num(c, &ppath)).collect::<Result<Vec<_>>>()?;
            predictions.push((index, r[1] == "test", cells[..f].to_vec(), cells[f..].to_vec()));
        }
        let (series, x_label) = match &run.settings.data {
            None => {
                let s = crate::data::circle();
                let x = (0..s.rows.len()).map(|i| if i == 999 { 100.0 } else { i as f64 * (100.0 / 999.0) }).collect();
                ((x, s.rows), "x")
            }
            Some(p) => match crate::data::read_csv(p) {
                Ok(s) => (((0..s.rows.len()).map(|i| i as f64).collect(), s.rows), "row"),
                // The CSV moved: the targets are the series but for its first seq_len rows.
                Err(_) => ((predictions.iter().map(|p| p.0 as f64).collect(), predictions.iter().map(|p| p.2.clone()).collect()), "row"),
            },
        };
        Ok(RunData { features: run.features, metrics, predictions, series, x_label })
    }

    fn x_of(&self, index: usize) -> f64 {
        if self.x_label == "x" {
            self.series.0.get(index).copied().unwrap_or(index as f64 * (100.0 / 999.0))
        } else {
            index as f64
        }
    }
}

/// Redraws every figure of the run in `dir` into `dir/plots`. Returns the files written.
pub fn draw_all(dir: &Path) -> Result<Vec<String>> {
    let run = RunData::read(dir)?;
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).with_context(|| format!("cannot create {}", plots.display()))?;
    let mut written = vec![];
    draw_data(&run, &plots.join("data.png"))?;
    written.push("data.png".to_string());
    if !run.metrics.is_empty() {
        draw_loss(&run, &plots.join("loss.png"))?;
        written.push("loss.png".to_string());
    }
    draw_predictions(&run, &plots.join("predictions.png"))?;
    written.push("predictions.png".to_string());
    if run.features.len() >= 2 {
        draw_phase(&run, &plots.join("phase.png"))?;
        written.push("phase.png".to_string());
    }
    Ok(written)
}

fn draw_data(run: &RunData, path: &Path) -> Result<()> {
    let (xs, rows) = &run.series;
    png(path, (1400, 450), |root| {
        let (x0, x1) = span(xs.iter().copied());
        let (y0, y1) = span(rows.iter().flatten().copied());
        let title =
            if run.x_label == "x" { "The series: sin and cos of x = linspace(0, 100, 1000)".to_string() } else { "The series".to_string() };
        let mut chart = linear_chart(root, &title, (x0, x1), (y0, y1), (run.x_label, "value"), (0, 1))?;
        for (j, name) in run.features.iter().enumerate().take(COLORS.len()) {
            let c = COLORS[j];
            chart
                .draw_series(LineSeries::new(xs.iter().zip(rows.iter()).map(|(&x, r)| (x, r[j])), c.stroke_width(2)))
                .map_err(pe)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        Ok(())
    })
}

fn draw_loss(run: &RunData, path: &Path) -> Result<()> {
    png(path, (900, 550), |root| {
        let positive = |v: &f64| v.is_finite() && *v > 0.0;
        let all = run.metrics.iter().flat_map(|m| [m.1, m.2]).filter(positive);
        let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo > hi { (1e-6, 1.0) } else { (lo / 1.5, hi * 1.5) };
        let last = run.metrics.last().map_or(1.0, |m| m.0).max(1.0);
        let mut chart = ChartBuilder::on(root)
            .caption("Loss per epoch (MSE, log scale)", ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..last + 0.5, (lo..hi).log_scale())
            .map_err(pe)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&|v| tick(v, 0))
            .y_desc("MSE")
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(pe)?;
        for (name, c, pick) in [("train", BLUE, 1usize), ("test (held-out tail)", ORANGE, 2)] {
            let points: Vec<(f64, f64)> =
                run.metrics.iter().map(|m| (m.0, if pick == 1 { m.1 } else { m.2 })).filter(|p| positive(&p.1)).collect();
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))
                .map_err(pe)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

fn draw_predictions(run: &RunData, path: &Path) -> Result<()> {
    let shown = run.features.len().min(4);
    png(path, (1400, 330 * shown as u32), |root| {
        let panels = root.split_evenly((shown, 1));
        let boundary = run.predictions.iter().find(|p| p.1).map(|p| run.x_of(p.0));
        let xs: Vec<f64> = run.predictions.iter().map(|p| run.x_of(p.0)).collect();
        let (x0, x1) = span(xs.iter().copied());
        for (j, area) in panels.iter().enumerate() {
            let name = &run.features[j];
            let (y0, y1) = span(run.predictions.iter().flat_map(|p| [p.2[j], p.3[j]]));
            let y1 = y1 + 0.35 * (y1 - y0); // headroom for the legend
            let title = if j == 0 { format!("Predictions of the next point against the targets: {name}") } else { name.clone() };
            let mut chart = linear_chart(area, &title, (x0, x1), (y0, y1), (run.x_label, name.as_str()), (0, 1))?;
            chart
                .draw_series(LineSeries::new(xs.iter().zip(&run.predictions).map(|(&x, p)| (x, p.2[j])), BLACK.stroke_width(3)))
                .map_err(pe)?
                .label("target")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
            let c = COLORS[j % COLORS.len()];
            chart
                .draw_series(LineSeries::new(xs.iter().zip(&run.predictions).map(|(&x, p)| (x, p.3[j])), c.stroke_width(2)))
                .map_err(pe)?
                .label("prediction")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            if let Some(b) = boundary {
                chart
                    .draw_series(LineSeries::new(vec![(b, y0), (b, y1)], RED.stroke_width(2)))
                    .map_err(pe)?
                    .label("train | test")
                    .legend(|(x, y)| PathElement::new(vec![(x + 10, y - 8), (x + 10, y + 8)], RED.stroke_width(2)));
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

fn draw_phase(run: &RunData, path: &Path) -> Result<()> {
    let (a, b) = (&run.features[0], &run.features[1]);
    png(path, (750, 750), |root| {
        let (x0, x1) = span(run.predictions.iter().flat_map(|p| [p.2[0], p.3[0]]));
        let (y0, y1) = span(run.predictions.iter().flat_map(|p| [p.2[1], p.3[1]]));
        let circle = run.x_label == "x";
        let title = if circle {
            "Phase portrait: predicted (sin, cos) on the unit circle".to_string()
        } else {
            format!("Phase portrait: ({a}, {b})")
        };
        let mut chart = linear_chart(root, &title, (x0, x1), (y0, y1), (a.as_str(), b.as_str()), (1, 1))?;
        let truth: Vec<(f64, f64)> = if circle {
            (0..=360).map(|d| (d as f64).to_radians()).map(|t| (t.sin(), t.cos())).collect()
        } else {
            run.predictions.iter().map(|p| (p.2[0], p.2[1])).collect()
        };
        chart
            .draw_series(LineSeries::new(truth, GREY.stroke_width(3)))
            .map_err(pe)?
            .label(if circle { "unit circle" } else { "true path" })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(3)));
        for (name, c, test) in [("predicted, train", BLUE, false), ("predicted, test", ORANGE, true)] {
            chart
                .draw_series(run.predictions.iter().filter(|p| p.1 == test).map(|p| Circle::new((p.3[0], p.3[1]), 2, c.filled())))
                .map_err(pe)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}
