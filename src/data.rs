//! The data: the blog's [sin, cos] circle (or a user's CSV series) cut into windows (TrignoDS).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// A multivariate series, one row per time step, in the units the user knows.
#[derive(Debug, Clone)]
pub struct Series {
    pub names: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

impl Series {
    pub fn features(&self) -> usize {
        self.names.len()
    }
}

/// The blog's series: `x = np.linspace(0, 100, 1000)`, rows `[sin(x), cos(x)]` as float32.
/// numpy's linspace computes `i * step + start` with `step = (stop - start) / (num - 1)` and then
/// sets the last point to `stop` exactly; we do the same so that every x is numpy's x.
pub fn circle() -> Series {
    let (start, stop, num) = (0.0f64, 100.0f64, 1000usize);
    let step = (stop - start) / (num - 1) as f64;
    let rows = (0..num)
        .map(|i| {
            let x = if i == num - 1 { stop } else { i as f64 * step + start };
            vec![x.sin() as f32 as f64, x.cos() as f32 as f64]
        })
        .collect();
    Series { names: vec!["sin".into(), "cos".into()], rows }
}

/// Reads a user's series: a header row, then one numeric column per feature.
pub fn read_csv(path: &Path) -> Result<Series> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::BufReader::new(file));
    let header =
        reader.byte_headers().map_err(|e| anyhow::anyhow!("{}: cannot read the header row: {}", path.display(), csv_error(&e)))?.clone();
    let mut names = Vec::with_capacity(header.len());
    for (j, raw) in header.iter().enumerate() {
        let raw = if j == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name =
            std::str::from_utf8(raw).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && !s.contains('\0')).with_context(
                || format!("{}: header column {} is empty or not UTF-8 text (is the file UTF-8 CSV?)", path.display(), j + 1),
            )?;
        names.push(name);
    }
    if names.is_empty() {
        bail!("{}: the file is empty (expected a header row, then one numeric column per feature)", path.display());
    }
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{}: {}", path.display(), csv_error(&e)),
        }
        let line = rows.len() + 2; // 1-based, after the header
        let mut row = Vec::with_capacity(names.len());
        for (j, cell) in record.iter().enumerate() {
            let text = std::str::from_utf8(cell).unwrap_or("").trim();
            let v: f64 = text.parse().map_err(|_| {
                let shown: String = String::from_utf8_lossy(cell).chars().take(40).collect();
                anyhow::anyhow!("{}: row {line}, column {} ({}): {:?} is not a number", path.display(), j + 1, short(&names[j]), shown)
            })?;
            if !v.is_finite() {
                bail!(
                    "{}: row {line}, column {} ({}): {} is not finite (NaN or infinite values cannot be learned)",
                    path.display(),
                    j + 1,
                    short(&names[j]),
                    short(text)
                );
            }
            row.push(v);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        bail!("{}: has a header but no data rows", path.display());
    }
    Ok(Series { names, rows })
}

/// A user's column name as an error message shows it: at most 40 characters.
fn short(name: &str) -> String {
    if name.chars().count() > 40 {
        name.chars().take(37).collect::<String>() + "..."
    } else {
        name.to_string()
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => format!(
            "row {} has {len} fields where the header has {expected_len} (ragged CSV)",
            pos.as_ref().map(|p| p.line().to_string()).unwrap_or_else(|| "?".into())
        ),
        _ => e.to_string(),
    }
}

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

/// A fingerprint of the model's rows (FNV-1a over their float32 bits), so that a resumed run can
/// tell it is being handed the series it started with.
pub fn fingerprint(rows: &[f32]) -> String {
    let hash = rows
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// The blog's TrignoDS: `X[i] = data[i : i+seq_length]`, `Y[i] = data[i+seq_length]`.
#[allow(non_snake_case)]
pub struct TrignoDS {
    pub input_size: usize,
    pub seq_length: usize,
    pub X: Tensor, // [windows, seq_length, input_size]
    pub Y: Tensor, // [windows, input_size]
}

impl TrignoDS {
    #[allow(non_snake_case)]
    pub fn new(data: &[f32], input_size: usize, seq_length: usize) -> Result<TrignoDS> {
        let steps = data.len() / input_size;
        if steps <= seq_length {
            bail!("the series has {steps} rows, which is not longer than --seq-len {seq_length}: no window fits");
        }
        let (X, Y) = Self::make_data(data, input_size, seq_length);
        Ok(TrignoDS { input_size, seq_length, X, Y })
    }

    #[allow(non_snake_case)]
    fn make_data(data: &[f32], input_size: usize, seq_length: usize) -> (Tensor, Tensor) {
        let steps = data.len() / input_size;
        let n = steps - seq_length;
        let mut x = Vec::with_capacity(n * seq_length * input_size);
        for i in 0..n {
            x.extend_from_slice(&data[i * input_size..(i + seq_length) * input_size]);
        }
        let y = &data[seq_length * input_size..];
        let X = Tensor::from_slice(&x).view([n as i64, seq_length as i64, input_size as i64]);
        let Y = Tensor::from_slice(y).view([n as i64, input_size as i64]);
        (X, Y)
    }

    pub fn len(&self) -> usize {
        self.Y.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Chronological split of the windows: the last `floor(n * test_fraction)` are held out.
pub fn split_point(windows: usize, test_fraction: f64) -> Result<usize> {
    let n_test = (windows as f64 * test_fraction).floor() as usize;
    if n_test >= windows {
        bail!("--test-fraction {test_fraction} leaves no training window out of {windows}");
    }
    Ok(windows - n_test)
}

/// The batch order of one epoch, reproducible in Python: `torch.randperm(n, generator=g)` with
/// `g.manual_seed(epoch_seed(seed, epoch))`, or `arange(n)` without shuffling.
pub fn epoch_order(n: usize, shuffle: bool, seed: u64, epoch: usize) -> Tensor {
    if shuffle {
        // Same stream as a fresh torch.Generator seeded alike: mt19937 from the seed.
        crate::seeded(epoch_seed(seed, epoch), || Tensor::randperm(n as i64, (Kind::Int64, Device::Cpu)))
    } else {
        Tensor::arange(n as i64, (Kind::Int64, Device::Cpu))
    }
}

/// One generator seed per (run seed, epoch), so that an epoch's order never depends on what ran before it.
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_the_blogs_trignods() {
        // rows r0..r5 of a 2-feature series: r_i = [i, 10 i]
        let data: Vec<f32> = (0..6).flat_map(|i| [i as f32, 10.0 * i as f32]).collect();
        let ds = TrignoDS::new(&data, 2, 4).unwrap();
        assert_eq!(ds.len(), 2);
        assert_eq!(ds.X.size(), vec![2, 4, 2]);
        let x: Vec<f32> = Vec::try_from(ds.X.flatten(0, -1)).unwrap();
        assert_eq!(&x[..8], &[0., 0., 1., 10., 2., 20., 3., 30.]);
        assert_eq!(&x[8..], &[1., 10., 2., 20., 3., 30., 4., 40.]);
        let y: Vec<f32> = Vec::try_from(ds.Y.flatten(0, -1)).unwrap();
        assert_eq!(y, vec![4., 40., 5., 50.]);
    }

    #[test]
    fn a_series_no_longer_than_seq_len_is_refused() {
        let data = vec![0f32; 8];
        let err = TrignoDS::new(&data, 2, 4).err().unwrap().to_string();
        assert!(err.contains("not longer than --seq-len 4"), "{err}");
    }

    #[test]
    fn circle_is_numpys_linspace_sin_cos() {
        let s = circle();
        assert_eq!(s.rows.len(), 1000);
        assert_eq!(s.rows[0], vec![0.0, 1.0]);
        assert_eq!(s.rows[999][0], 100f64.sin() as f32 as f64, "the last x is exactly 100");
        assert_eq!(s.rows[1][1], (100f64 / 999.0).cos() as f32 as f64);
    }

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

    #[test]
    fn split_keeps_the_chronological_tail_for_testing() {
        assert_eq!(split_point(996, 0.2).unwrap(), 797);
        assert_eq!(split_point(10, 0.0).unwrap(), 10);
        assert!(split_point(1, 0.99).is_ok());
        assert_eq!(split_point(3, 0.999).unwrap(), 1, "at least one training window stays");
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 3)).unwrap();
        let b: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 3)).unwrap();
        let c: Vec<i64> = Vec::try_from(epoch_order(50, true, 7, 4)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<i64>>());
        let plain: Vec<i64> = Vec::try_from(epoch_order(5, false, 7, 3)).unwrap();
        assert_eq!(plain, vec![0, 1, 2, 3, 4]);
    }
}
