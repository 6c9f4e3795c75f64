//! [`arrow_schema_metadata`]: give a Parquet file written by another writer
//! (polars, for the tables across the sweep) the Arrow schema that pyarrow,
//! pandas and polars users read: plain `Utf8` strings, not `Utf8View`, and
//! the `neurodyn.*` provenance as the schema's metadata. Only the footer is
//! rewritten; the data pages are not touched.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use arrow::datatypes::{DataType, Field as ArrowField, Schema};
use parquet::arrow::{ARROW_SCHEMA_META_KEY, encode_arrow_schema, parquet_to_arrow_schema};
use parquet::file::metadata::{
    FileMetaData, KeyValue, ParquetMetaDataBuilder, ParquetMetaDataReader, ParquetMetaDataWriter,
};

use neurodyn_core::{Error, Result};

use crate::{other_io, parquet_io};

/// A string or binary view type as its plain type (the bytes on disk are
/// the same; only the Arrow reader's choice of array differs).
fn plain(f: &ArrowField) -> ArrowField {
    match f.data_type() {
        DataType::Utf8View => f.clone().with_data_type(DataType::Utf8),
        DataType::BinaryView => f.clone().with_data_type(DataType::Binary),
        _ => f.clone(),
    }
}

/// Rewrite the footer of the Parquet file at `path` (an unpublished
/// temporary file) so that its Arrow schema carries `metadata` and plain
/// string types; its key-value metadata keeps every other entry.
pub fn arrow_schema_metadata(path: &Path, metadata: &HashMap<String, String>) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let md = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| parquet_io(path, e))?;
    let fm = md.file_metadata();
    let kv: Vec<KeyValue> = fm.key_value_metadata().cloned().unwrap_or_default();
    let schema =
        parquet_to_arrow_schema(fm.schema_descr(), Some(&kv)).map_err(|e| parquet_io(path, e))?;
    let schema = Schema::new_with_metadata(
        schema.fields().iter().map(|f| plain(f)).collect::<Vec<_>>(),
        metadata.clone(),
    );
    let mut kv: Vec<KeyValue> = kv
        .into_iter()
        .filter(|e| e.key != ARROW_SCHEMA_META_KEY)
        .collect();
    kv.push(KeyValue::new(
        ARROW_SCHEMA_META_KEY.to_string(),
        encode_arrow_schema(&schema),
    ));
    let new_fm = FileMetaData::new(
        fm.version(),
        fm.num_rows(),
        fm.created_by().map(str::to_string),
        Some(kv),
        fm.schema_descr_ptr(),
        fm.column_orders().cloned(),
    );
    let new_md = ParquetMetaDataBuilder::new(new_fm)
        .set_row_groups(md.row_groups().to_vec())
        .build();
    // the footer: [metadata][its length, u32 LE]["PAR1"]
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| Error::io(path, e))?;
    if &tail[4..] != b"PAR1" {
        return Err(other_io(path, "not a Parquet file (no PAR1 at its end)"));
    }
    let footer = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    let start = len
        .checked_sub(8 + footer)
        .ok_or_else(|| other_io(path, "its footer is longer than the file"))?;
    f.set_len(start).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::End(0)).map_err(|e| Error::io(path, e))?;
    ParquetMetaDataWriter::new(&mut f, &new_md)
        .finish()
        .map_err(|e| parquet_io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}
