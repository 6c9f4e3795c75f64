//! The simulation driver: one step loop for every model, streaming what it
//! records into a [`Recorder`] chunk by chunk.
//!
//! A model run is a [`Simulation`]: one step at a time, buffering the rows it
//! records (ripgrep's push sink), and showing its state variables (NEST's
//! recordables). [`simulate`] owns the loop (Brian2's single schedule per
//! step): it pushes the buffered rows whenever a chunk is full, so memory is
//! one chunk whatever the simulated duration, and it checks the state for
//! NaN and Inf before every push, which turns a diverging run into an error
//! naming the model, the variable, the node and the step. (A model whose
//! recorded values are not its state, or that records the state before its
//! step, checks what it records in `advance`, as [`drive`] does.)
//!
//! [`Dynamics`] is the simplest kind of model (nodes, variables, one step);
//! [`drive`] runs one through [`simulate`] and records an
//! [`ACTIVITY`](crate::contracts::ACTIVITY) table.

use crate::contracts::ACTIVITY;
use crate::record::{Column, Recorder, TableId};
use crate::{Error, Result};

/// One model run the driver steps: a model with its stimulus, what it
/// records, and the rows it has buffered.
pub trait Simulation {
    /// Name of the model, for messages.
    fn model_name(&self) -> &str;
    /// Time step (ms), for messages.
    fn dt_ms(&self) -> f64;
    /// Take step `step` (0, 1, ... in order) and buffer the rows it records.
    /// A model may fail here, for example when a value it records is not
    /// finite.
    fn advance(&mut self, step: u64) -> Result<()>;
    /// Rows buffered since the last [`Simulation::flush`].
    fn buffered_rows(&self) -> usize;
    /// Push the buffered rows to `rec` and clear them.
    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<()>;
    /// The first state value that is NaN or infinite, if any.
    fn non_finite(&self) -> Option<NonFinite>;
}

/// A state value that is NaN or infinite: which variable, which node.
#[derive(Debug, Clone, PartialEq)]
pub struct NonFinite {
    /// The variable, as the model names it.
    pub variable: String,
    /// The node (neuron, unit, region).
    pub node: usize,
    /// The value.
    pub value: f64,
}

impl NonFinite {
    /// The first non-finite value of `values` (one per node) of `variable`.
    pub fn find(variable: &str, values: &[f64]) -> Option<NonFinite> {
        first_non_finite(values).map(|(node, value)| NonFinite {
            variable: variable.to_string(),
            node,
            value,
        })
    }
}

/// Steps between two state checks when fewer rows than a chunk are recorded.
pub const CHECK_EVERY_STEPS: u64 = 1024;

/// Run `sim` for `steps` steps. The buffered rows go to `rec` whenever
/// `chunk_rows` of them are held, and at the end. The state is checked for
/// NaN and Inf before every push and at least every [`CHECK_EVERY_STEPS`]
/// steps: the first non-finite state value stops the run with an error
/// naming the model, the variable, the node and the step, before that chunk
/// is pushed.
pub fn simulate(
    sim: &mut dyn Simulation,
    steps: u64,
    chunk_rows: usize,
    rec: &mut dyn Recorder,
) -> Result<()> {
    let mut checked = 0u64;
    for step in 0..steps {
        sim.advance(step)?;
        let last = step + 1 == steps;
        let full = sim.buffered_rows() >= chunk_rows.max(1);
        if full || last || step + 1 - checked >= CHECK_EVERY_STEPS {
            check_state(sim, step, checked)?;
            checked = step + 1;
        }
        if full || last {
            sim.flush(rec)?;
        }
    }
    // rows buffered before the first step (a run of no steps)
    if sim.buffered_rows() > 0 {
        sim.flush(rec)?;
    }
    Ok(())
}

/// The error for the first non-finite state value of `sim` after step
/// `step` (0-based); the previous check found the state finite after `since`
/// steps.
fn check_state(sim: &dyn Simulation, step: u64, since: u64) -> Result<()> {
    let Some(bad) = sim.non_finite() else {
        return Ok(());
    };
    let taken = step + 1;
    let before = if since > 0 && since < taken {
        format!("; it was finite after step {since}")
    } else {
        String::new()
    };
    Err(Error::Other(format!(
        "model {} diverged: variable {} of node {} is {} after step {taken} (t = {} ms{before})",
        sim.model_name(),
        bad.variable,
        bad.node,
        bad.value,
        taken as f64 * sim.dt_ms()
    )))
}

/// A model the driver can step and record.
pub trait Dynamics {
    /// Name of the model, for messages.
    fn model_name(&self) -> &'static str;
    /// Number of nodes (each variable has one value per node).
    fn nodes(&self) -> usize;
    /// The recordable state variables.
    fn variables(&self) -> &'static [&'static str];
    /// The current values of variable `index` of [`Dynamics::variables`],
    /// one per node.
    fn values(&self, index: usize) -> &[f64];
    /// Advance by one time step.
    fn step(&mut self);
}

/// What the driver runs and records.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveOptions {
    /// Time step of the model (ms), for the `t_ms` column.
    pub dt_ms: f64,
    /// Steps to run in all, transient included.
    pub steps: u64,
    /// Steps run before the first sample.
    pub transient_steps: u64,
    /// A sample every this many steps (>= 1).
    pub every_steps: u64,
    /// Indices of the variables recorded (into [`Dynamics::variables`]).
    pub record: Vec<usize>,
    /// Samples gathered before they are pushed to the recorder.
    pub chunk_samples: usize,
}

/// Rows of an [`ACTIVITY`](crate::contracts::ACTIVITY) table gathered
/// before they go to a recorder: what the driver, and any run loop that
/// samples a network its own way, buffers between pushes.
#[derive(Debug, Default)]
pub struct ActivityRows<'a> {
    t_ms: Vec<f64>,
    region: Vec<u32>,
    label: Vec<&'a str>,
    variable: Vec<&'a str>,
    value: Vec<f64>,
}

impl<'a> ActivityRows<'a> {
    /// An empty buffer with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        ActivityRows {
            t_ms: Vec::with_capacity(rows),
            region: Vec::with_capacity(rows),
            label: Vec::with_capacity(rows),
            variable: Vec::with_capacity(rows),
            value: Vec::with_capacity(rows),
        }
    }

    /// Add one row.
    pub fn push(&mut self, t_ms: f64, region: u32, label: &'a str, variable: &'a str, value: f64) {
        self.t_ms.push(t_ms);
        self.region.push(region);
        self.label.push(label);
        self.variable.push(variable);
        self.value.push(value);
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.t_ms.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.t_ms.is_empty()
    }

    /// Append the rows held to `table` of `rec` (nothing when empty) and
    /// clear the buffer.
    pub fn flush(&mut self, rec: &mut dyn Recorder, table: TableId) -> Result<()> {
        if !self.is_empty() {
            rec.append(
                table,
                &[
                    Column::F64(&self.t_ms),
                    Column::U32(&self.region),
                    Column::Str(&self.label),
                    Column::Str(&self.variable),
                    Column::F64(&self.value),
                ],
            )?;
        }
        self.t_ms.clear();
        self.region.clear();
        self.label.clear();
        self.variable.clear();
        self.value.clear();
        Ok(())
    }
}

/// Run `model` and record the chosen variables as an
/// [`ACTIVITY`](crate::contracts::ACTIVITY) table called `table`, with
/// `labels[i]` naming node `i`, through [`simulate`]. Every sampled value is
/// checked too: the first NaN or infinity stops the run with an error.
/// Returns the samples written.
pub fn drive(
    model: &mut dyn Dynamics,
    opts: &DriveOptions,
    labels: &[String],
    rec: &mut dyn Recorder,
    table: &str,
) -> Result<u64> {
    let n = model.nodes();
    if labels.len() != n {
        return Err(Error::invalid("labels", labels.len(), "one label per node"));
    }
    if opts.every_steps == 0 || opts.chunk_samples == 0 {
        return Err(Error::invalid(
            "every_steps",
            opts.every_steps,
            "a sampling period >= 1 step and chunks of >= 1 sample",
        ));
    }
    let vars = model.variables();
    if let Some(&bad) = opts.record.iter().find(|&&v| v >= vars.len()) {
        return Err(Error::invalid(
            "record",
            bad,
            "indices of the model's variables",
        ));
    }
    let id = rec.declare(ACTIVITY.schema(table))?;
    let chunk_rows = opts.chunk_samples * n * opts.record.len().max(1);
    let mut sampled = Sampled {
        model,
        opts,
        labels,
        table: id,
        rows: ActivityRows::with_capacity(chunk_rows),
        samples: 0,
    };
    simulate(&mut sampled, opts.steps, chunk_rows, rec)?;
    Ok(sampled.samples)
}

/// A [`Dynamics`] model sampled into activity rows: the [`Simulation`]
/// that [`drive`] runs.
struct Sampled<'a, 'm> {
    model: &'m mut dyn Dynamics,
    opts: &'a DriveOptions,
    labels: &'a [String],
    table: TableId,
    rows: ActivityRows<'a>,
    samples: u64,
}

impl Simulation for Sampled<'_, '_> {
    fn model_name(&self) -> &str {
        self.model.model_name()
    }

    fn dt_ms(&self) -> f64 {
        self.opts.dt_ms
    }

    fn advance(&mut self, step: u64) -> Result<()> {
        let opts = self.opts;
        self.model.step();
        // the model's step count: 1 after the first step
        let taken = step + 1;
        if taken > opts.transient_steps && (taken - opts.transient_steps) % opts.every_steps == 0 {
            let t = taken as f64 * opts.dt_ms;
            let vars = self.model.variables();
            for &v in &opts.record {
                let xs = self.model.values(v);
                if let Some((i, x)) = first_non_finite(xs) {
                    return Err(Error::Other(format!(
                        "model {} diverged: variable {} of node {i} is {x} at step {taken} (t = {t} ms)",
                        self.model.model_name(),
                        vars[v],
                    )));
                }
                for (i, &x) in xs.iter().enumerate() {
                    self.rows.push(t, i as u32, &self.labels[i], vars[v], x);
                }
            }
            self.samples += 1;
        }
        Ok(())
    }

    fn buffered_rows(&self) -> usize {
        self.rows.len()
    }

    fn flush(&mut self, rec: &mut dyn Recorder) -> Result<()> {
        self.rows.flush(rec, self.table)
    }

    fn non_finite(&self) -> Option<NonFinite> {
        let vars = self.model.variables();
        (0..vars.len()).find_map(|v| NonFinite::find(vars[v], self.model.values(v)))
    }
}

/// The first value of `xs` that is NaN or infinite, with its index.
fn first_non_finite(xs: &[f64]) -> Option<(usize, f64)> {
    xs.iter()
        .enumerate()
        .find(|(_, x)| !x.is_finite())
        .map(|(i, &x)| (i, x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryRecorder;

    /// x' = a x per step, exactly: x_k = x_0 a^k.
    struct Growth {
        x: Vec<f64>,
        a: f64,
    }

    impl Dynamics for Growth {
        fn model_name(&self) -> &'static str {
            "growth"
        }
        fn nodes(&self) -> usize {
            self.x.len()
        }
        fn variables(&self) -> &'static [&'static str] {
            &["x"]
        }
        fn values(&self, _: usize) -> &[f64] {
            &self.x
        }
        fn step(&mut self) {
            self.x.iter_mut().for_each(|x| *x *= self.a);
        }
    }

    fn opts(steps: u64, chunk: usize) -> DriveOptions {
        DriveOptions {
            dt_ms: 0.5,
            steps,
            transient_steps: 2,
            every_steps: 3,
            record: vec![0],
            chunk_samples: chunk,
        }
    }

    #[test]
    fn samples_after_the_transient_every_period_whatever_the_chunk() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let mut tables = Vec::new();
        for chunk in [1, 2, 1000] {
            let mut m = Growth {
                x: vec![1.0, -2.0],
                a: 2.0,
            };
            let mut rec = MemoryRecorder::default();
            let n = drive(&mut m, &opts(11, chunk), &labels, &mut rec, "activity").unwrap();
            rec.finish().unwrap();
            // steps 5, 8, 11
            assert_eq!(n, 3);
            let t = rec.table("activity").unwrap().clone();
            assert_eq!(t.f64s("t_ms").unwrap(), &[2.5, 2.5, 4.0, 4.0, 5.5, 5.5]);
            assert_eq!(
                t.f64s("value").unwrap(),
                &[32.0, -64.0, 256.0, -512.0, 2048.0, -4096.0]
            );
            assert_eq!(t.u32s("region").unwrap(), &[0, 1, 0, 1, 0, 1]);
            tables.push(t);
        }
        assert!(tables[0].same_bits(&tables[1]) && tables[0].same_bits(&tables[2]));
    }

    #[test]
    fn a_diverging_run_names_the_variable_node_and_step() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let mut m = Growth {
            x: vec![1.0, -1e300],
            a: 10.0,
        };
        let mut rec = MemoryRecorder::default();
        let e = drive(&mut m, &opts(100, 1000), &labels, &mut rec, "activity").unwrap_err();
        // -1e300 * 10^k overflows at k = 9: step 9 is not sampled, so the
        // end-of-chunk check (here at the last step) or a sample finds it
        let msg = e.to_string();
        assert!(
            msg.contains("model growth diverged: variable x of node 1 is -inf"),
            "{msg}"
        );
        assert!(msg.contains("at step 11 (t = 5.5 ms)"), "{msg}");
    }

    /// Records x after every step, without checking it.
    struct Unchecked {
        growth: Growth,
        table: TableId,
        rows: Vec<f64>,
    }

    impl Simulation for Unchecked {
        fn model_name(&self) -> &str {
            "unchecked"
        }
        fn dt_ms(&self) -> f64 {
            1.0
        }
        fn advance(&mut self, _: u64) -> Result<()> {
            self.growth.step();
            self.rows.push(self.growth.x[0]);
            Ok(())
        }
        fn buffered_rows(&self) -> usize {
            self.rows.len()
        }
        fn flush(&mut self, rec: &mut dyn Recorder) -> Result<()> {
            rec.append(self.table, &[Column::F64(&self.rows)])?;
            self.rows.clear();
            Ok(())
        }
        fn non_finite(&self) -> Option<NonFinite> {
            NonFinite::find("x", &self.growth.x)
        }
    }

    #[test]
    fn no_chunk_holding_a_non_finite_state_reaches_the_recorder() {
        use crate::{ColumnType, Field, TableSchema};
        // 10^k from 1e300 overflows at step 9 (k = 9): chunks of 4 rows push
        // steps 1-4 and 5-8, and the chunk of steps 9-12 is refused
        let mut rec = MemoryRecorder::default();
        let table = rec
            .declare(TableSchema::new(
                "x",
                vec![Field::new("x", ColumnType::F64, None)],
            ))
            .unwrap();
        let mut sim = Unchecked {
            growth: Growth {
                x: vec![1e300],
                a: 10.0,
            },
            table,
            rows: Vec::new(),
        };
        let msg = simulate(&mut sim, 100, 4, &mut rec)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "model unchecked diverged: variable x of node 0 is inf after step 12 (t = 12 ms; it was finite after step 8)"
        );
        rec.finish().unwrap();
        let xs = rec.table("x").unwrap().f64s("x").unwrap().to_vec();
        assert_eq!(xs.len(), 8);
        assert!(xs.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn an_unrecorded_state_is_checked_every_chunk_of_steps() {
        // 1.5^k overflows at k = 1751 (1.5^1751 > f64::MAX > 1.5^1750):
        // nothing is recorded, so the checks after steps 1024 and 2048 find it
        let labels = vec!["a".to_string()];
        let mut m = Growth {
            x: vec![1.0],
            a: 1.5,
        };
        let mut o = opts(3000, 10);
        o.record.clear();
        let mut rec = MemoryRecorder::default();
        let msg = drive(&mut m, &o, &labels, &mut rec, "activity")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "model growth diverged: variable x of node 0 is inf after step 2048 (t = 1024 ms; it was finite after step 1024)"
        );
        assert!(1.5f64.powi(1750).is_finite() && !1.5f64.powi(1751).is_finite());
    }
}
