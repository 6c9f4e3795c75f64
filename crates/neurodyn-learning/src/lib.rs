//! Online learning rules: recursive least squares (and, with the FORCE study,
//! the per-neuron trainer).
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod rls;
