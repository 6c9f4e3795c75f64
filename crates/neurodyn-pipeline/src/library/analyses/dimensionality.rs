//! `dimensionality`: participation ratio, its bias-corrected estimate and
//! the mean correlation of any activity table.

use neurodyn_analysis::dimensionality::{
    covariance, participation_ratio, participation_ratio_bias_corrected,
};
use neurodyn_analysis::fc::pearson_fc;
use neurodyn_core::contracts::{ACTIVITY, DIMENSIONALITY};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use super::read_activity;
use crate::PipelineError;
use crate::library::models::rate_rnn;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::ParamDef;
use crate::params::float;
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "dimensionality",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "dimensionality of an activity table's first variable: participation ratio (sum lambda)^2 / sum lambda^2 of its covariance, the estimate corrected for finite samples (Dahmen et al. 2022), mean pairwise Pearson correlation",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "activity",
        kind: Some(&ACTIVITY),
        doc: "the activity",
    }],
    outputs: &[Output::of("dimensionality", &DIMENSIONALITY)],
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
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    vec![float(
        "transient_ms",
        0.0,
        1e9,
        0.0,
        "samples before this time are left out (ms)",
    )]
}

/// Mean of the finite off-diagonal entries of the `n x n` matrix `fc`, and
/// the count of nodes whose row is NaN (constant activity).
pub fn mean_off_diagonal(fc: &[f64], n: usize) -> (f64, usize) {
    let constant = (0..n).filter(|&i| fc[i * n + i].is_nan()).count();
    let (mut s, mut k) = (0.0, 0usize);
    for i in 0..n {
        for j in i + 1..n {
            let v = fc[i * n + j];
            if v.is_finite() {
                s += v;
                k += 1;
            }
        }
    }
    (if k > 0 { s / k as f64 } else { f64::NAN }, constant)
}

/// At load, on a rate network's activity: the samples (read whole), the
/// covariance, its eigenvalues' workspace and the FC fit in memory.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let Some((stage, sim)) = ctx.input::<rate_rnn::Params>("activity") else {
        return Ok(());
    };
    let n = sim.n as f64;
    let m = ((sim.duration_ms - sim.transient_ms) / sim.sample_ms).max(0.0);
    let p: Params = ctx.typed()?;
    let after =
        ((sim.duration_ms - sim.transient_ms.max(p.transient_ms)) / sim.sample_ms).floor() + 1.0;
    if after < 2.0 {
        return Err((
            "transient_ms".into(),
            format!(
                "{} leaves {} sample(s) of `{stage}` (every {} ms up to {stage}.duration_ms = {}); expected at least 2",
                p.transient_ms,
                after.max(0.0),
                sim.sample_ms,
                sim.duration_ms
            ),
        ));
    }
    ctx.fits_memory(
        8.0 * m * n + 24.0 * n * n,
        "",
        &format!(
            "{m:.0} samples of the n = {} units of `{stage}`, and n x n covariances",
            sim.n
        ),
        &format!("make {stage}.n smaller, or sample less often ({stage}.sample_ms)"),
    )
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let a = read_activity(&ctx.input_path("activity"), p.transient_ms)?;
    let (m, n) = (a.samples(), a.nodes);
    if m < 2 || n < 2 {
        return Err(PipelineError::Other(format!(
            "dimensionality needs at least 2 samples and 2 nodes; the activity has {m} and {n} after transient_ms = {}",
            p.transient_ms
        )));
    }
    let c = covariance(&a.x, m, n);
    let pr = participation_ratio(&c, n);
    let pr_bc = participation_ratio_bias_corrected(&c, n, m);
    let fc = pearson_fc(&a.x, n)?;
    let (mean_fc, constant) = mean_off_diagonal(&fc, n);
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(DIMENSIONALITY.schema("dimensionality"))?;
    rec.append(
        t,
        &[
            Column::I64(&[n as i64]),
            Column::I64(&[m as i64]),
            Column::F64(&[pr]),
            Column::F64(&[pr_bc]),
            Column::F64(&[mean_fc]),
            Column::I64(&[constant as i64]),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
