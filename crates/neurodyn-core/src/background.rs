//! A recorder that runs another one on its own thread, so that encoding and
//! compressing recordings overlaps the simulation.

use std::sync::mpsc;
use std::thread;

use crate::Error;
use crate::record::{Column, OwnedColumn, Recorder, TableId, TableSchema, check_columns};

/// Rows gathered per table before they are handed to the writer thread.
const BATCH_ROWS: usize = 16_384;
/// Batches in flight: bounds the memory between the two threads.
const IN_FLIGHT: usize = 8;

enum Msg {
    Declare(TableSchema),
    Append(usize, Vec<OwnedColumn>),
    Finish,
}

/// Forwards everything to an inner recorder running on a writer thread.
/// Rows keep their order, so the inner recorder writes exactly what it would
/// have written directly. Its errors surface at the latest in
/// [`Recorder::finish`]; dropped without `finish`, the inner recorder is
/// dropped unfinished (nothing becomes visible as complete output).
pub struct BackgroundRecorder<R: Recorder + Send + 'static> {
    schemas: Vec<TableSchema>,
    pending: Vec<Vec<OwnedColumn>>,
    tx: Option<mpsc::SyncSender<Msg>>,
    handle: Option<thread::JoinHandle<(R, Result<(), Error>)>>,
    inner: Option<R>,
}

fn serve<R: Recorder>(mut inner: R, rx: mpsc::Receiver<Msg>) -> (R, Result<(), Error>) {
    let mut result = Ok(());
    let mut ids = Vec::new();
    for msg in rx {
        if result.is_err() {
            continue; // drain; the first error is reported
        }
        result = match msg {
            Msg::Declare(schema) => inner.declare(schema).map(|id| ids.push(id)),
            Msg::Append(t, cols) => {
                let refs: Vec<Vec<&str>> = cols
                    .iter()
                    .filter_map(|c| match c {
                        OwnedColumn::Str(v) => Some(v.iter().map(String::as_str).collect()),
                        _ => None,
                    })
                    .collect();
                let mut k = 0;
                let views: Vec<Column<'_>> = cols
                    .iter()
                    .map(|c| match c {
                        OwnedColumn::U32(v) => Column::U32(v),
                        OwnedColumn::I64(v) => Column::I64(v),
                        OwnedColumn::F64(v) => Column::F64(v),
                        OwnedColumn::Bool(v) => Column::Bool(v),
                        OwnedColumn::Str(_) => {
                            k += 1;
                            Column::Str(&refs[k - 1])
                        }
                    })
                    .collect();
                inner.append(ids[t], &views)
            }
            Msg::Finish => {
                let r = inner.finish();
                return (inner, r);
            }
        };
    }
    // the sender was dropped without Finish: leave the inner recorder unfinished
    let r = result.and(Err(Error::Other(
        "recording abandoned before finish".into(),
    )));
    (inner, r)
}

impl<R: Recorder + Send + 'static> BackgroundRecorder<R> {
    /// Start the writer thread with `inner`.
    pub fn new(inner: R) -> Self {
        let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
        let handle = thread::Builder::new()
            .name("neurodyn-recorder".into())
            .spawn(move || serve(inner, rx))
            .expect("spawning the recorder thread");
        BackgroundRecorder {
            schemas: Vec::new(),
            pending: Vec::new(),
            tx: Some(tx),
            handle: Some(handle),
            inner: None,
        }
    }

    fn send(&mut self, msg: Msg) -> Result<(), Error> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| Error::Other("recorder already finished".into()))?;
        if tx.send(msg).is_err() {
            // the writer thread stopped: its error is in the join result
            return self
                .join()
                .and(Err(Error::Other("recorder thread stopped".into())));
        }
        Ok(())
    }

    /// Rows gathered for table `t` and not yet handed over.
    fn pending_rows(&self, t: usize) -> usize {
        self.pending[t].first().map_or(0, OwnedColumn::len)
    }

    fn flush(&mut self, t: usize) -> Result<(), Error> {
        if self.pending_rows(t) == 0 {
            return Ok(());
        }
        let fresh: Vec<OwnedColumn> = self.schemas[t]
            .fields
            .iter()
            .map(|f| OwnedColumn::empty(f.ty))
            .collect();
        let cols = std::mem::replace(&mut self.pending[t], fresh);
        self.send(Msg::Append(t, cols))
    }

    fn join(&mut self) -> Result<(), Error> {
        self.tx = None;
        match self.handle.take() {
            Some(h) => {
                let (inner, r) = h
                    .join()
                    .map_err(|_| Error::Other("recorder thread panicked".into()))?;
                self.inner = Some(inner);
                r
            }
            None => Ok(()),
        }
    }

    /// The inner recorder, after [`Recorder::finish`].
    pub fn into_inner(mut self) -> Option<R> {
        self.inner.take()
    }
}

impl<R: Recorder + Send + 'static> Recorder for BackgroundRecorder<R> {
    fn declare(&mut self, schema: TableSchema) -> Result<TableId, Error> {
        let id = self.schemas.len();
        self.pending.push(
            schema
                .fields
                .iter()
                .map(|f| OwnedColumn::empty(f.ty))
                .collect(),
        );
        self.schemas.push(schema.clone());
        self.send(Msg::Declare(schema))?;
        Ok(TableId(id))
    }

    fn append(&mut self, table: TableId, columns: &[Column<'_>]) -> Result<(), Error> {
        let t = table.0;
        let schema = self
            .schemas
            .get(t)
            .ok_or_else(|| Error::Other(format!("no table {t} declared")))?;
        check_columns(schema, columns)?;
        for (p, c) in self.pending[t].iter_mut().zip(columns) {
            p.extend(c);
        }
        if self.pending_rows(t) >= BATCH_ROWS {
            self.flush(t)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        for t in 0..self.schemas.len() {
            self.flush(t)?;
        }
        self.send(Msg::Finish)?;
        self.join()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{ColumnType, Field, MemoryRecorder};

    #[test]
    fn forwards_every_row_in_order() {
        let mut rec = BackgroundRecorder::new(MemoryRecorder::default());
        let a = rec
            .declare(TableSchema::new(
                "a",
                vec![
                    Field::new("i", ColumnType::U32, None),
                    Field::new("s", ColumnType::Str, None),
                ],
            ))
            .unwrap();
        let b = rec
            .declare(TableSchema::new(
                "b",
                vec![Field::new("x", ColumnType::F64, None)],
            ))
            .unwrap();
        let mut want = Vec::new();
        for k in 0..50_000u32 {
            rec.append(a, &[Column::U32(&[k]), Column::Str(&["z"])])
                .unwrap();
            rec.append(b, &[Column::F64(&[k as f64, -(k as f64)])])
                .unwrap();
            want.push(k);
        }
        assert!(
            rec.append(a, &[Column::F64(&[1.0])]).is_err(),
            "schema checked"
        );
        rec.finish().unwrap();
        let inner = rec.into_inner().unwrap();
        assert!(inner.is_finished());
        let ta = inner.table("a").unwrap();
        assert_eq!(ta.column("i").unwrap().as_u32().unwrap(), &want[..]);
        assert_eq!(inner.table("b").unwrap().rows(), 100_000);
    }
}
