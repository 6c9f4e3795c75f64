//! `ring-tables`: a ring sweep's persistence (every run, and per parameter
//! set and condition) and mean population rates across the sweep.

use neurodyn_core::contracts::{PERSISTENCE, PERSISTENCE_SWEEP, POPULATION_RATES, STUDY};

use crate::PipelineError;
use crate::library::{
    Output, Port, Role, StageKind, check_typed, dataset, no_axes, no_params, same_point,
};
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::NoParams;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "ring-tables",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "persistence (every run, and summarised per parameter set and condition) and mean population rates across the sweep",
    code_version: "1",
    params: no_params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "persistence",
            kind: Some(&PERSISTENCE),
            doc: "every point's persistence",
        },
        Port {
            name: "rates",
            kind: Some(&POPULATION_RATES),
            doc: "every point's population rates",
        },
    ],
    outputs: &[
        Output::of("persistence", &PERSISTENCE_SWEEP),
        Output::of("persistence_summary", &STUDY),
        Output::of("rates", &STUDY),
    ],
    check: check_typed::<NoParams>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let inputs = neurodyn_tables::ring_attractor::Inputs {
        persistence: dataset(ctx, "persistence"),
        rates: dataset(ctx, "rates"),
    };
    let written = neurodyn_tables::ring_attractor::derive(
        &inputs,
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(derived(written))
}
