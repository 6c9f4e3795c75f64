//! Model stages: run a model at one sweep point and record it.

pub mod branching_network;
pub mod lif_qif_force;
pub mod neural_mass;
pub mod rate_rnn;
pub mod rate_rnn_twins;
pub mod ring_attractor;

/// Bytes to build and hold a random sparse n x n connectivity with
/// connection probability p: (row, column, weight) triplets (16 bytes) and
/// the CSR matrix (12 bytes) per connection.
pub(crate) fn sparse_bytes(n: f64, p: f64) -> f64 {
    28.0 * p * n * n
}
