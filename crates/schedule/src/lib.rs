//! Learning-rate and checkpoint schedules as pure functions of the step.
//!
//! Steps are counted the way the experiment runner counts them: step 0 is the state before
//! training, and step `t >= 1` is the state after the `t`-th SGD update. A training loop
//! therefore reads
//!
//! ```
//! use goldilocks_schedule::{CosineLrConfig, LearningRateSchedule, StepSchedule};
//!
//! let total = 1_000;
//! let grid = StepSchedule::Log { points: 20, include_zero: true };
//! grid.validate().unwrap();
//! let lr = CosineLrConfig::new(0.1, total).with_warmup_steps(50).with_min_lr(1e-3).init().unwrap();
//! let record_steps = grid.steps(total);
//! assert_eq!(record_steps.first(), Some(&0));
//! assert_eq!(record_steps.last(), Some(&total));
//! for step in 1..=total {
//!     let eta = lr.lr(step); // the learning rate of the update that produces `step`
//!     assert!(eta > 0.0);
//!     // ... one SGD update with `eta`, then record if `grid.contains(step, total)` ...
//! }
//! ```
//!
//! Nothing here performs I/O; every schedule is deserializable from TOML with serde and
//! validated before use ([`StepSchedule::validate`], the `init()` of each learning-rate
//! config), with a [`ScheduleError`] that names the offending field and value.

#![warn(missing_docs)]

mod error;
mod lr;
mod step;

pub use error::ScheduleError;
pub use lr::{
    ConstantLr, ConstantLrConfig, CosineLr, CosineLrConfig, DecayShape, LearningRateSchedule,
    LrSchedule, LrScheduleConfig, StepDecayLr, StepDecayLrConfig, WarmupStableDecayLr,
    WarmupStableDecayLrConfig,
};
pub use step::StepSchedule;
