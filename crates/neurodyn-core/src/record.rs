//! The push-model recorder: a simulation declares tables and pushes rows into
//! them as columns; the recorder may buffer, write, or drop them.
//!
//! Implementations: [`MemoryRecorder`] (tests), [`NullRecorder`] (benchmarks),
//! and the Parquet recorder of `neurodyn-io`.
//!
//! ```
//! use neurodyn_core::{Column, ColumnType, Field, MemoryRecorder, Recorder, TableSchema};
//! let mut rec = MemoryRecorder::default();
//! let spikes = rec
//!     .declare(TableSchema::new("spikes", vec![
//!         Field::new("step", ColumnType::U32, None),
//!         Field::new("neuron", ColumnType::U32, None),
//!     ]))
//!     .unwrap();
//! rec.append(spikes, &[Column::U32(&[3, 3, 7]), Column::U32(&[0, 5, 1])]).unwrap();
//! rec.finish().unwrap();
//! assert_eq!(rec.table("spikes").unwrap().rows(), 3);
//! ```

use crate::Error;

/// Element type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Unsigned 32-bit integer (steps, neuron indices, trials).
    U32,
    /// Signed 64-bit integer.
    I64,
    /// 64-bit float.
    F64,
    /// Boolean.
    Bool,
    /// UTF-8 string.
    Str,
}

/// A named, typed column with an optional physical unit (documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Column name (units in the name where they apply: `t_ms`).
    pub name: String,
    /// Element type.
    pub ty: ColumnType,
    /// Unit, for the file's metadata and the docs (`"ms"`, `"1/s"`).
    pub unit: Option<String>,
}

impl Field {
    /// A new field.
    pub fn new(name: &str, ty: ColumnType, unit: Option<&str>) -> Self {
        Field {
            name: name.to_string(),
            ty,
            unit: unit.map(str::to_string),
        }
    }
}

/// The schema of one recorded table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// Table name; the Parquet recorder writes `<name>.parquet`.
    pub name: String,
    /// Columns in order.
    pub fields: Vec<Field>,
}

impl TableSchema {
    /// A new schema.
    pub fn new(name: &str, fields: Vec<Field>) -> Self {
        TableSchema {
            name: name.to_string(),
            fields,
        }
    }
}

/// Borrowed column data pushed into a recorder.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// u32 values.
    U32(&'a [u32]),
    /// i64 values.
    I64(&'a [i64]),
    /// f64 values.
    F64(&'a [f64]),
    /// booleans.
    Bool(&'a [bool]),
    /// strings.
    Str(&'a [&'a str]),
}

impl Column<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::U32(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn ty(&self) -> ColumnType {
        match self {
            Column::U32(_) => ColumnType::U32,
            Column::I64(_) => ColumnType::I64,
            Column::F64(_) => ColumnType::F64,
            Column::Bool(_) => ColumnType::Bool,
            Column::Str(_) => ColumnType::Str,
        }
    }
}

/// Check that `columns` match `schema` (count, types, equal lengths); returns the row count.
pub fn check_columns(schema: &TableSchema, columns: &[Column<'_>]) -> Result<usize, Error> {
    if columns.len() != schema.fields.len() {
        return Err(Error::Record(format!(
            "table `{}` has {} columns, {} were pushed",
            schema.name,
            schema.fields.len(),
            columns.len()
        )));
    }
    let rows = columns.first().map_or(0, Column::len);
    for (f, c) in schema.fields.iter().zip(columns) {
        if f.ty != c.ty() {
            return Err(Error::Record(format!(
                "table `{}` column `{}` is {:?}, {:?} was pushed",
                schema.name,
                f.name,
                f.ty,
                c.ty()
            )));
        }
        if c.len() != rows {
            return Err(Error::Record(format!(
                "table `{}`: column `{}` has {} values, the first column {rows}",
                schema.name,
                f.name,
                c.len()
            )));
        }
    }
    Ok(rows)
}

/// Handle of a declared table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub usize);

/// The sink a simulation streams into (push model).
///
/// Call [`Recorder::declare`] for each table, [`Recorder::append`] as data
/// arrive (any chunk size), then [`Recorder::finish`] once. Implementations
/// may buffer; memory must stay bounded by their buffer, not by the run.
pub trait Recorder {
    /// Declare a table and get its handle.
    fn declare(&mut self, schema: TableSchema) -> Result<TableId, Error>;
    /// Append rows given as one column per field, in schema order.
    fn append(&mut self, table: TableId, columns: &[Column<'_>]) -> Result<(), Error>;
    /// Flush and close everything. After an error or without this call,
    /// nothing may become visible as complete output.
    fn finish(&mut self) -> Result<(), Error>;
}

/// Owned column data (what [`MemoryRecorder`] keeps).
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedColumn {
    /// u32 values.
    U32(Vec<u32>),
    /// i64 values.
    I64(Vec<i64>),
    /// f64 values.
    F64(Vec<f64>),
    /// booleans.
    Bool(Vec<bool>),
    /// strings.
    Str(Vec<String>),
}

impl OwnedColumn {
    /// An empty column of type `ty`.
    pub fn empty(ty: ColumnType) -> Self {
        match ty {
            ColumnType::U32 => OwnedColumn::U32(Vec::new()),
            ColumnType::I64 => OwnedColumn::I64(Vec::new()),
            ColumnType::F64 => OwnedColumn::F64(Vec::new()),
            ColumnType::Bool => OwnedColumn::Bool(Vec::new()),
            ColumnType::Str => OwnedColumn::Str(Vec::new()),
        }
    }

    /// An owned copy of a column.
    pub fn from_column(c: &Column<'_>) -> Self {
        let mut o = OwnedColumn::empty(c.ty());
        o.extend(c);
        o
    }

    pub(crate) fn extend(&mut self, c: &Column<'_>) {
        match (self, c) {
            (OwnedColumn::U32(a), Column::U32(b)) => a.extend_from_slice(b),
            (OwnedColumn::I64(a), Column::I64(b)) => a.extend_from_slice(b),
            (OwnedColumn::F64(a), Column::F64(b)) => a.extend_from_slice(b),
            (OwnedColumn::Bool(a), Column::Bool(b)) => a.extend_from_slice(b),
            (OwnedColumn::Str(a), Column::Str(b)) => a.extend(b.iter().map(|s| s.to_string())),
            _ => unreachable!("types checked by check_columns"),
        }
    }

    /// Append another column of the same type (panics on a type mismatch:
    /// callers pair columns of one schema).
    pub fn append(&mut self, other: &OwnedColumn) {
        match (self, other) {
            (OwnedColumn::U32(a), OwnedColumn::U32(b)) => a.extend_from_slice(b),
            (OwnedColumn::I64(a), OwnedColumn::I64(b)) => a.extend_from_slice(b),
            (OwnedColumn::F64(a), OwnedColumn::F64(b)) => a.extend_from_slice(b),
            (OwnedColumn::Bool(a), OwnedColumn::Bool(b)) => a.extend_from_slice(b),
            (OwnedColumn::Str(a), OwnedColumn::Str(b)) => a.extend_from_slice(b),
            (a, b) => panic!("appending a {:?} column to a {:?} column", b.ty(), a.ty()),
        }
    }

    /// The element type.
    pub fn ty(&self) -> ColumnType {
        match self {
            OwnedColumn::U32(_) => ColumnType::U32,
            OwnedColumn::I64(_) => ColumnType::I64,
            OwnedColumn::F64(_) => ColumnType::F64,
            OwnedColumn::Bool(_) => ColumnType::Bool,
            OwnedColumn::Str(_) => ColumnType::Str,
        }
    }

    /// The values as f64 if this is an F64 column.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match self {
            OwnedColumn::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The values as u32 if this is a U32 column.
    pub fn as_u32(&self) -> Option<&[u32]> {
        match self {
            OwnedColumn::U32(v) => Some(v),
            _ => None,
        }
    }

    /// The values as i64 if this is an I64 column.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match self {
            OwnedColumn::I64(v) => Some(v),
            _ => None,
        }
    }

    /// The values as strings if this is a Str column.
    pub fn as_str(&self) -> Option<&[String]> {
        match self {
            OwnedColumn::Str(v) => Some(v),
            _ => None,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            OwnedColumn::U32(v) => v.len(),
            OwnedColumn::I64(v) => v.len(),
            OwnedColumn::F64(v) => v.len(),
            OwnedColumn::Bool(v) => v.len(),
            OwnedColumn::Str(v) => v.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table held in memory by [`MemoryRecorder`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryTable {
    /// Its schema.
    pub schema: TableSchema,
    /// One owned column per field.
    pub columns: Vec<OwnedColumn>,
}

impl MemoryTable {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, OwnedColumn::len)
    }

    /// Equal schemas and equal values, floats compared bit for bit (so NaN
    /// equals the same NaN): "the same data", as determinism tests mean it.
    pub fn same_bits(&self, other: &MemoryTable) -> bool {
        self.schema == other.schema
            && self.columns.len() == other.columns.len()
            && self
                .columns
                .iter()
                .zip(&other.columns)
                .all(|(a, b)| match (a, b) {
                    (OwnedColumn::F64(x), OwnedColumn::F64(y)) => {
                        x.len() == y.len()
                            && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
                    }
                    _ => a == b,
                })
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&OwnedColumn> {
        let i = self.schema.fields.iter().position(|f| f.name == name)?;
        Some(&self.columns[i])
    }

    fn typed<'a, T>(
        &'a self,
        name: &str,
        ty: &str,
        get: impl Fn(&'a OwnedColumn) -> Option<&'a [T]>,
    ) -> Result<&'a [T], Error> {
        self.column(name).and_then(get).ok_or_else(|| {
            Error::Other(format!(
                "table `{}`: no {ty} column `{name}`",
                self.schema.name
            ))
        })
    }

    /// The u32 column `name`, or an error naming the table and column.
    pub fn u32s(&self, name: &str) -> Result<&[u32], Error> {
        self.typed(name, "u32", OwnedColumn::as_u32)
    }

    /// The i64 column `name`, or an error naming the table and column.
    pub fn i64s(&self, name: &str) -> Result<&[i64], Error> {
        self.typed(name, "i64", OwnedColumn::as_i64)
    }

    /// The f64 column `name`, or an error naming the table and column.
    pub fn f64s(&self, name: &str) -> Result<&[f64], Error> {
        self.typed(name, "f64", OwnedColumn::as_f64)
    }

    /// The string column `name`, or an error naming the table and column.
    pub fn strs(&self, name: &str) -> Result<&[String], Error> {
        self.typed(name, "string", OwnedColumn::as_str)
    }
}

/// Keeps every table in memory: for tests and small interactive runs.
#[derive(Debug, Default, Clone)]
pub struct MemoryRecorder {
    tables: Vec<MemoryTable>,
    finished: bool,
}

impl MemoryRecorder {
    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&MemoryTable> {
        self.tables.iter().find(|t| t.schema.name == name)
    }

    /// True once [`Recorder::finish`] was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl Recorder for MemoryRecorder {
    fn declare(&mut self, schema: TableSchema) -> Result<TableId, Error> {
        if self.tables.iter().any(|t| t.schema.name == schema.name) {
            return Err(Error::Record(format!(
                "table `{}` declared twice",
                schema.name
            )));
        }
        let columns = schema
            .fields
            .iter()
            .map(|f| OwnedColumn::empty(f.ty))
            .collect();
        self.tables.push(MemoryTable { schema, columns });
        Ok(TableId(self.tables.len() - 1))
    }

    fn append(&mut self, table: TableId, columns: &[Column<'_>]) -> Result<(), Error> {
        let t = self
            .tables
            .get_mut(table.0)
            .ok_or_else(|| Error::Record(format!("unknown table id {}", table.0)))?;
        check_columns(&t.schema, columns)?;
        for (o, c) in t.columns.iter_mut().zip(columns) {
            o.extend(c);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        self.finished = true;
        Ok(())
    }
}

/// Checks and counts what is pushed, keeps nothing: for benchmarks.
#[derive(Debug, Default, Clone)]
pub struct NullRecorder {
    schemas: Vec<TableSchema>,
    /// Rows pushed so far, all tables together.
    pub rows: u64,
}

impl Recorder for NullRecorder {
    fn declare(&mut self, schema: TableSchema) -> Result<TableId, Error> {
        self.schemas.push(schema);
        Ok(TableId(self.schemas.len() - 1))
    }

    fn append(&mut self, table: TableId, columns: &[Column<'_>]) -> Result<(), Error> {
        let s = self
            .schemas
            .get(table.0)
            .ok_or_else(|| Error::Record(format!("unknown table id {}", table.0)))?;
        self.rows += check_columns(s, columns)? as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> TableSchema {
        TableSchema::new(
            "x",
            vec![
                Field::new("step", ColumnType::U32, None),
                Field::new("v", ColumnType::F64, Some("mV")),
            ],
        )
    }

    #[test]
    fn memory_recorder_concatenates_chunks() {
        let mut r = MemoryRecorder::default();
        let t = r.declare(schema()).unwrap();
        r.append(t, &[Column::U32(&[0, 1]), Column::F64(&[0.5, 1.5])])
            .unwrap();
        r.append(t, &[Column::U32(&[2]), Column::F64(&[2.5])])
            .unwrap();
        let tab = r.table("x").unwrap();
        assert_eq!(tab.rows(), 3);
        assert_eq!(tab.column("v").unwrap().as_f64().unwrap(), &[0.5, 1.5, 2.5]);
    }

    #[test]
    fn mismatched_pushes_are_errors() {
        let mut r = NullRecorder::default();
        let t = r.declare(schema()).unwrap();
        assert!(r.append(t, &[Column::U32(&[0])]).is_err());
        assert!(
            r.append(t, &[Column::F64(&[0.0]), Column::F64(&[0.0])])
                .is_err()
        );
        assert!(
            r.append(t, &[Column::U32(&[0, 1]), Column::F64(&[0.0])])
                .is_err()
        );
        assert!(r.append(TableId(9), &[]).is_err());
        r.append(t, &[Column::U32(&[0, 1]), Column::F64(&[0.0, 1.0])])
            .unwrap();
        assert_eq!(r.rows, 2);
    }
}
