//! Model stages: run a model at one sweep point and record it.

pub mod neural_mass;
pub mod rate_rnn;
pub mod ring_attractor;
