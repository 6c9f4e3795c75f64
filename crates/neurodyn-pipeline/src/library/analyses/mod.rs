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
    let k = (bin_ms / dt).round();
    if k < 1.0 || (k * dt - bin_ms).abs() > 1e-9 * bin_ms {
        return Err(PipelineError::Other(format!(
            "bin_ms = {bin_ms} is not a whole number of the spikes' steps (dt_ms = {dt}); expected a multiple of {dt}"
        )));
    }
    let per_bin = k as u64;
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
    let mut var: Option<String> = None;
    let mut labels: Vec<String> = Vec::new();
    let (mut t_ms, mut x) = (Vec::new(), Vec::new());
    // node expected next, and whether the first sample is complete
    let (mut next, mut nodes) = (0usize, None::<usize>);
    let mut row = 0usize;
    neurodyn_io::for_each_batch(path, |b| {
        let (time, region, label, variable, value) = (
            b.f64s("t_ms")?,
            b.u32s("region")?,
            b.strs("label")?,
            b.strs("variable")?,
            b.f64s("value")?,
        );
        for i in 0..time.len() {
            let v = var.get_or_insert_with(|| variable[i].clone());
            if variable[i] != *v {
                row += 1;
                continue;
            }
            let r = region[i] as usize;
            // the first sample: nodes 0, 1, 2, … until node 0 comes again
            if nodes.is_none() && r == 0 && !labels.is_empty() {
                nodes = Some(labels.len());
                next = 0;
            }
            if nodes.is_none() {
                if r != labels.len() {
                    return Err(neurodyn_core::Error::Other(format!(
                        "{}: row {row}: node {r} where node {} was expected (rows must run by time, then node)",
                        path.display(),
                        labels.len()
                    )));
                }
                labels.push(label[i].clone());
            } else if r != next {
                return Err(neurodyn_core::Error::Other(format!(
                    "{}: row {row}: node {r} where node {next} was expected (rows must run by time, then node)",
                    path.display()
                )));
            }
            if time[i] >= transient_ms {
                if r == 0 {
                    t_ms.push(time[i]);
                }
                x.push(value[i]);
            }
            let n = nodes.unwrap_or(usize::MAX);
            next = if r + 1 == n { 0 } else { r + 1 };
            row += 1;
        }
        Ok(())
    })?;
    let Some(var) = var else {
        return Err(PipelineError::Other(format!("{}: no rows", path.display())));
    };
    let nodes = nodes.unwrap_or(labels.len());
    if nodes == 0 || x.len() % nodes != 0 || x.len() / nodes != t_ms.len() {
        return Err(PipelineError::Other(format!(
            "{}: the last sample has fewer than {nodes} nodes",
            path.display()
        )));
    }
    Ok(Activity {
        variable: var,
        nodes,
        labels,
        t_ms,
        x,
    })
}
