//! Model stages: run a model at one sweep point and record it.

pub mod branching_network;
pub mod lif_qif_force;
pub mod neural_mass;
pub mod rate_rnn;
pub mod rate_rnn_twins;
pub mod ring_attractor;
