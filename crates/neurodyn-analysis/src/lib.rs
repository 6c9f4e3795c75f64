//! Analyses of simulated (or recorded) activity: plain slices in, numbers out.
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod avalanche;
pub mod branching_ratio;
pub mod bump;
pub mod dimensionality;
pub mod fc;
pub mod lyapunov;
pub mod motifs;
pub mod optimize;
pub mod powerlaw;
pub mod spectrum;
pub mod stats;
pub mod tail;
pub mod zeta;
