//! The CSV tables a run writes, each with its one writer and its one reader, side by side:
//! metrics.csv, steps.csv, baselines.csv and predictions.csv (forecast's CSVs are written with
//! the same `Csv`). Readers go by header name, so a
//! column added later (or a split label other than train and test) breaks no reader.

use super::atomic::write_bytes;
use crate::data::scaling::{unscaled_one, Scaling};
use crate::forecasters::scores::Score;
use crate::train::{EpochMetrics, StepLoss};
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;

/// A CSV in memory, written atomically at the end.
pub struct Csv(String);

impl Csv {
    pub fn new(header: &[String]) -> Csv {
        Csv(header.join(",") + "\n")
    }

    pub fn row(&mut self, cells: &[String]) {
        self.0.push_str(&cells.join(","));
        self.0.push('\n');
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        write_bytes(path, self.0.as_bytes())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shortest text that reads back to the same f64, as a person reads it: a plain decimal (`96`,
/// `138419`, `0.0123`), an exponent only where the decimal would be long (`1e-7`, `1.5e20`);
/// `nan` for NaN, as Python writes it.
pub fn format_num(v: f64) -> String {
    shortest(&mut ryu::Buffer::new(), v).to_string()
}

/// `format_num` into a buffer (ryu's shortest round-trip digits, without a whole number's `.0`).
fn shortest(buffer: &mut ryu::Buffer, v: f64) -> &str {
    if v.is_nan() {
        return "nan";
    }
    let text = buffer.format(v);
    text.strip_suffix(".0").unwrap_or(text)
}

/// A CSV cell holding a user's column name: quoted when it needs to be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV read back: its header and its rows, with cells found by column name.
struct Table<'a> {
    path: &'a Path,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl<'a> Table<'a> {
    fn read(path: &'a Path) -> Result<Table<'a>> {
        let (mut t, r) = Table::open(path)?;
        for rec in r.into_records() {
            t.rows.push(rec.with_context(|| format!("{}: malformed", path.display()))?.iter().map(String::from).collect());
        }
        Ok(t)
    }

    /// The header, and a reader at the first row: for a table too long to hold as text.
    fn open(path: &'a Path) -> Result<(Table<'a>, csv::Reader<std::fs::File>)> {
        let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
        let header = r.headers().with_context(|| format!("{}: no header", path.display()))?.iter().map(String::from).collect();
        Ok((Table { path, header, rows: vec![] }, r))
    }

    /// The position of column `name`.
    fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow!("{}: no column {name:?} (its header is {:?})", self.path.display(), self.header.join(",")))
    }

    fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    fn num(&self, row: &[String], col: usize) -> Result<f64> {
        self.num_in(&row[col], col)
    }

    fn whole(&self, row: &[String], col: usize) -> Result<usize> {
        self.whole_in(&row[col], col)
    }

    /// Column `col`'s `cell` as a number.
    fn num_in(&self, cell: &str, col: usize) -> Result<f64> {
        cell.parse::<f64>().map_err(|_| anyhow!("{}: {}: {cell:?} is not a number", self.path.display(), self.header[col]))
    }

    fn whole_in(&self, cell: &str, col: usize) -> Result<usize> {
        cell.parse::<usize>().map_err(|_| anyhow!("{}: {}: {cell:?} is not a whole number", self.path.display(), self.header[col]))
    }
}

/// metrics.csv: `epoch,train_loss,val_loss,test_loss,seconds` (`val_loss` nan without
/// --val-fraction).
pub fn metrics_csv(metrics: &[EpochMetrics]) -> Csv {
    let mut csv = Csv::new(&["epoch", "train_loss", "val_loss", "test_loss", "seconds"].map(String::from));
    for m in metrics {
        let losses = [m.train_loss, m.val_loss, m.test_loss].map(format_num);
        csv.row(&[&[m.epoch.to_string()][..], &losses, &[format!("{:.3}", m.seconds)]].concat());
    }
    csv
}

pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>> {
    let t = Table::read(path)?;
    let [epoch, train, test, seconds] = ["epoch", "train_loss", "test_loss", "seconds"].map(|c| t.col(c));
    let (epoch, train, test, seconds) = (epoch?, train?, test?, seconds?);
    // val_loss: absent before 0.3
    let val = t.has("val_loss").then(|| t.col("val_loss")).transpose()?;
    let row = |r: &[String]| -> Result<EpochMetrics> {
        Ok(EpochMetrics {
            epoch: t.whole(r, epoch)?,
            train_loss: t.num(r, train)?,
            val_loss: val.map_or(Ok(f64::NAN), |c| t.num(r, c))?,
            test_loss: t.num(r, test)?,
            seconds: t.num(r, seconds)?,
        })
    };
    t.rows.iter().map(|r| row(r)).collect()
}

/// steps.csv: `epoch,step,loss`.
pub fn steps_csv(steps: &[StepLoss]) -> Csv {
    let mut csv = Csv::new(&["epoch", "step", "loss"].map(String::from));
    for (i, s) in steps.iter().enumerate() {
        csv.row(&[s.epoch.to_string(), (i + 1).to_string(), format_num(s.loss)]);
    }
    csv
}

/// One baseline's score on the held-out windows, in metrics.csv's units.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineScore {
    /// In a file of many series: the series, or `ALL_SERIES` for all of them pooled.
    pub series: Option<String>,
    pub name: String,
    pub test_loss: f64,
}

/// The `series` of a row that pools every series of a file of many (baselines.csv, scores.csv).
pub const ALL_SERIES: &str = "all series";

/// baselines.csv: `[series,]name,test_loss`.
pub fn baselines_csv(scores: &[BaselineScore]) -> Csv {
    let many = scores.iter().any(|s| s.series.is_some());
    let mut header: Vec<String> = if many { vec!["series".into()] } else { vec![] };
    header.extend(["name".to_string(), "test_loss".to_string()]);
    let mut csv = Csv::new(&header);
    for s in scores {
        let mut row: Vec<String> = s.series.iter().map(|n| csv_field(n)).collect();
        row.extend([csv_field(&s.name), format_num(s.test_loss)]);
        csv.row(&row);
    }
    csv
}

/// baselines.csv (for a file of many series, the pooled rows); none in runs before 0.2, which
/// wrote no such file.
pub fn read_baselines(path: &Path) -> Result<Vec<BaselineScore>> {
    if !path.exists() {
        return Ok(vec![]);
    }
    let t = Table::read(path)?;
    let (name, loss) = (t.col("name")?, t.col("test_loss")?);
    let series = t.has("series").then(|| t.col("series")).transpose()?;
    t.rows
        .iter()
        .filter(|r| series.is_none_or(|c| r[c] == ALL_SERIES))
        .map(|r| Ok(BaselineScore { series: series.map(|c| r[c].clone()), name: r[name].clone(), test_loss: t.num(r, loss)? }))
        .collect()
}

/// scores.csv: `[series,]forecaster,feature,windows,mae,rmse,mase,smape` (forecasters/scores.rs says
/// how each is computed), the RNN first, then each baseline; in a file of many series, the
/// pooled rows (`ALL_SERIES`) first, then each series'.
pub fn scores_csv(scores: &[Score]) -> Csv {
    let many = scores.iter().any(|s| s.series.is_some());
    let columns = ["forecaster", "feature", "windows", "mae", "rmse", "mase", "smape"].map(String::from);
    let mut csv = Csv::new(&[if many { vec!["series".to_string()] } else { vec![] }, columns.to_vec()].concat());
    for s in scores {
        let nums = [s.mae, s.rmse, s.mase, s.smape].map(format_num);
        let series: Vec<String> = s.series.iter().map(|n| csv_field(n)).collect();
        csv.row(&[series.as_slice(), &[csv_field(&s.forecaster), csv_field(&s.feature), s.windows.to_string()], &nums].concat());
    }
    csv
}

/// One row of predictions.csv: a window's target and the model's prediction of it, in the
/// series' units.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The row's series, in a file of many.
    pub series: Option<String>,
    /// The target's row in the series.
    pub index: usize,
    /// Its time label, when the series has a time column.
    pub time: Option<String>,
    /// `train` or `test` (a reader keeps any other label as it is).
    pub split: String,
    pub targets: Vec<f64>,
    pub preds: Vec<f64>,
}

/// predictions.csv: `[series,]index[,time],split,target_<f>...,pred_<f>...` for the features
/// `names`; `series` only for a file of many series (each row's index is then its row in its
/// series), `time` only when the series has a time column.
pub fn predictions_csv(names: &[String], layout: Layout, rows: &[Prediction]) -> Csv {
    let mut out = Vec::new();
    let written = write_predictions_header(&mut out, names, layout).and_then(|()| {
        rows.iter().try_for_each(|p| {
            let row = PredictionRow {
                series: p.series.as_deref(),
                index: p.index,
                time: p.time.as_deref(),
                split: &p.split,
                targets: &p.targets,
                preds: &p.preds,
            };
            write_prediction_row(&mut out, layout, &row)
        })
    });
    written.expect("writing to memory");
    Csv(String::from_utf8(out).expect("UTF-8 in, UTF-8 out"))
}

/// predictions.csv's optional columns: `series` (a file of many), `time` (a time column).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Layout {
    pub series: bool,
    pub time: bool,
}

/// One row of predictions.csv, borrowed: what `write_predictions` streams.
pub struct PredictionRow<'a> {
    /// The row's series, in a file of many.
    pub series: Option<&'a str>,
    /// The target's row (in its series, in a file of many).
    pub index: usize,
    pub time: Option<&'a str>,
    pub split: &'a str,
    pub targets: &'a [f64],
    pub preds: &'a [f64],
}

/// predictions.csv's header, for the rows `write_prediction_row` streams after it, with nothing
/// held but the row (a long series' file is large: about 130 bytes a row for 3 features).
pub fn write_predictions_header(w: &mut impl std::io::Write, names: &[String], layout: Layout) -> std::io::Result<()> {
    let mut header = if layout.series { vec!["series".to_string()] } else { vec![] };
    header.push("index".into());
    if layout.time {
        header.push("time".into());
    }
    header.push("split".into());
    header.extend(names.iter().map(|n| csv_field(&format!("target_{n}"))));
    header.extend(names.iter().map(|n| csv_field(&format!("pred_{n}"))));
    writeln!(w, "{}", header.join(","))
}

/// One row of predictions.csv.
pub fn write_prediction_row(w: &mut impl std::io::Write, layout: Layout, p: &PredictionRow) -> std::io::Result<()> {
    if layout.series {
        write!(w, "{},", csv_field(p.series.unwrap_or("")))?;
    }
    write!(w, "{}", p.index)?;
    if layout.time {
        write!(w, ",{}", csv_field(p.time.unwrap_or("")))?;
    }
    write!(w, ",{}", p.split)?;
    for &v in p.targets.iter().chain(p.preds) {
        write_num(w, v)?;
    }
    writeln!(w)
}

/// `,` and `format_num(v)`, written in place.
fn write_num(w: &mut impl std::io::Write, v: f64) -> std::io::Result<()> {
    w.write_all(b",")?;
    w.write_all(shortest(&mut ryu::Buffer::new(), v).as_bytes())
}

/// predictions.csv, for the features `names` (the run's, from config.json).
/// predictions.csv read back for the figures, a column per field (a long series' file is
/// large; a row of structs would cost some 200 bytes a row). Time labels only when asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predictions {
    features: usize,
    pub index: Vec<usize>,
    /// Each row's series by its place in `series_names`, in a file of many.
    pub series: Vec<u32>,
    pub series_names: Vec<String>,
    /// Each row's split, by its place in `splits`.
    split: Vec<u8>,
    splits: Vec<String>,
    time: Option<Vec<String>>,
    /// Each row's targets, then (read from predictions.csv) its predictions.
    values: Vec<f64>,
    /// Handed by train rather than read: the predictions as the model gave them, each unscaled
    /// when read (float32 where predictions.csv's float64 would cost twice the memory).
    model: Option<ModelPredictions>,
}

/// The model's predictions, [rows x features] in model units, and each series' scaling (none for
/// a series used as it is).
#[derive(Debug, Clone, PartialEq)]
struct ModelPredictions {
    values: Vec<f32>,
    scaling: Vec<Scaling>,
}

impl Predictions {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The values a row holds in `values`: its targets, and its predictions when read.
    fn width(&self) -> usize {
        if self.model.is_some() {
            self.features
        } else {
            2 * self.features
        }
    }

    pub fn target(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.width() + j]
    }

    /// The rows `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Predictions {
        let (w, f) = (self.width(), self.features);
        Predictions {
            features: self.features,
            index: rows.iter().map(|&i| self.index[i]).collect(),
            series: rows.iter().filter_map(|&i| self.series.get(i).copied()).collect(),
            series_names: self.series_names.clone(),
            split: rows.iter().map(|&i| self.split[i]).collect(),
            splits: self.splits.clone(),
            time: self.time.as_ref().map(|t| rows.iter().map(|&i| t[i].clone()).collect()),
            values: rows.iter().flat_map(|&i| self.values[i * w..(i + 1) * w].iter().copied()).collect(),
            model: self.model.as_ref().map(|m| ModelPredictions {
                values: rows.iter().flat_map(|&i| m.values[i * f..(i + 1) * f].iter().copied()).collect(),
                scaling: m.scaling.clone(),
            }),
        }
    }

    pub fn pred(&self, i: usize, j: usize) -> f64 {
        let f = self.features;
        match &self.model {
            // as predictions.csv's value was unscaled
            Some(m) => unscaled_one(m.scaling.get(self.series.get(i).map_or(0, |&k| k as usize)), j, m.values[i * f + j] as f64),
            None => self.values[i * 2 * f + f + j],
        }
    }

    pub fn split(&self, i: usize) -> &str {
        &self.splits[self.split[i] as usize]
    }

    pub fn is_test(&self, i: usize) -> bool {
        self.split(i) == "test"
    }

    pub fn is_train(&self, i: usize) -> bool {
        self.split(i) == "train"
    }

    /// Row `i`'s time label, when labels were read.
    pub fn time(&self, i: usize) -> Option<&str> {
        self.time.as_ref().map(|t| t[i].as_str())
    }

    /// Row `i`'s series, in a file of many.
    pub fn series_of(&self, i: usize) -> Option<&str> {
        self.series.get(i).map(|&k| self.series_names[k as usize].as_str())
    }

    /// Row `i` as a record.
    pub fn row(&self, i: usize) -> Prediction {
        let f = self.features;
        Prediction {
            series: self.series_of(i).map(String::from),
            index: self.index[i],
            time: self.time(i).map(String::from),
            split: self.split(i).to_string(),
            targets: (0..f).map(|j| self.target(i, j)).collect(),
            preds: (0..f).map(|j| self.pred(i, j)).collect(),
        }
    }

    /// A table of the model's predictions (unscaled by series k's `scaling[k]` when read), for
    /// `features` features (and the series `series_names`, of a file of many), room made for
    /// `rows` rows: they are pushed by `push_row`, then the predictions given by `set_model`.
    pub fn of_model(features: usize, series_names: Vec<String>, scaling: Vec<Scaling>, rows: usize) -> Predictions {
        let model = Some(ModelPredictions { values: vec![], scaling });
        let mut out = Predictions { features, series_names, model, ..Default::default() };
        out.index.reserve_exact(rows);
        out.split.reserve_exact(rows);
        out.values.reserve_exact(rows * features);
        out
    }

    /// The model's predictions of the rows pushed, [rows x features] in model units.
    pub fn set_model(&mut self, values: Vec<f32>) {
        if let Some(m) = self.model.as_mut() {
            m.values = values;
        }
    }

    /// A row as predictions.csv has it (its series by its place in `series_names`), but for its
    /// prediction, which is the model's; its time label is not kept.
    pub fn push_row(&mut self, series: Option<u32>, row: &PredictionRow) {
        self.values.extend(row.targets);
        self.push(row.index, row.split, None);
        self.series.extend(series);
    }

    fn push(&mut self, index: usize, split: &str, time: Option<String>) {
        let code = match self.splits.iter().position(|s| s == split) {
            Some(k) => k,
            None => {
                self.splits.push(split.to_string());
                self.splits.len() - 1
            }
        };
        self.index.push(index);
        self.split.push(code.min(u8::MAX as usize) as u8);
        if let (Some(t), Some(label)) = (self.time.as_mut(), time) {
            t.push(label);
        }
    }
}

/// predictions.csv, read a row at a time; its time labels kept when `with_time`. `rows`, the
/// rows the run wrote (config.json's windows), sizes the columns at once: grown by doubling, a
/// long series' would briefly hold half as much again.
pub fn read_predictions(path: &Path, names: &[String], with_time: bool, rows: usize) -> Result<Predictions> {
    let (t, mut reader) = Table::open(path)?;
    let (index, split) = (t.col("index")?, t.col("split")?);
    let time = t.has("time").then(|| t.col("time")).transpose()?;
    let series = t.has("series").then(|| t.col("series")).transpose()?;
    let cols = |prefix: &str| names.iter().map(|n| t.col(&format!("{prefix}{n}"))).collect::<Result<Vec<usize>>>();
    let (targets, preds) = (cols("target_")?, cols("pred_")?);
    let mut out = Predictions { features: names.len(), time: (with_time && time.is_some()).then(Vec::new), ..Default::default() };
    // (an edited config.json's count is bounded by the file: a row is at least 8 bytes)
    let rows = rows.min(std::fs::metadata(path).map_or(0, |m| m.len() as usize / 8));
    out.index.reserve_exact(rows);
    out.split.reserve_exact(rows);
    out.values.reserve_exact(rows * 2 * names.len());
    let mut r = csv::StringRecord::new();
    let mut seen: std::collections::HashMap<String, u32> = Default::default();
    while reader.read_record(&mut r).with_context(|| format!("{}: malformed", path.display()))? {
        if r.len() != t.header.len() {
            bail!("{}: a row has {} cells, the header {}", path.display(), r.len(), t.header.len());
        }
        for &c in targets.iter().chain(&preds) {
            out.values.push(t.num_in(&r[c], c)?);
        }
        out.push(t.whole_in(&r[index], index)?, &r[split], time.map(|c| r[c].to_string()));
        if let Some(c) = series {
            let next = seen.len() as u32;
            let k = *seen.entry(r[c].to_string()).or_insert_with(|| {
                out.series_names.push(r[c].to_string());
                next
            });
            out.series.push(k);
        }
        if out.splits.len() > u8::MAX as usize {
            bail!("{}: more than {} different split labels", path.display(), u8::MAX);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vanilla-rnn-tables-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn numbers_read_back_exactly_in_the_form_a_person_reads() {
        for v in [0.1f64, 1e-300, -2.5e7, 0.84147096f32 as f64, -0.0, f64::INFINITY, 96.0, 138419.0, 1.5e20] {
            assert_eq!(format_num(v).parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v}");
        }
        assert_eq!(format_num(f64::NAN), "nan");
        let shown: Vec<String> = [96.0, 138419.0, 0.0123, 1e-7, 1.5e20, -2.5e7].into_iter().map(format_num).collect();
        assert_eq!(shown, ["96", "138419", "0.0123", "1e-7", "1.5e20", "-25000000"]);
        let mut row = vec![];
        write_num(&mut row, 96.0).unwrap();
        assert_eq!(row, b",96");
    }

    #[test]
    fn each_table_reads_back_what_its_writer_wrote() {
        let names = vec!["a".to_string(), "b,c".to_string()];
        let rows = vec![
            Prediction {
                series: Some("x".into()),
                index: 4,
                time: Some("1990-01".into()),
                split: "train".into(),
                targets: vec![1.0, -2.5],
                preds: vec![0.75, 3e-9],
            },
            Prediction {
                series: Some("y,z".into()),
                index: 5,
                time: Some("1990-02".into()),
                split: "test".into(),
                targets: vec![0.0, 1e10],
                preds: vec![-0.0, 2.0],
            },
        ];
        let p = scratch("predictions.csv", predictions_csv(&names, Layout { series: true, time: true }, &rows).as_str());
        let read = read_predictions(&p, &names, true, 2).unwrap();
        assert_eq!((0..read.len()).map(|i| read.row(i)).collect::<Vec<_>>(), rows);
        assert_eq!(read_predictions(&p, &names, false, 2).unwrap().time(0), None, "labels only when asked for");
        let metrics = vec![EpochMetrics { epoch: 1, train_loss: 0.5, val_loss: 0.375, test_loss: 0.25, seconds: 1.5 }];
        let p = scratch("metrics.csv", metrics_csv(&metrics).as_str());
        assert_eq!(read_metrics(&p).unwrap(), metrics);
        let scores = vec![BaselineScore { series: None, name: "persistence".into(), test_loss: 0.125 }];
        let p = scratch("baselines.csv", baselines_csv(&scores).as_str());
        assert_eq!(read_baselines(&p).unwrap(), scores);
    }

    #[test]
    fn readers_go_by_header_name_and_keep_other_columns_and_labels_apart() {
        let p = scratch("m2.csv", "seconds,val_loss,test_loss,epoch,train_loss\n2.0,9,0.5,1,0.25\n");
        assert_eq!(
            read_metrics(&p).unwrap(),
            vec![EpochMetrics { epoch: 1, train_loss: 0.25, val_loss: 9.0, test_loss: 0.5, seconds: 2.0 }]
        );
        let old = scratch("m0.1.csv", "epoch,train_loss,test_loss,seconds\n1,0.25,0.5,2.0\n");
        assert!(read_metrics(&old).unwrap()[0].val_loss.is_nan(), "metrics.csv before 0.3 has no val_loss");
        let p = scratch("p2.csv", "split,index,pred_x,target_x,store\nval,7,1.5,2.5,s1\n");
        let read = read_predictions(&p, &["x".to_string()], false, 1).unwrap();
        assert_eq!((read.index[0], read.split(0), read.target(0, 0), read.pred(0, 0)), (7, "val", 2.5, 1.5));
        assert!(!read.is_test(0) && !read.is_train(0), "a val row is neither train nor test");
        let err = read_predictions(&p, &["y".to_string()], false, 1).unwrap_err().to_string();
        assert!(err.contains("no column \"target_y\""), "{err}");
    }
}
