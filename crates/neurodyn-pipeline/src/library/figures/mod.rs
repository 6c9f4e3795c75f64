//! Figure stages: draw tables across the sweep.

pub mod avalanche;
pub mod force;
pub mod line_plot;
pub mod lyapunov;
pub mod neural_mass;
pub mod ring;
