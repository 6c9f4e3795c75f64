//! The simulation driver: one step loop for every model that implements
//! [`Dynamics`], streaming samples into a [`Recorder`] chunk by chunk.
//!
//! A model exposes its state variables and one step (Brian2's single
//! schedule per step, NEST's recordables); the driver owns the loop, the
//! transient, the sampling period, the chunking (memory is one chunk of
//! samples, whatever the simulated duration) and the check for NaN and Inf,
//! which turns a diverging run into an error naming the model, the
//! variable, the node and the step.

use crate::contracts::ACTIVITY;
use crate::record::{Column, Recorder, TableId};
use crate::{Error, Result};

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
/// `labels[i]` naming node `i`. Every sampled value, and every variable at
/// the end of each chunk, is checked: the first NaN or infinity stops the
/// run with an error. Returns the samples written.
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
    let mut rows = ActivityRows::with_capacity(opts.chunk_samples * n * opts.record.len());
    let mut samples = 0u64;
    let mut in_chunk = 0usize;
    let diverged = |model: &dyn Dynamics, var: usize, node: usize, x: f64, step: u64| {
        Error::Other(format!(
            "model {} diverged: variable {} of node {node} is {x} at step {step} (t = {} ms)",
            model.model_name(),
            vars[var],
            step as f64 * opts.dt_ms
        ))
    };
    for step in 1..=opts.steps {
        model.step();
        let sample =
            step > opts.transient_steps && (step - opts.transient_steps) % opts.every_steps == 0;
        if sample {
            let t = step as f64 * opts.dt_ms;
            for &v in &opts.record {
                let xs = model.values(v);
                if let Some((i, x)) = first_non_finite(xs) {
                    return Err(diverged(model, v, i, x, step));
                }
                for (i, &x) in xs.iter().enumerate() {
                    rows.push(t, i as u32, &labels[i], vars[v], x);
                }
            }
            samples += 1;
            in_chunk += 1;
        }
        if in_chunk == opts.chunk_samples || step == opts.steps {
            for v in 0..vars.len() {
                if let Some((i, x)) = first_non_finite(model.values(v)) {
                    return Err(diverged(model, v, i, x, step));
                }
            }
            rows.flush(rec, id)?;
            in_chunk = 0;
        }
    }
    Ok(samples)
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
        assert!(msg.contains("at step 11"), "{msg}");
    }
}
