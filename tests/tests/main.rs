//! The workspace's end-to-end tests, one module per concern, compiled as one test binary.

mod bad_input;
mod config_reference;
mod configs;
mod end_to_end;
mod pretrain;
mod readers;
mod scaling;
mod tidy;
