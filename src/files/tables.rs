//! The CSV tables a run writes, each with its one writer and its one reader, side by side:
//! metrics.csv, steps.csv, baselines.csv and predictions.csv (forecast's CSVs are written with
//! the same `Csv`). Readers go by header name, so a
//! column added later (or a split label other than train and test) breaks no reader.

use super::atomic::write_bytes;
use crate::data::scores::Score;
use crate::train::{EpochMetrics, StepLoss};
use anyhow::{anyhow, Context, Result};
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

/// Shortest text that reads back to the same f64 (`nan` for NaN, as Python writes it).
pub fn format_num(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v:e}")
    }
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
        let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
        let header = r.headers().with_context(|| format!("{}: no header", path.display()))?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            rows.push(rec.with_context(|| format!("{}: malformed", path.display()))?.iter().map(String::from).collect());
        }
        Ok(Table { path, header, rows })
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
        let cell = &row[col];
        cell.parse::<f64>().map_err(|_| anyhow!("{}: {}: {cell:?} is not a number", self.path.display(), self.header[col]))
    }

    fn whole(&self, row: &[String], col: usize) -> Result<usize> {
        let cell = &row[col];
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
    pub name: String,
    pub test_loss: f64,
}

/// baselines.csv: `name,test_loss`.
pub fn baselines_csv(scores: &[BaselineScore]) -> Csv {
    let mut csv = Csv::new(&["name".to_string(), "test_loss".to_string()]);
    for s in scores {
        csv.row(&[csv_field(&s.name), format_num(s.test_loss)]);
    }
    csv
}

/// baselines.csv; none in runs before 0.2, which wrote no such file.
pub fn read_baselines(path: &Path) -> Result<Vec<BaselineScore>> {
    if !path.exists() {
        return Ok(vec![]);
    }
    let t = Table::read(path)?;
    let (name, loss) = (t.col("name")?, t.col("test_loss")?);
    t.rows.iter().map(|r| Ok(BaselineScore { name: r[name].clone(), test_loss: t.num(r, loss)? })).collect()
}

/// scores.csv: `forecaster,feature,windows,mae,rmse,mase,smape` (data/scores.rs says how each
/// is computed), the RNN first, then each baseline.
pub fn scores_csv(scores: &[Score]) -> Csv {
    let mut csv = Csv::new(&["forecaster", "feature", "windows", "mae", "rmse", "mase", "smape"].map(String::from));
    for s in scores {
        let nums = [s.mae, s.rmse, s.mase, s.smape].map(format_num);
        csv.row(&[[csv_field(&s.forecaster), csv_field(&s.feature), s.windows.to_string()].as_slice(), &nums].concat());
    }
    csv
}

/// scores.csv; none in runs before 0.4, which wrote no such file.
pub fn read_scores(path: &Path) -> Result<Vec<Score>> {
    if !path.exists() {
        return Ok(vec![]);
    }
    let t = Table::read(path)?;
    let cols = ["forecaster", "feature", "windows", "mae", "rmse", "mase", "smape"].map(|c| t.col(c));
    let [forecaster, feature, windows, mae, rmse, mase, smape] = cols;
    let (forecaster, feature, windows, mae, rmse, mase, smape) = (forecaster?, feature?, windows?, mae?, rmse?, mase?, smape?);
    t.rows
        .iter()
        .map(|r| {
            Ok(Score {
                forecaster: r[forecaster].clone(),
                feature: r[feature].clone(),
                windows: t.num(r, windows)? as usize,
                mae: t.num(r, mae)?,
                rmse: t.num(r, rmse)?,
                mase: t.num(r, mase)?,
                smape: t.num(r, smape)?,
            })
        })
        .collect()
}

/// One row of predictions.csv: a window's target and the model's prediction of it, in the
/// series' units.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The target's row in the series.
    pub index: usize,
    /// Its time label, when the series has a time column.
    pub time: Option<String>,
    /// `train` or `test` (a reader keeps any other label as it is).
    pub split: String,
    pub targets: Vec<f64>,
    pub preds: Vec<f64>,
}

impl Prediction {
    pub fn is_test(&self) -> bool {
        self.split == "test"
    }

    pub fn is_train(&self) -> bool {
        self.split == "train"
    }
}

/// predictions.csv: `index[,time],split,target_<f>...,pred_<f>...` for the features `names`;
/// `time` only when the series has a time column.
pub fn predictions_csv(names: &[String], timed: bool, rows: &[Prediction]) -> Csv {
    let mut header = vec!["index".to_string()];
    if timed {
        header.push("time".into());
    }
    header.push("split".into());
    header.extend(names.iter().map(|n| csv_field(&format!("target_{n}"))));
    header.extend(names.iter().map(|n| csv_field(&format!("pred_{n}"))));
    let mut csv = Csv::new(&header);
    for p in rows {
        let mut row = vec![p.index.to_string()];
        if timed {
            row.push(csv_field(p.time.as_deref().unwrap_or("")));
        }
        row.push(p.split.clone());
        row.extend(p.targets.iter().chain(&p.preds).map(|&v| format_num(v)));
        csv.row(&row);
    }
    csv
}

/// predictions.csv, for the features `names` (the run's, from config.json).
pub fn read_predictions(path: &Path, names: &[String]) -> Result<Vec<Prediction>> {
    let t = Table::read(path)?;
    let (index, split) = (t.col("index")?, t.col("split")?);
    let time = t.has("time").then(|| t.col("time")).transpose()?;
    let cols = |prefix: &str| names.iter().map(|n| t.col(&format!("{prefix}{n}"))).collect::<Result<Vec<usize>>>();
    let (targets, preds) = (cols("target_")?, cols("pred_")?);
    let nums = |r: &[String], cols: &[usize]| cols.iter().map(|&c| t.num(r, c)).collect::<Result<Vec<f64>>>();
    t.rows
        .iter()
        .map(|r| {
            if r.len() != t.header.len() {
                return Err(anyhow!("{}: a row has {} cells, the header {}", path.display(), r.len(), t.header.len()));
            }
            Ok(Prediction {
                index: t.whole(r, index)?,
                time: time.map(|c| r[c].clone()),
                split: r[split].clone(),
                targets: nums(r, &targets)?,
                preds: nums(r, &preds)?,
            })
        })
        .collect()
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
    fn numbers_read_back_exactly() {
        for v in [0.1f64, 1e-300, -2.5e7, 0.84147096f32 as f64] {
            assert_eq!(format_num(v).parse::<f64>().unwrap(), v);
        }
        assert_eq!(format_num(f64::NAN), "nan");
    }

    #[test]
    fn each_table_reads_back_what_its_writer_wrote() {
        let names = vec!["a".to_string(), "b,c".to_string()];
        let rows = vec![
            Prediction { index: 4, time: Some("1990-01".into()), split: "train".into(), targets: vec![1.0, -2.5], preds: vec![0.75, 3e-9] },
            Prediction { index: 5, time: Some("1990-02".into()), split: "test".into(), targets: vec![0.0, 1e10], preds: vec![-0.0, 2.0] },
        ];
        let p = scratch("predictions.csv", predictions_csv(&names, true, &rows).as_str());
        assert_eq!(read_predictions(&p, &names).unwrap(), rows);
        let metrics = vec![EpochMetrics { epoch: 1, train_loss: 0.5, val_loss: 0.375, test_loss: 0.25, seconds: 1.5 }];
        let p = scratch("metrics.csv", metrics_csv(&metrics).as_str());
        assert_eq!(read_metrics(&p).unwrap(), metrics);
        let scores = vec![BaselineScore { name: "persistence".into(), test_loss: 0.125 }];
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
        let p = scratch("p2.csv", "split,index,pred_x,target_x,series\nval,7,1.5,2.5,s1\n");
        let read = read_predictions(&p, &["x".to_string()]).unwrap();
        assert_eq!((read[0].index, read[0].split.as_str(), read[0].targets[0], read[0].preds[0]), (7, "val", 2.5, 1.5));
        assert!(!read[0].is_test() && !read[0].is_train(), "a val row is neither train nor test");
        let err = read_predictions(&p, &["y".to_string()]).unwrap_err().to_string();
        assert!(err.contains("no column \"target_y\""), "{err}");
    }
}
