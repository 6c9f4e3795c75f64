//! Inputs to models: noise processes (and, as studies arrive, spike trains,
//! drives and targets).
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod noise;
