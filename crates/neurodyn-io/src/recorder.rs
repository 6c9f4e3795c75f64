//! [`ParquetRecorder`]: the push-model [`Recorder`] writing one Parquet file
//! per table, with bounded memory and atomic publication.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use parquet::schema::types::ColumnPath;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, UInt32Array, new_null_array,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field as ArrowField, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::metadata::KeyValue as ParquetKeyValue;
use parquet::file::properties::WriterProperties;

use neurodyn_core::{
    Column, ColumnType, Error, Recorder, Result, TableId, TableSchema, record::check_columns,
};

use crate::atomic::AtomicFile;
use crate::meta::FileMeta;
use crate::{other_io, parquet_io};

/// Compression codec of the Parquet column chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression.
    Uncompressed,
    /// Snappy: fast, moderate ratio.
    Snappy,
    /// Zstandard at the given level (1 is fast with a good ratio; up to 22).
    Zstd(i32),
}

impl Default for Compression {
    /// Zstandard level 1.
    fn default() -> Self {
        Compression::Zstd(1)
    }
}

impl Compression {
    fn to_parquet(self) -> Result<ParquetCompression> {
        Ok(match self {
            Compression::Uncompressed => ParquetCompression::UNCOMPRESSED,
            Compression::Snappy => ParquetCompression::SNAPPY,
            Compression::Zstd(level) => ParquetCompression::ZSTD(
                ZstdLevel::try_new(level)
                    .map_err(|e| Error::invalid("compression zstd level", level, &e.to_string()))?,
            ),
        })
    }
}

/// Settings of a [`ParquetRecorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderOptions {
    /// Rows per row group, and the size of each table's buffer: memory per
    /// table is bounded by this many rows (at least 1).
    pub row_group_rows: usize,
    /// Codec of the column chunks.
    pub compression: Compression,
}

impl Default for RecorderOptions {
    /// 65 536 rows per row group, Zstandard level 1.
    fn default() -> Self {
        RecorderOptions {
            row_group_rows: 65_536,
            compression: Compression::default(),
        }
    }
}

/// The Arrow type a column type is written as (all columns non-nullable).
pub fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::U32 => DataType::UInt32,
        ColumnType::I64 => DataType::Int64,
        ColumnType::F64 => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Str => DataType::Utf8,
    }
}

/// One column's pending rows, typed.
#[derive(Debug)]
enum ColumnBuffer {
    U32(Vec<u32>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    /// Arrow's `Utf8` layout: `offsets` starts with 0, one more entry than rows.
    Str {
        offsets: Vec<i32>,
        values: Vec<u8>,
    },
}

impl ColumnBuffer {
    fn new(ty: ColumnType, capacity: usize) -> Self {
        match ty {
            ColumnType::U32 => ColumnBuffer::U32(Vec::with_capacity(capacity)),
            ColumnType::I64 => ColumnBuffer::I64(Vec::with_capacity(capacity)),
            ColumnType::F64 => ColumnBuffer::F64(Vec::with_capacity(capacity)),
            ColumnType::Bool => ColumnBuffer::Bool(Vec::with_capacity(capacity)),
            ColumnType::Str => {
                let mut offsets = Vec::with_capacity(capacity + 1);
                offsets.push(0);
                ColumnBuffer::Str {
                    offsets,
                    values: Vec::new(),
                }
            }
        }
    }

    fn ty(&self) -> ColumnType {
        match self {
            ColumnBuffer::U32(_) => ColumnType::U32,
            ColumnBuffer::I64(_) => ColumnType::I64,
            ColumnBuffer::F64(_) => ColumnType::F64,
            ColumnBuffer::Bool(_) => ColumnType::Bool,
            ColumnBuffer::Str { .. } => ColumnType::Str,
        }
    }

    /// Whether `c[rows]` fits (string bytes of one row group must stay
    /// below 2 GiB, the limit of Arrow's 32-bit offsets).
    fn fits(&self, c: &Column<'_>, rows: Range<usize>) -> bool {
        match (self, c) {
            (ColumnBuffer::Str { values, .. }, Column::Str(s)) => {
                let added: usize = s[rows].iter().map(|s| s.len()).sum();
                values.len() + added <= i32::MAX as usize
            }
            _ => true,
        }
    }

    /// Append `c[rows]`; the types were checked by `check_columns` and the
    /// size by [`ColumnBuffer::fits`].
    fn extend(&mut self, c: &Column<'_>, rows: Range<usize>) {
        match (self, c) {
            (ColumnBuffer::U32(b), Column::U32(v)) => b.extend_from_slice(&v[rows]),
            (ColumnBuffer::I64(b), Column::I64(v)) => b.extend_from_slice(&v[rows]),
            (ColumnBuffer::F64(b), Column::F64(v)) => b.extend_from_slice(&v[rows]),
            (ColumnBuffer::Bool(b), Column::Bool(v)) => b.extend_from_slice(&v[rows]),
            (ColumnBuffer::Str { offsets, values }, Column::Str(v)) => {
                for s in &v[rows] {
                    values.extend_from_slice(s.as_bytes());
                    // Cannot truncate: `fits` bounded `values.len()` by i32::MAX.
                    offsets.push(values.len() as i32);
                }
            }
            _ => unreachable!("column types are checked by check_columns"),
        }
    }

    /// Move the pending rows into an Arrow array, leaving an empty buffer
    /// with room for `capacity` rows.
    fn take(&mut self, capacity: usize) -> Result<ArrayRef> {
        let full = std::mem::replace(self, ColumnBuffer::new(self.ty(), capacity));
        Ok(match full {
            ColumnBuffer::U32(v) => Arc::new(UInt32Array::new(ScalarBuffer::from(v), None)),
            ColumnBuffer::I64(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v), None)),
            ColumnBuffer::F64(v) => Arc::new(Float64Array::new(ScalarBuffer::from(v), None)),
            ColumnBuffer::Bool(v) => Arc::new(BooleanArray::from(v)),
            ColumnBuffer::Str { offsets, values } => Arc::new(
                StringArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from_vec(values),
                    None,
                )
                .map_err(|e| Error::Other(format!("building a string column: {e}")))?,
            ),
        })
    }
}

/// The value of a sweep key, written into every row of a partitioned
/// recorder's tables as a nullable column of its own type.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// An integer axis (Arrow Int64); None: null at this point.
    Int(Option<i64>),
    /// A float axis (Float64).
    Float(Option<f64>),
    /// A choice axis (Utf8).
    Str(Option<String>),
}

/// A sweep key: the column name and this point's value.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepKey {
    /// Column name (the axis).
    pub name: String,
    /// Its unit, if any (in the file's `neurodyn.units`).
    pub unit: Option<String>,
    /// Value at this point.
    pub value: KeyValue,
}

impl SweepKey {
    fn arrow_field(&self) -> ArrowField {
        let ty = match self.value {
            KeyValue::Int(_) => DataType::Int64,
            KeyValue::Float(_) => DataType::Float64,
            KeyValue::Str(_) => DataType::Utf8,
        };
        // nullable in every file, so that a dataset's files agree on the
        // schema whether or not their point is null
        ArrowField::new(&self.name, ty, true)
    }

    /// The column of `rows` copies of the value.
    fn array(&self, rows: usize) -> ArrayRef {
        match &self.value {
            KeyValue::Int(Some(v)) => Arc::new(Int64Array::from(vec![*v; rows])),
            KeyValue::Float(Some(v)) => Arc::new(Float64Array::from(vec![*v; rows])),
            KeyValue::Str(Some(v)) => Arc::new(StringArray::from(vec![v.as_str(); rows])),
            _ => new_null_array(self.arrow_field().data_type(), rows),
        }
    }
}

/// One declared table: its buffer and its open file.
#[derive(Debug)]
struct Table {
    schema: TableSchema,
    arrow_schema: SchemaRef,
    /// Final path, `<dir>/<name>.parquet`.
    path: PathBuf,
    buffers: Vec<ColumnBuffer>,
    /// Sweep keys written before the table's own columns.
    keys: Vec<SweepKey>,
    /// Rows in `buffers`.
    buffered: usize,
    /// Rows appended in total.
    rows: u64,
    /// `None` after a failure or once the file is closed.
    writer: Option<ArrowWriter<AtomicFile>>,
}

impl Table {
    /// Write the buffered rows as exactly one row group (nothing if empty),
    /// leaving empty buffers with room for `capacity` rows.
    fn write_buffer(&mut self, capacity: usize) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let rows = self.buffered;
        let arrays = self
            .keys
            .iter()
            .map(|k| Ok(k.array(rows)))
            .chain(self.buffers.iter_mut().map(|b| b.take(capacity)))
            .collect::<Result<Vec<_>>>()?;
        self.buffered = 0;
        let batch = RecordBatch::try_new(Arc::clone(&self.arrow_schema), arrays)
            .map_err(|e| other_io(&self.path, e))?;
        let writer = self.writer.as_mut().ok_or_else(|| closed(&self.path))?;
        writer
            .write(&batch)
            .and_then(|()| writer.flush())
            .map_err(|e| parquet_io(&self.path, e))
    }
}

fn closed(path: &Path) -> Error {
    Error::Record(format!("{} is already closed", path.display()))
}

/// Where the recorder is in its life.
#[derive(Debug)]
enum State {
    Open,
    Finished,
    /// A write failed; the message of the first failure.
    Failed(String),
}

/// A [`Recorder`] writing each declared table to `<dir>/<table name>.parquet`.
///
/// Rows are buffered per table as typed vectors; whenever a table's buffer
/// holds [`RecorderOptions::row_group_rows`] rows it is written as one row
/// group, so memory is bounded by the buffers, not by the run. Columns are
/// non-nullable Arrow `UInt32`, `Int64`, `Float64`, `Boolean` and `Utf8`.
/// Every file carries the [`FileMeta`] provenance under the `neurodyn.*`
/// key-value metadata keys (see [`crate::meta`]).
///
/// Files are written under hidden temporary names (see [`AtomicFile`]) and
/// renamed into place only by a successful [`Recorder::finish`]. A recorder
/// dropped before that (an error, a panic), or one whose writes failed,
/// leaves no new `.parquet` file and removes its temporary files; existing
/// files of an earlier run at the same paths stay as they were.
///
/// ```
/// use neurodyn_core::{Column, ColumnType, Field, Recorder, TableSchema};
/// use neurodyn_io::{FileMeta, ParquetRecorder, RecorderOptions, read_table};
/// let dir = tempfile::tempdir().unwrap();
/// let meta = FileMeta { params_json: "{}".into(), ..FileMeta::default() };
/// let mut rec = ParquetRecorder::create(dir.path(), meta, RecorderOptions::default()).unwrap();
/// let v = rec
///     .declare(TableSchema::new("v", vec![
///         Field::new("step", ColumnType::U32, None),
///         Field::new("v_mv", ColumnType::F64, Some("mV")),
///     ]))
///     .unwrap();
/// rec.append(v, &[Column::U32(&[0, 1]), Column::F64(&[-65.0, -64.5])]).unwrap();
/// rec.finish().unwrap();
/// let table = read_table(&dir.path().join("v.parquet")).unwrap();
/// assert_eq!(table.column("v_mv").unwrap().as_f64().unwrap(), &[-65.0, -64.5]);
/// assert_eq!(table.schema.fields[1].unit.as_deref(), Some("mV"));
/// ```
#[derive(Debug)]
pub struct ParquetRecorder {
    dir: PathBuf,
    partition: Option<PathBuf>,
    keys: Vec<SweepKey>,
    meta: FileMeta,
    compression: ParquetCompression,
    row_group_rows: usize,
    tables: Vec<Table>,
    state: State,
}

impl ParquetRecorder {
    /// A recorder writing into `dir` (created if missing).
    ///
    /// Fails if `opts.row_group_rows` is 0, the zstd level is invalid,
    /// `meta.params_json` is not valid JSON, or `dir` cannot be created.
    pub fn create(dir: &Path, meta: FileMeta, opts: RecorderOptions) -> Result<Self> {
        if opts.row_group_rows == 0 {
            return Err(Error::invalid("row_group_rows", 0, "at least 1"));
        }
        let compression = opts.compression.to_parquet()?;
        meta.validate()?;
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(ParquetRecorder {
            dir: dir.to_path_buf(),
            partition: None,
            keys: Vec::new(),
            meta,
            compression,
            row_group_rows: opts.row_group_rows,
            tables: Vec::new(),
            state: State::Open,
        })
    }

    /// A recorder writing each table as one partition of its own dataset:
    /// `<dir>/<table>/<partition>/<table>.parquet`, with `partition` a
    /// relative path (one folder per sweep key), so that reading the table
    /// folder as a dataset gives that table across every partition. Every
    /// file holds the sweep `keys` as its first columns, typed (Int64,
    /// Float64, Utf8, null where the point has none), so that a dataset
    /// reader needs no partition scheme to get them.
    pub fn create_partitioned(
        dir: &Path,
        partition: &Path,
        keys: Vec<SweepKey>,
        meta: FileMeta,
        opts: RecorderOptions,
    ) -> Result<Self> {
        let mut r = Self::create(dir, meta, opts)?;
        r.partition = Some(partition.to_path_buf());
        r.keys = keys;
        Ok(r)
    }

    /// The folder the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Final paths of the declared tables' files, in declaration order.
    /// They exist only once [`Recorder::finish`] has succeeded.
    pub fn files(&self) -> Vec<PathBuf> {
        self.tables.iter().map(|t| t.path.clone()).collect()
    }

    /// Table name and rows appended so far, in declaration order.
    pub fn rows(&self) -> Vec<(String, u64)> {
        self.tables
            .iter()
            .map(|t| (t.schema.name.clone(), t.rows))
            .collect()
    }

    /// Error unless the recorder can still take data.
    fn check_open(&self) -> Result<()> {
        match &self.state {
            State::Open => Ok(()),
            State::Finished => Err(Error::Record(format!(
                "the recorder writing to {} is already finished",
                self.dir.display()
            ))),
            State::Failed(m) => Err(Error::Record(format!(
                "the recorder writing to {} failed earlier: {m}",
                self.dir.display()
            ))),
        }
    }

    /// Record a failure: close every file (removing the temporaries) and
    /// refuse all further use. Returns `e` for propagation.
    fn fail(&mut self, e: Error) -> Error {
        self.state = State::Failed(e.to_string());
        for t in &mut self.tables {
            t.writer = None;
            t.buffers.clear();
            t.buffered = 0;
        }
        e
    }

    /// `schema` with the sweep keys first, for the units of the metadata.
    fn with_keys(&self, schema: &TableSchema) -> TableSchema {
        let keys = self
            .keys
            .iter()
            .map(|k| neurodyn_core::Field::new(&k.name, ColumnType::F64, k.unit.as_deref()));
        TableSchema::new(
            &schema.name,
            keys.chain(schema.fields.iter().cloned()).collect(),
        )
    }

    fn writer_properties(&self, schema: &TableSchema) -> WriterProperties {
        let key_values = self
            .meta
            .key_values(&self.with_keys(schema))
            .into_iter()
            .map(|(k, v)| ParquetKeyValue::new(k, v))
            .collect();
        let mut b = WriterProperties::builder()
            .set_compression(self.compression)
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .set_max_row_group_bytes(None)
            .set_key_value_metadata(Some(key_values));
        // Measured floats rarely repeat: a dictionary only costs hashing.
        // Byte-stream split groups the bytes of equal significance, which
        // zstd then compresses far better (sign and exponent bytes repeat).
        for f in schema.fields.iter().filter(|f| f.ty == ColumnType::F64) {
            let path = ColumnPath::from(f.name.as_str());
            b = b
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, parquet::basic::Encoding::BYTE_STREAM_SPLIT);
        }
        b.build()
    }

    /// Close every file and publish them all, or none.
    fn close_and_commit(&mut self) -> Result<()> {
        let mut files = Vec::with_capacity(self.tables.len());
        for t in &mut self.tables {
            t.write_buffer(0)?;
            let writer = t.writer.take().ok_or_else(|| closed(&t.path))?;
            files.push(writer.into_inner().map_err(|e| parquet_io(&t.path, e))?);
        }
        let mut committed: Vec<PathBuf> = Vec::with_capacity(files.len());
        for f in files {
            let path = f.path().to_path_buf();
            if let Err(e) = f.commit() {
                // All or nothing: withdraw the files already published. The
                // remaining temporaries are removed as `files` is dropped.
                for p in &committed {
                    let _ = fs::remove_file(p);
                }
                return Err(e);
            }
            committed.push(path);
        }
        Ok(())
    }
}

/// Check that a table name can be a file name of its own.
fn check_table_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.contains(crate::atomic::TEMP_MARKER);
    if bad {
        return Err(Error::Record(format!(
            "table name `{name}` cannot be a file name (it must be non-empty, \
             not start with `.`, and contain neither a path separator nor `.tmp-`)"
        )));
    }
    Ok(())
}

impl Recorder for ParquetRecorder {
    /// Declare a table; its temporary file is created now. Errors if the
    /// name is taken or not usable as a file name, if the schema has no
    /// column or repeats a column name, or after `finish` or a failure.
    fn declare(&mut self, schema: TableSchema) -> Result<TableId> {
        self.check_open()?;
        check_table_name(&schema.name)?;
        if self.tables.iter().any(|t| t.schema.name == schema.name) {
            return Err(Error::Record(format!(
                "table `{}` declared twice",
                schema.name
            )));
        }
        if schema.fields.is_empty() {
            return Err(Error::Record(format!(
                "table `{}` has no columns",
                schema.name
            )));
        }
        for (i, f) in schema.fields.iter().enumerate() {
            if self.keys.iter().any(|k| k.name == f.name) {
                return Err(Error::Record(format!(
                    "table `{}` has a column `{}`, which is also a sweep key",
                    schema.name, f.name
                )));
            }
            if schema.fields[..i].iter().any(|g| g.name == f.name) {
                return Err(Error::Record(format!(
                    "table `{}` has two columns named `{}`",
                    schema.name, f.name
                )));
            }
        }
        let file_name = format!("{}.parquet", schema.name);
        let path = match &self.partition {
            None => self.dir.join(file_name),
            Some(p) => self.dir.join(&schema.name).join(p).join(file_name),
        };
        // the provenance also as the Arrow schema's metadata, where pyarrow
        // and polars users look (`read_schema(f).metadata`)
        let metadata: std::collections::HashMap<String, String> = self
            .meta
            .key_values(&self.with_keys(&schema))
            .into_iter()
            .collect();
        let arrow_schema = Arc::new(Schema::new_with_metadata(
            self.keys
                .iter()
                .map(SweepKey::arrow_field)
                .chain(
                    schema
                        .fields
                        .iter()
                        .map(|f| ArrowField::new(&f.name, arrow_type(f.ty), false)),
                )
                .collect::<Vec<_>>(),
            metadata,
        ));
        let props = self.writer_properties(&schema);
        let file = AtomicFile::create(&path)?;
        let writer = ArrowWriter::try_new(file, Arc::clone(&arrow_schema), Some(props))
            .map_err(|e| parquet_io(&path, e))?;
        let buffers = schema
            .fields
            .iter()
            .map(|f| ColumnBuffer::new(f.ty, 0))
            .collect();
        self.tables.push(Table {
            schema,
            arrow_schema,
            path,
            buffers,
            keys: self.keys.clone(),
            buffered: 0,
            rows: 0,
            writer: Some(writer),
        });
        Ok(TableId(self.tables.len() - 1))
    }

    /// Buffer the rows, writing a row group each time the table's buffer
    /// fills. Wrong column count, types or lengths are errors that change
    /// nothing; a failed write makes the recorder unusable.
    fn append(&mut self, table: TableId, columns: &[Column<'_>]) -> Result<()> {
        self.check_open()?;
        let cap = self.row_group_rows;
        let t = self
            .tables
            .get_mut(table.0)
            .ok_or_else(|| Error::Record(format!("unknown table id {}", table.0)))?;
        let n = check_columns(&t.schema, columns)?;
        let mut start = 0;
        while start < n {
            let take = (cap - t.buffered).min(n - start);
            let rows = start..start + take;
            if !t
                .buffers
                .iter()
                .zip(columns)
                .all(|(b, c)| b.fits(c, rows.clone()))
            {
                let e = Error::Record(format!(
                    "table `{}`: more than 2 GiB of strings in one row group; \
                     lower row_group_rows",
                    t.schema.name
                ));
                return Err(self.fail(e));
            }
            for (b, c) in t.buffers.iter_mut().zip(columns) {
                b.extend(c, rows.clone());
            }
            t.buffered += take;
            t.rows += take as u64;
            start += take;
            if t.buffered == cap {
                if let Err(e) = t.write_buffer(cap) {
                    return Err(self.fail(e));
                }
            }
        }
        Ok(())
    }

    /// Write the remaining rows, close the files and rename them all into
    /// place (a table without rows still gets a file with its schema).
    /// If any step fails no new file stays visible. Calling it again after
    /// success does nothing.
    fn finish(&mut self) -> Result<()> {
        if matches!(self.state, State::Finished) {
            return Ok(());
        }
        self.check_open()?;
        match self.close_and_commit() {
            Ok(()) => {
                self.state = State::Finished;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Field;

    fn recorder(dir: &Path, rows: usize) -> ParquetRecorder {
        let meta = FileMeta {
            params_json: "{}".into(),
            ..FileMeta::default()
        };
        let opts = RecorderOptions {
            row_group_rows: rows,
            ..RecorderOptions::default()
        };
        ParquetRecorder::create(dir, meta, opts).unwrap()
    }

    #[test]
    fn full_buffers_are_written_at_once_and_partial_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = recorder(dir.path(), 100);
        let t = rec
            .declare(TableSchema::new(
                "x",
                vec![
                    Field::new("i", ColumnType::U32, None),
                    Field::new("s", ColumnType::Str, None),
                ],
            ))
            .unwrap();
        let ids: Vec<u32> = (0..250).collect();
        let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        rec.append(t, &[Column::U32(&ids), Column::Str(&names)])
            .unwrap();
        let table = &rec.tables[0];
        let writer = table.writer.as_ref().unwrap();
        // Two row groups are on disk; the writer holds nothing in progress,
        // and only the 50 remaining rows are buffered.
        assert_eq!(writer.flushed_row_groups().len(), 2);
        assert_eq!(writer.in_progress_rows(), 0);
        assert_eq!(table.buffered, 50);
        assert!(matches!(&table.buffers[0], ColumnBuffer::U32(v) if v.len() == 50));
        assert!(
            matches!(&table.buffers[1], ColumnBuffer::Str { offsets, .. } if offsets.len() == 51)
        );
        assert_eq!(rec.rows(), vec![("x".to_string(), 250)]);
    }

    #[test]
    fn invalid_options_and_names_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let meta = FileMeta {
            params_json: "{}".into(),
            ..FileMeta::default()
        };
        let zero = RecorderOptions {
            row_group_rows: 0,
            ..RecorderOptions::default()
        };
        assert!(matches!(
            ParquetRecorder::create(dir.path(), meta.clone(), zero),
            Err(Error::InvalidParameter { .. })
        ));
        let bad_level = RecorderOptions {
            compression: Compression::Zstd(99),
            ..RecorderOptions::default()
        };
        assert!(ParquetRecorder::create(dir.path(), meta, bad_level).is_err());

        let mut rec = recorder(dir.path(), 10);
        let col = || vec![Field::new("a", ColumnType::U32, None)];
        for name in ["", ".x", "a/b", "..", "a\\b"] {
            assert!(
                rec.declare(TableSchema::new(name, col())).is_err(),
                "{name:?}"
            );
        }
        assert!(rec.declare(TableSchema::new("empty", vec![])).is_err());
        let twice = vec![
            Field::new("a", ColumnType::U32, None),
            Field::new("a", ColumnType::F64, None),
        ];
        assert!(rec.declare(TableSchema::new("dup", twice)).is_err());
        assert!(rec.files().is_empty());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
