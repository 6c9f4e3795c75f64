//! `fc`: functional connectivity and FCD of any activity table.

use neurodyn_analysis::fc::{FcMeans, FcdWindows};
use neurodyn_core::contracts::{ACTIVITY, FC, FC_SUMMARY};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use super::for_each_sample;
use crate::PipelineError;
use crate::library::models::neural_mass;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::ParamDef;
use crate::params::{float, positive};
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "fc",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "Pearson functional connectivity of an activity table's first variable, and optionally the FCD (correlations between the FCs of sliding windows)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "activity",
        kind: Some(&ACTIVITY),
        doc: "the activity",
    }],
    outputs: &[Output::of("fc", &FC), Output::of("fc_summary", &FC_SUMMARY)],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Samples before this time are left out (ms).
    pub transient_ms: f64,
    /// FCD window (ms); 0: no FCD.
    #[serde(rename = "fcd.window_ms")]
    pub fcd_window_ms: f64,
    /// FCD window step (ms).
    #[serde(rename = "fcd.step_ms")]
    pub fcd_step_ms: f64,
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    vec![
        float(
            "transient_ms",
            0.0,
            1e9,
            0.0,
            "samples before this time are left out (ms)",
        ),
        float(
            "fcd.window_ms",
            0.0,
            1e9,
            0.0,
            "FCD sliding window (ms), a whole number of samples; 0: no FCD",
        ),
        positive("fcd.step_ms", 1e9, 1000.0, "FCD window step (ms)"),
    ]
}

/// The FCD window fits the recording of a neural-mass stage on `activity`.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let p: Params = ctx.typed()?;
    match ctx.input::<neural_mass::Params>("activity") {
        Some((stage, sim)) => {
            neural_mass::check_fcd_window(p.fcd_window_ms, sim.period_ms, stage, &sim)
        }
        None => Ok(()),
    }
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    // two passes over the table, row group by row group: the means, then
    // the cross-products and the FCD's windows (memory: n² values and one
    // window of samples, whatever the length)
    let path = ctx.input_path("activity");
    let mut means: Option<FcMeans> = None;
    let a = for_each_sample(&path, None, p.transient_ms, |_, row| {
        means
            .get_or_insert_with(|| FcMeans::new(row.len()))
            .push(row)
    })?;
    let n = a.nodes;
    let period = a.period_ms()?;
    let means = means.expect("at least 2 samples");
    let mut windows = None;
    if p.fcd_window_ms > 0.0 {
        let w = (p.fcd_window_ms / period).round() as usize;
        let s = ((p.fcd_step_ms / period).round() as usize).max(1);
        if w < 2 || w > a.samples {
            return Err(PipelineError::Other(format!(
                "fcd.window_ms = {} is {w} samples of {period} ms; expected between 2 and the {} samples recorded",
                p.fcd_window_ms, a.samples
            )));
        }
        windows = Some(FcdWindows::new(n, w, s)?);
    }
    let mut products = means.products();
    for_each_sample(&path, None, p.transient_ms, |_, row| {
        products.push(row);
        if let Some(w) = windows.as_mut() {
            w.push(row);
        }
    })?;
    let fc = products.finish();
    let (mut i_, mut j_, mut v_) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        for j in i + 1..n {
            i_.push(i as u32);
            j_.push(j as u32);
            v_.push(fc[i * n + j]);
        }
    }
    let finite: Vec<f64> = v_.iter().copied().filter(|x| x.is_finite()).collect();
    let (mean, sd) = mean_sd(&finite);
    let (mut n_windows, mut fcd_mean, mut fcd_sd) = (0i64, f64::NAN, f64::NAN);
    if let Some(w) = windows {
        let d = w.finish()?;
        let k = d.n_windows;
        let off: Vec<f64> = (0..k)
            .flat_map(|x| (x + 1..k).map(move |y| (x, y)))
            .map(|(x, y)| d.matrix[x * k + y])
            .filter(|v| v.is_finite())
            .collect();
        n_windows = k as i64;
        (fcd_mean, fcd_sd) = mean_sd(&off);
    }
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(FC.schema("fc"))?;
    rec.append(t, &[Column::U32(&i_), Column::U32(&j_), Column::F64(&v_)])?;
    let t = rec.declare(FC_SUMMARY.schema("fc_summary"))?;
    rec.append(
        t,
        &[
            Column::I64(&[n as i64]),
            Column::F64(&[mean]),
            Column::F64(&[sd]),
            Column::I64(&[n_windows]),
            Column::F64(&[fcd_mean]),
            Column::F64(&[fcd_sd]),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}

/// Mean and sample standard deviation (NaN when undefined).
fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (m, f64::NAN);
    }
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}
