//! Reading Parquet files written by [`crate::ParquetRecorder`] back into
//! memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::reader::{FileReader, SerializedFileReader};

use neurodyn_core::OwnedColumn;
use neurodyn_core::{ColumnType, Error, Field, Result, TableSchema, record::MemoryTable};

use crate::meta::{KEY_PARAMS, KEY_UNITS, parse_units};
use crate::{other_io, parquet_io};

/// Read a whole Parquet file into a [`MemoryTable`].
///
/// The table is named after the file stem (`spikes.parquet` -> `spikes`);
/// field units come from the `neurodyn.units` metadata when present. Columns
/// must be `UInt32`, `Int64`, `Float64`, `Boolean` or a string type
/// (`Utf8`, `LargeUtf8`, `Utf8View`), non-null except floats, whose nulls
/// are read as NaN (as pandas does). The whole table is loaded: meant for
/// tests and small tables, not for streaming large ones.
pub fn read_table(path: &Path) -> Result<MemoryTable> {
    let mut whole: Option<MemoryTable> = None;
    for_each_batch(path, |batch| {
        match &mut whole {
            None => whole = Some(batch.clone()),
            Some(t) => {
                for (c, b) in t.columns.iter_mut().zip(&batch.columns) {
                    c.append(b);
                }
            }
        }
        Ok(())
    })?;
    match whole {
        Some(t) => Ok(t),
        None => {
            let (fields, _) = open(path)?;
            let columns = fields.iter().map(|f| OwnedColumn::empty(f.ty)).collect();
            Ok(MemoryTable {
                schema: TableSchema {
                    name: table_name(path),
                    fields,
                },
                columns,
            })
        }
    }
}

fn table_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

type Reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader;

fn open(path: &Path) -> Result<(Vec<Field>, Reader)> {
    open_where(path, &[])
}

/// A value a column must equal, for [`for_each_batch_where`].
#[derive(Debug, Clone, PartialEq)]
pub enum Equal<'a> {
    /// A float column.
    F64(&'a str, f64),
    /// A string column.
    Str(&'a str, &'a str),
}

/// Whether a row group's statistics leave room for a row where every
/// condition of `equal` holds (a row group without statistics for a
/// column may).
fn may_hold(rg: &parquet::file::metadata::RowGroupMetaData, equal: &[Equal]) -> bool {
    use parquet::file::statistics::Statistics;
    equal.iter().all(|cond| {
        let name = match cond {
            Equal::F64(c, _) | Equal::Str(c, _) => *c,
        };
        let Some(chunk) = rg
            .columns()
            .iter()
            .find(|c| c.column_path().string() == name)
        else {
            return true;
        };
        match (cond, chunk.statistics()) {
            // a NaN bound (a writer that lets NaN into its statistics)
            // excludes nothing
            (Equal::F64(_, v), Some(Statistics::Double(s))) => match (s.min_opt(), s.max_opt()) {
                (Some(lo), Some(hi)) => lo.is_nan() || hi.is_nan() || (lo <= v && v <= hi),
                _ => true,
            },
            (Equal::Str(_, v), Some(Statistics::ByteArray(s))) => {
                match (s.min_opt(), s.max_opt()) {
                    (Some(lo), Some(hi)) => lo.data() <= v.as_bytes() && v.as_bytes() <= hi.data(),
                    _ => true,
                }
            }
            _ => true,
        }
    })
}

fn open_where(path: &Path, equal: &[Equal]) -> Result<(Vec<Field>, Reader)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_io(path, e))?;
    if !equal.is_empty() {
        let keep: Vec<usize> = (0..builder.metadata().num_row_groups())
            .filter(|&i| may_hold(builder.metadata().row_group(i), equal))
            .collect();
        builder = builder.with_row_groups(keep);
    }
    let key_values = to_map(builder.metadata().file_metadata().key_value_metadata());
    let units = match key_values.get(KEY_UNITS) {
        Some(json) => {
            parse_units(json).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?
        }
        None => BTreeMap::new(),
    };
    let mut fields = Vec::new();
    for f in builder.schema().fields() {
        let ty = column_type(f.data_type()).ok_or_else(|| {
            Error::Other(format!(
                "{}: column `{}` has Arrow type {}, which neurodyn tables do not use",
                path.display(),
                f.name(),
                f.data_type()
            ))
        })?;
        fields.push(Field::new(
            f.name(),
            ty,
            units.get(f.name()).map(String::as_str),
        ));
    }
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| parquet_io(path, e))?;
    Ok((fields, reader))
}

/// Rows per batch handed to [`for_each_batch`].
pub const BATCH_ROWS: usize = 65_536;

/// Stream a Parquet file batch by batch (at most [`BATCH_ROWS`] rows each),
/// each as a [`MemoryTable`]: memory is bounded by one batch, whatever the
/// file's size. Same column rules as [`read_table`].
pub fn for_each_batch(path: &Path, f: impl FnMut(&MemoryTable) -> Result<()>) -> Result<()> {
    for_each_batch_where(path, &[], f)
}

/// [`for_each_batch`] over the row groups whose statistics leave room for
/// rows where every condition of `equal` holds: the others are not read.
/// The batches may still hold other rows; the caller filters them.
pub fn for_each_batch_where(
    path: &Path,
    equal: &[Equal],
    mut f: impl FnMut(&MemoryTable) -> Result<()>,
) -> Result<()> {
    let (fields, reader) = open_where(path, equal)?;
    let name = table_name(path);
    for batch in reader {
        let batch = batch.map_err(|e| other_io(path, e))?;
        let mut columns: Vec<OwnedColumn> =
            fields.iter().map(|fl| OwnedColumn::empty(fl.ty)).collect();
        for ((array, column), field) in batch.columns().iter().zip(&mut columns).zip(&fields) {
            if array.null_count() > 0 && field.ty != ColumnType::F64 {
                return Err(Error::Other(format!(
                    "{}: column `{}` has null values",
                    path.display(),
                    field.name
                )));
            }
            extend(column, array.as_ref());
        }
        f(&MemoryTable {
            schema: TableSchema {
                name: name.clone(),
                fields: fields.clone(),
            },
            columns,
        })?;
    }
    Ok(())
}

/// The file's key-value metadata (the `neurodyn.*` keys, and others such as
/// `ARROW:schema`). Only the footer is read.
pub fn read_key_value_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_io(path, e))?;
    Ok(to_map(
        reader.metadata().file_metadata().key_value_metadata(),
    ))
}

/// The columns of a Parquet file as `(name, type)`, the type in the words
/// of `docs/tables.md` (`u32`, `u64`, `i32`, `i64`, `f32`, `f64`, `bool`,
/// `string`; other Arrow types by their Arrow name), whoever wrote it
/// (the recorder or polars). For checking documentation against files.
pub fn read_schema(path: &Path) -> Result<Vec<(String, String)>> {
    use arrow::datatypes::DataType as D;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_io(path, e))?;
    Ok(builder
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let ty = match f.data_type() {
                D::UInt32 => "u32".to_string(),
                D::UInt64 => "u64".to_string(),
                D::Int32 => "i32".to_string(),
                D::Int64 => "i64".to_string(),
                D::Float32 => "f32".to_string(),
                D::Float64 => "f64".to_string(),
                D::Boolean => "bool".to_string(),
                D::Utf8 | D::LargeUtf8 | D::Utf8View => "string".to_string(),
                D::Dictionary(_, v) if matches!(**v, D::Utf8 | D::LargeUtf8 | D::Utf8View) => {
                    "string".to_string()
                }
                other => other.to_string(),
            };
            (f.name().clone(), ty)
        })
        .collect())
}

/// The parameters of the stage that wrote `path`: its `neurodyn.params`
/// metadata as JSON (what a table contract promises readers, such as the
/// time step of a spikes table).
pub fn read_params(path: &Path) -> Result<serde_json::Value> {
    let kv = read_key_value_metadata(path)?;
    let json = kv
        .get(KEY_PARAMS)
        .ok_or_else(|| Error::Other(format!("{}: no `{KEY_PARAMS}` metadata", path.display())))?;
    serde_json::from_str(json)
        .map_err(|e| Error::Other(format!("{}: `{KEY_PARAMS}`: {e}", path.display())))
}

fn to_map(kv: Option<&Vec<KeyValue>>) -> BTreeMap<String, String> {
    kv.into_iter()
        .flatten()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

/// The column type an Arrow type is read as.
fn column_type(dt: &DataType) -> Option<ColumnType> {
    Some(match dt {
        DataType::UInt32 => ColumnType::U32,
        DataType::Int64 => ColumnType::I64,
        DataType::Float64 => ColumnType::F64,
        DataType::Boolean => ColumnType::Bool,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnType::Str,
        _ => return None,
    })
}

/// Append an array to its column (float nulls become NaN; other columns were
/// checked null-free); the column was made from the schema's type, which
/// every batch of the file has.
fn extend(column: &mut OwnedColumn, array: &dyn Array) {
    match column {
        OwnedColumn::U32(v) => v.extend_from_slice(array.as_primitive::<UInt32Type>().values()),
        OwnedColumn::I64(v) => v.extend_from_slice(array.as_primitive::<Int64Type>().values()),
        OwnedColumn::F64(v) => {
            let a = array.as_primitive::<Float64Type>();
            if a.null_count() == 0 {
                v.extend_from_slice(a.values());
            } else {
                v.extend(a.iter().map(|x| x.unwrap_or(f64::NAN)));
            }
        }
        OwnedColumn::Bool(v) => v.extend(array.as_boolean().values().iter()),
        OwnedColumn::Str(v) => match array.data_type() {
            DataType::Utf8 => v.extend(
                array
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_string),
            ),
            DataType::LargeUtf8 => v.extend(
                array
                    .as_string::<i64>()
                    .iter()
                    .flatten()
                    .map(str::to_string),
            ),
            _ => v.extend(array.as_string_view().iter().flatten().map(str::to_string)),
        },
    }
}
