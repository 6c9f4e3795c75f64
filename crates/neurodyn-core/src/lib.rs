//! The vocabulary of neurodyn: the time grid, seeds and per-task generator
//! derivation, the push-model [`Recorder`] a simulation streams into, the
//! structural [`Connectome`] of whole-brain networks, and the shared error
//! type.
//!
//! This crate does no IO and knows nothing of Arrow, Parquet, polars or TOML.
#![warn(missing_docs)]

pub mod background;
pub mod connectome;
pub mod contracts;
pub mod drive;
pub mod error;
pub mod record;
pub mod seed;
pub mod time;

pub use background::BackgroundRecorder;
pub use connectome::Connectome;
pub use drive::{ActivityRows, DriveOptions, Dynamics, NonFinite, Simulation, drive, simulate};
pub use error::{Error, Result};
pub use record::{
    Column, ColumnType, Field, MemoryRecorder, NullRecorder, OwnedColumn, Recorder, TableId,
    TableSchema,
};
pub use seed::{Rng, Seed};
pub use time::TimeGrid;

/// The version of neurodyn written into every output file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
