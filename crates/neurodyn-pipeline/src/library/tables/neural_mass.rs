//! `neural-mass-tables`: a neural-mass sweep's tables across the sweep:
//! activity, network, bold, fc, fit, the fit landscape (fit_summary),
//! spectra and fcd, each written point by point in the order of the sweep
//! keys (memory: one point's rows).

use neurodyn_core::contracts::{
    ACTIVITY, ACTIVITY_SWEEP, BOLD, DOMINANT_FREQUENCY, FC_FIT, FC_PAIRS, FC_SWEEP, FCD_MATRIX,
    FIT_LANDSCAPE, NETWORK_RUN, STUDY,
};

use crate::PipelineError;
use crate::library::{
    Output, Port, Role, StageKind, check_typed, dataset, no_axes, no_params, same_point,
};
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::NoParams;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "neural-mass-tables",
    role: Role::Table,
    scope: Scope::Aggregate,
    doc: "a neural-mass sweep's tables across the sweep: activity, network, bold, fc, fit, fit_summary (the fit landscape over seeds), spectra, fcd",
    code_version: "1",
    params: no_params,
    axes: no_axes,
    inputs: &[
        Port::of("activity", &ACTIVITY, "every point's activity"),
        Port::of("network", &NETWORK_RUN, "every point's run row"),
        Port::of("bold", &BOLD, "every point's BOLD, where recorded"),
        Port::of("fc", &FC_PAIRS, "every point's FC"),
        Port::of("fit", &FC_FIT, "every point's fit to the target"),
        Port::of(
            "spectrum",
            &DOMINANT_FREQUENCY,
            "every point's dominant frequencies",
        ),
        Port::of("fcd", &FCD_MATRIX, "every point's FCD, where computed"),
    ],
    outputs: &[
        Output::of("activity", &ACTIVITY_SWEEP),
        Output::of("network", &STUDY),
        Output::of("bold", &STUDY),
        Output::of("fc", &FC_SWEEP),
        Output::of("fit", &STUDY),
        Output::of("fit_summary", &FIT_LANDSCAPE),
        Output::of("spectra", &STUDY),
        Output::of("fcd", &STUDY),
    ],
    check: check_typed::<NoParams>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: None,
};

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let inputs = neurodyn_tables::whole_brain::Inputs {
        activity: dataset(ctx, "activity"),
        network: dataset(ctx, "network"),
        bold: dataset(ctx, "bold"),
        fc: dataset(ctx, "fc"),
        fit: dataset(ctx, "fit"),
        spectrum: dataset(ctx, "spectrum"),
        fcd: dataset(ctx, "fcd"),
    };
    let written = neurodyn_tables::whole_brain::derive(
        &inputs,
        &ctx.pipeline_dir,
        &ctx.file_meta(ctx.master_seed),
    )?;
    Ok(derived(written))
}
