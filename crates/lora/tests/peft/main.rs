//! Integration tests of PEFT compatibility (one test binary):
//!
//! - `fixture`: an adapter written by PEFT 0.21.0 loads into the same model built in burn and
//!   reproduces PEFT's outputs;
//! - `round_trip`: burn -> PEFT files -> burn preserves outputs;
//! - `python`: Python reads the files burn writes, with numpy + safetensors (required in CI)
//!   and with torch + PEFT (where installed).

mod common;
mod fixture;
mod python;
mod round_trip;
