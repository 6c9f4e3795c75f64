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

/// The budget set by [`set_memory_budget`] (0: none set).
static MEMORY_BUDGET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Set the memory one stage instance may use, in bytes (the CLI's
/// `--max-memory`), for pipelines loaded from now on.
pub fn set_memory_budget(bytes: u64) {
    MEMORY_BUDGET.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// Whether [`set_memory_budget`] set the budget.
pub fn memory_budget_is_set() -> bool {
    MEMORY_BUDGET.load(std::sync::atomic::Ordering::Relaxed) > 0
}

/// The memory one stage instance may use at load time: the budget set by
/// [`set_memory_budget`], else the memory the system has available now
/// (`MemAvailable` of /proc/meminfo; unbounded where that cannot be read).
pub fn memory_budget() -> u64 {
    let set = MEMORY_BUDGET.load(std::sync::atomic::Ordering::Relaxed);
    if set > 0 {
        return set;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(u64::MAX, |kb| kb.saturating_mul(1024))
}

/// Bytes in words: `812 MB`, `80.0 GB`.
pub fn human_bytes(b: f64) -> String {
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", (b / 1e6).max(1.0))
    }
}
