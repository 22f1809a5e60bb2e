//! Interrupts: a process-wide request to stop, set by the binary's SIGINT / SIGTERM handler
//! ([`request_interrupt`]) and checked by the runners between steps and units. A stopped run
//! keeps every finished unit (each was written atomically when it finished) and writes
//! nothing of the unit in progress, so a rerun resumes from the finished units.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::ExperimentError;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks every running experiment of this process to stop at its next check.
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn interrupt_requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// [`ExperimentError::Interrupted`] once a stop was requested.
pub(crate) fn check_interrupt() -> Result<(), ExperimentError> {
    if interrupt_requested() {
        Err(ExperimentError::Interrupted)
    } else {
        Ok(())
    }
}
