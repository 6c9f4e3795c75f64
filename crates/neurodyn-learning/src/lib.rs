//! Online learning rules: recursive least squares with a global `P` ([`rls`]) and
//! per neuron over each neuron's presynaptic inputs ([`force`], the FORCE
//! trainer's hot loop), and the FORCE trainer that drives a spiking network
//! with them ([`trainer`]).
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod force;
pub mod rls;
pub mod trainer;
