//! Predictions of a trained model: one row per window, in the user's units.

use crate::config::RunConfig;
use crate::data::{self, Scaling, Series, TrignoDS};
use crate::model::{unroll, Activation, RNN};
use crate::output::{csv_field, num, Csv};
use crate::weights::{read_params, sizes_of};
use anyhow::{bail, Result};
use std::path::Path;
use tch::{nn, Device};

/// `index,split,target_<f>...,pred_<f>...`: index is the target's row in the series.
pub fn predictions_csv(rnn: &RNN, ds: &TrignoDS, series: &Series, scaling: Option<&Scaling>, n_train: usize) -> Result<Csv> {
    let preds = tch::no_grad(|| unroll(rnn, &ds.X.to_device(rnn.get_ht.ws.device()), false).pop().expect("seq_len >= 1"));
    let preds: Vec<f32> = Vec::try_from(preds.to_device(Device::Cpu).flatten(0, -1))?;
    let f = series.features();
    let mut header = vec!["index".to_string(), "split".to_string()];
    header.extend(series.names.iter().map(|n| csv_field(&format!("target_{n}"))));
    header.extend(series.names.iter().map(|n| csv_field(&format!("pred_{n}"))));
    let mut csv = Csv::new(&header);
    for i in 0..ds.len() {
        let index = i + ds.seq_length;
        let mut row = vec![index.to_string(), if i < n_train { "train" } else { "test" }.to_string()];
        row.extend(series.rows[index].iter().map(|&v| num(v)));
        row.extend((0..f).map(|j| {
            let y = preds[i * f + j] as f64;
            num(scaling.map_or(y, |s| s.unscale(j, y)))
        }));
        csv.row(&row);
    }
    Ok(csv)
}

/// A model read back from a weights file, with what its run's config.json says about it.
pub struct Loaded {
    pub _vs: nn::VarStore,
    pub rnn: RNN,
    pub seq_len: i64,
    pub run: Option<RunConfig>,
}

/// Loads weights; sizes come from the tensors, seq_len and activation from the config.json
/// beside them (or the overrides, or the defaults 4 and tanh).
pub fn load_model(weights: &Path, seq_len: Option<i64>, activation: Option<Activation>) -> Result<Loaded> {
    let params = read_params(weights)?;
    let (input, hidden, output) = sizes_of(weights, &params)?;
    let run = RunConfig::beside(weights)?;
    let seq_len = seq_len.or(run.as_ref().map(|r| r.settings.seq_len)).unwrap_or(4);
    let activation = activation.or(run.as_ref().map(|r| r.settings.activation)).unwrap_or(Activation::Tanh);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let rnn = RNN::new(&vs.root(), input, hidden, output, activation);
    rnn.copy_parameters(params.iter().map(|(_, t)| t))?;
    vs.freeze();
    Ok(Loaded { _vs: vs, rnn, seq_len, run })
}

/// The series to predict on, scaled as the model was trained (the run's scaling when the
/// weights come with one, else fitted on this series).
pub fn series_for(loaded: &Loaded, data: Option<&Path>) -> Result<(Series, Option<Scaling>)> {
    let (series, fitted) = match data {
        None => (data::circle(), None),
        Some(p) => {
            let s = data::read_csv(p)?;
            let fitted = Scaling::fit(&s);
            (s, Some(fitted))
        }
    };
    if series.features() as i64 != loaded.rnn.input_length {
        bail!("the model takes {} features, the series has {} ({})", loaded.rnn.input_length, series.features(), series.names.join(", "));
    }
    let run_scaling = loaded.run.as_ref().and_then(|r| r.scaling.clone());
    let scaling = match (data, run_scaling) {
        (Some(_), Some(s)) => Some(s),
        (Some(_), None) => fitted,
        (None, _) => None,
    };
    Ok((series, scaling))
}

/// `vanilla-rnn predict`.
pub fn predict(weights: &Path, data: Option<&Path>, seq_len: Option<i64>, activation: Option<Activation>) -> Result<(Csv, f64)> {
    let loaded = load_model(weights, seq_len, activation)?;
    let (series, scaling) = series_for(&loaded, data)?;
    let ds = TrignoDS::new(&data::model_rows(&series, scaling.as_ref()), series.features(), loaded.seq_len as usize)?;
    // The run's chronological split (or train's default one) labels each window.
    let test_fraction = loaded.run.as_ref().map_or(0.2, |r| r.settings.test_fraction);
    let n_train = data::split_point(ds.len(), test_fraction)?;
    let mse = crate::trainer::evaluate(&loaded.rnn, &ds.X, &ds.Y);
    Ok((predictions_csv(&loaded.rnn, &ds, &series, scaling.as_ref(), n_train)?, mse))
}
