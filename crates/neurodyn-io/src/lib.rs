//! File output of neurodyn: atomic file replacement, Parquet tables with
//! provenance metadata, and connectome files.
//!
//! - [`atomic`]: [`AtomicFile`](atomic::AtomicFile), [`write_atomic`](atomic::write_atomic)
//!   and [`remove_stale_temps`](atomic::remove_stale_temps): output becomes
//!   visible complete or not at all.
//! - [`ParquetRecorder`]: the [`neurodyn_core::Recorder`] writing one Parquet
//!   file per table, with memory bounded by one row group per table.
//! - [`FileMeta`] and [`meta`]: the `neurodyn.*` key-value metadata of every file.
//! - [`read_table`] and [`read_key_value_metadata`]: reading such files back.
//! - [`connectome`]: structural connectomes from and to The Virtual Brain's
//!   connectivity zip ([`read_tvb_zip`](connectome::read_tvb_zip),
//!   [`write_tvb_zip`](connectome::write_tvb_zip)) and CSV/TSV matrices
//!   ([`read_matrix_csv`](connectome::read_matrix_csv),
//!   [`write_matrix_csv`](connectome::write_matrix_csv)).
//!
//! Errors are [`neurodyn_core::Error`]; those from the file system, Arrow or
//! Parquet are [`Error::Io`] naming the file.
#![warn(missing_docs)]

pub use neurodyn_atomic as atomic;
pub mod connectome;
mod footer;
pub mod meta;
mod read;
mod recorder;
mod zip;

use std::path::Path;

use neurodyn_core::Error;

pub use footer::arrow_schema_metadata;
pub use meta::FileMeta;
pub use read::{
    Equal, for_each_batch, for_each_batch_where, read_key_value_metadata, read_params, read_schema,
    read_table,
};
pub use recorder::{Compression, KeyValue, ParquetRecorder, RecorderOptions, SweepKey, arrow_type};

/// A Parquet failure concerning `path`, as [`Error::Io`].
fn parquet_io(path: &Path, e: parquet::errors::ParquetError) -> Error {
    other_io(path, e)
}

/// Any library failure concerning `path`, as [`Error::Io`].
fn other_io<E>(path: &Path, e: E) -> Error
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Error::io(path, std::io::Error::other(e))
}

#[cfg(test)]
mod tests;
