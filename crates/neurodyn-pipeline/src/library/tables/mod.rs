//! Table stages: one table across the sweep.

pub mod avalanche;
pub mod collect;
pub mod fi_curves;
pub mod force;
pub mod lyapunov;
pub mod neural_mass;
pub mod ring;
