//! `branching-ratio`: naive and multistep-regression branching ratios of
//! any spikes table's binned population activity.

use neurodyn_analysis::branching_ratio::{multistep, naive};
use neurodyn_core::contracts::{BRANCHING_RATIO, SPIKES};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use super::binned_spikes;
use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::ParamDef;
use crate::params::{int, positive};
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "branching-ratio",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "branching ratio m of a spikes table's population activity A(t) in bins of bin_ms: the naive slope of A(t+1) on A(t), and the multistep regression r_k = b m^k over lags 1..k_max (Wilting & Priesemann 2018)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "spikes",
        kind: Some(&SPIKES),
        doc: "the spikes to bin",
    }],
    outputs: &[Output::of("branching_ratio", &BRANCHING_RATIO)],
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
    /// Bin width (ms).
    pub bin_ms: f64,
    /// Spikes before this time are ignored (ms).
    pub transient_ms: f64,
    /// Largest lag of the multistep regression (bins).
    pub k_max: usize,
    /// Largest m searched.
    pub m_max: f64,
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    let mut p = super::binning_params();
    p.extend([
        int(
            "k_max",
            2,
            100_000,
            40,
            "largest lag of the multistep regression (bins)",
        ),
        positive(
            "m_max",
            10.0,
            1.5,
            "largest branching ratio searched by the multistep fit",
        ),
    ]);
    p
}

/// At load: the bins are whole steps of the spiking run.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    super::check_bin_at_load(ctx, ctx.typed::<Params>()?.bin_ms)
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let (counts, _, _) = binned_spikes(&ctx.input_path("spikes"), p.bin_ms, p.transient_ms)?;
    let a: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let mean = if a.is_empty() {
        f64::NAN
    } else {
        a.iter().sum::<f64>() / a.len() as f64
    };
    let m_naive = if a.len() >= 3 { naive(&a) } else { f64::NAN };
    let m_ms = multistep(&a, p.k_max, p.m_max).map_or(f64::NAN, |e| e.m);
    let tau = if m_ms > 0.0 && m_ms < 1.0 {
        -p.bin_ms / m_ms.ln()
    } else {
        f64::NAN
    };
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(BRANCHING_RATIO.schema("branching_ratio"))?;
    rec.append(
        t,
        &[
            Column::F64(&[p.bin_ms]),
            Column::I64(&[a.len() as i64]),
            Column::F64(&[mean]),
            Column::F64(&[m_naive]),
            Column::F64(&[m_ms]),
            Column::F64(&[tau]),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
