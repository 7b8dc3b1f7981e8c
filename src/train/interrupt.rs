//! Ctrl-C (SIGINT) and SIGTERM: the first asks training to stop after the current step and save
//! its progress; a second one ends the process at once (every file is written by rename, so
//! none is torn). Exit codes follow the shell's convention: 130 and 143.

use anyhow::Result;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
    /// Testing aid (hidden flag): behave as if SIGINT arrived after this many optimizer steps.
    pub after_steps: Option<u64>,
}

impl Stop {
    /// Installs the handlers.
    pub fn install() -> Result<Stop> {
        // the flags every layer reads (signals.rs)
        let stop = Stop { requested: crate::signals::flag(), signal: crate::signals::number(), after_steps: None };
        // Handlers run in the order they were registered: the shutdown first, so that it sees
        // the flag only from the second signal on; then the signal's number, before the flag
        // that makes `requested` read it, so that it is never read as 0.
        for (sig, code) in [(SIGINT, 130), (SIGTERM, 143)] {
            signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(&stop.requested))?;
            signal_hook::flag::register_usize(sig, Arc::clone(&stop.signal), sig as usize)?;
            signal_hook::flag::register(sig, Arc::clone(&stop.requested))?;
        }
        Ok(stop)
    }

    /// The signal that asked us to stop, checked after each step (`step` optimizer steps done).
    pub fn requested(&self, step: u64) -> Option<i32> {
        if self.requested.load(Ordering::SeqCst) {
            return Some(self.signal.load(Ordering::SeqCst) as i32);
        }
        match self.after_steps {
            Some(n) if step >= n => Some(SIGINT),
            _ => None,
        }
    }
}

/// The exit code for a run stopped by `signal`.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}
