//! `neural-mass-tables`: a neural-mass sweep's tables across the sweep:
//! activity, network, bold, fc, fit, the fit landscape (fit_summary),
//! spectra and fcd, each written point by point in the order of the sweep
//! keys (memory: one point's rows).

use neurodyn_core::contracts::{
    ACTIVITY, ACTIVITY_SWEEP, BOLD, DOMINANT_FREQUENCY, FC_FIT, FC_PAIRS, FC_SWEEP, FCD_MATRIX,
    FIT_LANDSCAPE, NETWORK_RUN, STUDY,
};

use crate::PipelineError;
use crate::library::{Output, Port, Role, StageKind, check_typed, dataset, no_axes, same_point};
use crate::params::ParamDef;
use crate::study::{OutputFile, Scope, StageContext, derived};
use crate::typed::NoParams;

const fn port(
    name: &'static str,
    kind: &'static neurodyn_core::contracts::TableKind,
    doc: &'static str,
) -> Port {
    Port {
        name,
        kind: Some(kind),
        doc,
    }
}

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
        port("activity", &ACTIVITY, "every point's activity"),
        port("network", &NETWORK_RUN, "every point's run row"),
        port("bold", &BOLD, "every point's BOLD, where recorded"),
        port("fc", &FC_PAIRS, "every point's FC"),
        port("fit", &FC_FIT, "every point's fit to the target"),
        port(
            "spectrum",
            &DOMINANT_FREQUENCY,
            "every point's dominant frequencies",
        ),
        port("fcd", &FCD_MATRIX, "every point's FCD, where computed"),
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
};

fn no_params() -> Vec<ParamDef> {
    Vec::new()
}

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
