//! Escape-time scaling with the input dimension N: a [`ScalingConfig`] expands into one
//! ordinary escape-time config per (target, N), each run by the escape runner (its records
//! stored and reused under `results/<name>/points/<target>-n<N>/`), and the growth of the
//! median escape step with N is fitted per target beside the known online-SGD laws
//! (`ScalingConfig::run`): `scaling.csv`, `plots/scaling.svg` and `report.md`.

mod config;
mod outputs;
pub(crate) mod run;
mod shard;

pub use config::{PowerLaw, ScalingConfig, ScalingTarget};
pub use run::ScalingOutcome;
