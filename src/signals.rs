//! The stop that Ctrl-C or SIGTERM asks for, where every layer can see it. train's handlers
//! (train/interrupt.rs) set it; training reads it after each step, and the long loops outside the
//! steps (the autoregression's solve, every pass over the windows in batches) read it as they
//! go, so that a run stops within a moment wherever it is.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

static REQUESTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// The flag a handler sets.
pub fn flag() -> Arc<AtomicBool> {
    Arc::clone(REQUESTED.get_or_init(Default::default))
}

/// Where a handler writes its signal's number.
pub fn number() -> Arc<AtomicUsize> {
    Arc::clone(SIGNAL.get_or_init(Default::default))
}

/// Whether a signal has asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

/// A run stopped by a signal outside the training loop (which saves and reports its own stops).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub signal: i32,
    /// What it was doing.
    pub during: &'static str,
    /// The run's directory, where its weights and checkpoint were saved before the stop; none
    /// before training began.
    pub saved_in: Option<std::path::PathBuf>,
}

/// A stopping signal as a message names it: SIGTERM, else Ctrl-C (SIGINT).
pub fn name(signal: i32) -> &'static str {
    if signal == signal_hook::consts::SIGTERM {
        "SIGTERM"
    } else {
        "Ctrl-C"
    }
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let (by, during) = (name(self.signal), self.during);
        match &self.saved_in {
            None => write!(f, "stopped by {by} during {during}, before training began: no weights or checkpoint were saved"),
            Some(dir) => write!(
                f,
                "stopped by {by} during {during}: the weights and checkpoint were saved; `vanilla-rnn train --resume {}` writes the rest",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for Stopped {}

/// Err(Stopped) once a signal has asked to stop.
pub fn check(during: &'static str) -> Result<(), Stopped> {
    match requested() {
        true => Err(Stopped { signal: number().load(Ordering::SeqCst) as i32, during, saved_in: None }),
        false => Ok(()),
    }
}

/// `e` as it reads where its stop came: a `Stopped` during `during`, saved in `saved_in`;
/// any other error as it is.
pub fn during(e: anyhow::Error, during: &'static str, saved_in: Option<&std::path::Path>) -> anyhow::Error {
    match e.downcast::<Stopped>() {
        Ok(stopped) => Stopped { during, saved_in: saved_in.map(|d| d.to_path_buf()), ..stopped }.into(),
        Err(e) => e,
    }
}
