//! Inputs to models: noise processes, training targets, Poisson spike
//! trains and oriented stimuli.
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod noise;
pub mod oriented;
pub mod poisson;
pub mod targets;
