//! Neuron and network models. One module per model: validated parameters,
//! state, and a step; simulations push their recordings into a
//! [`neurodyn_core::Recorder`].
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod bold;
pub mod branching;
pub mod display;
pub mod izhikevich;
pub mod layered;
pub mod lif_qif;
pub mod math;
pub mod network;
pub mod neural_mass;
pub mod random_graph;
pub mod rate_network;
pub mod rate_rnn;
pub mod ring;
pub mod sparse;

pub use sparse::Csr;
