//! The forecasters a run is scored by, each one type behind one trait (`forecaster.rs`), run
//! from one list: persistence, the seasonal naive, the linear autoregression, the drift, Naive2,
//! Theta, and the RNN itself; the damped trend, from the end of a series only. Then what reads
//! their predictions: the scores (MAE, RMSE, MASE, sMAPE).

pub mod band;
pub mod closed_loop;
pub mod damped;
pub mod decomposition;
pub mod drift;
pub mod forecaster;
pub mod linear;
pub mod list;
pub mod naive2;
pub mod persistence;
pub mod rnn;
pub mod scores;
pub mod seasonal_naive;
pub mod student_t;
pub mod theta;

pub use forecaster::{Baseline, Forecaster, TestPredictions};
pub use list::baselines;
pub use scores::Score;
