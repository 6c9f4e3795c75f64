//! `avalanche-tables`: an avalanche-statistics stage's tables across the
//! sweep: avalanches, powerlaw, crackling, size_by_duration and
//! branching_ratio, keys first (NaN written as null).

use neurodyn_core::contracts::{
    AVALANCHES_SWEEP, BRANCHING_ESTIMATES, COUNT_AVALANCHES, CRACKLING, POWERLAW_REPORT,
    POWERLAW_SWEEP, SIZE_BY_DURATION, SIZE_BY_DURATION_SWEEP, STUDY,
};

use crate::PipelineError;
use crate::library::{
    Output, Port, Role, StageKind, check_typed, dataset, no_axes, no_params, same_point,
};
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::NoParams;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "avalanche-tables",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "avalanches, power-law fits, crackling, mean size by duration and branching ratios across the sweep",
    code_version: "1",
    params: no_params,
    axes: no_axes,
    inputs: &[
        Port::of("avalanches", &COUNT_AVALANCHES, "every point's avalanches"),
        Port::of("powerlaw", &POWERLAW_REPORT, "every point's power-law fits"),
        Port::of("crackling", &CRACKLING, "every point's crackling relation"),
        Port::of(
            "size_by_duration",
            &SIZE_BY_DURATION,
            "every point's mean size by duration",
        ),
        Port::of(
            "branching_ratio",
            &BRANCHING_ESTIMATES,
            "every point's branching ratios",
        ),
    ],
    outputs: &[
        Output::of("avalanches", &AVALANCHES_SWEEP),
        Output::of("powerlaw", &POWERLAW_SWEEP),
        Output::of("crackling", &STUDY),
        Output::of("size_by_duration", &SIZE_BY_DURATION_SWEEP),
        Output::of("branching_ratio", &STUDY),
    ],
    check: check_typed::<NoParams>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let inputs = neurodyn_tables::branching_avalanches::Inputs {
        avalanches: dataset(ctx, "avalanches"),
        powerlaw: dataset(ctx, "powerlaw"),
        crackling: dataset(ctx, "crackling"),
        size_by_duration: dataset(ctx, "size_by_duration"),
        branching_ratio: dataset(ctx, "branching_ratio"),
    };
    let written = neurodyn_tables::branching_avalanches::derive(
        &inputs,
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(derived(written))
}
