//! Inputs to models: noise processes and training targets (and, as studies
//! arrive, spike trains and drives).
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod noise;
pub mod targets;
