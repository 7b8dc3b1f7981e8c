//! The data: the blog's [sin, cos] circle (or a user's CSV series) cut into windows (TrignoDS),
//! the chronological tail held out, and each epoch's batch order.

pub mod autoregression;
pub mod batches;
pub mod cholesky;
pub mod csv_text;
pub mod framing;
pub mod from_csv;
pub mod scaling;
pub mod season;
pub mod series;
pub mod source;
pub mod windows;

pub use batches::{batches_of, for_batches, map_batches, per_worker, workers, ONE_BATCH};
pub use from_csv::Reading;
pub use scaling::{model_rows, Scaling, ScalingRule, Transform};
pub use series::{listed, Gaps, Groups, Labels, Missing, Rows, Series, Time};
pub use source::{circle, circle_row, circle_x, Source, CIRCLE_ROWS};
pub use windows::{epoch_order, epoch_seed, fingerprint, Split, Splits, TrignoDS, Windows};
