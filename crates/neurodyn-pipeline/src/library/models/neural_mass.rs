//! `neural-mass-network`: neural-mass nodes on a connectome with conduction
//! delays (the whole-brain study's simulation), offered as a model kind:
//! each region's activity.

use neurodyn_core::contracts::{ACTIVITY, STUDY};

use crate::library::{Output, Role, StageKind};
use crate::params::ParamDef;
use crate::studies::whole_brain::WholeBrain;
use crate::study::{AxisDef, Scope, StageDef, Study};

fn stage() -> StageDef {
    super::study_stage(&WholeBrain, "simulate")
}

fn params() -> Vec<ParamDef> {
    stage().params
}

fn axes() -> Vec<AxisDef> {
    WholeBrain.axes()
}

/// The tables it writes.
const OUTPUTS: &[Output] = &[
    Output::of("activity", &ACTIVITY),
    Output::of("network", &STUDY),
    Output::of("bold", &STUDY),
];

/// The kind.
pub fn kind() -> StageKind {
    let s = stage();
    StageKind {
        name: "neural-mass-network",
        role: Role::Model,
        scope: Scope::PerPoint,
        doc: "neural-mass nodes (hopf, wilson_cowan, jansen_rit, kuramoto, wong_wang, mpr, fitzhugh_nagumo) on a connectome (a TVB zip) with delays = tract length / speed (sweeps model, k, speed, seed)",
        code_version: s.code_version,
        params,
        axes,
        inputs: &[],
        outputs: OUTPUTS,
        check: s.check,
        run: s.run,
    }
}
