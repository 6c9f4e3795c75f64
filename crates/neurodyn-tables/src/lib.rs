//! Derived tables across a sweep, with polars: scan a stage's hive-partitioned
//! Parquet files as one table, aggregate, and write summary tables atomically
//! with neurodyn's file metadata.
//!
//! polars lives only in this crate; everything else hands data over through
//! Parquet files.
#![warn(missing_docs)]

pub mod branching_avalanches;
pub mod decimate;
pub mod force_motifs;
pub mod ring_attractor;
pub mod rnn_chaos;
pub mod sweep;
pub mod units;
pub mod user_data;
pub mod whole_brain;

use std::fmt;
use std::path::Path;

use neurodyn_io::FileMeta;
use polars::prelude::*;

/// A labelled curve or point set for a figure: `(label, x, y)`.
pub type Labelled = (String, Vec<f64>, Vec<f64>);

/// A failed derivation, naming the file or stage it concerns.
#[derive(Debug)]
pub struct TableError(pub String);

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TableError {}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, TableError>;

pub(crate) fn ctx<T>(r: PolarsResult<T>, what: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|e| TableError(format!("{}: {e}", what())))
}

/// A per-point table across the sweep: the hive-partitioned dataset
/// `<stage_dir>/<table>/` that a stage wrote, one file per sweep point.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The writing stage's folder.
    pub stage_dir: std::path::PathBuf,
    /// The table's name.
    pub table: String,
}

impl Dataset {
    /// A lazy scan of every point's file, with the sweep keys as columns.
    pub fn scan(&self) -> Result<LazyFrame> {
        scan_stage(&self.stage_dir, &self.table)
    }
}

/// A table of a PerPoint stage across the sweep (`<stage>/<table>/<k>_<v>/…`)
/// as one lazy table; every file holds its sweep keys as columns.
pub fn scan_stage(stage_dir: &Path, table: &str) -> Result<LazyFrame> {
    let pattern = stage_dir
        .join(table)
        .join("**")
        .join(format!("{table}.parquet"));
    let path = ctx(PlRefPath::try_from_path(&pattern), || {
        format!("{}", pattern.display())
    })?;
    let args = ScanArgsParquet {
        // the keys are in the files, typed; the folder names are not hive's
        hive_options: HiveOptions {
            enabled: Some(false),
            hive_start_idx: 0,
            schema: None,
            try_parse_dates: false,
        },
        glob: true,
        ..Default::default()
    };
    ctx(LazyFrame::scan_parquet(path, args), || {
        format!("scanning {}", pattern.display())
    })
}

/// Scan one Parquet file.
pub fn scan_file(path: &Path) -> Result<LazyFrame> {
    let p = ctx(PlRefPath::try_from_path(path), || {
        format!("{}", path.display())
    })?;
    // One file, read as it is: no partition columns from its folder names
    // (and no type inference on them).
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(false),
            hive_start_idx: 0,
            schema: None,
            try_parse_dates: false,
        },
        ..Default::default()
    };
    ctx(LazyFrame::scan_parquet(p, args), || {
        format!("scanning {}", path.display())
    })
}

/// Collect a lazy table, naming `what` in errors.
pub fn collect(lf: LazyFrame, what: &str) -> Result<DataFrame> {
    ctx(lf.collect(), || format!("deriving {what}"))
}

/// Write `df` to `path` atomically, with neurodyn's key-value metadata.
/// Returns the number of rows.
pub fn write_table(df: &mut DataFrame, path: &Path, meta: &FileMeta) -> Result<u64> {
    let mut file = neurodyn_io::atomic::AtomicFile::create(path)
        .map_err(|e| TableError(format!("{}: {e}", path.display())))?;
    let rows = df.height() as u64;
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    // once: the units come from a walk over the pipeline's per-point tables
    let kv = key_values(meta, &columns, path);
    ctx(parquet_writer(file.file(), &kv).finish(df), || {
        format!("writing {}", path.display())
    })?;
    arrow_footer(file.temp_path(), &kv)?;
    file.commit()
        .map_err(|e| TableError(format!("{}: {e}", path.display())))?;
    Ok(rows)
}

/// A Parquet writer with neurodyn's settings: Zstandard, and the
/// key-value metadata `kv` (from [`key_values`]).
pub(crate) fn parquet_writer<W: std::io::Write>(w: W, kv: &[(String, String)]) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv.to_vec())))
}

/// The footer of a file polars wrote, made as the recorder writes its
/// own: plain string types, and the provenance `kv` in the Arrow schema.
pub(crate) fn arrow_footer(temp: &Path, kv: &[(String, String)]) -> Result<()> {
    let metadata = kv.iter().cloned().collect();
    neurodyn_io::arrow_schema_metadata(temp, &metadata)
        .map_err(|e| TableError(format!("{}: {e}", temp.display())))
}

/// `meta`'s key-value metadata, with the units of `columns`: for a table
/// across the sweep (`<pipeline>/tables/<name>.parquet`) those of the
/// pipeline's per-point columns it derives from, else as the names say.
pub(crate) fn key_values(
    meta: &FileMeta,
    columns: &[String],
    path: &Path,
) -> Vec<(String, String)> {
    let known = match path.parent() {
        Some(t) if t.file_name().is_some_and(|n| n == "tables") => {
            t.parent().map(units::per_point_units).unwrap_or_default()
        }
        _ => Default::default(),
    };
    let fields = columns
        .iter()
        .map(|c| {
            neurodyn_core::Field::new(
                c,
                neurodyn_core::ColumnType::F64,
                units::unit_of(c, &known).as_deref(),
            )
        })
        .collect();
    let schema = neurodyn_core::TableSchema::new("", fields);
    meta.key_values(&schema).into_iter().collect()
}

/// Numeric columns of a Parquet file as f64 (nulls as None), for figures.
pub fn read_f64_columns(path: &Path, columns: &[&str]) -> Result<Vec<Vec<Option<f64>>>> {
    let exprs: Vec<Expr> = columns
        .iter()
        .map(|c| col(*c).cast(DataType::Float64))
        .collect();
    let what = path.display().to_string();
    let df = collect(scan_file(path)?.select(exprs), &what)?;
    columns.iter().map(|c| f64_column(&df, c, &what)).collect()
}

/// A column of a Parquet file as text (numbers printed as polars prints
/// them; nulls as None), for legends.
pub fn read_text_column(path: &Path, name: &str) -> Result<Vec<Option<String>>> {
    let what = path.display().to_string();
    let df = collect(
        scan_file(path)?.select([col(name).cast(DataType::String)]),
        &what,
    )?;
    let c = df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(|e| TableError(format!("{what}: column {name}: {e}")))?;
    Ok(c.iter().map(|s| s.map(str::to_string)).collect())
}

/// A numeric column of a collected table as f64 (nulls as None); `what`
/// names the table in errors.
pub fn f64_column(df: &DataFrame, name: &str, what: &str) -> Result<Vec<Option<f64>>> {
    let s = ctx(
        df.column(name).and_then(|c| c.cast(&DataType::Float64)),
        || format!("{what}: column {name}"),
    )?;
    let ca = ctx(s.f64(), || format!("{what}: column {name}"))?;
    Ok(ca.iter().collect())
}

/// A string column of a collected table (nulls as empty strings); `what`
/// names the table in errors.
pub fn str_column(df: &DataFrame, name: &str, what: &str) -> Result<Vec<String>> {
    let c = df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(|e| TableError(format!("{what}: column {name}: {e}")))?;
    Ok(c.iter().map(|s| s.unwrap_or("").to_string()).collect())
}
