//! Analysis stages: read one sweep point's tables, write derived ones.
//! Each reads its inputs by table kind, so it applies to any model that
//! writes that kind.

pub mod avalanche_statistics;
pub mod avalanches;
pub mod branching_ratio;
pub mod bump_persistence;
pub mod dimensionality;
pub mod fc;
pub mod fc_fit;
pub mod lyapunov;
pub mod motifs_dimensionality;
pub mod powerlaw_fit;
pub mod spectra;

use std::path::Path;

use crate::PipelineError;

/// A numeric parameter of the stage that wrote `path`, from the file's
/// `neurodyn.params` metadata (what a table contract promises, such as the
/// time step of a spikes table).
pub fn writer_param(path: &Path, key: &str) -> Result<f64, PipelineError> {
    neurodyn_io::read_params(path)?
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| {
            PipelineError::Other(format!(
                "{}: the writing stage's parameters have no number `{key}`, which this table kind requires",
                path.display()
            ))
        })
}

/// The binning parameters of the kinds that bin a spikes table.
pub fn binning_params() -> Vec<crate::params::ParamDef> {
    vec![
        crate::params::positive(
            "bin_ms",
            1e6,
            1.0,
            "bin width (ms), a whole number of the spikes' time steps",
        ),
        crate::params::float(
            "transient_ms",
            0.0,
            1e9,
            0.0,
            "spikes before this time are ignored (ms)",
        ),
    ]
}

/// At load: `bin_ms` is a whole number of the steps of the spiking stage
/// on port `spikes` (a ring-attractor or a lif-qif-force run), as
/// [`binned_spikes`] requires.
pub(crate) fn check_bin_at_load(
    ctx: &crate::library::LoadContext,
    bin_ms: f64,
) -> Result<(), crate::library::LoadError> {
    use crate::library::models::{lif_qif_force, ring_attractor};
    let (stage, dt) = if let Some((s, p)) = ctx.input::<ring_attractor::Params>("spikes") {
        (s, p.dt_ms)
    } else if let Some((s, p)) = ctx.input::<lif_qif_force::Params>("spikes") {
        (s, p.dt_tau * p.tau_m_ms)
    } else {
        return Ok(());
    };
    match steps_per_bin(bin_ms, dt) {
        Some(_) => Ok(()),
        None => Err((
            "bin_ms".into(),
            format!(
                "{bin_ms} is not a whole number of the steps of `{stage}` (dt = {dt} ms); expected a multiple of {dt}"
            ),
        )),
    }
}

/// The steps of `dt` ms in a bin of `bin_ms`, if it is a whole number of
/// them (at least one).
fn steps_per_bin(bin_ms: f64, dt: f64) -> Option<u64> {
    let k = (bin_ms / dt).round();
    (k >= 1.0 && (k * dt - bin_ms).abs() <= 1e-9 * bin_ms).then_some(k as u64)
}

/// Events per bin of a spikes table: bins of `bin_ms` (a whole number of
/// the table's steps) from `transient_ms` on, up to the last spike's bin.
/// Streams the file batch by batch. Returns the counts, dt_ms and steps per
/// bin.
pub fn binned_spikes(
    path: &Path,
    bin_ms: f64,
    transient_ms: f64,
) -> Result<(Vec<u64>, f64, u64), PipelineError> {
    let dt = writer_param(path, "dt_ms")?;
    let per_bin = steps_per_bin(bin_ms, dt).ok_or_else(|| {
        PipelineError::Other(format!(
            "bin_ms = {bin_ms} is not a whole number of the spikes' steps (dt_ms = {dt}); expected a multiple of {dt}"
        ))
    })?;
    let skip = (transient_ms / dt).round() as u64;
    let mut counts: Vec<u64> = Vec::new();
    neurodyn_io::for_each_batch(path, |b| {
        for &s in b.u32s("step")? {
            let s = s as u64;
            if s < skip {
                continue;
            }
            let bin = ((s - skip) / per_bin) as usize;
            if bin >= counts.len() {
                counts.resize(bin + 1, 0);
            }
            counts[bin] += 1;
        }
        Ok(())
    })?;
    Ok((counts, dt, per_bin))
}

/// An activity table as a time-major matrix of its first variable (the
/// model's signal: the first written), from `transient_ms` on.
pub struct Activity {
    /// Variable read.
    pub variable: String,
    /// Nodes.
    pub nodes: usize,
    /// Node labels.
    pub labels: Vec<String>,
    /// Sample times (ms).
    pub t_ms: Vec<f64>,
    /// `x[t * nodes + i]`.
    pub x: Vec<f64>,
}

impl Activity {
    /// Samples.
    pub fn samples(&self) -> usize {
        self.t_ms.len()
    }

    /// The sampling period (ms), checked to be uniform.
    pub fn period_ms(&self) -> Result<f64, PipelineError> {
        if self.t_ms.len() < 2 {
            return Err(PipelineError::Other(format!(
                "the activity has {} sample(s) after the transient; expected at least 2",
                self.t_ms.len()
            )));
        }
        let d = self.t_ms[1] - self.t_ms[0];
        for w in self.t_ms.windows(2) {
            if ((w[1] - w[0]) - d).abs() > 1e-6 * d.abs() {
                return Err(PipelineError::Other(format!(
                    "the activity is not sampled uniformly ({} ms then {} ms)",
                    d,
                    w[1] - w[0]
                )));
            }
        }
        Ok(d)
    }
}

/// Read an activity table (rows by time, then node), batch by batch:
/// memory is the matrix of the first variable (8 bytes per sample and
/// node) and one batch, not the table's strings.
pub fn read_activity(path: &Path, transient_ms: f64) -> Result<Activity, PipelineError> {
    let (mut t_ms, mut x) = (Vec::new(), Vec::new());
    let s = for_each_sample(path, None, transient_ms, |t, row| {
        t_ms.push(t);
        x.extend_from_slice(row);
    })?;
    if s.nodes == 0 {
        return Err(PipelineError::Other(format!("{}: no rows", path.display())));
    }
    Ok(Activity {
        variable: s.variable,
        nodes: s.nodes,
        labels: s.labels,
        t_ms,
        x,
    })
}

/// What [`for_each_sample`] read.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The variable read (empty for a table without a `variable` column).
    pub variable: String,
    /// Nodes per sample.
    pub nodes: usize,
    /// Node labels.
    pub labels: Vec<String>,
    /// Samples visited (from the transient on).
    pub samples: usize,
    /// The interval between the first two samples visited, and the first
    /// interval that differs from it.
    interval: Option<f64>,
    uneven: Option<f64>,
    last_t: f64,
}

impl Samples {
    /// The sampling period (ms), checked to be uniform.
    pub fn period_ms(&self) -> Result<f64, PipelineError> {
        match (self.interval, self.uneven) {
            (None, _) => Err(PipelineError::Other(format!(
                "the activity has {} sample(s) after the transient; expected at least 2",
                self.samples
            ))),
            (Some(d), Some(e)) => Err(PipelineError::Other(format!(
                "the activity is not sampled uniformly ({d} ms then {e} ms)"
            ))),
            (Some(d), None) => Ok(d),
        }
    }

    fn visited(&mut self, t: f64) {
        if self.samples == 1 {
            self.interval = Some(t - self.last_t);
        } else if let (Some(d), None) = (self.interval, self.uneven)
            && ((t - self.last_t) - d).abs() > 1e-6 * d.abs()
        {
            self.uneven = Some(t - self.last_t);
        }
        self.last_t = t;
        self.samples += 1;
    }
}

/// Stream the samples of an activity table (or any table of `t_ms`,
/// `region`, `label`, `value` rows by time, then node, such as BOLD):
/// `visit(t_ms, values)` gets each sample from `transient_ms` on, one value
/// per node, in time order. `variable` picks the rows of one variable;
/// `None` takes the first variable written (the model's signal), or every
/// row of a table without a `variable` column. A table without such rows
/// has no sample (and 0 nodes). Memory is one sample and one batch of rows,
/// whatever the length of the table.
pub fn for_each_sample(
    path: &Path,
    variable: Option<&str>,
    transient_ms: f64,
    mut visit: impl FnMut(f64, &[f64]),
) -> Result<Samples, PipelineError> {
    let mut var: Option<String> = variable.map(str::to_string);
    let mut labels: Vec<String> = Vec::new();
    // node expected next, and the node count once the first sample is read
    let (mut next, mut nodes) = (0usize, None::<usize>);
    let mut row = 0usize;
    let (mut sample, mut t_sample) = (Vec::new(), f64::NAN);
    let mut out = Samples {
        variable: String::new(),
        nodes: 0,
        labels: Vec::new(),
        samples: 0,
        interval: None,
        uneven: None,
        last_t: f64::NAN,
    };
    let mut emit = |t: f64, sample: &mut Vec<f64>, out: &mut Samples| {
        if t >= transient_ms {
            out.visited(t);
            visit(t, sample);
        }
        sample.clear();
    };
    let order = |row: usize, r: usize, want: usize| {
        neurodyn_core::Error::Other(format!(
            "{}: row {row}: node {r} where node {want} was expected (rows must run by time, then node)",
            path.display()
        ))
    };
    neurodyn_io::for_each_batch(path, |b| {
        let (time, region, label, value) = (
            b.f64s("t_ms")?,
            b.u32s("region")?,
            b.strs("label")?,
            b.f64s("value")?,
        );
        let variables = match b.column("variable") {
            Some(_) => Some(b.strs("variable")?),
            None => None,
        };
        for i in 0..time.len() {
            if let Some(vs) = variables {
                let v = var.get_or_insert_with(|| vs[i].clone());
                if vs[i] != *v {
                    row += 1;
                    continue;
                }
            }
            let r = region[i] as usize;
            // the first sample: nodes 0, 1, 2, … until node 0 comes again
            if nodes.is_none() && r == 0 && !labels.is_empty() {
                nodes = Some(labels.len());
                emit(t_sample, &mut sample, &mut out);
                next = 0;
            }
            match nodes {
                None if r != labels.len() => return Err(order(row, r, labels.len())),
                None => labels.push(label[i].clone()),
                Some(_) if r != next => return Err(order(row, r, next)),
                Some(_) => {}
            }
            if r == 0 {
                t_sample = time[i];
            }
            sample.push(value[i]);
            match nodes {
                Some(n) if r + 1 == n => {
                    emit(t_sample, &mut sample, &mut out);
                    next = 0;
                }
                _ => next = r + 1,
            }
            row += 1;
        }
        Ok(())
    })?;
    if labels.is_empty() {
        // no rows (of the variable): no sample
        out.variable = var.unwrap_or_default();
        return Ok(out);
    }
    let n = match nodes {
        Some(n) => n,
        None => {
            // a single sample
            emit(t_sample, &mut sample, &mut out);
            labels.len()
        }
    };
    if !sample.is_empty() {
        return Err(PipelineError::Other(format!(
            "{}: the last sample has fewer than {n} nodes",
            path.display()
        )));
    }
    out.variable = var.unwrap_or_default();
    out.nodes = n;
    out.labels = labels;
    Ok(out)
}
