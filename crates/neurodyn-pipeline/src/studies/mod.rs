//! The studies neurodyn runs, one module each.

pub mod ring_attractor;

pub(crate) use crate::params::{choice, float, int, int_list, positive};
use crate::study::Study;
pub(crate) use crate::study::{derived, files, recorder};

/// Every study neurodyn knows (the registry: a study is added here and in
/// the module list above).
pub fn all() -> Vec<Box<dyn Study>> {
    vec![Box::new(ring_attractor::RingAttractor)]
}
