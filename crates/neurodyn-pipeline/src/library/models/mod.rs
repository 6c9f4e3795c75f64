//! Model stages: run a model at one sweep point and record it.

pub mod branching_network;
pub mod lif_qif_force;
pub mod neural_mass;
pub mod rate_rnn;
pub mod rate_rnn_twins;
pub mod ring_attractor;

use crate::study::{StageDef, Study};

/// The stage `name` of `study`, offered as a kind by a model file here.
///
/// # Panics
/// If the study has no such stage (a fixed fact of the code, tested by the
/// library's tests).
fn study_stage(study: &dyn Study, name: &str) -> StageDef {
    study
        .stages()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("study {} has no stage {name}", study.name()))
}
