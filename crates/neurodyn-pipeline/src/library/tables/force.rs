//! `force-tables`: a FORCE sweep's tables across the sweep: motifs and
//! dimensionality per loop (where recorded) and the training statistics.

use neurodyn_core::contracts::{
    DIMENSIONALITY_SWEEP, FORCE_LOOPS, LOOP_DIMENSIONALITY, MOTIFS_SWEEP, TRAINING_SWEEP,
    WEIGHT_MOTIFS,
};

use crate::PipelineError;
use crate::library::{
    Output, Port, Role, StageKind, check_typed, dataset, no_axes, no_params, same_point,
};
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::NoParams;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "force-tables",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "motifs, dimensionality and training statistics per loop across the sweep",
    code_version: "1",
    params: no_params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "motifs",
            kind: Some(&WEIGHT_MOTIFS),
            doc: "every point's motifs, where recorded",
        },
        Port {
            name: "dimensionality",
            kind: Some(&LOOP_DIMENSIONALITY),
            doc: "every point's dimensionality, where recorded",
        },
        Port {
            name: "loops",
            kind: Some(&FORCE_LOOPS),
            doc: "every point's training statistics",
        },
    ],
    outputs: &[
        Output::of("motifs", &MOTIFS_SWEEP),
        Output::of("dimensionality", &DIMENSIONALITY_SWEEP),
        Output::of("training", &TRAINING_SWEEP),
    ],
    check: check_typed::<NoParams>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let inputs = neurodyn_tables::force_motifs::Inputs {
        motifs: dataset(ctx, "motifs"),
        dimensionality: dataset(ctx, "dimensionality"),
        loops: dataset(ctx, "loops"),
    };
    let written = neurodyn_tables::force_motifs::derive(
        &inputs,
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(derived(written))
}
