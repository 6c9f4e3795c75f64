//! `lyapunov-tables`: the `lyapunov` stage's results across the sweep:
//! every trial, every network's notebook estimate, the exponents per g
//! (mean, sd, count, fraction diverging), and the divergence curves (mean
//! and sd of ln distance over sessions and trials, against time).

use neurodyn_core::contracts::{
    DIVERGENCE_CURVES, DIVERGENCE_SUMS, LYAPUNOV_NOTEBOOK, LYAPUNOV_SUMMARY, LYAPUNOV_TRIALS,
    STUDY, TWIN_ENDS,
};

use crate::PipelineError;
use crate::library::models::rate_rnn_twins;
use crate::library::{
    Output, Port, Role, StageKind, check_typed, dataset, no_axes, no_params, same_point,
};
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::{NoParams, input_params};

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "lyapunov-tables",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "Lyapunov exponents and divergence curves across the sweep, per g (tables/trials, notebook, summary, divergence)",
    code_version: "3",
    params: no_params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "trials",
            kind: Some(&LYAPUNOV_TRIALS),
            doc: "per-trial exponents of every sweep point",
        },
        Port {
            name: "notebook",
            kind: Some(&LYAPUNOV_NOTEBOOK),
            doc: "notebook estimates of every sweep point",
        },
        Port {
            name: "divergence",
            kind: Some(&DIVERGENCE_SUMS),
            doc: "ln-distance sums of every sweep point",
        },
        Port {
            name: "ends",
            kind: Some(&TWIN_ENDS),
            doc: "the twin run (its dt_ms turns steps into ms)",
        },
    ],
    outputs: &[
        Output::of("trials", &STUDY),
        Output::of("notebook", &STUDY),
        Output::of("summary", &LYAPUNOV_SUMMARY),
        Output::of("divergence", &DIVERGENCE_CURVES),
    ],
    check: check_typed::<NoParams>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let sim: rate_rnn_twins::Params = input_params(ctx, "ends")?;
    let inputs = neurodyn_tables::rnn_chaos::Inputs {
        trials: dataset(ctx, "trials"),
        notebook: dataset(ctx, "notebook"),
        divergence: dataset(ctx, "divergence"),
    };
    let written = neurodyn_tables::rnn_chaos::derive(
        &inputs,
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
        sim.dt_ms,
    )?;
    Ok(derived(written))
}
