//! `avalanches`: the avalanches of any spikes table.

use neurodyn_analysis::avalanche::segment;
use neurodyn_core::contracts::{AVALANCHES, SPIKES};
use neurodyn_core::{Column, Recorder};
use serde::Deserialize;

use super::binned_spikes;
use crate::PipelineError;
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::ParamDef;
use crate::study::{OutputFile, Scope, StageContext};
use crate::study::{files, recorder};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "avalanches",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "avalanches of a spikes table: events binned at bin_ms, maximal runs of non-empty bins between empty ones (runs cut by the start or the end are dropped)",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[Port {
        name: "spikes",
        kind: Some(&SPIKES),
        doc: "the spikes to bin",
    }],
    outputs: &[Output::of("avalanches", &AVALANCHES)],
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
}

impl KindParams for Params {}

fn params() -> Vec<ParamDef> {
    super::binning_params()
}

/// At load: the bins are whole steps of the spiking run.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    super::check_bin_at_load(ctx, ctx.typed::<Params>()?.bin_ms)
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let p: Params = params_of(ctx)?;
    let path = ctx.input_path("spikes");
    let (counts, dt, per_bin) = binned_spikes(&path, p.bin_ms, p.transient_ms)?;
    let av = segment(&counts);
    let skip = (p.transient_ms / dt).round();
    let size: Vec<i64> = av.iter().map(|a| a.size as i64).collect();
    let duration: Vec<i64> = av.iter().map(|a| a.duration as i64).collect();
    let start: Vec<f64> = av
        .iter()
        .map(|a| (skip + (a.start as u64 * per_bin) as f64) * dt)
        .collect();
    let mut rec = recorder(ctx, 0)?;
    let t = rec.declare(AVALANCHES.schema("avalanches"))?;
    rec.append(
        t,
        &[
            Column::I64(&size),
            Column::I64(&duration),
            Column::F64(&start),
        ],
    )?;
    rec.finish()?;
    Ok(files(ctx, &rec))
}
