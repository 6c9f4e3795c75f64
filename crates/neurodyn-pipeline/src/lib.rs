//! Pipelines: pipeline files (parsed with positions, composed of the stage
//! library's kinds and validated against their declared parameters), the
//! DAG of stage instances with their fingerprints, and the incremental,
//! parallel runner.
//!
//! Only this crate knows pipeline files. Nothing here prints to stdout;
//! progress goes to stderr.
#![warn(missing_docs)]

mod compose;
pub mod library;
pub mod load;
pub mod params;
mod progress;
pub mod runner;
pub mod spec;
pub mod study;
pub mod typed;

pub use load::Pipeline;
pub use runner::{Dealer, Plan, Run, RunOptions, RunReport, Status};
pub use spec::SpecError;

use std::fmt;

/// What can go wrong when running a pipeline.
#[derive(Debug)]
pub enum PipelineError {
    /// The pipeline file is wrong (exit code 2).
    Spec(SpecError),
    /// A library error (model, recorder, IO).
    Core(neurodyn_core::Error),
    /// A table derivation failed.
    Table(String),
    /// A figure could not be drawn.
    Plot(String),
    /// Anything else, worded for the user.
    Other(String),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Spec(e) => e.fmt(f),
            PipelineError::Core(e) => e.fmt(f),
            PipelineError::Table(m) => write!(f, "table: {m}"),
            PipelineError::Plot(m) => write!(f, "figure: {m}"),
            PipelineError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PipelineError {}

impl From<SpecError> for PipelineError {
    fn from(e: SpecError) -> Self {
        PipelineError::Spec(e)
    }
}

impl From<neurodyn_core::Error> for PipelineError {
    fn from(e: neurodyn_core::Error) -> Self {
        PipelineError::Core(e)
    }
}

impl From<neurodyn_tables::TableError> for PipelineError {
    fn from(e: neurodyn_tables::TableError) -> Self {
        PipelineError::Table(e.to_string())
    }
}

impl From<neurodyn_plot::PlotError> for PipelineError {
    fn from(e: neurodyn_plot::PlotError) -> Self {
        PipelineError::Plot(e.to_string())
    }
}
